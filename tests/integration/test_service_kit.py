"""The service kit against the real broker and Redis: an app built with
create_api, served by a real uvicorn server on a free port, called over HTTP."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import uuid
from contextlib import asynccontextmanager, contextmanager
from typing import Iterator

import httpx
import pytest
import redis.asyncio as aioredis
import uvicorn
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse
from prometheus_client.parser import text_string_to_metric_families

from nahnetz.kit.api import RedisDep, create_api, from_state
from nahnetz.kit.auth import CurrentUser, Role, User, actor_for_shop, issue_token, require_roles
from nahnetz.kit.errors import Unprocessable
from nahnetz.kit.idempotency_keys import Idempotency, RequiredIdempotency
from nahnetz.kit.logs import configure_logging
from nahnetz.kit.redis import connect
from nahnetz.kit.settings import Settings
from nahnetz.stack.processes import ManagedProcess, free_port, wait_until
from nahnetz.testing import eventually
from order_body import PlaceOrder

pytestmark = pytest.mark.integration

SECRET = "integration-test-secret-long-enough-for-hs256"


# -- a small service built with the kit ---------------------------------------------------------
class HeldOrder(PlaceOrder):
    hold: bool = False  # test hook: wait for a release signal in Redis before answering


def orders_router(service: str) -> APIRouter:
    shops = APIRouter(prefix="/shops")
    log = logging.getLogger("services.kit_test")

    @shops.get("/{shop_id}/products")
    async def list_products(shop_id: str, redis: RedisDep,
                            user: User = Depends(require_roles(Role.SHOP, Role.OPERATOR))) -> dict:
        actor = actor_for_shop(user, shop_id)
        log.info("listing products", extra={"shop_id": shop_id})
        return {"shop_id": shop_id, "on_behalf_of": actor.on_behalf_of,
                "listings": await redis.incr(f"kit-test:{service}:listings")}

    v1 = APIRouter(prefix="/v1")
    v1.include_router(shops)

    @v1.post("/orders", status_code=202)
    async def place_order(order: HeldOrder, user: CurrentUser, redis: RedisDep, once: Idempotency):
        async def place() -> JSONResponse:
            if any(line.quantity > 100 for line in order.lines):
                raise Unprocessable("at most 100 of a product per order")
            if order.hold:
                await redis.set(f"kit-test:{service}:holding", 1)
                await eventually(lambda: redis.exists(f"kit-test:{service}:release"), timeout=10, interval=0.02,
                                 what="the release signal")
            placed = await redis.incr(f"kit-test:{service}:orders-placed")
            order_id = str(uuid.uuid4())
            return JSONResponse({"order_id": order_id, "placed": placed, "user": user.sub}, status_code=202,
                                headers={"Location": f"/v1/orders/{order_id}"})

        return await once(place)

    @v1.post("/returns", status_code=201)
    async def register_return(user: CurrentUser, once: RequiredIdempotency) -> dict:
        return await once(lambda: _as_awaitable({"return": "registered"}), status_code=201)

    @v1.get("/producer")
    async def producer(value: str = Depends(from_state("producer"))) -> dict:
        return {"producer": value}

    @v1.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("a bug")

    return v1


async def _as_awaitable(value):
    return value


def make_settings(broker: str, redis_url: str, service: str) -> Settings:
    return Settings(KAFKA_BOOTSTRAP=broker, REDIS_URL=redis_url, NAHNETZ_SERVICE=service,
                    NAHNETZ_JWT_SECRET=SECRET, NAHNETZ_ENV="test")


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """Run `app` in a real uvicorn server on a free port; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                          access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    wait_until(lambda: server.started or not thread.is_alive(), 30, "uvicorn server")
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        assert not thread.is_alive(), "uvicorn did not stop"


def bearer(sub: str, role: str, **scopes) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub, role, **scopes)}"}


@pytest.fixture
def service(unique) -> str:
    return f"kit-{unique}"


