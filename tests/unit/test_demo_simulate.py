"""The simulation's calendar and volume (pure parts of nahnetz.demo.simulate)."""

from __future__ import annotations

import random
from datetime import date
from statistics import mean

from nahnetz.demo.simulate import SimulatedDay, market_days, summary_line, volume


def test_market_days_are_the_thursdays_and_fridays_of_the_range():
    days = market_days(date(2026, 11, 23), date(2026, 12, 6))     # Monday to Sunday, two weeks
    assert days == [date(2026, 11, 26), date(2026, 11, 27), date(2026, 12, 3), date(2026, 12, 4)]
    assert market_days(date(2026, 11, 28), date(2026, 11, 29)) == []   # a weekend only
    assert len(market_days(date(2026, 9, 7), date(2026, 12, 5))) == 26   # 90 days: 13 weeks


def test_volume_is_busier_on_friday_and_grows_over_the_weeks():
    rng = random.Random(1)
    first = date(2026, 9, 3)  # a Thursday
    thursdays = [volume(first, first, 60, rng) for _ in range(400)]
    fridays = [volume(date(2026, 9, 4), first, 60, rng) for _ in range(400)]
    later = [volume(date(2026, 11, 26), first, 60, rng) for _ in range(400)]   # 12 weeks on
    assert 57 < mean(thursdays) < 63
    assert 69 < mean(fridays) < 75                     # a fifth busier
    assert mean(later) > mean(thursdays) * 1.08        # 1 % a week
    assert min(thursdays) >= 1


def test_a_day_s_summary_names_what_happened_and_what_took_the_time():
    day = SimulatedDay(date(2026, 12, 3), orders=23, confirmed=22, tours=4, collected=18,
                       seconds={"orders": 5.0, "plan": 2.0})
    line = summary_line(day)
    assert line.startswith("Thu 03.12.2026: 23 Bestellungen / orders, 22 bestätigt / confirmed, 4 Touren / tours")
    assert "18 abgeholt / collected" in line and "(7 s: orders 5, plan 2)" in line


def test_a_day_whose_tours_failed_says_so_and_the_simulation_goes_on():
    day = SimulatedDay(date(2026, 12, 4), orders=30, confirmed=29, problem="planning failed: NO_SOLUTION")
    assert summary_line(day).endswith("; Problem: planning failed: NO_SOLUTION")


def test_simulate_without_a_running_stack_says_how_to_start_one(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from nahnetz.cli import main

    monkeypatch.setenv("NAHNETZ_RUN_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["simulate", "--days", "3"])
    assert result.exit_code == 1
    assert "no Nahnetz stack is running" in result.output and "nahnetz up --no-seed --detach" in result.output
    assert CliRunner().invoke(main, ["simulate", "--days", "0"]).exit_code == 2     # at least one day
