"""Calls to the services' APIs on behalf of the signed-in person.

Each call carries a token minted for that person alone (their role and scope, a
couple of minutes long), so the APIs decide what they may see and do exactly as
for any other client; the web front adds no rights of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from nahnetz.kit.auth import issue_token
from nahnetz.kit.logs import current_correlation_id
from nahnetz.kit.settings import Settings

from ..settings import WebSettings
from .sessions import SignedIn


@dataclass
class ApiError(Exception):
    """An API refused or failed; `message` is its message for people."""

    status: int
    message: str
    detail: Any = None

    def __str__(self) -> str:
        return f"{self.status}: {self.message}"


class Backend:
    def __init__(self, settings: Settings, web: WebSettings):
        self.settings, self.web = settings, web
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
        self.clients = {name: httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(15.0, connect=3.0), limits=limits)
                        for name, url in web.services.items()}

    async def aclose(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    def token(self, user: SignedIn, on_behalf_of: str | None = None) -> str:
        return issue_token(self.settings, user.sub, user.role, ttl=self.web.token_seconds,
                           shop_id=user.shop_id, municipality=user.municipality, on_behalf_of=on_behalf_of)

    async def call(self, service: str, method: str, path: str, *, user: SignedIn | None = None,
                   on_behalf_of: str | None = None, **kwargs: Any) -> httpx.Response:
        """The API's answer, whatever its status; ApiError(503) when it cannot be reached."""
        client = self.clients.get(service)
        if client is None:
            raise ApiError(503, f"der Dienst {service} ist nicht eingerichtet / the {service} service is not configured")
        headers = dict(kwargs.pop("headers", None) or {})
        if user is not None:
            headers["Authorization"] = f"Bearer {self.token(user, on_behalf_of)}"
        if correlation := current_correlation_id():
            headers.setdefault("X-Correlation-ID", correlation)
        try:
            return await client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(503, f"der Dienst {service} antwortet nicht / the {service} service does not answer "
                                f"({type(exc).__name__})") from None

    async def json(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON body of a 2xx answer; ApiError with the API's message otherwise."""
        answer = await self.call(service, method, path, **kwargs)
        if answer.status_code >= 400:
            raise error_of(answer)
        if answer.status_code == 204 or not answer.content:
            return None
        return answer.json()

    async def get(self, service: str, path: str, **kwargs: Any) -> Any:
        return await self.json(service, "GET", path, **kwargs)

    async def post(self, service: str, path: str, **kwargs: Any) -> Any:
        return await self.json(service, "POST", path, **kwargs)


def error_of(answer: httpx.Response) -> ApiError:
    try:
        body = answer.json()
    except ValueError:
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    return ApiError(answer.status_code, message or f"HTTP {answer.status_code}",
                    body.get("detail") if isinstance(body, dict) else None)