@pytest.fixture
def app(broker_bootstrap, redis_url, service) -> FastAPI:
    return create_api(make_settings(broker_bootstrap, redis_url, service), title="kit test",
                      routers=[orders_router(service)])


@pytest.fixture
async def http(app) -> httpx.AsyncClient:
    with served(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=20) as client:
            yield client


@pytest.fixture
async def redis(redis_url) -> aioredis.Redis:
    client = connect(redis_url, client_name="kit-test")
    yield client
    await client.aclose()


# -- health and readiness --------------------------------------------------------------------------
async def test_alive_and_ready_when_broker_and_redis_answer(http, service):
    alive = await http.get("/healthz")
    assert alive.status_code == 200 and alive.json() == {"status": "alive", "service": service}
    ready = await http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"broker": "ok", "redis": "ok"}}


async def test_not_ready_naming_redis_when_redis_is_unreachable(broker_bootstrap, service):
    closed_port = free_port()  # nothing listens there
    app = create_api(make_settings(broker_bootstrap, f"redis://127.0.0.1:{closed_port}/0", service), title="t")
    with served(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=20) as client:
            r = await client.get("/readyz")
            alive = await client.get("/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["broker"] == "ok"
    assert body["checks"]["redis"].startswith("redis: ")
    assert [reason.split(":")[0] for reason in body["reasons"]] == ["redis"]
    # Anyone may ask: the reason names the failure, not where Redis lives.
    assert str(closed_port) not in r.text and "127.0.0.1" not in r.text
    assert alive.status_code == 200  # alive all the same: restarting would not help


async def test_not_ready_naming_the_broker_when_it_is_unreachable(redis_url, service):
    app = create_api(make_settings(f"127.0.0.1:{free_port()}", redis_url, service), title="t")
    with served(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=20) as client:
            r = await client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["redis"] == "ok"
    assert r.json()["checks"]["broker"].startswith("broker: ")


async def test_lifespan_hooks_and_extra_readiness_checks(broker_bootstrap, redis_url, service, redis):
    events: list[str] = []

    @asynccontextmanager
    async def producer(app: FastAPI):
        assert await app.state.redis.ping()  # Redis exists before the hooks run
        app.state.producer = "started"
        events.append("started")
        yield
        events.append("stopped")

    async def producer_connected(app: FastAPI) -> str | None:
        return None if app.state.producer == "connected" else f"producer: {app.state.producer}, not connected"

    app = create_api(make_settings(broker_bootstrap, redis_url, service), title="t",
                     routers=[orders_router(service)], lifespans=[producer],
                     readiness_checks={"producer": producer_connected})
    assert events == []  # nothing runs when the app is built
    with served(app) as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=20) as client:
            named = f"{service}-api"
            await eventually(lambda: _has_client(redis, named), timeout=10, interval=0.02,
                             what=f"a Redis client named {named}")
            r = await client.get("/readyz")
            assert r.status_code == 503
            assert r.json()["reasons"] == ["producer: started, not connected"]
            assert r.json()["checks"]["redis"] == "ok"
            app.state.producer = "connected"
            assert (await client.get("/readyz")).status_code == 200
            assert (await client.get("/v1/producer")).json() == {"producer": "connected"}
    assert events == ["started", "stopped"]


@asynccontextmanager
async def lifespan_running(app: FastAPI):
    """Drive the ASGI lifespan protocol in this event loop, as a server would."""
    to_app: asyncio.Queue = asyncio.Queue()
    from_app: asyncio.Queue = asyncio.Queue()
    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                   to_app.get, from_app.put))
    await to_app.put({"type": "lifespan.startup"})
    assert (await from_app.get())["type"] == "lifespan.startup.complete"
    try:
        yield
    finally:
        await to_app.put({"type": "lifespan.shutdown"})
        assert (await from_app.get())["type"] == "lifespan.shutdown.complete"
        await task


