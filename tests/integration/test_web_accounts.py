"""The web front's own records in a real Redis: staff accounts made with the admin
command, sessions that sign-in replaces, and failed sign-ins limited per caller."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from services.web import keys
from services.web.handlers.accounts import AccountStore
from services.web.handlers.limits import SignInLimiter
from services.web.handlers.sessions import SessionStore, SignedIn

pytestmark = pytest.mark.integration
ADMIN = Path(sys.executable).with_name("nahnetz-web")


def admin(redis_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(ADMIN), *args], input=stdin, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "REDIS_URL": redis_url})


async def test_the_admin_command_makes_lists_and_removes_an_account_whose_password_then_signs_in(redis_url, redis):
    name = f"fahrer-{uuid.uuid4().hex[:6]}"
    made = admin(redis_url, "add-account", name, "--role=driver", "--subject=driver-hx-1", "--name=Anna K.",
                 "--password-stdin", stdin="ein-langes-passwort\n")
    assert made.returncode == 0 and f"created {name} (driver)" in made.stdout, made.stderr
    store = AccountStore(redis)
    account = await store.verify(name, "ein-langes-passwort")
    assert account is not None and (account.subject, account.name) == ("driver-hx-1", "Anna K.")
    assert await store.verify(name, "ein-falsches-passwort") is None
    assert "ein-langes-passwort" not in str(await redis.hgetall(keys.account(name)))
    listed = admin(redis_url, "accounts")
    assert name in listed.stdout and "driver-hx-1" in listed.stdout and "argon2" not in listed.stdout
    assert admin(redis_url, "remove-account", name).returncode == 0
    assert await store.verify(name, "ein-langes-passwort") is None
    again = admin(redis_url, "remove-account", name)
    assert again.returncode != 0 and "no account" in again.stderr


async def test_the_admin_command_refuses_a_short_password_and_a_shop_without_its_shop(redis_url):
    short = admin(redis_url, "add-account", "laden-x", "--role=shop", "--shop-id=s1", "--password-stdin",
                  stdin="kurz\n")
    assert short.returncode != 0 and "12 Zeichen" in short.stderr
    unscoped = admin(redis_url, "add-account", "laden-y", "--role=shop", "--password-stdin",
                     stdin="lang-genug-und-mehr\n")
    assert unscoped.returncode != 0 and "--shop-id" in unscoped.stderr


async def test_signing_in_replaces_the_session_so_an_id_planted_before_is_worth_nothing(redis):
    sessions = SessionStore(redis, ttl_s=3600)
    planted = sessions.new()
    await sessions.save(planted)
    assert await sessions.load(planted.id) is not None
    signed = await sessions.sign_in(planted, SignedIn(sub="res-1", role="resident", name="Karl"))
    assert signed.id != planted.id and signed.csrf != planted.csrf
    assert await sessions.load(planted.id) is None
    loaded = await sessions.load(signed.id)
    assert loaded is not None and loaded.user == SignedIn(sub="res-1", role="resident", name="Karl")
    assert 3500 < await redis.ttl(keys.session(signed.id)) <= 3600
    await sessions.end(signed)
    assert await sessions.load(signed.id) is None
    assert await sessions.load("x" * 200) is None   # no lookup for an oversized cookie


async def test_failed_sign_ins_bind_the_caller_not_the_account_owner(redis):
    limiter = SignInLimiter(redis, attempts=3, window_s=60)
    account = f"laden-{uuid.uuid4().hex[:6]}"
    for _ in range(3):
        assert await limiter.retry_after("password", "10.0.0.66", account) is None
        await limiter.failed("password", "10.0.0.66", account)
    wait = await limiter.retry_after("password", "10.0.0.66", account)
    assert wait is not None and 0 < wait <= 60
    # The owner, elsewhere, is not locked out; the attacker's other tries are bounded too.
    assert await limiter.retry_after("password", "192.0.2.10", account) is None
    for n in range(9):
        await limiter.failed("password", "10.0.0.66", f"other-{n}")
    assert await limiter.retry_after("password", "10.0.0.66", "yet-another") is not None
    # A success clears that caller's count for that account.
    await limiter.failed("password", "192.0.2.10", account)
    await limiter.succeeded("password", "192.0.2.10", account)
    assert await redis.get(keys.attempts("password", "192.0.2.10", account.lower())) is None
