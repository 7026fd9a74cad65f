"""`nahnetz-web`: the admin command for staff accounts of the web front.

    nahnetz-web add-account anna --role driver --subject drv-anna --name "Anna K."
    nahnetz-web add-account hofladen --role shop --shop-id shop-hofladen --password-stdin < pw
    nahnetz-web accounts
    nahnetz-web remove-account anna

Without --password-stdin it asks for the password twice (not echoed). It talks to
the web front's Redis (REDIS_URL), as `nahnetz up` sets it for every process.
"""

from __future__ import annotations

import asyncio
import os
import sys

import click

from nahnetz.kit.redis import connect

from ..domain.accounts import STAFF_ROLES, AccountInvalid, check_password, new_account
from .accounts import AccountStore


def _redis_url(url: str | None) -> str:
    found = url or os.environ.get("REDIS_URL")
    if not found:
        raise click.UsageError("no Redis to keep accounts in: set REDIS_URL or pass --redis-url")
    return found


async def _with_store(url: str, work):
    redis = connect(url, client_name="web-admin")
    try:
        return await work(AccountStore(redis))
    finally:
        await redis.aclose()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Staff accounts of the Nahnetz web front."""


@main.command("add-account")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in STAFF_ROLES]))
@click.option("--name", default="", help="The name shown on the pages.")
@click.option("--subject", default=None, help="The id the services know this person by (driver id, participant id); default: the username.")
@click.option("--shop-id", default=None, help="A shop account's shop.")
@click.option("--municipality", default=None, help="A municipality account's municipality.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--redis-url", default=None, help="Default: REDIS_URL.")
def add_account(username: str, role: str, name: str, subject: str | None, shop_id: str | None,
                municipality: str | None, password_stdin: bool, redis_url: str | None) -> None:
    """Create or replace a staff account."""
    try:
        account = new_account(username, role, name=name, subject=subject, shop_id=shop_id, municipality=municipality)
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = click.prompt("Passwort / password", hide_input=True, confirmation_prompt=True)
        check_password(password)
    except AccountInvalid as exc:
        raise click.ClickException(str(exc)) from None
    created = asyncio.run(_with_store(_redis_url(redis_url), lambda store: store.put(account, password)))
    click.echo(f"{'created' if created else 'replaced'} {account.username} ({account.role.value})")


@main.command("accounts")
@click.option("--redis-url", default=None)
def accounts(redis_url: str | None) -> None:
    """List the staff accounts (never their passwords)."""
    found = asyncio.run(_with_store(_redis_url(redis_url), lambda store: store.all()))
    for account in found:
        scope = account.shop_id or account.municipality or ""
        click.echo(f"{account.username:24} {account.role.value:20} {account.subject:24} {scope}")


@main.command("remove-account")
@click.argument("username")
@click.option("--redis-url", default=None)
def remove_account(username: str, redis_url: str | None) -> None:
    """Remove a staff account; their open sessions end when they expire."""
    removed = asyncio.run(_with_store(_redis_url(redis_url), lambda store: store.remove(username.lower())))
    if not removed:
        raise click.ClickException(f"no account {username}")
    click.echo(f"removed {username}")


if __name__ == "__main__":
    main()
