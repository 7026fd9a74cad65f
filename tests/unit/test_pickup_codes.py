"""Pick-up codes: generation, keyed hashing, verification."""

from __future__ import annotations

import secrets

import pytest

from nahnetz.kit.errors import BadRequest, Unprocessable
from services.pickup.domain import codes

KEY = b"k" * 32


def test_a_pin_has_six_digits_and_comes_from_the_secrets_module(monkeypatch):
    drawn = []

    def randbelow(n):
        drawn.append(n)
        return 42

    code = codes.new_pickup_code("o-1", randbelow=randbelow, token=lambda n: "tok")
    assert code.pin == "000042" and drawn == [1_000_000]
    assert code.qr_payload == "NAHNETZ1:o-1:tok"
    assert codes.new_pickup_code.__kwdefaults__["randbelow"] is secrets.randbelow
    pins = {codes.new_pickup_code("o-1").pin for _ in range(50)}
    assert all(codes.is_pin(p) for p in pins) and len(pins) > 40


def test_the_hash_is_keyed_salted_and_never_the_pin():
    pin = "123456"
    digest = codes.pin_hash(KEY, "salt-1", "o-1", pin)
    assert digest != pin and pin not in digest and len(digest) == 64
    assert digest == codes.pin_hash(KEY, "salt-1", "o-1", pin)
    assert digest != codes.pin_hash(KEY, "salt-2", "o-1", pin)          # per-parcel salt
    assert digest != codes.pin_hash(b"x" * 32, "salt-1", "o-1", pin)     # server key
    assert digest != codes.qr_hash(KEY, "salt-1", "o-1", pin)            # PIN and QR kept apart


def test_the_right_pin_verifies_and_a_wrong_one_does_not():
    digest = codes.pin_hash(KEY, "s", "o-1", "004711")
    assert codes.verify_pin(KEY, "s", "o-1", "004711", digest)
    assert codes.verify_pin(KEY, "s", "o-1", " 004711 ", digest)
    assert not codes.verify_pin(KEY, "s", "o-1", "004712", digest)
    assert not codes.verify_pin(KEY, "s", "o-2", "004711", digest)  # another order's parcel
    assert not codes.verify_pin(KEY, "s", "o-1", "", digest)


def test_qr_payloads_name_their_order_and_verify():
    code = codes.new_pickup_code("o:with:colons")
    assert codes.parse_qr(code.qr_payload) == "o:with:colons"
    digest = codes.qr_hash(KEY, "s", "o:with:colons", code.qr_payload)
    assert codes.verify_qr(KEY, "s", "o:with:colons", code.qr_payload, digest)
    assert not codes.verify_qr(KEY, "s", "o:with:colons", code.qr_payload + "x", digest)
    for bad in ("", "hello", "NAHNETZ1:", "OTHER:o-1:tok", "NAHNETZ1:o-1:"):
        try:
            codes.parse_qr(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} parsed")


def test_comparison_is_constant_time(monkeypatch):
    calls = []
    real = codes.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(codes.hmac, "compare_digest", spy)
    digest = codes.pin_hash(KEY, "s", "o-1", "111111")
    assert not codes.verify_pin(KEY, "s", "o-1", "222222", digest)
    assert codes.verify_pin(KEY, "s", "o-1", "111111", digest)
    assert len(calls) == 2


def test_a_code_never_shows_in_its_repr():
    code = codes.new_pickup_code("o-1")
    assert code.pin not in repr(code) and code.qr_payload not in repr(code)


def test_an_entered_code_is_a_pin_for_an_order_or_a_scanned_qr():
    code = codes.new_pickup_code("o-1")
    salt = "s"
    pin_digest, qr_digest = codes.pin_hash(KEY, salt, "o-1", code.pin), codes.qr_hash(KEY, salt, "o-1", code.qr_payload)
    typed = codes.entered_code("o-1", code.pin, None)
    scanned = codes.entered_code(None, None, code.qr_payload)
    assert (typed.order_id, typed.scanned, scanned.order_id, scanned.scanned) == ("o-1", False, "o-1", True)
    assert typed.matches(KEY, salt, pin_digest, qr_digest) and scanned.matches(KEY, salt, pin_digest, qr_digest)
    # The PIN does not open by the QR's hash, nor the QR by the PIN's.
    assert not typed.matches(KEY, salt, qr_digest, pin_digest)
    assert not scanned.matches(KEY, salt, qr_digest, pin_digest)
    assert code.pin not in repr(typed) and code.qr_payload not in repr(scanned)
    with pytest.raises(Unprocessable, match="not a Nahnetz pick-up QR"):
        codes.entered_code(None, None, "https://example.org/x")
    with pytest.raises(BadRequest):
        codes.entered_code("o-1", None, None)
