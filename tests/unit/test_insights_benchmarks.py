"""The pure parts of the insights benchmarks (`benchmarks/insights/`): the percentile,
matching polled counts to accepted orders, and comparing live with rebuilt state and
answers. No stack, no network."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"insights_{name}_benchmark",
                                                  REPO / "benchmarks" / "insights" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


freshness = _load("freshness")
rebuild = _load("rebuild")
common = _load("common")
Poll = freshness.Poll


def test_percentile_is_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert common.percentile(values, 50) == 50.0
    assert common.percentile(values, 95) == 95.0
    assert common.percentile(values, 99) == 99.0
    assert common.percentile([3.0], 95) == 3.0
    assert common.percentile([5.0, 1.0], 100) == 5.0
    with pytest.raises(ValueError):
        common.percentile([], 50)


def test_each_order_is_fresh_at_the_first_answer_that_counts_it():
    polls = [Poll(0.0, 0.1, 10), Poll(1.0, 1.2, 11), Poll(2.0, 2.1, 11), Poll(3.0, 3.3, 13)]
    # orders accepted at 0.5, 1.5 and 1.8 s after a baseline of 10
    assert freshness.freshness([0.5, 1.5, 1.8], polls, baseline=10) == pytest.approx([0.7, 1.8, 1.5])


def test_an_order_counted_before_its_202_arrived_is_fresh_at_once_and_one_never_counted_is_infinite():
    polls = [Poll(0.0, 0.4, 11), Poll(1.0, 1.1, 11)]
    assert freshness.freshness([0.6], polls, baseline=10) == [0.0]
    assert freshness.freshness([0.6, 0.3], polls, baseline=10) == [pytest.approx(0.1), math.inf]


def test_suppressed_answers_count_nothing_and_answers_are_taken_in_their_own_order():
    polls = [Poll(2.0, 2.2, 12), Poll(0.0, 0.3, None), Poll(1.0, 1.4, 11)]
    assert freshness.freshness([0.1, 0.2], polls, baseline=10) == pytest.approx([1.3, 2.0])


def test_the_district_count_is_read_from_the_last_period_and_none_when_suppressed():
    def answer(cell):
        return {"periods": [{"areas": [{"level": "district", "values": {"orders": {"value": 1, "suppressed": False}}}]},
                            {"areas": [{"level": "municipality", "values": {"orders": {"value": 99}}},
                                       {"level": "district", "values": {"orders": cell}}]}]}

    assert freshness.district_orders(answer({"value": 42, "suppressed": False})) == 42
    assert freshness.district_orders(answer({"value": None, "suppressed": True})) is None
    assert freshness.district_orders({"periods": []}) is None


def test_summary_gives_median_and_tail():
    s = freshness.summary([1.0, 2.0, 3.0, 4.0, 10.0])
    assert (s["n"], s["median"], s["p95"], s["max"]) == (5, 3.0, 10.0, 10.0)


def test_key_differences_name_missing_extra_and_changed_keys_by_type():
    live = {"insights:a": ("hash", {"orders": "3"}), "insights:b": ("set", ["x"]), "insights:c": ("string", "1")}
    assert rebuild.key_differences(live, dict(live)) == []
    rebuilt = {"insights:a": ("hash", {"orders": "4"}), "insights:c": ("set", ["1"]), "insights:d": ("string", "")}
    found = rebuild.key_differences(live, rebuilt)
    assert found[0] == "only live: insights:b"
    assert found[1] == "only rebuilt: insights:d"
    assert [line.split(":", 1)[0] for line in found[2:]] == ["differs", "differs"]
    assert "insights:a" in found[2] and "insights:c" in found[3]


def test_answer_differences_give_the_paths_that_differ():
    live = {"periods": [{"start": "2026-09-07", "values": {"orders": 5}}], "region": "Kreis Höxter"}
    assert rebuild.answer_differences(live, {**live}) == []
    other = {"periods": [{"start": "2026-09-07", "values": {"orders": 6}}, {}], "region": "Kreis Höxter"}
    assert rebuild.answer_differences(live, other) == ["/periods: 1 vs 2 items",
                                                       "/periods[0]/values/orders: live 5 rebuilt 6"]


def test_weekly_orders_name_the_iso_week():
    def week(start, cell):
        return {"start": start, "areas": [{"level": "district", "values": {"orders": cell}}]}

    answer = {"periods": [week("2026-09-07", {"value": 88, "suppressed": False}),
                          week("2026-09-14", {"value": None, "suppressed": True})]}
    assert rebuild.weekly_orders(answer) == [("2026-W37", 88), ("2026-W38", None)]


class _Tokens:
    """What `reads.questions` asks of the demo platform: headers for a role."""

    operator = {"Authorization": "Bearer operator"}

    def token(self, sub: str, role: str, **scopes) -> dict[str, str]:
        return {"Authorization": f"Bearer {role}:{scopes.get('municipality')}"}


def test_the_read_benchmark_asks_what_the_pages_ask_over_whole_ranges():
    reads = _load("reads")
    from datetime import date

    asked = reads.questions(_Tokens(), "Brakel", "shop-7", date(2026, 12, 7))
    by_name = {q.name: q for q in asked}
    own = by_name["municipality Brakel, 30 days by day"]
    assert own.path == "/v1/insights/municipalities/Brakel"
    assert own.headers == {"Authorization": "Bearer municipality:Brakel"}
    assert own.params == {"period": "day", "from": "2026-11-08", "to": "2026-12-07"}
    assert by_name["public: open data, 90 days by week"].headers == {}
    assert by_name["public: open data, 90 days by week"].params["from"] == "2026-09-09"
    assert by_name["shop: its own figures, 90 days by week"].path == "/v1/insights/shops/shop-7"
    assert not [q for q in reads.questions(_Tokens(), "Brakel", None, date(2026, 12, 7)) if "shop" in q.name]
