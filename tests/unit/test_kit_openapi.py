"""What create_api's OpenAPI says about refusals: one error body, and the statuses
each route can answer, found from what it uses (no lifespan: nothing connects)."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, Depends
from redis.exceptions import ConnectionError as RedisConnectionError

from nahnetz.kit.api import RedisDep, create_api
from nahnetz.kit.auth import CurrentUser, Role, User, require_roles
from nahnetz.kit.errors import Conflict
from nahnetz.kit.http_errors import ErrorBody, error_responses
from nahnetz.kit.idempotency_keys import Idempotency
from nahnetz.kit.publishing import ProducerDep
from nahnetz.kit.request_model import RequestModel
from nahnetz.kit.settings import Settings

ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


class Note(RequestModel):
    text: str


def build_app():
    router = APIRouter()

    @router.get("/public")
    async def public() -> dict:
        return {}

    @router.get("/count")
    async def count(n: int) -> dict:
        return {"n": n}

    @router.get("/things/{thing_id}")
    async def thing(thing_id: str, user: CurrentUser) -> dict:
        return {}

    @router.post("/things", status_code=202, responses=error_responses((Conflict, "the thing exists")))
    async def add(body: Note, user: User = Depends(require_roles(Role.OPERATOR)), once: Idempotency = None,
                  producer: ProducerDep = None) -> dict:
        return {}

    @router.get("/redis")
    async def redis_down(redis: RedisDep) -> dict:
        raise RedisConnectionError("Connection refused")

    settings = Settings(KAFKA_BOOTSTRAP="127.0.0.1:1", REDIS_URL="redis://127.0.0.1:1/0", NAHNETZ_SERVICE="kit-oas")
    return create_api(settings, title="openapi test", routers=[router], max_body_bytes=1000)


def test_every_refusal_has_the_one_error_body_instead_of_fastapis_422_schema():
    spec = build_app().openapi()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["ErrorBody"]["required"] == ["error", "message"]
    assert schemas["FieldProblem"]["required"] == ["field", "in", "message"]
    for path in spec["paths"].values():
        for operation in path.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"] == ERROR, (status, response)


def test_the_statuses_come_from_what_a_route_uses():
    paths = build_app().openapi()["paths"]
    assert set(paths["/public"]["get"]["responses"]) == {"200"}
    assert set(paths["/things/{thing_id}"]["get"]["responses"]) == {"200", "401", "404", "422"}
    add = paths["/things"]["post"]["responses"]
    # bearer token, role, body (unreadable, too large, invalid), Idempotency-Key, broker
    assert set(add) == {"202", "400", "401", "403", "409", "413", "422", "503"}
    assert "the thing exists" in add["409"]["description"] and "still being answered" in add["409"]["description"]
    assert "1000 bytes" in add["413"]["description"]
    assert "404" in add["202"]["description"]  # the status URL may not know it yet
    assert "503" in paths["/redis"]["get"]["responses"]


async def test_redis_away_is_a_503_with_the_error_body():
    app = build_app()
    app.state.redis = object()  # what the lifespan would make; the route fails as if it had no answer
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
        answer = await client.get("/redis")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "1"
    assert ErrorBody.model_validate(answer.json()).error == "unavailable"


async def test_a_validation_error_fits_the_documented_body():
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://kit") as client:
        answer = await client.get("/count", params={"n": "many"})
    assert answer.status_code == 422
    body = ErrorBody.model_validate(answer.json())
    assert body.error == "validation_failed" and [p.field for p in body.detail] == ["n"]
