"""A short-lived cache of the insights API's answers for the municipality's pages.

The figures are aggregates that change at most with each event, and a town hall
reading its dashboard does not need them to the second; the insights API, on the
other hand, folds every point's days for each answer (about half a second for a
quarter). So an answer is kept WEB_FIGURES_CACHE_S seconds (60), keyed by
everything the API's answer depends on: the caller's role and municipality, the
path and the query. Nothing personal is in these answers (aggregates only).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Awaitable, Callable

from .sessions import SignedIn

MAX_ENTRIES = 512


class FiguresCache:
    def __init__(self, ttl_s: float):
        self.ttl_s = ttl_s
        self.entries: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()

    async def get(self, user: SignedIn, path: str, params: dict[str, str], fetch: Callable[[], Awaitable[Any]]) -> Any:
        if self.ttl_s <= 0:
            return await fetch()
        key = (user.role, user.municipality, path, tuple(sorted(params.items())))
        now = time.monotonic()
        found = self.entries.get(key)
        if found is not None and found[0] > now:
            self.entries.move_to_end(key)
            return found[1]
        value = await fetch()   # an ApiError is not kept: the next look asks again
        self.entries[key] = (now + self.ttl_s, value)
        self.entries.move_to_end(key)
        while len(self.entries) > MAX_ENTRIES:
            self.entries.popitem(last=False)
        return value
