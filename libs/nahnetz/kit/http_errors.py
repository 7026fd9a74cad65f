"""Exception handlers: every refusal becomes JSON with a machine code and a
message for people, e.g.

    422 {"error": "validation_failed", "message": "...",
         "detail": [{"field": "lines[0].quantity", "in": "body", "message": "..."}]}
    404 {"error": "not_found", "message": "no route GET /nope"}

That body is `ErrorBody`, the one error schema of every API's OpenAPI. Which
statuses a route may answer is documented from what it uses (`nahnetz.kit.openapi`):
a dependency names its refusals with `@answers(...)`, a route the ones only it
knows with `responses=error_responses(...)`.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, Callable, Literal, Sequence, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from ..avro.errors import EventValidationError
from .errors import DomainError, Unavailable
from .logs import current_correlation_id

log = logging.getLogger("nahnetz.http")
_LOCATIONS = ("body", "query", "path", "header", "cookie")


class FieldProblem(BaseModel):
    """One thing wrong with a request: where, and what."""

    model_config = ConfigDict(populate_by_name=True)

    field: str = Field(description="The field's path, e.g. `lines[0].quantity`, or the part (`body`)")
    in_: Literal["body", "query", "path", "header", "cookie"] = Field(alias="in")
    message: str


class ErrorBody(BaseModel):
    """Every refusal and failure of the APIs, whatever its status."""

    error: str = Field(description="A machine code: validation_failed, not_found, conflict, unavailable, ...",
                       examples=["not_found"])
    message: str = Field(description="What went wrong, for people")
    detail: list[FieldProblem] | dict[str, Any] | None = Field(
        None, description="For validation_failed each problem; otherwise facts about the refusal, if any")
    correlation_id: str | None = Field(None, description="The request's X-Correlation-ID, to find it in the logs")


# -- what a dependency or route may answer, for the OpenAPI ------------------------------
Answer = type[DomainError] | tuple[type[DomainError] | int, str]
ANSWERS_ATTRIBUTE = "__nahnetz_answers__"
F = TypeVar("F", bound=Callable[..., Any])


def error_responses(*answers: Answer) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: `error_responses(Conflict, (NotFound, "no such order"), (429, "..."))`.
    A class alone is described by its docstring; several answers with one status are listed together.
    The body schema (ErrorBody) is filled in when the OpenAPI is made."""
    described: dict[int, list[str]] = {}
    for answer in answers:
        kind, text = answer if isinstance(answer, tuple) else (answer, None)
        status = kind if isinstance(kind, int) else kind.status_code
        text = text or (" ".join((kind.__doc__ or "").split()) if not isinstance(kind, int) else "")
        if text and text not in described.setdefault(status, []):
            described[status].append(text)
        described.setdefault(status, [])
    return {status: {"description": describe(status, texts)} for status, texts in described.items()}


def describe(status: int, texts: Sequence[str]) -> str:
    if not texts:
        return _phrase(status)
    if len(texts) == 1:
        return texts[0]
    return "\n".join(f"- {text}" for text in texts)


def answers(*answered: Answer) -> Callable[[F], F]:
    """Mark a dependency with the refusals it may raise: every route using it documents them."""
    def mark(dependency: F) -> F:
        setattr(dependency, ANSWERS_ATTRIBUTE, error_responses(*answered))
        return dependency
    return mark


def answers_of(dependency: Any) -> dict[int | str, dict[str, Any]]:
    return getattr(dependency, ANSWERS_ATTRIBUTE, None) or {}


# -- handlers ----------------------------------------------------------------------------
def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_failed)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(EventValidationError, _event_invalid)
    # Redis away is the same "try again shortly" as the broker away, not a 500.
    app.add_exception_handler(RedisConnectionError, _redis_unavailable)
    app.add_exception_handler(RedisTimeoutError, _redis_unavailable)


def error_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    cid = current_correlation_id()
    return JSONResponse({**body, "correlation_id": cid} if cid else body, status_code=status, headers=headers)


def field_problems(errors: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """pydantic errors as [{field: "lines[0].quantity", in: "body", message}]."""
    problems = []
    for err in errors:
        loc = list(err.get("loc", ()))
        where = loc.pop(0) if loc and loc[0] in _LOCATIONS else "body"
        message = str(err.get("msg", "invalid"))
        if err.get("type") == "json_invalid":
            # loc holds the character position, not a field
            reason = (err.get("ctx") or {}).get("error", "")
            message = f"the body is not valid JSON ({reason} at character {loc[0] if loc else '?'})"
            loc = []
        problems.append({"field": field_path(loc) or where, "in": where, "message": message})
    return problems


def field_path(loc: Sequence[Any]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


async def _validation_failed(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = field_problems(exc.errors())
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:3])
    more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
    return error_response(422, {"error": "validation_failed",
                                "message": f"the request is invalid: {summary}{more}",
                                "detail": problems})


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    status = exc.status_code
    phrase = _phrase(status)
    if status == 404 and exc.detail in (None, "Not Found"):
        message = f"no route {request.method} {request.url.path}"
    elif status == 405 and exc.detail in (None, "Method Not Allowed"):
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = exc.detail if isinstance(exc.detail, str) else phrase
    body: dict[str, Any] = {"error": phrase.lower().replace(" ", "_").replace("-", "_"), "message": message}
    if not isinstance(exc.detail, (str, type(None))):
        # ErrorBody's detail is an object here (a list is only ever field problems)
        body["detail"] = exc.detail if isinstance(exc.detail, dict) else {"detail": exc.detail}
    return error_response(status, body, headers=getattr(exc, "headers", None))


async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    if exc.status_code >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
    return error_response(exc.status_code, exc.as_body(), headers=exc.headers or None)


async def _redis_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("%s %s: Redis does not answer: %s", request.method, request.url.path, exc)
    refusal = Unavailable("the data store does not answer; try again shortly", headers={"Retry-After": "1"})
    return error_response(refusal.status_code, refusal.as_body(), headers=refusal.headers)


async def _event_invalid(request: Request, exc: EventValidationError) -> JSONResponse:
    # A request that passed the HTTP model but does not fit the event contract
    # (e.g. an unknown enum symbol) is still the client's input: 422, not 500.
    return error_response(422, {"error": "validation_failed", "message": str(exc)})


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"
