"""Errors a service raises when a request cannot be served as asked.

Handlers and domain code raise these; the API factory turns each into a JSON
answer with its status (`{"error": code, "message": ...}`), so bad input is
always a clear 4xx and never a 500. This module imports nothing of HTTP, so
pure domain code may raise these too.
"""

from __future__ import annotations

from typing import Any, Mapping


class DomainError(Exception):
    """Base: a request the service refuses, with a status and a message for people."""

    status_code = 400
    code = "bad_request"

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


class Unprocessable(BadRequest):
    """The request is well-formed but breaks a rule, e.g. more than is in stock (422)."""

    status_code = 422
    code = "unprocessable"


class Unauthorized(DomainError):
    """No valid credentials (401); the answer carries WWW-Authenticate."""

    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """Authenticated, but not allowed to do this (403)."""

    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    """The thing asked for does not exist, or is not visible to the caller (404)."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state, e.g. a repeated key (409)."""

    status_code = 409
    code = "conflict"


class Unavailable(DomainError):
    """A dependency (broker, Redis) does not answer; try again later (503)."""

    status_code = 503
    code = "unavailable"
