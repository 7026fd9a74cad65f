"""What the browser tests share: Chromium (Debian's package) driven by Playwright,
the web front's address on the stack, staff accounts made with the admin command,
a resident's sign-in with the code from notify's message file, and the check every
page gets: axe-core finds nothing serious or critical, and a screenshot is kept
under tests/browser/screenshots/ (git-ignored)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Browser, Page, Playwright

from nahnetz.demo.client import Platform
from nahnetz.testing import EmbeddedStack

REPO = Path(__file__).resolve().parents[2]
AXE = REPO / "services" / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
ADMIN_COMMAND = Path(sys.executable).with_name("nahnetz-web")
# As the machine's probe found: without the networking flags Chromium keeps trying
# Google's hosts, which a closed network refuses.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def chromium_path() -> str:
    for candidate in (os.environ.get("NAHNETZ_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if candidate and Path(candidate).is_file():
            return candidate
    raise RuntimeError("no Chromium: run scripts/setup-browser (./run-tests does) or set NAHNETZ_CHROMIUM")


async def launch(playwright: Playwright) -> Browser:
    """Chromium with a fresh, empty profile (Playwright makes one per launch)."""
    return await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)


@dataclass
class Web:
    """The web front on a running stack, and the ways a test gets a person signed in."""

    stack: EmbeddedStack
    platform: Platform
    base: str
    messages: Path
    accounts: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base + path

    def add_account(self, username: str, role: str, **scope: str) -> str:
        """A staff account made with the admin command, as an admin would; its password."""
        password = secrets.token_urlsafe(18)
        options = [f"--{key.replace('_', '-')}={value}" for key, value in scope.items()]
        result = subprocess.run([str(ADMIN_COMMAND), "add-account", username, f"--role={role}", *options,
                                 "--password-stdin"], input=password + "\n", capture_output=True, text=True,
                                env={**os.environ, "REDIS_URL": self.stack.redis_url}, timeout=60)
        assert result.returncode == 0, result.stderr
        self.accounts[username] = password
        return password

    async def sign_in(self, page: Page, username: str, password: str | None = None) -> None:
        await page.goto(self.url("/anmelden"))
        await page.get_by_label("Benutzername").fill(username)
        await page.get_by_label("Passwort").fill(password or self.accounts[username])
        await page.get_by_role("button", name="Anmelden").click()
        await page.wait_for_load_state()
        assert "/anmelden" not in page.url, await page.content()

    async def sign_in_resident(self, page: Page, address: str) -> None:
        """The resident's way: a code to their phone (notify's message file), typed in."""
        await page.goto(self.url("/anmelden/code"))
        since = time.time()
        await page.get_by_label("Telefonnummer oder E-Mail-Adresse").fill(address)
        await page.get_by_role("button", name="Code schicken").click()
        code = await self.code_sent_to(address, since)
        await page.get_by_label("Code aus der Nachricht").fill(code)
        await page.get_by_role("button", name="Anmelden").click()
        await page.wait_for_load_state()
        assert "/anmelden" not in page.url, await page.content()

    async def code_sent_to(self, address: str, since: float, timeout: float = 30.0) -> str:
        """The sign-in code of the newest message to `address` written after `since`."""
        digits = re.sub(r"\D", "", address)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.messages.exists():
                for line in reversed(self.messages.read_text(encoding="utf-8").splitlines()):
                    message = json.loads(line)
                    to = str(message.get("to") or message.get("address") or "")
                    text = str(message.get("text") or message.get("body") or "")
                    if (to == address or (digits and re.sub(r"\D", "", to).endswith(digits[-8:]))) \
                            and (found := re.search(r"\b(\d{6})\b", text)):
                        return found.group(1)
            await asyncio.sleep(0.2)
        raise AssertionError(f"no sign-in code for {address} in {self.messages} within {timeout:.0f} s")


async def check_page(page: Page, name: str) -> None:
    """axe-core on the page as it is: no serious or critical finding; then a screenshot."""
    # Evaluated through the DevTools protocol, which the page's CSP does not govern.
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = await page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    SCREENSHOTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert violations == [], f"{name}: accessibility problems (axe-core):\n" + json.dumps(violations, indent=1)
