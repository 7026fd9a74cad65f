"""Bearer tokens and scopes: the pure checks, then the FastAPI dependencies
through an app built with create_api (no lifespan: these routes touch no Redis)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import jwt
import pytest
from click.testing import CliRunner
from fastapi import APIRouter, Depends

from nahnetz.cli import main as cli
from nahnetz.events import Actor
from nahnetz.kit.api import create_api
from nahnetz.kit.auth import (ISSUER, CurrentUser, Role, User, actor_for_resident, actor_for_shop,
                              decode_token, issue_token, require_roles, visible_area)
from nahnetz.kit.errors import Forbidden, Unauthorized
from nahnetz.kit.settings import DEV_JWT_SECRET, Settings

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"


def settings() -> Settings:
    return Settings(KAFKA_BOOTSTRAP="127.0.0.1:1", REDIS_URL="redis://127.0.0.1:1/0",
                    NAHNETZ_SERVICE="kit-auth", NAHNETZ_JWT_SECRET=SECRET)


# -- tokens ------------------------------------------------------------------------------
def test_a_token_round_trips_with_its_scopes():
    token = issue_token(SECRET, "u-7", "shop", shop_id="s-1", ttl=60)
    assert decode_token(SECRET, token) == User(sub="u-7", role=Role.SHOP, shop_id="s-1")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], issuer=ISSUER)
    assert claims["exp"] - claims["iat"] == 60


def test_an_expired_token_is_refused_naming_expiry():
    token = issue_token(SECRET, "u-1", Role.RESIDENT, ttl=timedelta(minutes=-5))
    with pytest.raises(Unauthorized, match="expired") as caught:
        decode_token(SECRET, token)
    assert 'error="invalid_token"' in caught.value.headers["WWW-Authenticate"]


def test_a_token_signed_with_another_secret_is_refused():
    token = issue_token("another-secret-that-is-also-long-enough!!", "u-1", "resident")
    with pytest.raises(Unauthorized, match="Signature verification failed"):
        decode_token(SECRET, token)


def test_a_token_of_another_issuer_is_refused():
    now = datetime.now(timezone.utc)
    token = jwt.encode({"iss": "elsewhere", "sub": "u", "role": "admin", "iat": now,
                        "exp": now + timedelta(minutes=1)}, SECRET, algorithm="HS256")
    with pytest.raises(Unauthorized, match="issuer"):
        decode_token(SECRET, token)


def test_a_token_without_role_or_with_an_unknown_role_is_refused():
    now = datetime.now(timezone.utc)
    base = {"iss": ISSUER, "sub": "u", "iat": now, "exp": now + timedelta(minutes=1)}
    for claims in (base, {**base, "role": "mayor"}):
        with pytest.raises(Unauthorized, match="unknown role"):
            decode_token(SECRET, jwt.encode(claims, SECRET, algorithm="HS256"))


def test_a_shop_or_municipality_token_needs_its_scope():
    with pytest.raises(ValueError, match="shop_id"):
        issue_token(SECRET, "u", "shop")
    with pytest.raises(ValueError, match="municipality"):
        issue_token(SECRET, "u", "municipality")
    now = datetime.now(timezone.utc)
    unscoped = jwt.encode({"iss": ISSUER, "sub": "u", "role": "shop", "iat": now,
                           "exp": now + timedelta(minutes=1)}, SECRET, algorithm="HS256")
    with pytest.raises(Unauthorized, match="needs shop_id"):
        decode_token(SECRET, unscoped)


def test_unknown_scope_claims_are_refused_when_issuing():
    with pytest.raises(ValueError, match="shop"):
        issue_token(SECRET, "u", "resident", shop="s-1")


# -- scopes --------------------------------------------------------------------------------
SHOP = User("u-shop", Role.SHOP, shop_id="s-1")
OPERATOR = User("u-op", Role.OPERATOR)
ADMIN = User("u-admin", Role.ADMIN)
RESIDENT = User("r-1", Role.RESIDENT)
TOWN = User("u-town", Role.MUNICIPALITY, municipality="hoexter")


def test_a_shop_changes_only_its_own_goods():
    assert actor_for_shop(SHOP, "s-1") == Actor("u-shop", "SHOP", None)
    with pytest.raises(Forbidden, match="only its own"):
        actor_for_shop(SHOP, "s-2")


def test_staff_act_for_any_shop_and_that_is_recorded():
    assert actor_for_shop(OPERATOR, "s-2") == Actor("u-op", "OPERATOR", on_behalf_of="s-2")
    assert actor_for_shop(ADMIN, "s-9") == Actor("u-admin", "ADMIN", on_behalf_of="s-9")
    for outsider in (RESIDENT, TOWN, User("d", Role.DRIVER)):
        with pytest.raises(Forbidden):
            actor_for_shop(outsider, "s-1")


def test_residents_act_for_themselves_and_staff_for_them():
    assert actor_for_resident(RESIDENT, "r-1") == Actor("r-1", "RESIDENT", None)
    assert actor_for_resident(OPERATOR, "r-1") == Actor("u-op", "OPERATOR", on_behalf_of="r-1")
    with pytest.raises(Forbidden):
        actor_for_resident(RESIDENT, "r-2")
    with pytest.raises(Forbidden):
        actor_for_resident(SHOP, "r-1")


def test_an_assistant_token_records_on_whose_behalf():
    token = issue_token(SECRET, "u-counter", "operator", on_behalf_of="r-5")
    assert decode_token(SECRET, token).actor() == Actor("u-counter", "OPERATOR", on_behalf_of="r-5")


def test_a_municipality_sees_only_its_area():
    assert visible_area(TOWN) == "hoexter"
    assert visible_area(TOWN, "hoexter") == "hoexter"
    with pytest.raises(Forbidden, match="only its own area"):
        visible_area(TOWN, "ringelai")
    assert visible_area(OPERATOR, "ringelai") == "ringelai"
    assert visible_area(ADMIN) is None  # all areas
    with pytest.raises(Forbidden):
        visible_area(RESIDENT, "hoexter")


# -- through HTTP ------------------------------------------------------------------------------
def app_with_guarded_routes():
    router = APIRouter()

    @router.get("/me")
    async def me(user: CurrentUser) -> dict:
        return {"sub": user.sub, "role": user.role.value}

    @router.put("/shops/{shop_id}/note")
    async def note(shop_id: str, user: User = Depends(require_roles(Role.SHOP, Role.OPERATOR))) -> dict:
        actor = actor_for_shop(user, shop_id)
        return {"user_id": actor.user_id, "on_behalf_of": actor.on_behalf_of}

    return create_api(settings(), title="auth test", routers=[router])


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=app_with_guarded_routes())
    async with httpx.AsyncClient(transport=transport, base_url="http://kit") as c:
        yield c


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_valid_token_is_accepted(client):
    r = await client.get("/me", headers=bearer(issue_token(SECRET, "r-1", "resident")))
    assert r.status_code == 200
    assert r.json() == {"sub": "r-1", "role": "resident"}


async def test_no_token_is_401_with_www_authenticate(client):
    for headers in ({}, {"Authorization": "Basic dTpw"}):
        r = await client.get("/me", headers=headers)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert r.json()["error"] == "unauthorized"
        assert "bearer token is required" in r.json()["message"]


async def test_expired_and_forged_tokens_are_401(client):
    expired = issue_token(SECRET, "r-1", "resident", ttl=-60)
    forged = issue_token(DEV_JWT_SECRET, "r-1", "resident")
    for token, reason in ((expired, "expired"), (forged, "Signature")):
        r = await client.get("/me", headers=bearer(token))
        assert r.status_code == 401
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
        assert reason in r.json()["message"]


async def test_a_wrong_role_is_403_naming_the_roles(client):
    r = await client.put("/shops/s-1/note", headers=bearer(issue_token(SECRET, "r-1", "resident")))
    assert r.status_code == 403
    assert r.json() == {"error": "forbidden", "message": "this needs the role operator or shop; your role is resident",
                        "correlation_id": r.headers["X-Correlation-ID"]}


async def test_shop_scope_and_staff_acting_on_behalf_through_http(client):
    shop = bearer(issue_token(SECRET, "u-shop", "shop", shop_id="s-1"))
    assert (await client.put("/shops/s-1/note", headers=shop)).json() == {"user_id": "u-shop", "on_behalf_of": None}
    assert (await client.put("/shops/s-2/note", headers=shop)).status_code == 403
    operator = bearer(issue_token(SECRET, "u-op", "operator"))
    assert (await client.put("/shops/s-2/note", headers=operator)).json() == {"user_id": "u-op", "on_behalf_of": "s-2"}


# -- the CLI -------------------------------------------------------------------------------------
def test_the_token_command_prints_a_token_the_api_accepts():
    result = CliRunner().invoke(cli, ["token", "--sub", "u-9", "--role", "municipality",
                                      "--municipality", "hoexter", "--ttl", "2h", "--secret", SECRET])
    assert result.exit_code == 0, result.output
    user = decode_token(SECRET, result.output.strip())
    assert user == User("u-9", Role.MUNICIPALITY, municipality="hoexter")
    claims = jwt.decode(result.output.strip(), SECRET, algorithms=["HS256"], issuer=ISSUER)
    assert claims["exp"] - claims["iat"] == 7200


def test_the_token_command_names_a_missing_scope_and_refuses_prod_without_secret():
    missing = CliRunner().invoke(cli, ["token", "--sub", "u", "--role", "shop", "--secret", SECRET])
    assert missing.exit_code == 2 and "needs shop_id" in missing.output
    prod = CliRunner(env={"NAHNETZ_ENV": "prod", "NAHNETZ_JWT_SECRET": ""}).invoke(
        cli, ["token", "--sub", "u", "--role", "admin"])
    assert prod.exit_code == 2 and "give the real secret" in prod.output
