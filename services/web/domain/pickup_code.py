"""A ready order's pick-up code, from the resident's own messages (notify's inbox,
`GET /v1/me/messages`, newest first): the pick-up service keeps only the code's
hashes, so the PIN and QR payload exist only in the message it had sent. The
newest parcel-ready or new-code message for the order wins (a new code replaces
the old one)."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

# Templates whose params carry an order's PIN and QR payload (services/pickup/domain/notices.py).
CODE_TEMPLATES = frozenset({"parcel_ready", "pickup_code_reissued"})


def _template(name: Any) -> str:
    return str(name or "").strip().lower().replace("-", "_")


def code_for(messages: Iterable[Mapping[str, Any]], order_id: str) -> dict[str, str] | None:
    """{pin, qr_payload (may be "")} of the newest code message for `order_id`; None if there is none.
    `messages` are newest first, as the inbox answers."""
    for message in messages:
        if not isinstance(message, Mapping) or _template(message.get("template")) not in CODE_TEMPLATES:
            continue
        params = message.get("params")
        if not isinstance(params, Mapping) or str(params.get("order_id") or "") != order_id:
            continue
        pin = str(params.get("pin") or "").strip()
        if pin:
            return {"pin": pin, "qr_payload": str(params.get("qr_payload") or "").strip()}
    return None
