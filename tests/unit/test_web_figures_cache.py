"""The municipality pages' short-lived cache of insights answers: one answer per
caller scope and query, for its time, errors never kept."""

from __future__ import annotations

import pytest

from services.web.handlers.backend import ApiError
from services.web.handlers.figures_cache import FiguresCache
from services.web.handlers.sessions import SignedIn

HOEXTER = SignedIn(sub="m1", role="municipality", name="Höxter", municipality="Höxter")
BRAKEL = SignedIn(sub="m2", role="municipality", name="Brakel", municipality="Brakel")


async def test_an_answer_is_kept_per_scope_and_query_and_asked_again_after_its_time(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("services.web.handlers.figures_cache.time.monotonic", lambda: clock[0])
    cache, calls = FiguresCache(ttl_s=60), []

    async def fetch(tag):
        calls.append(tag)
        return {"tag": tag}

    assert await cache.get(HOEXTER, "/p", {"period": "week"}, lambda: fetch("a")) == {"tag": "a"}
    assert await cache.get(HOEXTER, "/p", {"period": "week"}, lambda: fetch("b")) == {"tag": "a"}
    assert await cache.get(BRAKEL, "/p", {"period": "week"}, lambda: fetch("c")) == {"tag": "c"}   # another town hall
    assert await cache.get(HOEXTER, "/p", {"period": "day"}, lambda: fetch("d")) == {"tag": "d"}
    clock[0] += 61
    assert await cache.get(HOEXTER, "/p", {"period": "week"}, lambda: fetch("e")) == {"tag": "e"}
    assert calls == ["a", "c", "d", "e"]


async def test_a_refusal_is_not_kept():
    cache, calls = FiguresCache(ttl_s=60), []

    async def refused():
        calls.append(1)
        raise ApiError(503, "insights does not answer")

    for _ in range(2):
        with pytest.raises(ApiError):
            await cache.get(HOEXTER, "/p", {}, refused)
    assert len(calls) == 2


async def test_no_cache_when_switched_off():
    cache, calls = FiguresCache(ttl_s=0), []

    async def fetch():
        calls.append(1)
        return 1

    await cache.get(HOEXTER, "/p", {}, fetch)
    await cache.get(HOEXTER, "/p", {}, fetch)
    assert len(calls) == 2
