"""The platform client tries a call again as a patient person would, and only when
that is safe: a 503 was never recorded; a broken connection is retried for
idempotent methods only (a POST may have been taken)."""

from __future__ import annotations

import httpx
import pytest

from nahnetz.demo.client import LONGEST_WAIT_S, Platform, retry_after

URLS = {"catalog": "http://catalog", "orders": "http://orders", "pickup": "http://pickup"}


def platform_answering(answers: list) -> tuple[Platform, list[str]]:
    """A Platform whose orders client answers from `answers` in turn (a response
    status or an exception), recording each request's method."""
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, headers={"Retry-After": "0"}, json={})

    platform = Platform(URLS)
    platform.clients["orders"] = httpx.AsyncClient(base_url=URLS["orders"], transport=httpx.MockTransport(handle))
    return platform, seen


async def test_a_503_is_tried_again_after_retry_after() -> None:
    platform, seen = platform_answering([503, 503, 200])
    answer = await platform.call("orders", "POST", "/v1/orders", json={})
    assert answer.status_code == 200 and seen == ["POST"] * 3


async def test_a_broken_connection_is_tried_again_for_a_get_only() -> None:
    platform, seen = platform_answering([httpx.ReadError("reset"), 200])
    assert (await platform.call("orders", "GET", "/v1/orders/o-1")).status_code == 200
    assert seen == ["GET", "GET"]

    platform, seen = platform_answering([httpx.ReadError("reset"), 200])
    with pytest.raises(httpx.ReadError):
        await platform.call("orders", "POST", "/v1/orders", json={})
    assert seen == ["POST"]


async def test_it_gives_up_after_the_last_attempt() -> None:
    platform, seen = platform_answering([503] * 5)
    answer = await platform.send("orders", "GET", "/v1/orders/o-1")
    assert answer.status_code == 503 and len(seen) == 5


def test_retry_after_is_capped_and_tolerates_a_date() -> None:
    assert retry_after(httpx.Response(503, headers={"Retry-After": "3600"}), default=1.0) == LONGEST_WAIT_S
    assert retry_after(httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}),
                       default=1.5) == 1.5
    assert retry_after(httpx.Response(503), default=2.0) == 2.0
