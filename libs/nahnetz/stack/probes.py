"""Is a process of the stack ready? The same questions `up` waits on and `status` asks."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

from .infra import broker_answers, redis_answers

# Never through an HTTP proxy from the environment: these are local processes.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

T = TypeVar("T")


def http_ready(base_url: str, timeout: float = 1.0) -> tuple[bool, str]:
    """(ready?, what the process said) for GET <base_url>/readyz."""
    try:
        with _opener.open(f"{base_url}/readyz", timeout=timeout) as response:
            return response.status == 200, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"/readyz answered HTTP {exc.code}{_reason(exc)}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"/readyz unreachable: {reason}"


def _reason(exc: urllib.error.HTTPError) -> str:
    """The body of a failed readiness answer names what is missing: show it."""
    try:
        body = exc.read(500).decode(errors="replace").strip()
    except Exception:
        return ""
    try:
        body = json.dumps(json.loads(body), separators=(", ", ": "))
    except ValueError:
        pass
    return f": {body}" if body else ""


def ready(kind: str, url: str) -> tuple[bool, str]:
    """Readiness of a recorded process by its kind."""
    if kind == "broker":
        bootstrap = url.removeprefix("kafka://")
        ok = broker_answers(bootstrap, timeout=2.0)
        return ok, "answers metadata requests" if ok else "does not answer"
    if kind == "redis":
        ok = redis_answers(url)
        return ok, "answers PING" if ok else "does not answer PING"
    return http_ready(url)


def in_parallel(check: Callable[[T], tuple[bool, str]], items: Iterable[T]) -> list[tuple[bool, str]]:
    """Probe many processes at once, so one slow answer does not delay the rest."""
    items = list(items)
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(16, len(items))) as pool:
        return list(pool.map(check, items))
