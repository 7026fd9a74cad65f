"""Browser sessions, kept in Redis (`web:session:{id}`); the browser holds only the
random id, in an HttpOnly, SameSite=Lax cookie (Secure behind TLS).

A visitor gets a session when a page first needs one (a form's CSRF token); signing
in replaces it with a new id, so an id planted before sign-in is worth nothing.
The pure-ASGI middleware loads the session before the route and sets or clears the
cookie on the way out.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import keys

COOKIE = "nn_session"
ANONYMOUS_TTL_S = 2 * 3600


@dataclass
class SignedIn:
    """Who a session belongs to: what goes into the tokens minted for them."""

    sub: str
    role: str
    name: str
    shop_id: str | None = None
    municipality: str | None = None


@dataclass
class Session:
    id: str
    csrf: str
    user: SignedIn | None = None
    # Anything a page keeps between requests: the basket, an assisted order's resident.
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"csrf": self.csrf, "user": asdict(self.user) if self.user else None, "data": self.data})

    @classmethod
    def from_json(cls, session_id: str, raw: str) -> "Session":
        body = json.loads(raw)
        user = SignedIn(**body["user"]) if body.get("user") else None
        return cls(session_id, body["csrf"], user, body.get("data") or {})


def _new_id() -> str:
    return secrets.token_urlsafe(32)


class SessionStore:
    def __init__(self, redis: Redis, ttl_s: int):
        self.redis, self.ttl_s = redis, ttl_s

    async def load(self, session_id: str | None) -> Session | None:
        if not session_id or len(session_id) > 64:
            return None
        raw = await self.redis.get(keys.session(session_id))
        return Session.from_json(session_id, raw) if raw else None

    async def save(self, session: Session) -> None:
        ttl = self.ttl_s if session.user else ANONYMOUS_TTL_S
        await self.redis.set(keys.session(session.id), session.to_json(), ex=ttl)

    def new(self) -> Session:
        return Session(_new_id(), secrets.token_urlsafe(32))

    async def sign_in(self, old: Session | None, user: SignedIn) -> Session:
        """A fresh id and CSRF token for the signed-in person; the old session ends."""
        if old is not None:
            await self.redis.delete(keys.session(old.id))
        session = Session(_new_id(), secrets.token_urlsafe(32), user)
        await self.save(session)
        return session

    async def end(self, session: Session) -> None:
        await self.redis.delete(keys.session(session.id))


class SessionMiddleware:
    """Puts `request.state.session` (a Session or None) and `request.state.sessions`
    in place; writes the cookie when a route created, replaced or ended a session."""

    def __init__(self, app: ASGIApp, *, secure: bool):
        self.app, self.secure = app, secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(("/static/", "/assets/")):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        store: SessionStore = connection.app.state.sessions
        cookie_id = connection.cookies.get(COOKIE)
        state = scope.setdefault("state", {})
        state["session"] = await store.load(cookie_id)
        state["session_cookie"] = cookie_id

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                session: Session | None = state.get("session")
                current = session.id if session else None
                if current != cookie_id:
                    headers = MutableHeaders(scope=message)
                    headers.append("Set-Cookie", self._cookie(current, store.ttl_s))
                    headers.append("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, sending)

    def _cookie(self, session_id: str | None, ttl_s: int) -> str:
        flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")
        if session_id is None:
            return f"{COOKIE}=; Max-Age=0{flags}"
        return f"{COOKIE}={session_id}; Max-Age={ttl_s}{flags}"
