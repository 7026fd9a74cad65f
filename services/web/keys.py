"""The web front's Redis keys: its own records only (sign-in), never another service's.

| key | type | what |
|---|---|---|
| web:session:{id} | string (JSON) | a browser session: who signed in, the CSRF token, the basket (TTL: WEB_SESSION_HOURS) |
| web:account:{username} | hash | a staff account: argon2id hash, role, scope (shop, municipality), name |
| web:accounts | set | every staff account's username |
| web:attempts:{scope}:{hash} | string (counter) | failed sign-ins of one caller in the window (TTL: the window) |
"""

from __future__ import annotations

import hashlib

PREFIX = "web:"
ACCOUNTS = f"{PREFIX}accounts"


def session(session_id: str) -> str:
    return f"{PREFIX}session:{session_id}"


def account(username: str) -> str:
    return f"{PREFIX}account:{username}"


def attempts(scope: str, *parts: str) -> str:
    """A counter key; the parts (an address, a username) are hashed so no personal
    data sits in key names."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"{PREFIX}attempts:{scope}:{digest}"
