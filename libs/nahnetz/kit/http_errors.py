"""Exception handlers: every refusal becomes JSON with a machine code and a
message for people, e.g.

    422 {"error": "validation_failed", "message": "...",
         "detail": [{"field": "lines[0].quantity", "in": "body", "message": "..."}]}
    404 {"error": "not_found", "message": "no route GET /nope"}
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from ..avro.errors import EventValidationError
from .errors import DomainError
from .logs import current_correlation_id

log = logging.getLogger("nahnetz.http")
_LOCATIONS = ("body", "query", "path", "header", "cookie")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_failed)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(EventValidationError, _event_invalid)


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
        body["detail"] = exc.detail
    return error_response(status, body, headers=getattr(exc, "headers", None))


async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
    if exc.status_code >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
    return error_response(exc.status_code, exc.as_body(), headers=exc.headers or None)


async def _event_invalid(request: Request, exc: EventValidationError) -> JSONResponse:
    # A request that passed the HTTP model but does not fit the event contract
    # (e.g. an unknown enum symbol) is still the client's input: 422, not 500.
    return error_response(422, {"error": "validation_failed", "message": str(exc)})


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"
