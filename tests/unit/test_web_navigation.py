"""The driver's stops: navigation links, the reports that fit, and what dispatch's
answer to a report means (a repeated report counts as done)."""

from __future__ import annotations

import pytest

from services.web.domain.navigation import actions, address_line, current_stop, nav_links, outcome, parcels, report_body


def test_navigation_links_point_to_the_stop_and_load_nothing():
    links = nav_links(51.7751234567, 9.383)
    assert links == {"osm": "https://www.openstreetmap.org/directions?to=51.775123%2C9.383", "geo": "geo:51.775123,9.383"}


def test_the_address_reads_as_one_line():
    assert address_line({"street": "Am Bahnhof 2", "postal_code": "33034", "locality": "Brakel"}) == \
        "Am Bahnhof 2, 33034 Brakel"
    assert address_line(None) == ""


def test_the_reports_that_fit_a_stop():
    shop = {"status": "PENDING", "progress": {"carried_over": False}, "load": [{"parcels": 2}], "unload": []}
    assert actions(shop) == ["arrived", "collected", "failed"]
    arrived = {**shop, "status": "ARRIVED", "progress": {"arrived_at": "t"}}
    assert actions(arrived) == ["collected", "failed"]
    hub = {"status": "PENDING", "progress": {}, "load": [{}], "unload": [{}]}
    assert actions(hub) == ["arrived", "collected", "delivered", "failed"]
    assert actions({**hub, "progress": {"delivered_at": "t"}}) == ["collected", "failed"]
    assert actions({**shop, "status": "DONE"}) == [] and actions({**shop, "status": "FAILED"}) == []


def test_the_current_stop_is_the_first_not_finished():
    assert current_stop([{"seq": 0, "status": "DONE"}, {"seq": 1, "status": "FAILED"},
                         {"seq": 2, "status": "PENDING"}]) == 2
    assert current_stop([{"seq": 0, "status": "DONE"}]) is None


def test_parcels_count_one_per_consignment_at_least():
    assert parcels([{"parcels": 2}, {}]) == 3


@pytest.mark.parametrize("status, message, meaning", [
    (201, "", "done"),
    (409, "the goods of stop 2 (Hofladen) were delivered already", "done"),
    (409, "stop 1 (Hofladen) is done already", "done"),
    (409, "another report on tour t is being recorded right now; try again in a moment", "retry"),
    (503, "", "retry"), (429, "", "retry"),
    (409, "the driver is still at stop 1 (X); report it as collected, delivered or failed first", "refused"),
    (404, "tour t is not known", "refused"), (422, "nothing to collect", "refused"),
])
def test_what_an_answer_means(status, message, meaning):
    assert outcome(status, message) == meaning


def test_report_bodies():
    assert report_body("collected", {}) == {}
    assert report_body("delivered", {"scanned_code": " ABC "}) == {"proof": {"scanned_code": "ABC"}}
    assert report_body("failed", {"reason": "SHOP_CLOSED", "note": "zu"}) == {"reason": "SHOP_CLOSED", "note": "zu"}
    assert report_body("failed", {"reason": "BAD"}) is None and report_body("failed", {}) is None
    assert report_body("teleported", {}) is None
