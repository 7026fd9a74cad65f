"""The pure parts of the web benchmark (`benchmarks/web/pages.py`): the percentile,
the pages of each role as read from the web app, the assets a page names, and the
first load's byte count. No stack, no network (the run itself:
tests/browser/test_web_benchmark.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"web_{name}_benchmark", REPO / "benchmarks" / "web" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


pages = _load("pages")


def test_percentile_is_the_nearest_rank_and_summary_gives_the_tail():
    values = [float(v) for v in range(1, 101)]
    assert (pages.percentile(values, 50), pages.percentile(values, 95), pages.percentile(values, 99)) == (50, 95, 99)
    assert pages.percentile([3.0], 95) == 3.0
    with pytest.raises(ValueError):
        pages.percentile([], 50)
    s = pages.summary([10.0, 20.0, 30.0, 40.0, 500.0])
    assert (s["n"], s["p50"], s["p95"], s["max"]) == (5, 30.0, 500.0, 500.0)


def test_pages_are_grouped_by_role_without_parameters_or_files():
    found = pages.pages_by_role(["/", "/anmelden", "/gemeinde", "/gemeinde/bericht", "/gemeinde/downloads/{file}",
                                 "/laden", "/laden/import/produkte.csv", "/betrieb", "/assistenz",
                                 "/bestellungen/{order_id}", "/einkaufen", "/static/app.css"])
    assert found == {"resident": ["/einkaufen"], "shop": ["/laden"], "operator": ["/assistenz", "/betrieb"],
                     "municipality": ["/gemeinde", "/gemeinde/bericht"]}


def test_the_web_app_has_the_municipality_pages():
    assert {"/gemeinde", "/gemeinde/downloads", "/gemeinde/bericht"} <= set(pages.web_routes())


def test_assets_of_a_page_are_its_own_css_js_and_images():
    html = ('<link rel="icon" href="/static/favicon.svg"><link rel="stylesheet" href="/static/app.css">'
            '<script src="/assets/htmx/htmx.min.js" defer></script><script type="application/json">{}</script>'
            '<img src="/static/a.png"><img src="https://tiles.example/1.png"><script src="/static/app.js"></script>'
            '<link rel="stylesheet" href="/static/app.css">')
    assert pages.assets_of(html) == ["/static/favicon.svg", "/static/app.css", "/assets/htmx/htmx.min.js",
                                     "/static/a.png", "/static/app.js"]


def test_first_load_adds_bodies_and_headers():
    load = pages.FirstLoad("/einkaufen", "test", [("/einkaufen", 4000, 300), ("/static/app.css", 2500, 200)])
    assert (load.body_bytes, load.header_bytes) == (6500, 500)
