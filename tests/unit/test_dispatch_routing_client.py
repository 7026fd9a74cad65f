"""The call to the routing service for a re-plan: what is sent, and how its
answers become the dispatch API's answers."""

from __future__ import annotations

import json
from datetime import date

import httpx
import pytest

from nahnetz.kit.errors import Conflict, Forbidden, Unavailable
from services.dispatch.handlers.routing_client import (HttpRoutingClient, PlanRequest, RoutingNotConfigured,
                                              RoutingRefused)

REQUEST = PlanRequest(date(2026, 3, 17), replan_of="plan-1", time_budget_s=7)


def client_answering(status: int, body, seen: list | None = None) -> HttpRoutingClient:
    def answer(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, json=body)

    return HttpRoutingClient("http://routing.test/", transport=httpx.MockTransport(answer))


async def test_the_request_names_the_day_the_plan_to_replan_and_forwards_the_token_and_key():
    seen: list[httpx.Request] = []
    client = client_answering(202, {"plan_id": "plan-2", "status_url": "/v1/plans/plan-2"}, seen)
    accepted = await client.request_plan(REQUEST, token="tok-123", idempotency_key="dispatch-replan:t:k")
    assert (accepted.plan_id, accepted.status_url) == ("plan-2", "/v1/plans/plan-2")
    [request] = seen
    assert request.method == "POST" and str(request.url) == "http://routing.test/v1/plans"
    assert json.loads(request.content) == {"day": "2026-03-17", "replan_of": "plan-1", "time_budget_s": 7}
    assert request.headers["authorization"] == "Bearer tok-123"
    assert request.headers["idempotency-key"] == "dispatch-replan:t:k"


@pytest.mark.parametrize("status, error", [(401, Forbidden), (403, Forbidden), (404, Conflict), (409, Conflict),
                                           (422, Conflict), (500, Unavailable), (503, Unavailable)])
async def test_refusals_and_failures_of_routing_become_clear_answers(status, error):
    with pytest.raises(error) as raised:
        await client_answering(status, {"error": "x", "message": "plan plan-1 is not known"}).request_plan(
            REQUEST, token="t")
    assert raised.value.details["routing_status"] == status
    if status < 500:
        assert "plan plan-1 is not known" in raised.value.message


async def test_an_answer_without_a_plan_id_is_a_bad_gateway():
    with pytest.raises(RoutingRefused) as raised:
        await client_answering(202, {"status": "accepted"}).request_plan(REQUEST, token="t")
    assert raised.value.status_code == 502


async def test_routing_away_or_not_configured_is_unavailable():
    def refuse(request):
        raise httpx.ConnectError("connection refused")

    away = HttpRoutingClient("http://routing.test", transport=httpx.MockTransport(refuse))
    with pytest.raises(Unavailable, match="does not answer"):
        await away.request_plan(REQUEST, token="t")
    with pytest.raises(Unavailable, match="NAHNETZ_URL_ROUTING"):
        await RoutingNotConfigured().request_plan(REQUEST, token="t")
