"""Residents sign in with a one-time code sent to their phone or e-mail.

Pure rules, no I/O: what an address is (normalised, so one person has one key),
how it is shown back masked, the code (6 digits from `secrets`, kept only as an
HMAC-SHA256 keyed with the platform's secret and bound to the address, compared
in constant time), the limits, and the fixed windows they are counted in.

Limits (each answered with 429 and Retry-After):
- per caller (the browser's address as the web front passes it): 10 code
  requests an hour, and 20 wrong codes in 15 minutes;
- per target address: 5 codes sent an hour. This one protects the SMS budget and
  the person at that number from a flood; its cost is that someone who keeps asking
  for codes to another person's address can hold that person's sign-in up for at
  most the rest of the hour (the per-caller limit slows them down).
- per code: 5 wrong tries void it; a new code can be asked for at once, so nobody
  is ever locked out for good.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import re
import secrets
from dataclasses import dataclass
from typing import Iterable, Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from nahnetz.kit.errors import DomainError, Unprocessable

from .contacts import Contact

CODE_DIGITS = 6
CODE_TTL_S = 600
MAX_WRONG_TRIES = 5
DEFAULT_REGION = "DE"

HOUR_S = 3600
CALLER_REQUESTS_PER_HOUR = 10
ADDRESS_SENDS_PER_HOUR = 5
CALLER_WRONG_CODES = 20
WRONG_CODE_WINDOW_S = 900

TEMPLATE = "sign_in_code"
ADDRESS_INPUT_MAX = 254

Kind = Literal["phone", "email"]


class InvalidAddress(Unprocessable):
    """Not a phone number or e-mail address a code can be sent to (422)."""


class WrongCode(Unprocessable, code="wrong_code"):
    """The code is wrong, expired, used or void (422)."""


class TooManyRequests(DomainError, status_code=429, code="too_many_requests"):
    """More than a limit allows in its window; try again after Retry-After seconds (429)."""


WRONG_OR_EXPIRED = ("Der Code stimmt nicht oder ist abgelaufen. "
                    "The code is wrong or has expired.")
VOID = ("Der Code stimmt nicht und gilt nach 5 falschen Eingaben nicht mehr; bitte fordern Sie einen neuen an. "
        "The code is wrong and void after 5 wrong tries; please ask for a new one.")
NOT_A_CODE = f"Der Code hat {CODE_DIGITS} Ziffern. The code has {CODE_DIGITS} digits."


# -- addresses -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Address:
    kind: Kind
    value: str  # E.164 for a phone, lower-cased for an e-mail

    @property
    def channel(self) -> str:
        """The NotificationChannel a code to this address goes by."""
        return "SMS" if self.kind == "phone" else "EMAIL"

    @property
    def masked(self) -> str:
        return mask(self)


def normalise_address(text: str) -> Address:
    """A phone number (any German spelling, or international with +) or an e-mail
    address, in the one form it is stored and looked up by. InvalidAddress (422) if neither."""
    text = " ".join(text.split())
    if not text:
        raise InvalidAddress("Bitte Telefonnummer oder E-Mail-Adresse angeben. "
                             "Please give a phone number or e-mail address.")
    if "@" in text:
        try:
            email = validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            raise InvalidAddress("Das ist keine gültige E-Mail-Adresse. That is not a valid e-mail address.") from None
        return Address("email", email.lower())
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidAddress("Das ist weder eine gültige Telefonnummer noch eine E-Mail-Adresse. "
                             "That is neither a valid phone number nor an e-mail address.")
    return Address("phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def index_addresses(phone: str | None, email: str | None) -> set[str]:
    """The normalised addresses a person's contact details can be found by (what
    does not parse is left out: it cannot be signed in with either)."""
    found = set()
    for given in (phone, email):
        if not given:
            continue
        try:
            found.add(normalise_address(given).value)
        except InvalidAddress:
            continue
    return found


def addresses_of(contact: Contact | None) -> set[str]:
    return index_addresses(contact.phone, contact.email) if contact else set()


def signs_in_as_resident(recipient_id: str, actor_user: str | None, actor_role: str | None,
                         on_behalf_of: str | None) -> bool:
    """Whether contact details may sign someone in as a resident: not details that
    a shop, driver or staff member gave for themself (their address must not open
    a resident session with their user id). Details recorded by an assistant for
    someone, given by a resident, or published without an actor count."""
    if actor_user is None or on_behalf_of:
        return True
    return actor_user != recipient_id or (actor_role or "").upper() == "RESIDENT"


def mask(address: Address) -> str:
    """Enough for the person to recognise their address, too little for anyone
    else: `+49 171 •••• 67`, `a•••@example.org`."""
    if address.kind == "email":
        local, _, domain = address.value.rpartition("@")
        return f"{local[:1]}•••@{domain}"
    number = phonenumbers.parse(address.value)
    national = phonenumbers.national_significant_number(number)
    head = national[:3] if len(national) >= 9 else national[:2]
    return f"+{number.country_code} {head} •••• {national[-2:]}"


# -- codes ---------------------------------------------------------------------------------
def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def normalise_code(text: str) -> str:
    """The digits the person typed (spaces and dashes allowed); 422 when they are not 6 digits."""
    digits = re.sub(r"[\s\-]", "", text)
    if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", digits):
        raise Unprocessable(NOT_A_CODE)
    return digits


def code_hash(key: bytes, address: str, code: str) -> str:
    """What is stored instead of the code: HMAC-SHA256 keyed with the platform's
    secret, over the address and the code (a hash is worth nothing for another address)."""
    return hmac.new(key, f"sign-in\n{address}\n{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(key: bytes, address: str, code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(code_hash(key, address, code), stored_hash)


def pseudonym(key: bytes, address: str) -> str:
    """A recipient id for an address nobody has given yet (the message's topic key):
    stable, and it does not show the address."""
    return "sign-in-" + hmac.new(key, f"recipient\n{address}".encode(), hashlib.sha256).hexdigest()[:20]


def new_resident_id() -> str:
    return f"res-{secrets.token_hex(8)}"


def message_params(code: str) -> dict[str, str]:
    """The params of the `sign_in_code` template."""
    return {"code": code, "minutes": str(CODE_TTL_S // 60)}


def consent_text(address: Address) -> str:
    what = "Telefonnummer" if address.kind == "phone" else "E-Mail-Adresse"
    return (f"Bei der Anmeldung mit einem Einmal-Code angegeben und bestätigt: Nahnetz darf mir Nachrichten zu "
            f"meinen Bestellungen an diese {what} schicken. Ich kann das jederzeit widerrufen.")


def name_of(contact: Contact | None) -> str | None:
    """The person's name as far as notify knows it: the first line of the envelope."""
    if contact is None or not contact.postal_address:
        return None
    return contact.postal_address.split("\n", 1)[0].strip() or None


# -- who is calling ------------------------------------------------------------------------
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """`10.0.0.0/8, 192.168.1.5` as networks; loopback is always among them."""
    return LOOPBACK + tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",")
                            if part.strip())


