"""Redis answers as text, whichever way the client was made (the worker's
client answers bytes, the API's text)."""

from __future__ import annotations

import json
from typing import Any, Mapping


def text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, (bytes, bytearray)) else str(value)


def text_map(values: Mapping[Any, Any]) -> dict[str, str]:
    return {text(k): text(v) for k, v in values.items()}  # type: ignore[misc]


def json_doc(value: Any) -> dict[str, Any] | None:
    raw = text(value)
    return json.loads(raw) if raw else None


def dump(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
