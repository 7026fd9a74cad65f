"""Charts as inline SVG, drawn on the server: bars over time, a line over time and
horizontal bars (one per village). No chart library, no script, no style attribute
(the CSP forbids inline styles): colours come from CSS classes (`chart-*` in app.css).

Each chart is an `<svg role="img" aria-label="...">` with a `<title>`, and every bar
or point has its own `<title>` ("Woche 12: 34 Bestellungen"), so a screen reader and a
mouse pointer get the numbers; the page shows the same numbers in a table as well.

A point is `Datum(label, value, text)`: `value` None draws no bar (a suppressed or
missing cell, never 0), `text` is what the reader sees ("unterdrückt (< 5)").

    svg = bar_chart([Datum("KW 12", 34.0, "34"), Datum("KW 13", None, "unterdrückt (< 5)")],
                    "Bestellungen je Woche")
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 12, 40
ROW_HEIGHT, LABEL_WIDTH, ROW_GAP = 26, 150, 6


@dataclass(frozen=True)
class Datum:
    label: str
    value: float | None
    text: str


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above `value` (an axis' top); 1 for nothing."""
    if not value or value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value - 1e-9:
            return step * power
    return 10 * power


def ticks(top: float, count: int = 4) -> list[float]:
    """Evenly spaced axis values from 0 to `top` inclusive."""
    return [top * i / count for i in range(count + 1)]


def tick_text(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}".replace(".", ",")


def _svg(label: str, width: int, height: int, body: list[str], kind: str) -> Markup:
    title = escape(label)
    return Markup(f'<svg class="chart chart-{kind}" viewBox="0 0 {width} {height}" width="{width}" '
                  f'height="{height}" role="img" aria-label="{title}" xmlns="http://www.w3.org/2000/svg">'
                  f'<title>{title}</title>{"".join(body)}</svg>')


def _axis(top: float, plot_height: float, tick_label=tick_text) -> list[str]:
    out = []
    for value in ticks(top):
        y = TOP + plot_height - value / top * plot_height
        out.append(f'<line class="chart-rule" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="chart-tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f'{escape(tick_label(value))}</text>')
    return out


def _x_labels(data: Sequence[Datum], step: float) -> list[str]:
    """Period labels under the plot; thinned so they do not overlap."""
    every = max(1, math.ceil(len(data) * 56 / (WIDTH - LEFT - RIGHT)))
    out = []
    for i, d in enumerate(data):
        if i % every == 0:
            x = LEFT + step * (i + 0.5)
            out.append(f'<text class="chart-label" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                       f'{escape(d.label)}</text>')
    return out


def bar_chart(data: Sequence[Datum], label: str) -> Markup:
    """Vertical bars, one per period. A period without a value gets a small hollow
    marker on the axis (class chart-missing), titled with its text."""
    top = nice_ceiling(max((d.value for d in data if d.value is not None), default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT - RIGHT) / max(1, len(data))
    width = max(2.0, step * 0.7)
    body = _axis(top, plot_height)
    for i, d in enumerate(data):
        x = LEFT + step * i + (step - width) / 2
        tip = f"<title>{escape(d.label)}: {escape(d.text)}</title>"
        if d.value is None:
            body.append(f'<rect class="chart-missing" x="{x:.1f}" y="{TOP + plot_height - 4:.1f}" '
                        f'width="{width:.1f}" height="4">{tip}</rect>')
            continue
        h = max(0.0, d.value) / top * plot_height
        body.append(f'<rect class="chart-bar" x="{x:.1f}" y="{TOP + plot_height - h:.1f}" width="{width:.1f}" '
                    f'height="{h:.1f}">{tip}</rect>')
    body.append(f'<line class="chart-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_height}" '
                f'y2="{TOP + plot_height}"/>')
    body += _x_labels(data, step)
    return _svg(label, WIDTH, HEIGHT, body, "bars")


def line_chart(data: Sequence[Datum], label: str) -> Markup:
    """A line through the periods' values; the line breaks where a value is missing
    (suppressed), which gets a hollow marker on the axis."""
    top = nice_ceiling(max((d.value for d in data if d.value is not None), default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT - RIGHT) / max(1, len(data))
    body = _axis(top, plot_height)
    runs: list[list[tuple[float, float]]] = [[]]
    marks = []
    for i, d in enumerate(data):
        x = LEFT + step * (i + 0.5)
        tip = f"<title>{escape(d.label)}: {escape(d.text)}</title>"
        if d.value is None:
            runs.append([])
            marks.append(f'<rect class="chart-missing" x="{x - 3:.1f}" y="{TOP + plot_height - 4:.1f}" '
                         f'width="6" height="4">{tip}</rect>')
            continue
        y = TOP + plot_height - max(0.0, d.value) / top * plot_height
        runs[-1].append((x, y))
        marks.append(f'<circle class="chart-point" cx="{x:.1f}" cy="{y:.1f}" r="4">{tip}</circle>')
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            body.append(f'<polyline class="chart-line" fill="none" points="{points}"/>')
    body += marks
    body.append(f'<line class="chart-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_height}" '
                f'y2="{TOP + plot_height}"/>')
    body += _x_labels(data, step)
    return _svg(label, WIDTH, HEIGHT, body, "line")


def row_chart(data: Sequence[Datum], label: str, top: float | None = None) -> Markup:
    """Horizontal bars, one row per item (a village), its name left and its text right.
    `top`: the scale's end (100 for shares), else the largest value rounded up."""
    top = top or nice_ceiling(max((d.value for d in data if d.value is not None), default=0))
    height = TOP + max(1, len(data)) * (ROW_HEIGHT + ROW_GAP)
    plot = WIDTH - LABEL_WIDTH - 150
    body = []
    for i, d in enumerate(data):
        y = TOP + i * (ROW_HEIGHT + ROW_GAP)
        tip = f"<title>{escape(d.label)}: {escape(d.text)}</title>"
        body.append(f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + ROW_HEIGHT * 0.7:.1f}" '
                    f'text-anchor="end">{escape(d.label)}</text>')
        w = 0.0 if d.value is None else max(0.0, d.value) / top * plot
        kind = "chart-missing" if d.value is None else "chart-bar"
        body.append(f'<rect class="{kind}" x="{LABEL_WIDTH}" y="{y}" width="{max(w, 2.0 if d.value is None else w):.1f}" '
                    f'height="{ROW_HEIGHT}">{tip}</rect>')
        body.append(f'<text class="chart-value" x="{LABEL_WIDTH + w + 6:.1f}" y="{y + ROW_HEIGHT * 0.7:.1f}">'
                    f'{escape(d.text)}</text>')
    return _svg(label, WIDTH, height, body, "rows")
