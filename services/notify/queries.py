"""What the notify API reads: a person's contact details and inbox, as the worker projected them."""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from .domain.sign_in import normalise_address
from .handlers.contacts import load_contact, recipient_of
from .handlers.inbox import messages_of


async def contact_view(redis: Redis, recipient_id: str) -> dict[str, Any] | None:
    contact = await load_contact(redis, recipient_id)
    if contact is None:
        return None
    return {"recipient_id": contact.recipient_id, "preferred_channel": contact.preferred_channel,
            "language": contact.language, "phone": contact.phone, "email": contact.email,
            "postal_address": contact.postal_address.split("\n") if contact.postal_address else None}


async def contact_by_address(redis: Redis, address: str) -> dict[str, Any] | None:
    """The details whose phone number or e-mail address this is, spelt any usual way
    (InvalidAddress if it is neither); None if nobody's details have it."""
    recipient = await recipient_of(redis, normalise_address(address).value)
    return await contact_view(redis, recipient) if recipient else None


async def messages_view(redis: Redis, recipient_id: str, limit: int) -> dict[str, Any]:
    """The messages sent to `recipient_id` that notify keeps (never a sign-in code), newest first."""
    return {"messages": await messages_of(redis, recipient_id, limit)}
