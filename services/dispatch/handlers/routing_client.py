"""The one outgoing call of dispatch: asking the routing service for a new plan
when a tour has to be re-planned during the day (stops failed, urgent shipments).
The routing service keeps the stops already done fixed (`replan_of`).

    client = HttpRoutingClient("http://127.0.0.1:8104", timeout=10)
    accepted = await client.request_plan(PlanRequest(day, replan_of="plan-1", time_budget_s=10),
                                         token=operator_token, idempotency_key="...")

Behind the `RoutingClient` interface, so the API's tests can use a fake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import httpx

from nahnetz.kit.errors import Conflict, DomainError, Forbidden, Unavailable
from nahnetz.kit.http_middleware import CORRELATION_HEADER
from nahnetz.kit.idempotency_keys import HEADER as IDEMPOTENCY_HEADER
from nahnetz.kit.logs import current_correlation_id

PLANS_PATH = "/v1/plans"


@dataclass(frozen=True)
class PlanRequest:
    day: date
    replan_of: str
    time_budget_s: int

    def as_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "replan_of": self.replan_of, "time_budget_s": self.time_budget_s}


@dataclass(frozen=True)
class AcceptedPlan:
    plan_id: str
    status_url: str | None
    answer: dict[str, Any] = field(default_factory=dict)


class RoutingRefused(DomainError, status_code=502, code="routing_refused"):
    """The routing service answered, but not with a plan (502)."""


class RoutingClient(Protocol):
    async def request_plan(self, request: PlanRequest, *, token: str, idempotency_key: str | None = None
                           ) -> AcceptedPlan: ...


class RoutingNotConfigured:
    """Stands in when NAHNETZ_URL_ROUTING is not set: re-planning is unavailable."""

    async def request_plan(self, request: PlanRequest, *, token: str, idempotency_key: str | None = None
                           ) -> AcceptedPlan:
        raise Unavailable("re-planning is not available: the routing service is not configured "
                          "(NAHNETZ_URL_ROUTING)")


class HttpRoutingClient:
    def __init__(self, base_url: str, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.transport = transport

    async def request_plan(self, request: PlanRequest, *, token: str, idempotency_key: str | None = None
                           ) -> AcceptedPlan:
        # The operator's own token: routing decides whether this operator may plan.
        headers = {"Authorization": f"Bearer {token}"}
        if idempotency_key:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        if current_correlation_id():
            headers[CORRELATION_HEADER] = current_correlation_id()
        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout,
                                         transport=self.transport) as client:
                answer = await client.post(PLANS_PATH, json=request.as_json(), headers=headers)
        except httpx.HTTPError as exc:
            raise Unavailable(f"the routing service does not answer ({type(exc).__name__}); try again shortly",
                              headers={"Retry-After": "5"}) from exc
        return _accepted(answer)


def _accepted(answer: httpx.Response) -> AcceptedPlan:
    try:
        body = answer.json()
    except ValueError:
        body = {}
    message = body.get("message") if isinstance(body, dict) else None
    details = {"routing_status": answer.status_code, "routing_answer": body}
    if answer.status_code >= 500:
        raise Unavailable(f"the routing service failed ({answer.status_code}); try again shortly",
                          details=details, headers={"Retry-After": "5"})
    if answer.status_code in (401, 403):
        raise Forbidden(f"the routing service refused the re-plan: {message or answer.reason_phrase}",
                        details=details)
    if answer.status_code >= 400:
        raise Conflict(f"the routing service refused the re-plan: {message or answer.reason_phrase}",
                       details=details)
    if not isinstance(body, dict) or not body.get("plan_id"):
        raise RoutingRefused("the routing service answered without a plan id", details=details)
    return AcceptedPlan(str(body["plan_id"]), body.get("status_url"), body)
