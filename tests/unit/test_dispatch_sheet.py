"""The printable tour sheet: every stop in order, what to load and unload,
compartment numbers, totals, and nothing from a shop's name turned into markup."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timezone
from html.parser import HTMLParser

from nahnetz.events import new_event
from nahnetz.records import StopCompleted, StopFailed
from services.dispatch.domain.progress import TourProgress, apply
from services.dispatch.domain.sheet import tour_sheet
from services.dispatch.handlers.sheet import render_sheet
from test_dispatch_tours import a_tour, places

NOW = datetime(2026, 3, 17, 5, 45, tzinfo=timezone.utc)


class Rows(HTMLParser):
    """Collects the text of each stop row (tr.stop) and every tag seen."""

    def __init__(self):
        super().__init__()
        self.rows: list[dict] = []
        self.tags: list[str] = []
        self._in_row = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag == "tr" and attrs.get("class") == "stop":
            self._in_row = True
            self.rows.append({"seq": int(attrs["data-seq"]), "text": ""})

    def handle_endtag(self, tag):
        if tag == "tr":
            self._in_row = False

    def handle_data(self, data):
        if self._in_row:
            self.rows[-1]["text"] += " " + " ".join(data.split())


def rendered(tour=None, **kw) -> tuple[str, Rows]:
    html = render_sheet(tour_sheet(tour or a_tour(), places=places(), now=NOW, **kw))
    parser = Rows()
    parser.feed(html)
    return html, parser


def test_every_stop_is_a_row_in_driving_order_with_its_local_time_and_place():
    html, parsed = rendered()
    assert [r["seq"] for r in parsed.rows] == [0, 1, 2, 3, 4]
    texts = [r["text"] for r in parsed.rows]
    assert "07:30" in texts[0] and "Logistikport HX" in texts[0]    # 06:30 UTC is 07:30 in March
    assert "07:55" in texts[1] and "Hofladen Amelunxen" in texts[1] and "Dorfstraße 3, 37688 Amelunxen" in texts[1]
    assert "Anlieferung über den Hof" in texts[1]
    assert "Pick-up-Point HX Höxter" in texts[3] and "09:30" in texts[4]


def test_shop_rows_say_what_to_load_and_point_rows_which_compartments_per_order():
    _, parsed = rendered()
    texts = [r["text"] for r in parsed.rows]
    assert "Laden" in texts[1] and "s1" in texts[1] and "o1" in texts[1] and "1 Paket" in texts[1]
    assert "ungekühlt" in texts[1] and "2,0 kg" in texts[1]
    assert "gekühlt" in texts[2] and "1,5 kg" in texts[2]
    unload = texts[3]
    assert "Entladen" in unload
    # Labels printed on the doors where the point has them, else the compartment id.
    assert re.search(r"o1 .*Fach .*A1", unload) and re.search(r"o2 .*Fach .*K1, CS02", unload)
    assert "Laden" not in texts[0] and "Entladen" not in texts[0]


def test_header_and_totals():
    html, _ = rendered()
    for text in ("Tourenblatt", "Tour sheet", "tour-1", "HX-NN 101 (van-1)", "driver-1", "Dienstag, 17.03.2026",
                 "plan-1", "17.03.2026 06:45"):
        assert text in html
    totals = html[html.index('class="totals"'):]
    assert re.search(r"Halte<.*?</dt><dd class=\"stops-total\">5<", totals, re.S)
    assert re.search(r"Pakete laden<.*?</dt><dd class=\"load-total\">2<", totals, re.S)
    assert re.search(r"Pakete entladen<.*?</dt><dd class=\"unload-total\">2<", totals, re.S)
    assert re.search(r"davon gekühlt<.*?</dt><dd class=\"temperature-total\">1<", totals, re.S)
    assert "3,5 kg" in totals and "42,5 km" in totals and "2:05 h" in totals


def test_a_box_to_tick_and_a_line_to_sign_on_every_row_and_a4_print_css():
    html, parsed = rendered()
    assert html.count('<span class="box"></span>') == 5
    assert html.count('<div class="signline"></div>') == 5 + 4  # rows, and the footer's four lines
    assert "@page { size: A4" in html and "thead { display: table-header-group; }" in html


def test_names_and_notes_are_escaped():
    tour = a_tour()
    evil = replace(tour.stops[1], name='<script>alert("x")</script>', driver_note="<b>Hof</b> & Tor")
    tour = replace(tour, stops=tour.stops[:1] + [evil] + tour.stops[2:], driver_id="<img src=x>")
    html, parsed = rendered(tour)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "b" not in parsed.tags
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;b&gt;Hof&lt;/b&gt; &amp; Tor" in html
    # A shop name from the catalog ("Metzgerei <Brakel>") prints as text as well.
    assert "Metzgerei &lt;Brakel&gt;" in html


def test_a_reprint_marks_the_stops_already_done():
    tour = a_tour()
    progress = TourProgress.start(tour)
    progress = apply(tour, progress, new_event(StopCompleted, producer="test", occurred_at=NOW, tour_id=tour.tour_id,
                                               stop_index=0, kind="ARRIVED"))
    progress = apply(tour, progress, new_event(StopFailed, producer="test", occurred_at=NOW, tour_id=tour.tour_id,
                                               stop_index=1, reason="SHOP_CLOSED"))
    _, parsed = rendered(tour, progress=progress)
    texts = [r["text"] for r in parsed.rows]
    assert "erledigt / done" in texts[0] and "nicht erledigt / failed" in texts[1]
    assert "erledigt" not in texts[2]


def test_the_drivers_breaks_are_printed_where_they_fall_with_their_times_and_counted():
    from test_dispatch_tours import DAY, dispatched, shipments, with_breaks
    tour = dispatched(with_breaks((55, 100), (166, 196)), plan_id="plan-1", day=DAY, driver_id="driver-1",
                      shipments=shipments(), places=places())
    html, parsed = rendered(tour)
    # Still five numbered stop rows (the driver ticks stops, not breaks).
    assert [r["seq"] for r in parsed.rows] == [0, 1, 2, 3, 4]
    breaks = re.findall(r'<tr class="break">(.*?)</tr>', html, re.S)
    assert len(breaks) == 2
    first, last = (" ".join(re.sub(r"<[^>]+>", " ", b).split()) for b in breaks)
    assert "08:25–09:10" in first and "45 min" in first and "Pause" in first and "561/2006" in first
    assert "10:16–10:46" in last and "30 min" in last
    # The first break sits between shop B's row and the pick-up point's, the last after the hub's return.
    assert html.index('data-seq="2"') < html.index(breaks[0]) < html.index('data-seq="3"')
    assert html.index('data-seq="4"') < html.index(breaks[1])
    assert re.search(r'class="breaks-total">\s*2 · 75 min', html)


def test_a_sheet_without_breaks_prints_no_break_rows():
    html, _ = rendered()
    assert 'class="break"' not in html and "breaks-total" not in html
