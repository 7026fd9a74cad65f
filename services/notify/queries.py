"""What the notify API reads: a person's contact details and inbox, as the worker projected them."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from .handlers.contacts import load_contact
from .handlers.inbox import messages_of


async def contact_view(redis: Redis, recipient_id: str) -> dict[str, Any] | None:
    contact = await load_contact(redis, recipient_id)
    if contact is None:
        return None
    return {"recipient_id": contact.recipient_id, "preferred_channel": contact.preferred_channel,
            "language": contact.language, "phone": contact.phone, "email": contact.email,
            "postal_address": contact.postal_address.split("\n") if contact.postal_address else None}


async def messages_view(redis: Redis, recipient_id: str, limit: int) -> dict[str, Any]:
    """The messages sent to `recipient_id` that notify keeps (never a sign-in code), newest first."""
    return {"messages": await messages_of(redis, recipient_id, limit)}
