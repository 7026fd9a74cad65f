"""Who reports a stop and how: the driver in the app as it happens, an operator
for the driver afterwards from the paper sheet or a call, at a time that fits the
tour's day."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from nahnetz.events import Actor
from nahnetz.kit.errors import Unprocessable
from services.dispatch.domain.reports import by_driver, for_driver

DAY = date(2026, 3, 17)
NOW = datetime(2026, 3, 17, 16, 0, tzinfo=timezone.utc)
DRIVER = Actor("driver-1", "driver")
OPERATOR = Actor("op-1", "operator", on_behalf_of="driver-1")


def test_the_driver_reports_in_the_app_as_it_happens():
    reporter = by_driver(DRIVER, tour_day=DAY, at=None, channel=None, now=NOW)
    assert (reporter.actor, reporter.channel, reporter.occurred_at) == (DRIVER, "APP", None)
    for at, channel in ((NOW, None), (None, "PAPER")):
        with pytest.raises(Unprocessable, match="operator entering a paper sheet"):
            by_driver(DRIVER, tour_day=DAY, at=at, channel=channel, now=NOW)


def test_nothing_is_reported_before_the_tour_s_day():
    # 00:30 in Berlin on the tour's day is 23:30 UTC the day before: already the day.
    just_begun = datetime(2026, 3, 16, 23, 30, tzinfo=timezone.utc)
    assert by_driver(DRIVER, tour_day=DAY, at=None, channel=None, now=just_begun).channel == "APP"
    for days_early in (timedelta(hours=1), timedelta(days=3)):
        with pytest.raises(Unprocessable, match="nothing can be reported before that day"):
            by_driver(DRIVER, tour_day=DAY, at=None, channel=None, now=just_begun - days_early)
        with pytest.raises(Unprocessable):
            for_driver(OPERATOR, tour_day=DAY, at=None, channel="PHONE", now=just_begun - days_early)


def test_an_operator_enters_a_paper_sheet_by_default_or_a_call():
    earlier = NOW - timedelta(hours=3)
    paper = for_driver(OPERATOR, tour_day=DAY, at=earlier, channel=None, now=NOW)
    assert (paper.actor, paper.channel, paper.occurred_at) == (OPERATOR, "PAPER", earlier)
    assert for_driver(OPERATOR, tour_day=DAY, at=None, channel="PHONE", now=NOW).channel == "PHONE"


@pytest.mark.parametrize("at", [NOW + timedelta(minutes=10),                 # ahead of now
                                datetime(2026, 3, 13, 12, tzinfo=timezone.utc),  # days before the tour
                                datetime(2026, 3, 16, 20, tzinfo=timezone.utc)])  # the evening before
def test_a_time_that_does_not_fit_the_tour_day_is_a_typo(at):
    with pytest.raises(Unprocessable, match="does not fit tour day 2026-03-17"):
        for_driver(OPERATOR, tour_day=DAY, at=at, channel=None, now=NOW)


def test_an_entry_a_day_later_still_fits():
    later = datetime(2026, 3, 18, 9, tzinfo=timezone.utc)
    entered = for_driver(OPERATOR, tour_day=DAY, at=later, channel=None, now=later + timedelta(hours=1))
    assert entered.occurred_at == later
