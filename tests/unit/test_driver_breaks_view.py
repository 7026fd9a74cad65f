"""A driver sees the planned breaks on the phone where they fall: dispatch's tour
view names them per stop, and the driver's page shows them above that stop, in
the driver's language."""

from __future__ import annotations

import re
from types import SimpleNamespace
from urllib.parse import quote

from services.dispatch.domain.progress import TourProgress
from services.dispatch.handlers.tours import TourState
from services.dispatch.queries import tour_view
from services.web.domain.language import Language, pick
from services.web.driver_routes import stop_views
from services.web.handlers.pages import environment
from test_dispatch_tours import DAY, dispatched, places, shipments, with_breaks


def view() -> dict:
    tour = dispatched(with_breaks((55, 100), (166, 196)), plan_id="p", day=DAY, driver_id="d",
                      shipments=shipments(), places=places())
    return tour_view(TourState(tour, TourProgress.start(tour)))


def page_html(language: Language) -> str:
    tour = view()
    page = SimpleNamespace(t=lambda de, en: pick(language, de, en))
    tours = [{**tour, "stop_views": stop_views(page, tour), "current": 0}]
    return environment.get_template("driver/tour.html").render(
        t=page.t, lang=language, user=None, csrf_token="", csrf_field=lambda: "", large_text=False, here="/fahrer",
        quote=quote, tours=tours, day=DAY.isoformat(), steps={}, reasons=[], new_key=lambda: "k")


def test_the_tour_view_names_each_break_before_the_stop_reached_after_it():
    tour = view()
    assert [len(s["breaks_before"]) for s in tour["stops"]] == [0, 0, 0, 1, 0]
    rest = tour["stops"][3]["breaks_before"][0]
    assert (rest["starts_local"], rest["ends_local"], rest["minutes"], rest["place_id"]) == ("08:25", "09:10", 45,
                                                                                            "shop-b")
    assert [b["minutes"] for b in tour["breaks_after"]] == [30]
    assert len(tour["breaks"]) == 2


def test_the_drivers_page_shows_the_breaks_above_their_stops_in_german_and_english():
    german = page_html("de")
    notes = re.findall(r'<p class="driver-break">(.*?)</p>', german, re.S)
    assert [" ".join(n.split()) for n in notes] == ["Pause vor diesem Halt: 08:25–09:10 (45 min)",
                                                    "Pause nach dem letzten Halt: 10:16–10:46 (30 min)"]
    # Above the pick-up point's heading (the fourth stop), not elsewhere.
    stop = re.search(r'data-stop="tour-1:3".*?<h3>', german, re.S).group(0)
    assert "driver-break" in stop
    english = page_html("en")
    assert "Break before this stop: 08:25–09:10 (45 min)" in english
