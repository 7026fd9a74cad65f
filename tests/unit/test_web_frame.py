"""The web front's frame, pure parts: staff accounts and passwords, where sign-in may
send a person next, the Content-Security-Policy, languages and tile settings."""

from __future__ import annotations

import pytest

from nahnetz.kit.roles import Role
from nahnetz.kit.settings import Settings
from services.web.domain.accounts import (AccountInvalid, Account, hash_password, new_account,
                                          password_matches)
from services.web.domain.language import chosen, pick
from services.web.handlers.pages import safe_next
from services.web.handlers.security import content_security_policy
from services.web.settings import WebSettings


def test_a_shop_account_needs_its_shop_and_a_municipality_account_its_municipality():
    with pytest.raises(AccountInvalid, match="shop-id"):
        new_account("hofladen", "shop")
    with pytest.raises(AccountInvalid, match="municipality"):
        new_account("rathaus", "municipality")
    account = new_account("Hofladen", "shop", shop_id="shop-1", municipality="ignored")
    assert (account.username, account.role, account.shop_id, account.municipality) == \
           ("hofladen", Role.SHOP, "shop-1", None)
    assert account.subject == "hofladen"


def test_residents_and_unknown_roles_get_no_password_account():
    with pytest.raises(AccountInvalid, match="one-time code"):
        new_account("karl", "resident")
    with pytest.raises(AccountInvalid, match="unknown role"):
        new_account("karl", "mayor")
    with pytest.raises(AccountInvalid, match="username"):
        new_account("a b", "operator")


def test_passwords_are_argon2id_hashes_that_only_the_right_password_matches():
    hashed = hash_password("lang-genug-und-geheim")
    assert hashed.startswith("$argon2id$") and "lang-genug" not in hashed
    assert password_matches(hashed, "lang-genug-und-geheim")
    assert not password_matches(hashed, "lang-genug-und-geheiM")
    assert not password_matches(None, "lang-genug-und-geheim")   # no account: as slow, and no
    assert not password_matches("not a hash", "whatever")


def test_a_short_password_is_refused_with_a_message_in_both_languages():
    with pytest.raises(AccountInvalid, match="mindestens 12 Zeichen / the password needs at least 12"):
        hash_password("kurz")


def test_an_account_survives_its_redis_record():
    account = new_account("anna", "driver", name="Anna K.", subject="driver-hx-1")
    record = account.as_record("$argon2id$x")
    assert "shop_id" not in record and record["password_hash"] == "$argon2id$x"
    assert Account.from_record(record) == account


@pytest.mark.parametrize("target, expected", [
    ("/fahrer", "/fahrer"), ("/bestellungen?x=1", "/bestellungen?x=1"), (None, "/"), ("", "/"),
    ("https://evil.example/", "/"), ("//evil.example/", "/"), ("/\\evil.example", "/"), ("fahrer", "/"),
])
def test_sign_in_sends_a_person_back_only_to_a_page_of_this_site(target, expected):
    assert safe_next(target) == expected


def test_the_policy_allows_only_this_site_and_names_a_tile_server_for_images_only():
    policy = content_security_policy(None)
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "'unsafe" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    tiles = content_security_policy("https://tile.example.org")
    assert "img-src 'self' data: https://tile.example.org" in tiles
    assert tiles.count("tile.example.org") == 1


def test_tile_settings_give_the_origin_and_refuse_other_schemes():
    web = WebSettings(tile_url="https://{s}.tile.example.org/{z}/{x}/{y}.png", services={})
    assert web.tile_origin == "https://a.tile.example.org"
    with pytest.raises(ValueError, match="http"):
        WebSettings(tile_url="javascript:alert(1)", services={})


def test_cookies_are_secure_in_production_unless_told_otherwise():
    base = {"KAFKA_BOOTSTRAP": "k:9092", "REDIS_URL": "redis://r:6379/0"}
    prod = Settings(**base, NAHNETZ_ENV="prod", NAHNETZ_JWT_SECRET="x" * 40)
    dev = Settings(**base)
    assert WebSettings(services={}).secure_cookies(prod) and not WebSettings(services={}).secure_cookies(dev)
    assert not WebSettings(cookie_secure=False, services={}).secure_cookies(prod)


def test_german_unless_english_was_chosen():
    assert chosen(None) == "de" and chosen("fr") == "de" and chosen("en") == "en"
    assert pick("en", "Bestellen", "Order") == "Order" and pick("de", "Bestellen", "Order") == "Bestellen"
