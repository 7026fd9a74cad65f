"""Errors a service raises when a request cannot be served as asked.

Handlers and domain code raise these; the API factory turns each into a JSON
answer with its status (`{"error": code, "message": ...}`), so bad input is
always a clear 4xx and never a 500. This module imports nothing of HTTP, so
pure domain code may raise these too.
"""

from __future__ import annotations

from typing import Any, Mapping


class DomainError(Exception):
    """Base: a request the service refuses, with a status and a message for people.

    A subclass names its status and code in its header, e.g.
    `class Gone(DomainError, status_code=410, code="gone")`; setting the class
    attributes in the body works too.
    """

    status_code = 400
    code = "bad_request"

    def __init_subclass__(cls, *, status_code: int | None = None, code: str | None = None, **kw: Any):
        super().__init_subclass__(**kw)
        if status_code is not None:
            cls.status_code = status_code
        if code is not None:
            cls.code = code

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})

    def as_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details:
            body["detail"] = self.details
        return body


class BadRequest(DomainError):
    """The request is malformed or misses something (400)."""


class Unprocessable(BadRequest, status_code=422, code="unprocessable"):
    """The request is well-formed but breaks a rule, e.g. more than is in stock (422)."""


class Unauthorized(DomainError, status_code=401, code="unauthorized"):
    """No valid credentials (401); the answer carries WWW-Authenticate."""


class Forbidden(DomainError, status_code=403, code="forbidden"):
    """Authenticated, but not allowed to do this (403)."""


class NotFound(DomainError, status_code=404, code="not_found"):
    """The thing asked for does not exist, or is not visible to the caller (404)."""


class Conflict(DomainError, status_code=409, code="conflict"):
    """The request clashes with the current state, e.g. a repeated key (409)."""


class Unavailable(DomainError, status_code=503, code="unavailable"):
    """A dependency (broker, Redis) does not answer; try again later (503)."""
