"""German first, English on request: each text is written as a pair where it is used
(`t("Bestellen", "Order")`), so a page and its translation are read together and no
catalogue drifts away from the templates."""

from __future__ import annotations

from typing import Literal

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, ...] = ("de", "en")
DEFAULT: Language = "de"


def chosen(cookie: str | None) -> Language:
    """The language a person chose (cookie); German unless they chose English."""
    return "en" if cookie == "en" else DEFAULT


def pick(language: Language, german: str, english: str) -> str:
    return english if language == "en" else german
