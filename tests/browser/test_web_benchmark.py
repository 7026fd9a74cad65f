"""The web benchmark's smallest run (`benchmarks/web/pages.py`), so it keeps working:
every role signed in, two requests per page while one order a second is placed, and
the resident's first load counted in a browser."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from web_support import Web

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
REPO = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("web_pages_benchmark", REPO / "benchmarks" / "web" / "pages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_the_smallest_web_benchmark_measures_every_role_with_pages(web: Web, capsys):
    pages = _load()
    result = await pages.measure(web.stack, web.platform, web.base, requests=2, rate=1.0)
    pages.report(result)
    printed = capsys.readouterr().out
    assert "municipality GET /gemeinde" in result.pages
    assert all(s["n"] == 2 for s in result.pages.values())
    assert all(set(codes) <= {200} for key, codes in result.statuses.items() if key.startswith("municipality")), \
        result.statuses
    assert result.first is not None and result.first.body_bytes > 1000
    assert "first load" in printed and "p95 <= 300 ms" in printed
