"""The web front at the end of the demo: its address and who can sign in.

Staff accounts are made with the admin command (`nahnetz-web add-account`), as an
administrator would, with passwords drawn for this run: printed here and kept in
`<run dir>/web-sign-ins.txt` (readable only by its owner), never in the repository.
A resident who ordered today gets a phone number in notify, and signs in with the
code that notify sends there (the demo's messages land in `<run dir>/notify/`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..regions import Region
from .client import Platform
from .seeding import OPERATOR


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    who: str                      # for people: what the account is for
    scope: tuple[tuple[str, str], ...] = ()


def demo_accounts(region: Region, driver: str, participant: str | None) -> list[DemoAccount]:
    shop = region.shops[0]
    municipality = shop.place.municipality
    accounts = [
        DemoAccount("betrieb", "operator", f"Betrieb und Bestellannahme / operator, order desk ({region.hub.name})"),
        DemoAccount("admin", "admin", "Verwaltung / admin"),
        DemoAccount("laden", "shop", f"Laden / shop: {shop.name}", (("shop-id", shop.id), ("name", shop.name))),
        DemoAccount("fahrer", "driver", f"Fahrer / driver: {driver}", (("subject", driver),)),
        DemoAccount("gemeinde", "municipality", f"Gemeinde / municipality: {municipality}",
                    (("municipality", municipality), ("name", f"Gemeinde {municipality}"))),
    ]
    if participant:
        accounts.append(DemoAccount("fracht", "freight_participant", f"Frachtbörse / freight exchange: {participant}",
                                    (("subject", participant),)))
    return accounts


def admin_command() -> str | None:
    """`nahnetz-web` next to this Python (the project's .venv), else on PATH."""
    beside = Path(sys.executable).with_name("nahnetz-web")
    return str(beside) if beside.exists() else shutil.which("nahnetz-web")


def add_account(command: str, account: DemoAccount) -> str:
    password = secrets.token_urlsafe(12)
    options = [f"--{key}={value}" for key, value in account.scope]
    subprocess.run([command, "add-account", account.username, f"--role={account.role}", *options,
                    "--password-stdin"], input=password + "\n", text=True, check=True, capture_output=True,
                   env=os.environ.copy(), timeout=60)
    return password


async def resident_with_phone(platform: Platform, resident_id: str, phone: str) -> None:
    """The resident's phone number in notify, as the order desk enters it with their consent."""
    await platform.call("notify", "PUT", f"/v1/contacts/{resident_id}", who=platform.token(OPERATOR, "operator"),
                        json={"preferred_channel": "SMS", "language": "de", "phone": phone, "consent": True}, ok=(202,))


async def web_sign_ins(platform: Platform, region: Region, say, *, driver: str, participant: str | None,
                       resident_id: str | None) -> None:
    web = platform.urls.get("web")
    command = admin_command()
    if not web or not command or not os.environ.get("REDIS_URL"):
        return
    run_dir = Path(os.environ.get("NAHNETZ_RUN_DIR", ".nahnetz"))
    lines = [f"Web: {web}"]
    for account in demo_accounts(region, driver, participant):
        lines.append(f"  {account.username:9} {add_account(command, account):18}  {account.who}")
    if resident_id:
        phone = "+49 5271 " + str(100000 + int.from_bytes(resident_id.encode()[-3:], "big") % 900000)
        await resident_with_phone(platform, resident_id, phone)
        lines.append(f"  Bewohner / resident: {phone} — Code / code: {run_dir / 'notify' / 'messages.jsonl'} "
                     "(oder im Log / or in the log: nahnetz logs notify-worker)")
    say("\nWebseite / web front: " + web)
    say("  Anmelden / sign in at " + web + "/anmelden (Passwort / password) or /anmelden/code (Bewohner / residents)")
    for line in lines[1:]:
        say(line)
    path = run_dir / "web-sign-ins.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    say(f"  (auch in / also in {path})")
