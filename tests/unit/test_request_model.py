"""Request bodies refuse control characters in any text, at any depth of a list."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from nahnetz.kit.request_model import RequestModel, control_characters


class Note(RequestModel):
    title: str
    lines: list[str] = []
    count: int = 0


def test_plain_text_tabs_and_line_breaks_pass():
    note = Note(title="Dorfladen Ottbergen – Öffnungszeiten", lines=["Mo\t8–12", "Di 8–12\r\nMi 8–12"])
    assert note.title.startswith("Dorfladen")


@pytest.mark.parametrize("bad", ["Käse\x00", "Laden \x1b[2J", "bell\x07", "del\x7f"])
def test_control_characters_are_refused_naming_them(bad):
    with pytest.raises(ValidationError, match="control characters"):
        Note(title=bad)
    with pytest.raises(ValidationError, match="control characters"):
        Note(title="ok", lines=["fine", bad])


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError, match="extra"):
        Note(title="ok", colour="gelb")


def test_control_characters_are_named_as_code_points():
    assert control_characters("a\x00b\x1bc\x00") == ["U+0000", "U+001B"]
    assert control_characters("Zeile 1\nZeile 2\tTab") == []


@pytest.mark.parametrize("loose", [0, 0.0, "0.0", "1700000000", "10.12.2026", "2026-12-10T00:00"])
def test_a_day_is_only_written_as_an_iso_date(loose):
    from datetime import date

    from pydantic import TypeAdapter

    from nahnetz.kit.request_model import Day

    days = TypeAdapter(Day)
    assert days.validate_python("2026-12-10") == date(2026, 12, 10)
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        days.validate_python(loose)
