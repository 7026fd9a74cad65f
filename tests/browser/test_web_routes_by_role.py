"""Every route of the web front, with every role: the routes are read from the app
(`services.web.api.create_app`), so a page added later is walked too, and one whose
path fits no row of ACCESS fails the walk until the table says who may open it.

GET as a role the table allows: never 401, 403 or 5xx (404 for a dummy id is fine);
as a signed-in person of another role: 403; not signed in, on a role's page: 303 to
/anmelden?next=<the page>. Every POST route refuses a form without its CSRF token (403).
Plain HTTP (httpx) against the web front, signed in through its forms, cookies kept.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from starlette.routing import Mount

from web_support import Web

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ANYONE = None
# Path prefix -> the roles that may open its pages (ANYONE: no sign-in needed).
ACCESS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("/einkaufen", frozenset({"resident"})),
    ("/warenkorb", frozenset({"resident"})),
    ("/bestellungen", frozenset({"resident"})),
    ("/betrieb", frozenset({"operator", "admin"})),
    ("/assistenz", frozenset({"operator", "admin"})),
    ("/laden", frozenset({"shop"})),
    ("/fahrer", frozenset({"driver"})),
    ("/gemeinde", frozenset({"municipality", "operator", "admin"})),
    ("/fracht", frozenset({"freight_participant"})),
    ("/anmelden", ANYONE), ("/abmelden", ANYONE), ("/sprache", ANYONE), ("/schrift", ANYONE),
    ("/static", ANYONE), ("/assets", ANYONE), ("/healthz", ANYONE), ("/readyz", ANYONE), ("/metrics", ANYONE),
    ("/openapi.json", ANYONE), ("/docs", ANYONE), ("/docs-assets", ANYONE), ("/redoc", ANYONE),
)
ROLES = ("anonymous", "resident", "shop", "driver", "operator", "admin", "municipality", "freight_participant")
DUMMY = "dummy-id-0"


# -- the app's routes -----------------------------------------------------------------------------------
def app_routes() -> list[tuple[str, frozenset[str]]]:
    """(path, methods) of every route of the web app; a mount gives one file it serves (GET)."""
    from nahnetz.kit.settings import Settings
    from services.web.api import create_app
    from services.web.settings import WebSettings

    app = create_app(Settings(kafka_bootstrap="127.0.0.1:1", redis_url="redis://127.0.0.1:1/0", service="web"),
                     WebSettings(services={}))
    found: list[tuple[str, frozenset[str]]] = []

    def walk(routes, prefix: str) -> None:
        for route in routes:
            if hasattr(route, "original_router"):   # an included router (FastAPI >= 0.16x)
                walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif isinstance(route, Mount):
                directory = getattr(route.app, "directory", None)
                files = sorted(p for p in Path(directory).rglob("*") if p.is_file()) if directory else []
                if files:
                    found.append((prefix + route.path + "/" + files[0].relative_to(directory).as_posix(),
                                  frozenset({"GET"})))
                elif hasattr(route, "routes"):
                    walk(route.routes, prefix + route.path)
            elif getattr(route, "methods", None):
                found.append((prefix + route.path, frozenset(route.methods) - {"HEAD", "OPTIONS"}))

    walk(app.routes, "")
    return sorted(set(found))


def filled(path: str) -> str:
    return re.sub(r"\{[^}]+\}", DUMMY, path)


def who_may(path: str) -> frozenset[str] | None:
    """The roles of the row whose prefix fits `path` (the longest); KeyError when none does."""
    if path == "/":
        return ANYONE
    fitting = [(prefix, roles) for prefix, roles in ACCESS if path == prefix or path.startswith(prefix + "/")]
    if not fitting:
        raise KeyError(path)
    return max(fitting, key=lambda row: len(row[0]))[1]


ROUTES = app_routes()
GETS = [path for path, methods in ROUTES if "GET" in methods]
POSTS = [path for path, methods in ROUTES if "POST" in methods]


def test_every_route_of_the_app_is_in_the_table():
    unknown = []
    for path, _ in ROUTES:
        try:
            who_may(path)
        except KeyError:
            unknown.append(path)
    assert unknown == [], f"routes with no row in ACCESS (say who may open them): {unknown}"
    assert "/gemeinde" in GETS and "/anmelden" in POSTS


# -- signing in -----------------------------------------------------------------------------------------
def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def sign_in_staff(client: httpx.AsyncClient, web: Web, role: str, run: str) -> None:
    username = f"walk-{role}-{run}"
    scope = {"shop": {"shop_id": f"shop-walk-{run}"}, "municipality": {"municipality": "Höxter"}}.get(role, {})
    web.add_account(username, role, subject=f"walk-{role}-{run}", name=f"Walk {role}", **scope)
    form = await client.get("/anmelden")
    answer = await client.post("/anmelden", data={"username": username, "password": web.accounts[username],
                                                  "csrf": csrf_of(form.text), "next": "/"})
    assert answer.status_code == 303 and not answer.headers["location"].startswith("/anmelden"), answer.text[:500]


def notify_sign_in_live(web: Web) -> bool:
    url = web.stack.urls().get("notify")
    if not url:
        return False
    return httpx.post(url.rstrip("/") + "/v1/sign-in/codes", json={}, timeout=10).status_code != 404


async def sign_in_resident(client: httpx.AsyncClient, web: Web, run: str) -> None:
    address = f"walk-{run}@example.org"
    form = await client.get("/anmelden/code")
    since = time.time()
    sent = await client.post("/anmelden/code", data={"address": address, "csrf": csrf_of(form.text), "next": "/"})
    assert sent.status_code == 200, sent.text[:500]
    code = await web.code_sent_to(address, since)
    answer = await client.post("/anmelden/code/pruefen", data={"address": address, "code": code,
                                                               "csrf": csrf_of(sent.text), "next": "/"})
    assert answer.status_code == 303, answer.text[:500]


async def signed_in(web: Web, role: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=web.base, timeout=60.0, follow_redirects=False,
                               headers={"Accept": "text/html"})
    run = uuid.uuid4().hex[:8]
    if role == "resident":
        if not notify_sign_in_live(web) and os.environ.get("NAHNETZ_BROWSER_STACK"):
            await client.aclose()
            pytest.skip("notify's sign-in routes are not live on this side stack")
        await sign_in_resident(client, web, run)
    elif role != "anonymous":
        await sign_in_staff(client, web, role, run)
    return client


# -- the walk -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
async def test_every_page_answers_each_role_as_the_table_says(web: Web, role: str):
    client = await signed_in(web, role)
    wrong = []
    try:
        for path in GETS:
            url = filled(path)
            allowed = who_may(path)
            answer = await client.get(url)
            status, location = answer.status_code, answer.headers.get("location", "")
            if allowed is ANYONE or role in allowed:
                if status in (401, 403) or status >= 500 or location.startswith("/anmelden"):
                    wrong.append(f"{role} GET {url}: {status} {location} (may open it)")
            elif role == "anonymous":
                if status != 303 or location != f"/anmelden?next={quote(url)}":
                    wrong.append(f"anonymous GET {url}: {status} {location} (expected 303 to sign-in)")
            elif status != 403:
                wrong.append(f"{role} GET {url}: {status} (expected 403: for {sorted(allowed)})")
    finally:
        await client.aclose()
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("role", ("anonymous", "operator"))
async def test_every_form_without_its_csrf_token_is_refused(web: Web, role: str):
    client = await signed_in(web, role)
    wrong = []
    try:
        for path in POSTS:
            answer = await client.post(filled(path), data={"anything": "x"})
            if answer.status_code != 403:
                wrong.append(f"{role} POST {filled(path)} without a CSRF token: {answer.status_code}")
    finally:
        await client.aclose()
    assert wrong == [], "\n".join(wrong)
