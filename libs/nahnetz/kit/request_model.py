"""The base of every request body the APIs take.

A misspelt field is an error rather than silently ignored, and no text may carry
control characters: a NUL byte or an escape sequence in a shop's name would end
up on tour sheets, labels and the letters sent to people who are not online.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator

_ALLOWED_CONTROLS = {"\t", "\n", "\r"}  # notes may have lines
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def control_characters(text: str) -> list[str]:
    """The control characters in `text` (as U+XXXX), tab and line breaks allowed."""
    return sorted({f"U+{ord(c):04X}" for c in text
                   if unicodedata.category(c) == "Cc" and c not in _ALLOWED_CONTROLS})


def _check_text(value: Any) -> Any:
    if isinstance(value, str):
        found = control_characters(value)
        if found:
            raise ValueError(f"the text contains control characters ({', '.join(found)})")
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_text(item)
    return value


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return _check_text(value)


def _iso_day(value: Any) -> Any:
    # pydantic would also take 0, 0.0 or "1700000000" as a date (seconds since 1970).
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.match(value)):
        return value
    raise ValueError("a day is written YYYY-MM-DD, e.g. 2026-12-10")


Day = Annotated[date, BeforeValidator(_iso_day)]
"""A calendar day in a query or body, written only as YYYY-MM-DD."""
