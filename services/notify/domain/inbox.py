"""A person's inbox: the messages notify sent them, for them to read again (the
web front shows a parcel's pick-up code from it).

Kept per recipient, newest first, the last `KEPT` of the last `KEPT_DAYS` days;
each message once per notification id. A sign-in code is never kept: whoever is
signed in must not be able to read the code that signs someone in.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Mapping

from .templates import Rendered, template_name

KEPT = 50
KEPT_DAYS = 30
KEPT_FOR = timedelta(days=KEPT_DAYS)
NEVER_KEPT = frozenset({"sign_in_code"})
PAGE = 20


def kept(template: str) -> bool:
    """Whether a message of `template` goes into the recipient's inbox."""
    return template_name(template) not in NEVER_KEPT


def entry(*, notification_id: str, template: str, params: Mapping[str, str], rendered: Rendered, channel: str,
          created_at: datetime) -> dict[str, Any]:
    """The inbox entry of one message (JSON-ready): the params as requested and the
    text in the language the person reads."""
    reference = params.get("order_id") or params.get("order_ref") or params.get("match_id") or None
    return {"notification_id": notification_id, "template": template_name(template), "params": dict(params),
            "subject": rendered.subject, "text": rendered.text, "language": rendered.language,
            "channel": channel, "created_at": created_at.isoformat().replace("+00:00", "Z"),
            "reference": reference}


def encoded(message: Mapping[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def decoded(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        found = json.loads(raw)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def score(moment: datetime) -> int:
    """The inbox's order: milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)
