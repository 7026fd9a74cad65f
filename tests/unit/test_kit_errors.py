"""How refusals and failures become JSON answers (app built with create_api,
no lifespan: these routes touch no Redis or broker)."""

from __future__ import annotations

import io
import json
import logging

import httpx
import pytest
from fastapi import APIRouter

from nahnetz.kit.api import create_api
from nahnetz.kit.errors import BadRequest, Conflict, Forbidden, NotFound, Unavailable, Unprocessable
from nahnetz.kit.http_errors import field_path
from nahnetz.kit.logs import configure_logging
from nahnetz.kit.settings import Settings
from order_body import PlaceOrder


def build_app():
    router = APIRouter()
    raised = {"not_found": NotFound("no product p-9"), "forbidden": Forbidden("not your shop"),
              "conflict": Conflict("order o-1 is already cancelled"), "bad": BadRequest("pick-up day is missing"),
              "rule": Unprocessable("only 3 left", details={"available": 3}),
              "busy": Unavailable("broker down", headers={"Retry-After": "2"})}

    @router.get("/raise/{kind}")
    async def raise_it(kind: str) -> dict:
        if kind == "bug":
            raise RuntimeError("secret internal detail")
        raise raised[kind]

    @router.post("/orders")
    async def place(order: PlaceOrder, limit: int = 10) -> dict:
        return {"ok": True}

    settings = Settings(KAFKA_BOOTSTRAP="127.0.0.1:1", REDIS_URL="redis://127.0.0.1:1/0", NAHNETZ_SERVICE="kit-err")
    return create_api(settings, title="errors test", routers=[router])


@pytest.fixture
async def client():
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit") as c:
        yield c


@pytest.mark.parametrize("kind, status, code", [
    ("not_found", 404, "not_found"), ("forbidden", 403, "forbidden"), ("conflict", 409, "conflict"),
    ("bad", 400, "bad_request"), ("rule", 422, "unprocessable"), ("busy", 503, "unavailable")])
async def test_domain_errors_map_to_their_status_with_a_message(client, kind, status, code):
    r = await client.get(f"/raise/{kind}")
    assert r.status_code == status
    body = r.json()
    assert body["error"] == code
    assert body["message"]
    assert body["correlation_id"] == r.headers["X-Correlation-ID"]


async def test_details_and_headers_of_a_domain_error_are_kept(client):
    rule = await client.get("/raise/rule")
    assert rule.json()["detail"] == {"available": 3}
    busy = await client.get("/raise/busy")
    assert busy.headers["Retry-After"] == "2"


async def test_validation_errors_list_each_field(client):
    r = await client.post("/orders?limit=many", json={"lines": [{"product_id": "p-1", "quantity": 0}, {}]})
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "validation_failed"
    fields = {(p["in"], p["field"]) for p in body["detail"]}
    assert fields == {("body", "pickup_point_id"), ("body", "lines[0].quantity"), ("body", "lines[1].product_id"),
                      ("body", "lines[1].quantity"), ("query", "limit")}
    quantity = next(p for p in body["detail"] if p["field"] == "lines[0].quantity")
    assert "greater than 0" in quantity["message"]
    assert body["message"].startswith("the request is invalid: ") and body["message"].endswith("(and 2 more)")


async def test_a_body_that_is_not_json_is_a_422_on_the_body(client):
    r = await client.post("/orders", content=b'{"lines": [', headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    [problem] = r.json()["detail"]
    assert problem["field"] == "body"
    assert "not valid JSON" in problem["message"]


async def test_a_missing_body_is_a_422(client):
    r = await client.post("/orders")
    assert r.status_code == 422
    assert r.json()["detail"][0]["field"] == "body"


async def test_unknown_routes_and_methods_are_json_404_and_405(client):
    r = await client.get("/nowhere")
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"
    assert r.json()["message"] == "no route GET /nowhere"
    r = await client.delete("/orders")
    assert r.status_code == 405
    assert r.json()["error"] == "method_not_allowed"


@pytest.fixture
def json_logs():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging("kit-err", "info", stream=buffer)
    yield buffer
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_an_unexpected_error_is_a_generic_500_and_is_logged(client, json_logs):
    r = await client.get("/raise/bug", headers={"X-Correlation-ID": "trace-500"})
    assert r.status_code == 500
    assert r.json()["error"] == "internal_error"
    assert "secret internal detail" not in r.text
    assert r.headers["X-Correlation-ID"] == "trace-500"
    entries = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    [error] = [e for e in entries if e["level"] == "error"]
    assert "RuntimeError: secret internal detail" in error["exception"]
    assert error["correlation_id"] == "trace-500"
    [access] = [e for e in entries if e.get("route") == "/raise/{kind}"]
    assert (access["status"], access["correlation_id"]) == (500, "trace-500")


def test_field_paths_read_like_code():
    assert field_path(["lines", 0, "quantity"]) == "lines[0].quantity"
    assert field_path([2, "x"]) == "[2].x"
    assert field_path([]) == ""
