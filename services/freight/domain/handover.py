"""The hand-over code of an agreed match: six digits, derived from the match id
with a secret key (HMAC-SHA256), so it is never stored or put into an event, the
load slip and the notifications can show it again, and a rebuild keeps it.

The sender gets it (message and load slip) and gives it to the driver at the
pick-up, who enters it; the recipient reads it off the slip at the drop.
"""

from __future__ import annotations

import hashlib
import hmac

DIGITS = 6


def handover_code(secret: bytes, match_id: str) -> str:
    digest = hmac.new(secret, f"freight-handover:{match_id}".encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10 ** DIGITS).zfill(DIGITS)


def code_matches(secret: bytes, match_id: str, entered: str) -> bool:
    typed = "".join(ch for ch in entered if ch.isdigit())
    return hmac.compare_digest(typed.encode(), handover_code(secret, match_id).encode())
