"""Signing in and out in a real browser: staff with a password, the start page in
German and English, large text, and what an attacker would try (a wrong password
many times, a form without its CSRF token, a foreign next= address)."""

from __future__ import annotations

import httpx
import pytest

from web_support import Web, check_page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


async def test_the_start_page_offers_both_ways_in_and_passes_the_accessibility_check(web: Web, page):
    await page.goto(web.url("/"))
    assert await page.title() == "Willkommen · Nahnetz"
    await page.get_by_role("link", name="Mit Code anmelden").is_visible()
    await check_page(page, "start")
    await page.get_by_role("link", name="English").click()
    assert await page.get_by_role("link", name="Sign in with a code").is_visible()
    await page.get_by_role("link", name="Large text").click()
    assert "large-text" in (await page.get_attribute("body", "class") or "")
    await check_page(page, "start-en-large")


async def test_a_driver_signs_in_with_a_password_and_out_again(web: Web, phone):
    web.add_account("fahrer-sign-in", "driver", subject="drv-sign-in", name="Fahrerin Test")
    await web.sign_in(phone, "fahrer-sign-in")
    assert phone.url.endswith("/fahrer")
    await phone.get_by_role("button", name="Abmelden").click()
    await phone.wait_for_url(web.url("/"))
    await phone.goto(web.url("/fahrer"))
    assert "/anmelden?next=/fahrer" in phone.url


async def test_a_wrong_password_is_refused_and_repeated_tries_are_limited_for_that_caller_only(web: Web, page):
    web.add_account("laden-limit", "shop", shop_id="shop-limit")
    await page.goto(web.url("/anmelden"))
    await check_page(page, "sign-in")
    for _ in range(5):
        await page.get_by_label("Benutzername").fill("laden-limit")
        await page.get_by_label("Passwort").fill("falsch-falsch-falsch")
        await page.get_by_role("button", name="Anmelden").click()
        assert await page.get_by_role("alert").inner_text() == "Benutzername oder Passwort stimmt nicht."
    await page.get_by_label("Benutzername").fill("laden-limit")
    await page.get_by_label("Passwort").fill(web.accounts["laden-limit"])
    async with page.expect_response(lambda r: r.url.endswith("/anmelden")) as answer:
        await page.get_by_role("button", name="Anmelden").click()
    assert (await answer.value).status == 429
    assert "Zu viele Versuche" in await page.get_by_role("alert").inner_text()


async def test_forms_without_the_session_token_or_from_another_site_are_refused(web: Web):
    async with httpx.AsyncClient(base_url=web.base) as client:
        start = await client.get("/anmelden")
        assert start.status_code == 200
        bare = await client.post("/anmelden", data={"username": "x", "password": "y"})
        assert bare.status_code == 403
        token = start.text.split('name="csrf" value="')[1].split('"')[0]
        foreign = await client.post("/anmelden", data={"username": "x", "password": "y", "csrf": token},
                                    headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403


async def test_every_answer_carries_a_strict_content_security_policy_and_the_cookie_is_httponly(web: Web):
    async with httpx.AsyncClient(base_url=web.base) as client:
        answer = await client.get("/anmelden")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


async def test_after_sign_in_it_goes_back_only_to_a_page_of_this_site(web: Web, page):
    web.add_account("gemeinde-next", "municipality", municipality="Brakel")
    await page.goto(web.url("/anmelden?next=https://evil.example/"))
    await page.get_by_label("Benutzername").fill("gemeinde-next")
    await page.get_by_label("Passwort").fill(web.accounts["gemeinde-next"])
    await page.get_by_role("button", name="Anmelden").click()
    await page.wait_for_load_state()
    assert page.url.startswith(web.base)
