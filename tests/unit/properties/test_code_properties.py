"""Properties of the pick-up codes (services/pickup/domain/codes.py) and of the
fixed windows that limit code attempts (rate_limit.py): a PIN is six ASCII
digits, exactly the issued PIN opens, a QR payload names its order, the keyed
hashes depend on every input, and Retry-After sends the caller into the next window."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from nahnetz.kit.errors import BadRequest, Unprocessable
from services.pickup.domain import codes
from services.pickup.domain.rate_limit import over_limit, window_of

FAST = settings(max_examples=100, deadline=None)

# One length, as the service's key has: HMAC pads shorter keys with zeros, so b"k" and b"k\0" are one key.
keys = st.binary(min_size=32, max_size=32)
salts = st.text(min_size=1, max_size=40)
# Order ids as the platform makes them, and as anything a terminal might send.
order_ids = st.uuids().map(str) | st.text(min_size=1, max_size=40) | st.text(":o-1 Ä", min_size=1, max_size=12)
# Half of them with leading zeros, which a PIN keeps.
pins = (st.integers(min_value=0, max_value=10 ** codes.PIN_DIGITS - 1)
        | st.integers(min_value=0, max_value=10 ** (codes.PIN_DIGITS - 1) - 1)).map(lambda n: f"{n:06d}")
URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
tokens = st.text(URLSAFE, min_size=1, max_size=30)


@FAST
@given(st.integers(min_value=0, max_value=10 ** codes.PIN_DIGITS - 1), order_ids, tokens)
def test_a_pin_is_six_ascii_digits_with_its_leading_zeros(drawn, order_id, token):
    code = codes.new_pickup_code(order_id, randbelow=lambda n: drawn, token=lambda n: token)
    assert len(code.pin) == 6 and code.pin.isascii() and code.pin.isdigit()
    assert int(code.pin) == drawn and codes.is_pin(code.pin)
    assert code.pin not in repr(code) and code.qr_payload not in repr(code), "no secret in a log line"


@settings(max_examples=25, deadline=None)
@given(order_ids)
def test_a_real_code_has_a_pin_and_a_qr_that_names_its_order(order_id):
    code = codes.new_pickup_code(order_id)
    assert codes.is_pin(code.pin)
    assert codes.parse_qr(code.qr_payload) == order_id


@FAST
@given(st.text(max_size=10) | st.integers(min_value=-10 ** 7, max_value=10 ** 7).map(str)
       | st.text(st.characters(categories=("Nd",)), min_size=5, max_size=7))  # digits of every script
def test_is_pin_takes_six_ascii_digits_and_nothing_else(text):
    if codes.is_pin(text):
        assert len(text) == 6 and all(c in "0123456789" for c in text)
    elif len(text) == 6:
        assert any(c not in "0123456789" for c in text)


def candidates_for(pin: str):
    """What someone types at the terminal: the PIN, near misses, and anything at all."""
    near = st.tuples(st.integers(min_value=0, max_value=5), st.sampled_from("0123456789")).map(
        lambda change: pin[:change[0]] + change[1] + pin[change[0] + 1:])
    return st.one_of(st.just(pin), st.sampled_from([f" {pin}", f"{pin}\n", f"\t{pin} "]), near, pins,
                     st.sampled_from([pin[:5], pin + "0", "0" + pin, pin[::-1], f"{pin[:3]} {pin[3:]}"]),
                     st.just(str(int(pin))),  # the PIN read as a number, its leading zeros lost
                     st.text(max_size=8))


@FAST
@given(keys, salts, order_ids, pins.flatmap(lambda pin: st.tuples(st.just(pin), candidates_for(pin))))
def test_verify_pin_is_true_exactly_for_the_issued_pin(key, salt, order_id, issued_and_typed):
    issued, typed = issued_and_typed
    stored = codes.pin_hash(key, salt, order_id, issued)
    # Spaces around it are forgiven (a terminal may send them), nothing else is.
    assert codes.verify_pin(key, salt, order_id, typed, stored) == (typed.strip() == issued)


@FAST
@given(keys, keys, salts, salts, order_ids, order_ids, pins)
def test_the_issued_pin_opens_only_its_own_parcel(key, other_key, salt, other_salt, order_id, other_order, pin):
    stored = codes.pin_hash(key, salt, order_id, pin)
    if other_key != key:
        assert not codes.verify_pin(other_key, salt, order_id, pin, stored)
    if other_salt != salt:
        assert not codes.verify_pin(key, other_salt, order_id, pin, stored)
    if other_order != order_id:
        assert not codes.verify_pin(key, salt, other_order, pin, stored)


@FAST
@given(keys, salts, salts, order_ids, st.text(min_size=1, max_size=60))
def test_keyed_hashes_differ_for_different_salts_and_kinds(key, salt, other_salt, order_id, secret):
    assume(salt != other_salt)
    for kind in ("pin", "qr"):
        digest = codes.keyed_hash(key, kind, salt, order_id, secret)
        assert len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
        assert digest != codes.keyed_hash(key, kind, other_salt, order_id, secret)
    # A PIN's hash never opens as a QR payload and the other way round.
    assert codes.pin_hash(key, salt, order_id, secret) != codes.qr_hash(key, salt, order_id, secret.strip())


@FAST
@given(order_ids, tokens, st.sampled_from(["", " ", "\n", "\r\n", "\t"]), st.sampled_from(["", " ", "\n"]))
def test_a_qr_payload_names_its_order_with_or_without_surrounding_whitespace(order_id, token, before, after):
    code = codes.new_pickup_code(order_id, token=lambda n: token)
    scanned = f"{before}{code.qr_payload}{after}"
    assert codes.parse_qr(scanned) == order_id
    entered = codes.entered_code(None, None, scanned)
    assert (entered.order_id, entered.qr, entered.scanned) == (order_id, scanned, True)


@FAST
@given(keys, salts, order_ids, tokens, pins)
def test_a_scanned_or_typed_code_opens_its_parcel_and_a_changed_one_does_not(key, salt, order_id, token, pin):
    code = codes.new_pickup_code(order_id, randbelow=lambda n: int(pin), token=lambda n: token)
    pin_hash = codes.pin_hash(key, salt, order_id, code.pin)
    qr_hash = codes.qr_hash(key, salt, order_id, code.qr_payload)
    assert codes.entered_code(None, None, code.qr_payload + "\n").matches(key, salt, pin_hash, qr_hash)
    assert codes.entered_code(order_id, code.pin, None).matches(key, salt, pin_hash, qr_hash)
    assert not codes.entered_code(None, None, code.qr_payload + "x").matches(key, salt, pin_hash, qr_hash)
    # The PIN hash is not the QR's: typing the payload as a PIN opens nothing.
    assert not codes.entered_code(order_id, code.qr_payload, None).matches(key, salt, pin_hash, qr_hash)


qr_like = st.text(max_size=40) | st.text(max_size=40).map(lambda rest: f"{codes.QR_PREFIX}:{rest}") | st.builds(
    lambda a, b, c: f"{a}{codes.QR_PREFIX}:{b}:{c}", st.sampled_from(["", " ", "x", "\n"]), st.text(max_size=10),
    st.text(max_size=10))


@FAST
@given(qr_like)
def test_parse_qr_refuses_with_value_error_only_and_returns_the_id_the_payload_holds(payload):
    try:
        order_id = codes.parse_qr(payload)
    except ValueError:
        if payload:  # the terminal hears a 422, never a 500
            with pytest.raises(Unprocessable):
                codes.entered_code(None, None, payload)
        return
    stripped = payload.strip()
    assert order_id and stripped.startswith(f"{codes.QR_PREFIX}:{order_id}:")
    token = stripped[len(f"{codes.QR_PREFIX}:{order_id}:"):]
    assert token and ":" not in token


@FAST
@given(st.text(max_size=8) | st.none(), st.text(max_size=8) | st.none())
def test_without_a_qr_a_terminal_must_give_order_and_pin(order_id, pin):
    if order_id and pin:
        assert codes.entered_code(order_id, pin, None).order_id == order_id
    else:
        with pytest.raises(BadRequest):
            codes.entered_code(order_id, pin, None)


# -- the windows of code attempts -----------------------------------------------------------------
windows = st.integers(min_value=1, max_value=24 * 3600)
moments = st.floats(min_value=0, max_value=4e9, allow_nan=False, allow_infinity=False)  # epoch s until 2096
microseconds = st.integers(min_value=0, max_value=4 * 10 ** 15).map(lambda us: us / 10 ** 6)  # as datetime has them


@FAST
@given(moments | microseconds, windows)
def test_retry_after_is_at_least_a_second_and_at_most_the_window(now, window_s):
    window = window_of(now, window_s)
    assert 1 <= window.retry_after <= window_s
    assert isinstance(window.retry_after, int)
    # The window's index is the one `now` falls in.
    assert window.index * window_s <= now < (window.index + 1) * window_s


@FAST
@given(moments | microseconds, windows, st.floats(min_value=0, max_value=1))
def test_moments_of_one_window_share_it_and_later_ones_never_go_back(now, window_s, fraction):
    window = window_of(now, window_s)
    start = window.index * window_s
    inside = start + fraction * (window_s - 1e-3)
    assume(start <= inside < start + window_s)
    assert window_of(inside, window_s).index == window.index
    assert window_of(now + fraction * 10 * window_s, window_s).index >= window.index


@FAST
@example(now_us=58_999_500, window_s=60)
@given(st.integers(min_value=0, max_value=4 * 10 ** 15), windows)
def test_waiting_retry_after_seconds_reaches_the_next_window(now_us, window_s):
    now = now_us / 10 ** 6
    window = window_of(now, window_s)
    assert window_of(now + window.retry_after, window_s).index > window.index


@FAST
@given(st.integers(min_value=0, max_value=50), st.integers(min_value=0, max_value=60))
def test_a_window_lets_exactly_limit_attempts_through(limit, attempts):
    refused = [n for n in range(1, attempts + 1) if over_limit(n, limit)]
    assert len(refused) == max(0, attempts - limit)
    assert all(n > limit for n in refused)
