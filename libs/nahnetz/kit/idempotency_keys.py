"""`Idempotency-Key` for POST routes: a retried request gets the first answer.

A phone on a village mobile network sends "place order", loses the answer and
sends it again: the second request must not place a second order. The client
sends a key of its choice; the first response for (service, user, key) is kept
in Redis for 24 h and replayed for every retry with the same body.

    @router.post("/orders", status_code=202)
    async def place_order(body: PlaceOrder, user: CurrentUser, once: Idempotency):
        return await once(lambda: handlers.place_order(body, user), status_code=202)

Answers, following the IETF draft "The Idempotency-Key HTTP Header Field":
the stored response with `Idempotent-Replayed: true` on a retry; 422 when the
key comes again with another body or path; 409 while the first request with
that key is still being answered. A request that fails with an exception (or
a 5xx) is not stored, so the client may retry it with the same key. When Redis
itself was away (a restart), the claim cannot be given back at once; it is given
back as soon as Redis answers again, so the client's retry is not answered 409
until the claim expires. A request that succeeded is answered even when its
answer cannot be kept yet (it is kept once Redis is back): a 503 would make the
client do again what was done.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any, Awaitable, Callable

import redis.asyncio as aioredis
from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .auth import CurrentUser
from .errors import BadRequest, Conflict, Unprocessable
from .http_errors import answers

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
TTL_S = 24 * 3600
PENDING_TTL_S = 60  # a crashed request frees its key after this long
RELEASE_RETRY_S = 0.5  # while Redis is away, how often a claim is tried to be given back or finished
MAX_KEY_LENGTH = 255
# Regenerated for every answer, so not part of what is replayed.
_UNSTORED_HEADERS = frozenset({"content-length", "date", "server", "x-correlation-id", "set-cookie"})

# Claim the key unless someone has it: returns the existing record, or nil after claiming.
_CLAIM = """
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""
# Replace (store) or delete (release) the record, but only while it is still our claim.
log = logging.getLogger(__name__)
# Claims being finished in the background (a task must be referenced to run to its end).
_IN_BACKGROUND: set[asyncio.Task] = set()

_FINISH = """
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if cjson.decode(current)['token'] ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
return 1
"""


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    headers: dict[str, str]

    @classmethod
    def of(cls, response: Response) -> "StoredResponse":
        headers = {k: v for k, v in response.headers.items() if k.lower() not in _UNSTORED_HEADERS}
        return cls(response.status_code, bytes(response.body), headers)

    def replay(self) -> Response:
        return Response(self.body, status_code=self.status, headers={**self.headers, REPLAY_HEADER: "true"})


class RedisIdempotencyKeys:
    """The store: one Redis string per (namespace, user, key) holding a JSON record."""

    def __init__(self, redis: aioredis.Redis, namespace: str, ttl_s: int = TTL_S,
                 pending_ttl_s: int = PENDING_TTL_S):
        self.redis = redis
        self.namespace = namespace
        self.ttl_s = ttl_s
        self.pending_ttl_s = pending_ttl_s
        self._claim = redis.register_script(_CLAIM)
        self._finish = redis.register_script(_FINISH)

    def redis_key(self, user_id: str, key: str) -> str:
        # The key hashed to fixed-length hex: no separator inside it can make two
        # (user, key) pairs collide, and any length of key makes a short Redis key.
        return f"nahnetz:idempotency:{self.namespace}:{user_id}:{hashlib.sha256(key.encode()).hexdigest()}"

    async def claim(self, user_id: str, key: str, fingerprint: str) -> str | StoredResponse:
        """A claim token to answer the request, or the stored response to replay."""
        token = secrets.token_hex(16)
        pending = json.dumps({"state": "pending", "token": token, "fingerprint": fingerprint})
        current = await self._claim(keys=[self.redis_key(user_id, key)], args=[pending, self.pending_ttl_s])
        if current is None:
            return token
        record = json.loads(current)
        if record["fingerprint"] != fingerprint:
            raise Unprocessable(f"the {HEADER} {key!r} was already used for a different request; "
                                "use a new key for a new request")
        if record["state"] == "pending":
            raise Conflict(f"a request with the {HEADER} {key!r} is still being answered; retry shortly",
                           headers={"Retry-After": "1"})
        return StoredResponse(record["status"], base64.b64decode(record["body"]), record["headers"])

    async def store(self, user_id: str, key: str, token: str, fingerprint: str, response: StoredResponse) -> None:
        done = json.dumps({"state": "done", "token": token, "fingerprint": fingerprint,
                           "status": response.status, "headers": response.headers,
                           "body": base64.b64encode(response.body).decode("ascii")})
        await self._finish(keys=[self.redis_key(user_id, key)], args=[token, done, self.ttl_s])

    async def release(self, user_id: str, key: str, token: str) -> None:
        await self._finish(keys=[self.redis_key(user_id, key)], args=[token, "", 0])


