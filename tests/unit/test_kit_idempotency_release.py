"""A request that failed because Redis was away cannot give its Idempotency-Key claim
back at once; it gives it back once Redis answers again, so the client's retry with
the same key is answered, not refused with 409 until the claim expires."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from nahnetz.kit import idempotency_keys
from nahnetz.kit.idempotency_keys import IdempotentRequest


class Store:
    """The claim store with Redis away for the first `away` calls of release."""

    pending_ttl_s = 60

    def __init__(self, away: int):
        self.away = away
        self.released: list[str] = []
        self.stored: list[str] = []

    async def claim(self, user_id, key, fingerprint):
        return "token-1"

    async def release(self, user_id, key, token):
        if self.away:
            self.away -= 1
            raise RedisConnectionError("Connection refused")
        self.released.append(token)

    async def store(self, user_id, key, token, fingerprint, response):
        self.stored.append(token)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(idempotency_keys, "RELEASE_RETRY_S", 0.001)


async def redis_goes_away():
    raise RedisConnectionError("Connection refused")


async def test_a_claim_is_given_back_once_redis_answers_again():
    store = Store(away=3)
    once = IdempotentRequest(store, "r-1", "key-1", "fp")
    with pytest.raises(RedisConnectionError):  # the kit answers it with 503 and Retry-After
        await once(redis_goes_away, status_code=202)
    assert store.released == []
    for _ in range(100):
        if store.released:
            break
        await asyncio.sleep(0.01)
    assert store.released == ["token-1"] and store.stored == []


async def test_with_redis_there_the_claim_is_given_back_at_once():
    store = Store(away=0)
    once = IdempotentRequest(store, "r-1", "key-1", "fp")
    with pytest.raises(RuntimeError):
        async def fails():
            raise RuntimeError("bug")
        await once(fails, status_code=202)
    assert store.released == ["token-1"]


class StoreAwayAfterTheWork(Store):
    def __init__(self, away: int):
        super().__init__(away=0)
        self.store_away = away

    async def store(self, user_id, key, token, fingerprint, response):
        if self.store_away:
            self.store_away -= 1
            raise RedisConnectionError("Connection closed by server.")
        self.stored.append(token)


async def test_a_request_that_did_its_work_is_answered_and_its_answer_kept_once_redis_is_back():
    """An order was placed when Redis went away: the client gets its 202, not a 503
    that would make it place the order again."""
    from fastapi.responses import JSONResponse

    store = StoreAwayAfterTheWork(away=2)
    once = IdempotentRequest(store, "r-1", "key-1", "fp")

    async def place():
        return JSONResponse({"order_id": "o-1"}, status_code=202)

    response = await once(place, status_code=202)
    assert response.status_code == 202
    for _ in range(100):
        if store.stored:
            break
        await asyncio.sleep(0.01)
    assert store.stored == ["token-1"] and store.released == []
