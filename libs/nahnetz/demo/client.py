"""HTTP access to the stack's APIs with the tokens of the people who act.

The one platform client: the demo drives the stack with it, and so do the e2e
tests and the order benchmark (through `nahnetz.testing`).

    platform = Platform(service_urls())                  # NAHNETZ_URL_<SERVICE>, as `nahnetz up` sets them
    me = platform.token("resident-0001", "resident")
    order = (await platform.call("orders", "GET", "/v1/orders/o-1", who=me)).json()
    final, pending = await platform.orders_until(ids, lambda o: o["status"] in DECIDED, timeout=60)
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import httpx

from ..kit.auth import issue_token
from ..kit.settings import DEV_JWT_SECRET


class DemoError(RuntimeError):
    """The demo cannot go on; the message says why."""


def service_urls(environ: dict[str, str] | None = None) -> dict[str, str]:
    """{"catalog": "http://127.0.0.1:8100", ...} from NAHNETZ_URL_<SERVICE>."""
    env = os.environ if environ is None else environ
    prefix = "NAHNETZ_URL_"
    return {k[len(prefix):].lower(): v.rstrip("/") for k, v in env.items() if k.startswith(prefix)}


# The orders API's statuses once the saga decided.
DECIDED = frozenset({"CONFIRMED", "REJECTED"})
# Who acts where a call names nobody: the hub's operator.
OPERATOR = "operator-hx-1"
# Methods that may be sent again when the connection broke mid-request.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# How often a call is tried in all, and the longest Retry-After it honours.
ATTEMPTS = 5
LONGEST_WAIT_S = 5.0


@dataclass
class Platform:
    """One HTTP client per service; tokens minted with the stack's secret."""

    urls: dict[str, str]
    secret: str = field(default_factory=lambda: os.environ.get("NAHNETZ_JWT_SECRET", DEV_JWT_SECRET))
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)
    timeout: float = 30.0
    operator_id: str = OPERATOR

    def __post_init__(self) -> None:
        missing = [s for s in ("catalog", "orders", "pickup") if s not in self.urls]
        if missing:
            raise DemoError(f"the demo needs the APIs of {', '.join(missing)} (NAHNETZ_URL_<SERVICE>)")
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        for service, url in self.urls.items():
            self.clients[service] = httpx.AsyncClient(base_url=url, timeout=self.timeout, limits=limits)

    async def close(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.clients.values()))

    def token(self, sub: str, role: str, **scopes: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(self.secret, sub, role, **scopes)}"}

    @property
    def operator(self) -> dict[str, str]:
        return self.token(self.operator_id, "operator")

    async def send(self, service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request, tried again as a patient person would: after a 503 ("try again
        shortly": nothing was recorded) once its Retry-After passed, and after a broken
        connection when the request was never sent or may safely be sent twice."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = await self.clients[service].request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                if attempt == ATTEMPTS:
                    raise
                wait = 0.2 * attempt
            except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
                if method.upper() not in IDEMPOTENT or attempt == ATTEMPTS:
                    raise
                wait = 0.2 * attempt
            else:
                if response.status_code != 503 or attempt == ATTEMPTS:
                    return response
                wait = retry_after(response, default=float(attempt))
            await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def call(self, service: str, method: str, path: str, *, who: dict[str, str] | None = None,
                   ok: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> httpx.Response:
        """One request as `who` (the operator if None); a status outside `ok` is a DemoError."""
        headers = (self.operator if who is None else who) | kwargs.pop("headers", {})
        response = await self.send(service, method, path, headers=headers, **kwargs)
        if response.status_code not in ok:
            raise DemoError(f"{service}: {method} {path} answered {response.status_code}: {response.text[:300]}")
        return response

    async def orders_until(self, order_ids: Iterable[str], done: Callable[[dict], bool], *, timeout: float,
                           interval: float = 0.5, concurrency: int = 24) -> tuple[dict[str, dict], set[str]]:
        """Poll the orders API until `done(order)` holds for every order, or `timeout`
        passed: (the orders it held for, by id; the ids still pending)."""
        pending, final = set(order_ids), {}
        gate = asyncio.Semaphore(concurrency)

        async def look(order_id: str) -> tuple[str, dict | None]:
            async with gate:
                answer = await self.send("orders", "GET", f"/v1/orders/{order_id}", headers=self.operator)
            return order_id, answer.json() if answer.status_code == 200 else None

        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            for order_id, order in await asyncio.gather(*(look(o) for o in sorted(pending))):
                if order and done(order):
                    final[order_id] = order
                    pending.discard(order_id)
            if pending:
                await asyncio.sleep(interval)
        return final, pending


def retry_after(response: httpx.Response, *, default: float) -> float:
    """The seconds a 503 asks to wait (RFC 9110 delay-seconds), at most LONGEST_WAIT_S."""
    try:
        wait = float(response.headers.get("Retry-After", default))
    except ValueError:  # an HTTP date: rare enough to wait the default instead
        wait = default
    return min(max(wait, 0.0), LONGEST_WAIT_S)