async def test_redis_is_made_at_start_and_closed_at_shutdown(app, redis, service):
    named = f"{service}-api"
    assert not hasattr(app.state, "redis")  # nothing connects when the app is built
    async with lifespan_running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
            assert (await client.get("/readyz")).status_code == 200
        assert await _has_client(redis, named)
    # This event loop lives on, so only an explicit close ends the connections.
    await eventually(lambda: _no_client(redis, named), timeout=10, interval=0.02,
                     what=f"no Redis client named {named} any more")


async def test_a_resource_no_hook_has_made_is_503_not_500(http):
    r = await http.get("/v1/producer")
    assert r.status_code == 503
    assert r.json()["error"] == "unavailable" and "producer is not available" in r.json()["message"]
    assert r.headers["Retry-After"] == "1"


async def _has_client(redis: aioredis.Redis, name: str) -> bool:
    return any(c.get("name") == name for c in await redis.client_list())


async def _no_client(redis: aioredis.Redis, name: str) -> bool:
    return not await _has_client(redis, name)


# -- metrics, correlation ids, errors --------------------------------------------------------------
def request_count(text: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        if family.name == "nahnetz_http_requests":
            return sum(s.value for s in family.samples
                       if s.name == "nahnetz_http_requests_total" and all(s.labels.get(k) == v for k, v in labels.items()))
    return 0.0


async def test_metrics_count_requests_by_route_template_and_status(http):
    shop = bearer("u-shop", "shop", shop_id="s-1")
    for _ in range(2):
        assert (await http.get("/v1/shops/s-1/products", headers=shop)).status_code == 200
    assert (await http.get("/v1/shops/s-2/products", headers=shop)).status_code == 403
    text = (await http.get("/metrics")).text
    route = "/v1/shops/{shop_id}/products"
    assert request_count(text, method="GET", route=route, status="200") == 2
    assert request_count(text, method="GET", route=route, status="403") == 1
    assert "s-1" not in text and "s-2" not in text  # never the raw path
    assert 'nahnetz_http_request_duration_seconds_count{method="GET",route="/v1/shops/{shop_id}/products"} 3.0' in text
    assert (await http.get("/v1/nowhere/42")).status_code == 404
    text = (await http.get("/metrics")).text
    assert request_count(text, route="<unmatched>", status="404") == 1
    assert "process_cpu_seconds_total" in text


async def test_the_correlation_id_round_trips_and_reaches_the_logs(http):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging("kit-test", "info", stream=buffer)
    try:
        given = await http.get("/v1/shops/s-1/products", headers={**bearer("u-shop", "shop", shop_id="s-1"),
                                                                   "X-Correlation-ID": "flow-4711"})
        made = await http.get("/healthz")
        unsafe = await http.get("/healthz", headers={"X-Correlation-ID": "bad id\twith spaces"})
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert given.headers["X-Correlation-ID"] == "flow-4711"
    assert uuid.UUID(made.headers["X-Correlation-ID"])  # created when absent
    assert unsafe.headers["X-Correlation-ID"] != "bad id\twith spaces"
    entries = [json.loads(line) for line in buffer.getvalue().splitlines()]
    listing = next(e for e in entries if e["message"] == "listing products")
    assert (listing["correlation_id"], listing["shop_id"], listing["service"]) == ("flow-4711", "s-1", "kit-test")
    access = next(e for e in entries if e.get("route") == "/v1/shops/{shop_id}/products")
    assert (access["correlation_id"], access["status"]) == ("flow-4711", 200)


async def test_validation_errors_are_422_naming_the_fields(http):
    r = await http.post("/v1/orders", headers=bearer("r-1", "resident"),
                        json={"pickup_point_id": "pp-1", "lines": [{"product_id": "p-1", "quantity": 0}]})
    assert r.status_code == 422
    assert r.json()["error"] == "validation_failed"
    assert [p["field"] for p in r.json()["detail"]] == ["lines[0].quantity"]


async def test_a_body_over_the_limit_is_413_before_it_is_parsed(http):
    from nahnetz.kit.body_limit import DEFAULT_MAX_BODY_BYTES

    huge = {"pickup_point_id": "pp-1", "lines": [{"product_id": "p-1", "quantity": 1}],
            "note": "x" * (DEFAULT_MAX_BODY_BYTES + 1)}
    declared = await http.post("/v1/orders", headers=bearer("r-1", "resident"), json=huge)
    assert declared.status_code == 413, declared.text
    assert declared.json()["error"] == "request_entity_too_large"

    async def chunks():  # no Content-Length: the limit counts what arrives
        for _ in range(DEFAULT_MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    streamed = await http.post("/v1/orders", headers={**bearer("r-1", "resident"),
                                                      "Content-Type": "application/json"}, content=chunks())
    assert streamed.status_code == 413, streamed.text
    assert "larger than" in streamed.json()["message"]


async def test_an_unexpected_error_is_a_generic_500_with_the_correlation_id(http):
    r = await http.get("/v1/boom", headers={"X-Correlation-ID": "bug-1"})
    assert r.status_code == 500
    assert r.json() == {"error": "internal_error", "message": r.json()["message"], "correlation_id": "bug-1"}
    assert "a bug" not in r.text
    assert r.headers["X-Correlation-ID"] == "bug-1"


async def test_auth_errors_over_http(http):
    r = await http.get("/v1/shops/s-1/products")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    r = await http.get("/v1/shops/s-1/products", headers=bearer("r-1", "resident"))
    assert r.status_code == 403
    r = await http.get("/v1/shops/s-1/products", headers=bearer("u-op", "operator"))
    assert r.status_code == 200 and r.json()["on_behalf_of"] == "s-1"


# -- Idempotency-Key --------------------------------------------------------------------------------
ORDER = {"pickup_point_id": "pp-1", "lines": [{"product_id": "p-1", "quantity": 2}]}


async def placed_count(redis: aioredis.Redis, service: str) -> int:
    return int(await redis.get(f"kit-test:{service}:orders-placed") or 0)


async def test_a_retry_with_the_same_key_gets_the_same_answer(http, redis, service):
    headers = {**bearer("r-1", "resident"), "Idempotency-Key": "order-attempt-1"}
    first = await http.post("/v1/orders", json=ORDER, headers=headers)
    assert first.status_code == 202
    # Same content, other key order and spacing: the same request.
    again = await http.post("/v1/orders", headers={**headers, "Content-Type": "application/json"},
                            content=b'{"lines":[{"quantity":2,"product_id":"p-1"}],  "pickup_point_id":"pp-1"}')
    assert again.status_code == 202
    assert again.content == first.content
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await placed_count(redis, service) == 1
    ttl = await redis.ttl(next(iter(await redis.keys(f"nahnetz:idempotency:{service}:r-1:*"))))
    assert 23 * 3600 < ttl <= 24 * 3600


async def test_the_same_key_with_another_body_is_refused(http, redis, service):
    headers = {**bearer("r-1", "resident"), "Idempotency-Key": "order-attempt-2"}
    assert (await http.post("/v1/orders", json=ORDER, headers=headers)).status_code == 202
    other = {**ORDER, "lines": [{"product_id": "p-1", "quantity": 3}]}
    r = await http.post("/v1/orders", json=other, headers=headers)
    assert r.status_code == 422
    assert r.json()["error"] == "unprocessable"
    assert "already used for a different request" in r.json()["message"]
    assert await placed_count(redis, service) == 1


async def test_keys_belong_to_their_user_and_requests_without_a_key_are_not_deduplicated(http, redis, service):
    key = {"Idempotency-Key": "shared-key"}
    a = await http.post("/v1/orders", json=ORDER, headers={**bearer("r-1", "resident"), **key})
    b = await http.post("/v1/orders", json=ORDER, headers={**bearer("r-2", "resident"), **key})
    assert a.json()["order_id"] != b.json()["order_id"]
    c = await http.post("/v1/orders", json=ORDER, headers=bearer("r-1", "resident"))
    d = await http.post("/v1/orders", json=ORDER, headers=bearer("r-1", "resident"))
    assert c.json()["order_id"] != d.json()["order_id"]
    assert await placed_count(redis, service) == 4


async def test_a_key_in_flight_is_409_and_then_replays(http, redis, service):
    headers = {**bearer("r-1", "resident"), "Idempotency-Key": "slow-network"}
    first = asyncio.create_task(http.post("/v1/orders", json={**ORDER, "hold": True}, headers=headers))
    await eventually(lambda: redis.exists(f"kit-test:{service}:holding"), timeout=10, interval=0.02,
                     what="the first request holding")
    clash = await http.post("/v1/orders", json={**ORDER, "hold": True}, headers=headers)
    assert clash.status_code == 409
    assert clash.headers["Retry-After"] == "1"
    assert "still being answered" in clash.json()["message"]
    await redis.set(f"kit-test:{service}:release", 1)
    answered = await first
    assert answered.status_code == 202
    replay = await http.post("/v1/orders", json={**ORDER, "hold": True}, headers=headers)
    assert replay.content == answered.content
    assert await placed_count(redis, service) == 1


async def test_a_refused_request_does_not_use_up_its_key(http, redis, service):
    headers = {**bearer("r-1", "resident"), "Idempotency-Key": "fix-and-retry"}
    too_many = {**ORDER, "lines": [{"product_id": "p-1", "quantity": 101}]}
    r = await http.post("/v1/orders", json=too_many, headers=headers)
    assert r.status_code == 422 and r.json()["message"] == "at most 100 of a product per order"
    fixed = await http.post("/v1/orders", json=ORDER, headers=headers)
    assert fixed.status_code == 202
    assert await placed_count(redis, service) == 1


async def test_a_route_may_require_the_key_and_bad_keys_are_named(http):
    r = await http.post("/v1/returns", headers=bearer("r-1", "resident"))
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["message"]
    r = await http.post("/v1/returns", headers={**bearer("r-1", "resident"), "Idempotency-Key": "x" * 300})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "Idempotency-Key"
    r = await http.post("/v1/returns", headers={**bearer("r-1", "resident"), "Idempotency-Key": "ret-1"})
    assert r.status_code == 201 and r.json() == {"return": "registered"}


# -- the API process -------------------------------------------------------------------------------
SERVE = ("from nahnetz.kit.api import create_api, serve\n"
         "serve(lambda settings: create_api(settings, title='kit process test'))\n")


def test_serve_runs_an_api_process_with_json_logs_and_stops_on_sigterm(broker_bootstrap, redis_url, service,
                                                                         tmp_path):
    port = free_port()
    env = {"KAFKA_BOOTSTRAP": broker_bootstrap, "REDIS_URL": redis_url, "NAHNETZ_SERVICE": service,
           "NAHNETZ_HTTP_PORT": str(port), "NAHNETZ_LOG_LEVEL": "debug"}
    proc = ManagedProcess("api", [sys.executable, "-c", SERVE], tmp_path / "api.log", env=env).start()
    try:
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/readyz", 200), 30, "API process ready", alive=proc)
    finally:
        proc.stop()
    # uvicorn shuts down gracefully, then re-raises SIGTERM so supervisors see why it ended.
    assert proc.returncode in (0, -signal.SIGTERM), proc.log_tail()
    entries = [json.loads(line) for line in (tmp_path / "api.log").read_text().splitlines()]
    assert {e["service"] for e in entries} == {service}
    messages = [e["message"] for e in entries]
    assert f"{service} api started" in messages and f"{service} api stopped" in messages
    assert "Application shutdown complete." in messages
    probe = next(e for e in entries if e.get("route") == "/readyz" and e.get("status") == 200)
    assert probe["level"] == "debug" and probe["correlation_id"]


def test_an_api_process_without_its_environment_exits_naming_what_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("KAFKA_BOOTSTRAP", "REDIS_URL")}
    done = subprocess.run([sys.executable, "-c", SERVE], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "KAFKA_BOOTSTRAP: missing" in done.stderr and "REDIS_URL: missing" in done.stderr


def _answers(url: str, status: int) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == status
    except httpx.TransportError:
        return False
