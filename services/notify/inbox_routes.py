"""HTTP routes of notify's inbox: anyone signed in reads the messages notify sent
them (the token's subject, nobody else's), newest first; the web front shows a
parcel's pick-up code (PIN and QR payload, in the message's params) from it.
The worker keeps them (handlers/inbox.py): the last 50 of 30 days, never a
sign-in code; a message shows here once the worker has handled its request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from nahnetz.kit.api import RedisDep
from nahnetz.kit.auth import CurrentUser

from . import queries
from .domain.inbox import KEPT, PAGE


def inbox_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["inbox"])

    @router.get("/me/messages")
    async def my_messages(user: CurrentUser, redis: RedisDep,
                          limit: Annotated[int, Query(ge=1, le=KEPT)] = PAGE) -> dict:
        """Your messages, newest first: {"messages": [{notification_id, template, params, subject, text,
        language, channel, created_at, reference}]}."""
        return await queries.messages_view(redis, user.sub, limit)

    return router
