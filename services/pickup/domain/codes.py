"""Pick-up codes: a 6-digit PIN to type and a QR payload to scan.

Neither is ever stored or published: only keyed hashes are (HMAC-SHA-256 with
a key the pickup service holds, over a per-parcel salt, the order id and the
secret). A plain hash of six digits could be reversed by trying all million;
the key makes that impossible without the server, the salt makes two parcels
with the same PIN hash differently.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Callable

from nahnetz.kit.errors import BadRequest, Unprocessable

PIN_DIGITS = 6
QR_PREFIX = "NAHNETZ1"
QR_TOKEN_BYTES = 16


@dataclass(frozen=True)
class PickupCode:
    pin: str          # six digits, leading zeros kept
    qr_payload: str   # NAHNETZ1:<order_id>:<random token>

    def __repr__(self) -> str:  # never in a log line by accident
        return "PickupCode(<secret>)"


def new_pickup_code(order_id: str, *, randbelow: Callable[[int], int] = secrets.randbelow,
                    token: Callable[[int], str] = secrets.token_urlsafe) -> PickupCode:
    pin = f"{randbelow(10 ** PIN_DIGITS):0{PIN_DIGITS}d}"
    return PickupCode(pin, f"{QR_PREFIX}:{order_id}:{token(QR_TOKEN_BYTES)}")


def is_pin(text: str) -> bool:
    return len(text) == PIN_DIGITS and text.isascii() and text.isdigit()


def parse_qr(payload: str) -> str:
    """The order id a QR payload names; ValueError when it is no Nahnetz pick-up QR."""
    prefix, _, rest = payload.strip().partition(":")
    order_id, _, token = rest.rpartition(":")
    if prefix != QR_PREFIX or not order_id or not token:
        raise ValueError("this is not a Nahnetz pick-up QR code")
    return order_id


def keyed_hash(key: bytes, kind: str, salt: str, order_id: str, secret: str) -> str:
    """HMAC-SHA-256 (hex) of one secret of one parcel; `kind` keeps PIN and QR apart."""
    message = "\x00".join((kind, salt, order_id, secret)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def pin_hash(key: bytes, salt: str, order_id: str, pin: str) -> str:
    return keyed_hash(key, "pin", salt, order_id, pin)


def qr_hash(key: bytes, salt: str, order_id: str, qr_payload: str) -> str:
    return keyed_hash(key, "qr", salt, order_id, qr_payload.strip())


def matches(expected_hash: str, candidate_hash: str) -> bool:
    """Constant-time comparison, so timing tells nothing about how close a guess was."""
    return hmac.compare_digest(expected_hash.encode(), candidate_hash.encode())


def verify_pin(key: bytes, salt: str, order_id: str, pin: str, expected_hash: str) -> bool:
    # A malformed entry is hashed all the same: the answer takes as long as for a real guess.
    return matches(expected_hash, pin_hash(key, salt, order_id, pin.strip())) and is_pin(pin.strip())


def verify_qr(key: bytes, salt: str, order_id: str, payload: str, expected_hash: str) -> bool:
    return matches(expected_hash, qr_hash(key, salt, order_id, payload))


@dataclass(frozen=True)
class EnteredCode:
    """What was typed (order id and PIN) or scanned (the QR payload) at a terminal."""

    order_id: str
    pin: str | None = None
    qr: str | None = None

    def __repr__(self) -> str:  # never in a log line by accident
        return f"EnteredCode(order_id={self.order_id!r}, <secret>)"

    @property
    def scanned(self) -> bool:
        return self.qr is not None

    def matches(self, key: bytes, salt: str, pin_hash_: str, qr_hash_: str) -> bool:
        """Whether it opens the parcel whose hashes (with `salt`) are given."""
        if self.qr is not None:
            return verify_qr(key, salt, self.order_id, self.qr, qr_hash_)
        return verify_pin(key, salt, self.order_id, self.pin or "", pin_hash_)


def entered_code(order_id: str | None, pin: str | None, qr: str | None) -> EnteredCode:
    """The code from a terminal's request: the QR payload names its order; else order id and PIN."""
    if qr:
        try:
            return EnteredCode(parse_qr(qr), qr=qr)
        except ValueError as exc:
            raise Unprocessable(f"{exc}") from None
    if not (order_id and pin):
        raise BadRequest("give either order_id and code, or the qr payload")
    return EnteredCode(order_id, pin=pin)
