"""What a route answers when a query finds nothing: one 404, said the route's way."""

from __future__ import annotations

from typing import TypeVar

from .errors import NotFound

T = TypeVar("T")


def found_or_404(found: T | None, message: str) -> T:
    """`found`, or `NotFound(message)` when the query returned None."""
    if found is None:
        raise NotFound(message)
    return found