def client_address(peer: str | None, forwarded_for: str | None,
                   trusted: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network] = LOOPBACK) -> str:
    """Whom a limit binds: the first X-Forwarded-For entry when the direct peer is a
    trusted proxy (the web front), else the peer itself. The proxy names the caller as
    it knows them (an IP address, written one way; a test client's name as it is);
    an empty or overlong entry names nobody, and the peer counts."""
    peer = peer or "unknown"
    try:
        peer_ip = ipaddress.ip_address(peer)
    except ValueError:
        return peer
    if not forwarded_for or not any(peer_ip in net for net in trusted):
        return peer
    first = forwarded_for.split(",")[0].strip()
    if not first or len(first) > 64 or any(c.isspace() for c in first):
        return peer
    try:
        return str(ipaddress.ip_address(first))
    except ValueError:
        return first


# -- fixed windows -------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    index: int          # which window `now` falls in
    retry_after: int    # whole seconds until the next window starts (at least 1)


def window_of(now_s: float, window_s: int) -> Window:
    index = int(now_s // window_s)
    return Window(index, max(1, math.ceil((index + 1) * window_s - now_s)))


def check_limit(count: int, limit: int, window: Window, de: str, en: str) -> None:
    """Refuse the request that makes `count` exceed `limit` in its window."""
    if count > limit:
        raise TooManyRequests(f"{de}; bitte in {window.retry_after} s erneut versuchen. "
                              f"{en}; try again in {window.retry_after} s.",
                              headers={"Retry-After": str(window.retry_after)})
