"""HTTP access to the stack's APIs with the tokens of the people who act."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class Platform:
    """One HTTP client per service; tokens minted with the stack's secret."""

    urls: dict[str, str]
    secret: str = field(default_factory=lambda: os.environ.get("NAHNETZ_JWT_SECRET", DEV_JWT_SECRET))
    clients: dict[str, httpx.AsyncClient] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [s for s in ("catalog", "orders", "pickup") if s not in self.urls]
        if missing:
            raise DemoError(f"the demo needs the APIs of {', '.join(missing)} (NAHNETZ_URL_<SERVICE>)")
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        for service, url in self.urls.items():
            self.clients[service] = httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits)

    async def close(self) -> None:
        await asyncio.gather(*(c.aclose() for c in self.clients.values()))

    def token(self, sub: str, role: str, **scopes: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(self.secret, sub, role, **scopes)}"}

    async def call(self, service: str, method: str, path: str, *, who: dict[str, str],
                   ok: tuple[int, ...] = (200, 201, 202), **kwargs: Any) -> httpx.Response:
        response = await self.clients[service].request(method, path, headers=who | kwargs.pop("headers", {}),
                                                        **kwargs)
        if response.status_code not in ok:
            raise DemoError(f"{service}: {method} {path} answered {response.status_code}: {response.text[:300]}")
        return response
