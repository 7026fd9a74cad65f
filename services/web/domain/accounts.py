"""Staff accounts: who may sign in with a password, in which role and for what.

Residents have no password: they sign in with a one-time code sent to their phone
or e-mail (through notify). Passwords are hashed with argon2id (argon2-cffi's
defaults, RFC 9106's second recommended option), never stored or logged.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from nahnetz.kit.roles import Role

STAFF_ROLES = (Role.SHOP, Role.OPERATOR, Role.DRIVER, Role.MUNICIPALITY, Role.ADMIN, Role.FREIGHT_PARTICIPANT)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 12
_hasher = PasswordHasher()
# Verified against when the account does not exist, so both cases take as long.
_DUMMY_HASH = _hasher.hash("nahnetz-no-such-account")


class AccountInvalid(ValueError):
    """What is wrong with an account, for people (German / English)."""


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    name: str
    subject: str                  # the token's `sub`: the driver id, the participant id, ...
    shop_id: str | None = None
    municipality: str | None = None

    def as_record(self, password_hash: str) -> dict[str, str]:
        record = {k: v for k, v in asdict(self).items() if v is not None}
        record["role"] = self.role.value
        record["password_hash"] = password_hash
        return record

    @classmethod
    def from_record(cls, record: dict[str, str]) -> "Account":
        return cls(username=record["username"], role=Role.parse(record["role"]), name=record.get("name", ""),
                   subject=record.get("subject") or record["username"], shop_id=record.get("shop_id"),
                   municipality=record.get("municipality"))


def new_account(username: str, role: str, *, name: str = "", subject: str | None = None,
                shop_id: str | None = None, municipality: str | None = None) -> Account:
    """An account, checked: a known staff role and the scope that role needs."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountInvalid("Benutzername: 3–64 Zeichen a–z, 0–9, . _ - / username: 3–64 characters a–z, 0–9, . _ -")
    try:
        parsed = Role.parse(role)
    except ValueError as exc:
        raise AccountInvalid(str(exc)) from None
    if parsed not in STAFF_ROLES:
        raise AccountInvalid(f"role {parsed.value}: residents sign in with a one-time code, not a password")
    if parsed is Role.SHOP and not shop_id:
        raise AccountInvalid("a shop account needs the shop it belongs to (--shop-id)")
    if parsed is Role.MUNICIPALITY and not municipality:
        raise AccountInvalid("a municipality account needs its municipality (--municipality)")
    return Account(username, parsed, name.strip() or username, subject or username,
                   shop_id if parsed is Role.SHOP else None,
                   municipality if parsed is Role.MUNICIPALITY else None)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountInvalid(f"das Passwort braucht mindestens {MIN_PASSWORD} Zeichen / "
                             f"the password needs at least {MIN_PASSWORD} characters")


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """True when the password is the account's; with no account (None) it takes as
    long as a real check and answers False."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
