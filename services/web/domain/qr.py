"""A pick-up code's QR code as inline SVG, made on the server (segno): no image
request, no script, and no style attribute (the CSP forbids them); the size comes
from the stylesheet (`.qr svg`)."""

from __future__ import annotations

import re

import segno
from markupsafe import Markup, escape


def qr_svg(payload: str, label: str) -> Markup:
    """The QR code of `payload` as an <svg> element (role img, named by `label`)."""
    code = segno.make(payload, error="m")
    svg = code.svg_inline(scale=4, border=4, dark="#000", light="#fff", svgclass="qr-code", lineclass="qr-line",
                          omitsize=True, title=str(label))
    if re.search(r"\sstyle\s*=", svg):  # segno never writes one; the CSP would refuse it
        raise ValueError("segno wrote a style attribute")
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))
