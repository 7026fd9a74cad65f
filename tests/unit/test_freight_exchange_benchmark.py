"""The freight exchange benchmark (`benchmarks/freight/exchange.py`): its scenarios are
the same per seed, and the service's round never beats the independent proven optimum."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from services.freight.settings import FreightSettings

REPO = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("exchange_benchmark", REPO / "benchmarks" / "freight" / "exchange.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _bench()


def test_scenarios_are_reproducible_per_seed():
    first, again, other = bench.scenario(7, 6, 12), bench.scenario(7, 6, 12), bench.scenario(8, 6, 12)
    assert first.trips == again.trips and first.loads == again.loads
    assert first.loads != other.loads
    assert len(first.trips) == 6 and len(first.loads) == 12


def test_the_service_does_not_beat_the_proven_optimum_on_a_tiny_instance():
    settings = FreightSettings()
    s = bench.scenario(2, 4, 8)
    opt = bench.optimum(s, settings.max_bundle, seconds=5.0, circuity=settings.circuity)
    svc = bench.service_round(s, settings)
    assert opt.status == "OPTIMAL"
    assert svc.loads <= opt.loads
    if svc.loads == opt.loads:
        assert svc.extra_m >= opt.extra_m
    # So small an instance the service solves exactly: it reaches the optimum.
    assert (svc.loads, svc.extra_m) == (opt.loads, opt.extra_m)
