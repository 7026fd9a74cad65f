"""The app factory every service's `api.py` uses.

    def create_app(settings: Settings) -> FastAPI:
        return create_api(settings, title="Nahnetz orders", routers=[orders_router], publishes=True)

    if __name__ == "__main__":
        serve(create_app)

What every API gets: /healthz, /readyz (broker and Redis, plus extra checks),
/metrics, correlation ids, JSON logs, JSON errors, a Redis client (the one policy of
`nahnetz.kit.redis`) made in the lifespan (never at import) and closed on shutdown,
and with `publishes=True` the started event producer (`nahnetz.kit.publishing`).
Its OpenAPI documents every status a route can answer with the one error body
(`ErrorBody`), and /docs and /redoc work without internet (`nahnetz.kit.openapi`).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Annotated, Any, AsyncIterator, Awaitable, Callable, Mapping, Sequence

import redis.asyncio as aioredis
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from .body_limit import DEFAULT_MAX_BODY_BYTES, BodySizeLimit
from .errors import Unavailable
from .health import broker_ready, redis_ready
from .http_errors import answers, install_error_handlers
from .http_middleware import RequestContextMiddleware
from .logs import configure_logging
from .publishing import producer_lifespan
from .redis import connect as connect_redis
from .metrics import HttpMetrics, exposition, new_registry
from .openapi import install_contract, serve_docs
from .settings import Settings, load_settings

# A hook runs around the app's life, after Redis exists: start a producer, load a cache...
LifespanHook = Callable[[FastAPI], AbstractAsyncContextManager[Any]]
# A readiness check answers None when fine, else the reason it is not ready.
ReadinessCheck = Callable[[FastAPI], Awaitable[str | None]]
READINESS_TIMEOUT_S = 3.0

log = logging.getLogger("nahnetz.api")


def create_api(settings: Settings, *, title: str, routers: Sequence[APIRouter] = (),
               lifespans: Sequence[LifespanHook] = (), readiness_checks: Mapping[str, ReadinessCheck] | None = None,
               version: str = "0.1.0", description: str = "", publishes: bool = False,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> FastAPI:
    """Build a service's FastAPI app. Nothing connects until the app starts.
    `publishes`: start the event producer with the app (`ProducerDep` in routes);
    `max_body_bytes`: larger request bodies are refused with 413 before parsing."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = connect_redis(settings.redis_url, client_name=f"{settings.service}-api")
        try:
            async with AsyncExitStack() as hooks:
                for hook in ([producer_lifespan] if publishes else []) + list(lifespans):
                    await hooks.enter_async_context(hook(app))
                log.info("%s api started", settings.service, extra={"env": settings.env})
                yield
        finally:
            await app.state.redis.aclose()
            log.info("%s api stopped", settings.service)

    # The docs pages are the kit's (serve_docs): FastAPI's load their scripts from a CDN.
    app = FastAPI(title=title, version=version, description=description, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    registry = new_registry()
    app.state.settings = settings
    app.state.metrics_registry = registry
    app.state.readiness_checks = {
        "broker": lambda a: broker_ready(settings.kafka_bootstrap),
        "redis": lambda a: redis_ready(a.state.redis),
        **(readiness_checks or {}),
    }
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware, metrics=HttpMetrics(registry))
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.include_router(_operations_router())
    for router in routers:
        app.include_router(router)
    serve_docs(app)
    install_contract(app, max_body_bytes=max_body_bytes)
    return app


def _operations_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz(request: Request) -> dict[str, str]:
        """Alive: the process answers. Says nothing about its dependencies."""
        return {"status": "alive", "service": request.app.state.settings.service}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Ready: every dependency answers; 503 with the reasons otherwise."""
        checks = await run_readiness_checks(request.app)
        reasons = [reason for reason in checks.values() if reason]
        body = {"status": "not_ready" if reasons else "ready",
                "checks": {name: reason or "ok" for name, reason in checks.items()}}
        if reasons:
            body["reasons"] = reasons
        return JSONResponse(body, status_code=503 if reasons else 200)

    @router.get("/metrics")
    async def metrics(request: Request) -> Response:
        body, content_type = exposition(request.app.state.metrics_registry)
        return Response(body, media_type=content_type)

    return router


async def run_readiness_checks(app: FastAPI) -> dict[str, str | None]:
    """Run every check at once, each bounded in time."""
    names = list(app.state.readiness_checks)

    async def one(name: str) -> str | None:
        try:
            return await asyncio.wait_for(app.state.readiness_checks[name](app), READINESS_TIMEOUT_S)
        except asyncio.TimeoutError:
            return f"{name}: no answer within {READINESS_TIMEOUT_S:.0f} s"
        except Exception as exc:  # a failing check means "not ready", never a 500
            return f"{name}: {type(exc).__name__}: {exc}"

    return dict(zip(names, await asyncio.gather(*(one(n) for n in names))))


# -- dependencies ----------------------------------------------------------------------
def get_settings(request: Request) -> Settings:
    return request.app.state.settings


@answers((Unavailable, "The data store (Redis) does not answer; try again shortly (Retry-After)"))
def get_redis(request: Request) -> aioredis.Redis:
    return request.app.state.redis


def from_state(name: str) -> Callable[[Request], Any]:
    """A dependency for something a lifespan hook put on app.state (503 while missing)."""

    def dependency(request: Request) -> Any:
        value = getattr(request.app.state, name, None)
        if value is None:
            raise Unavailable(f"{name} is not available yet; try again shortly",
                              headers={"Retry-After": "1"})
        return value

    dependency.__name__ = f"state_{name}"
    return answers((Unavailable, f"The service is starting up ({name} is not ready); "
                                 "try again shortly (Retry-After)"))(dependency)


SettingsDep = Annotated[Settings, Depends(get_settings)]
RedisDep = Annotated[aioredis.Redis, Depends(get_redis)]


# -- running ---------------------------------------------------------------------------
def serve(create_app: Callable[[Settings], FastAPI], settings: Settings | None = None) -> None:
    """The API process: settings from the environment, JSON logs, uvicorn."""
    import uvicorn

    settings = settings or load_settings()
    configure_logging(settings.service, settings.log_level)
    # Keep idle connections longer than clients do (httpx: 5 s): with equal timeouts
    # the server may close a connection just as a client sends on it (a ReadError).
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port,
                log_config=None, access_log=False, timeout_graceful_shutdown=5, timeout_keep_alive=75)
