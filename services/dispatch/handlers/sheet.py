"""The tour sheet as an HTML page for A4 print (Jinja2 with autoescaping: names,
addresses and notes come from shops and operators and must never become markup)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..domain.sheet import TourSheet

TEMPLATES = Path(__file__).parent.parent / "templates"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_sheet(sheet: TourSheet) -> str:
    return _environment().get_template("tour_sheet.html").render(sheet=sheet)
