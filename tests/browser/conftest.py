"""The browser tests: the whole platform as `nahnetz up` runs it (real broker, Redis,
every service, the web front), the region seeded as the demo seeds it, and Debian's
Chromium driven by Playwright for Python.

NAHNETZ_BROWSER_STACK=<run dir> runs them against a stack already up there (started
with the test stack's secret, `nahnetz.testing.stack.SECRET`), for quick iterations;
NAHNETZ_BROWSER_WEB_URL then names a web front of your own running against it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from nahnetz.demo.seeding import seed
from nahnetz.regions import load_region
from nahnetz.testing import EmbeddedStack

from web_support import DESKTOP, PHONE, Web, launch

BROWSER_STACK_ENV = {
    # The journeys drive a coming day's tour at once.
    "DISPATCH_EARLY_REPORTS": "allow",
}


@pytest.fixture(scope="package")
def web_stack(tmp_path_factory) -> EmbeddedStack:
    running = os.environ.get("NAHNETZ_BROWSER_STACK")
    if running:
        yield EmbeddedStack(Path(running))
        return
    stack = EmbeddedStack(tmp_path_factory.mktemp("nahnetz-web") / "run", env=BROWSER_STACK_ENV)
    try:
        stack.up()
        yield stack
        stack.down()
    finally:
        stack.ensure_down()


@pytest.fixture(scope="package")
async def web(web_stack: EmbeddedStack) -> Web:
    platform = web_stack.platform()
    if not os.environ.get("NAHNETZ_BROWSER_STACK"):
        await seed(platform, load_region("kreis_hoexter"), lambda *_: None)
    try:
        base = os.environ.get("NAHNETZ_BROWSER_WEB_URL") or web_stack.urls()["web"]
        yield Web(web_stack, platform, base.rstrip("/"), web_stack.run_dir / "notify" / "messages.jsonl")
    finally:
        await platform.close()


@pytest.fixture(scope="package")
async def browser():
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            yield browser
        finally:
            await browser.close()


async def _page(browser, viewport):
    context = await browser.new_context(viewport=viewport, locale="de-DE")
    page = await context.new_page()
    problems: list[str] = []

    def console(message) -> None:
        # A refused page (401, 429) is an answer a test may expect; its own check covers it.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(message.text)

    def response(answer) -> None:
        if answer.status >= 400 and answer.request.resource_type != "document" or answer.status >= 500:
            problems.append(f"{answer.status} {answer.request.method} {answer.url}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", response)
    return context, page, problems


@pytest.fixture
async def page(browser):
    """A desktop browser tab of its own (cookies included); no script error or CSP
    violation may happen on it."""
    context, found, problems = await _page(browser, DESKTOP)
    yield found
    await context.close()
    assert problems == [], f"errors in the browser console: {problems}"


@pytest.fixture
async def phone(browser):
    """The same on a phone-sized screen."""
    context, found, problems = await _page(browser, PHONE)
    yield found
    await context.close()
    assert problems == [], f"errors in the browser console: {problems}"