def request_fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    """Same request = same method, path, query and JSON content (key order and
    whitespace do not matter)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, UnicodeDecodeError):
        canonical = body
    digest = hashlib.sha256(f"{method} {path}?{query}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


class IdempotentRequest:
    """Callable handed to a route: `await once(produce, status_code=...)`."""

    def __init__(self, store: RedisIdempotencyKeys | None, user_id: str, key: str | None, fingerprint: str):
        self.store = store
        self.user_id = user_id
        self.key = key
        self.fingerprint = fingerprint

    async def __call__(self, produce: Callable[[], Awaitable[Any]], *, status_code: int = 200) -> Response:
        if self.key is None or self.store is None:
            return _as_response(await produce(), status_code)
        claimed = await self.store.claim(self.user_id, self.key, self.fingerprint)
        if isinstance(claimed, StoredResponse):
            return claimed.replay()
        try:
            response = _as_response(await produce(), status_code)
        except BaseException:
            await self._release(claimed)
            raise
        if response.status_code >= 500:
            await self._release(claimed)
            return response
        stored = StoredResponse.of(response)
        try:
            await self.store.store(self.user_id, self.key, claimed, self.fingerprint, stored)
        except (RedisConnectionError, RedisTimeoutError):
            # What the request did is done (an order placed): answer it, never a 503 that
            # would make the client do it again. Retries get 409 until Redis keeps the answer.
            _in_background(_when_back(self.store, lambda: self.store.store(
                self.user_id, self.key, claimed, self.fingerprint, stored)))
        return response


    async def _release(self, token: str) -> None:
        assert self.store is not None and self.key is not None
        store, user_id, key = self.store, self.user_id, self.key
        try:
            await store.release(user_id, key, token)
        except (RedisConnectionError, RedisTimeoutError):
            _in_background(_when_back(store, lambda: store.release(user_id, key, token)))


def _in_background(coroutine: Awaitable[None]) -> None:
    task = asyncio.get_running_loop().create_task(coroutine)
    _IN_BACKGROUND.add(task)
    task.add_done_callback(_IN_BACKGROUND.discard)


async def _when_back(store: RedisIdempotencyKeys, write: Callable[[], Awaitable[Any]]) -> None:
    """Give a claim back, or keep an answer, once Redis answers again (until the claim
    would have expired anyway)."""
    deadline = time.monotonic() + store.pending_ttl_s
    while time.monotonic() < deadline:
        await asyncio.sleep(RELEASE_RETRY_S)
        try:
            await write()
            return
        except (RedisConnectionError, RedisTimeoutError):
            continue
        except Exception:
            log.exception("finishing an Idempotency-Key claim failed; it expires in time")
            return


def _as_response(value: Any, status_code: int) -> Response:
    if isinstance(value, Response):
        if not hasattr(value, "body"):
            raise TypeError("idempotent routes need a response with a body, not a streaming one")
        return value
    return JSONResponse(jsonable_encoder(value), status_code=status_code)


def idempotency(required: bool = False) -> Callable[..., Awaitable[IdempotentRequest]]:
    """The dependency; with required=True a POST without the header is a 400."""

    refusals = [(Conflict, f"A request with this {HEADER} is still being answered; retry shortly (Retry-After)"),
                (Unprocessable, f"This {HEADER} was used before for a different request")]
    if required:
        refusals.append((BadRequest, f"The {HEADER} header is missing"))

    @answers(*refusals)
    async def dependency(request: Request, user: CurrentUser,
                         key: Annotated[str | None, Header(alias=HEADER, min_length=1, max_length=MAX_KEY_LENGTH,
                                                           pattern=r"^[\x21-\x7e]+$")] = None
                         ) -> IdempotentRequest:
        if key is None and required:
            raise BadRequest(f"this request needs an {HEADER} header (any unique string, e.g. a UUID)")
        body = await request.body()  # already read and cached by FastAPI for the body model
        fingerprint = request_fingerprint(request.method, request.url.path, request.url.query, body)
        store = None
        if key is not None:
            store = RedisIdempotencyKeys(request.app.state.redis, request.app.state.settings.service)
        return IdempotentRequest(store, user.sub, key, fingerprint)

    return dependency


Idempotency = Annotated[IdempotentRequest, Depends(idempotency())]
RequiredIdempotency = Annotated[IdempotentRequest, Depends(idempotency(required=True))]
