"""The supply insights against the real broker and Redis: the worker runs as its own
process (a consumer group of its own), the API in this process over ASGI with its
lifespan. Events are published as their owners publish them, with the times of a
known day, and the figures are read through the API.

One municipality of this module's own ("Testgemeinde <tag>") with three villages, so
nothing of the region pack or another module mixes in; freight starts in Albaxen
(Höxter, in the region pack) to show attribution by place."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import json
import uuid
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from nahnetz.events import new_event
from nahnetz.kit.auth import issue_token
from nahnetz.records import (
    CompartmentReserved, LoadDelivered, LoadPosted, MatchAgreed, OrderCollected, OrderConfirmed, OrderPlaced,
    OrderReadyForPickup, OrderRejected, PickupPointRegistered, ProductDelisted, ProductListed, RoutePlanned,
    ShopRegistered, TourCompleted, TourDispatched, TripOffered,
)
from insights_support import INSIGHTS, SECRET, TOPICS, all_handled, api, settings, watcher, worker  # noqa: F401
from nahnetz.testing import eventually
from nahnetz.topics import ORDERS_ORDERS
from services.insights.rebuild import rebuild

pytestmark = pytest.mark.integration

TAG = uuid.uuid4().hex[:6]
TOWN = f"Testgemeinde {TAG}"
OBERDORF, MITTELDORF, UNTERDORF = f"Oberdorf {TAG}", f"Mitteldorf {TAG}", f"Unterdorf {TAG}"
DAY = date(2026, 3, 10)                                      # a Tuesday; Berlin is UTC+1
MIDNIGHT = datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc)
RANGE = {"from": DAY.isoformat(), "to": (DAY + timedelta(days=1)).isoformat(), "period": "month"}


def utc(hour: float) -> datetime:
    return MIDNIGHT + timedelta(hours=hour)


def ev(cls, when: datetime, **fields):
    return new_event(cls, producer="tests", occurred_at=when, **fields)


def bearer(role: str, **scopes) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, f'{role}-{TAG}', role, **scopes)}"}


STAFF = bearer("operator")
TOWN_HALL = bearer("municipality", municipality=TOWN)


# -- what the owners publish ---------------------------------------------------------------------
def point(point_id: str, village: str, compartments: int) -> PickupPointRegistered:
    return ev(PickupPointRegistered, utc(-48), pickup_point_id=point_id, kind="LOCKER", name=f"Station {village}",
              address={"street": "Am Markt 1", "postal_code": "99999", "locality": village},
              location={"lat": 50.0, "lon": 8.0}, municipality=TOWN,
              compartments=[{"compartment_id": f"A{n}", "size": "M", "temperature_class": "AMBIENT",
                             "volume_ml": 45000} for n in range(1, compartments + 1)])


def shop(shop_id: str) -> ShopRegistered:
    """A shop of the municipality, open Monday to Saturday 08:00-18:00 (Berlin)."""
    days = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
    return ev(ShopRegistered, utc(-48), shop_id=shop_id, name="Dorfladen", kind="VILLAGE_SHOP",
              address={"street": "Dorfstraße 1", "postal_code": "99999", "locality": OBERDORF},
              location={"lat": 50.0, "lon": 8.0}, municipality=TOWN, contact={},
              opening_hours={"intervals": [{"weekday": d, "opens": time(8), "closes": time(18)} for d in days]})


def placed(order_id: str, point_id: str, channel: str, shop_id: str) -> OrderPlaced:
    return ev(OrderPlaced, utc(7), order_id=order_id, resident_id=f"resident-{order_id}", pickup_point_id=point_id,
              delivery_day=DAY, channel=channel, delivery_fee={"amount_cents": 0}, total={"amount_cents": 1000},
              lines=[{"product_id": "p1", "shop_id": shop_id, "product_name": "Brot", "unit": "Laib", "quantity": 2,
                      "unit_price": {"amount_cents": 500}, "vat_rate_bp": 700, "weight_g": 1000,
                      "volume_ml": 2000}])


def oberdorf_orders(prefix: str, point_id: str, shop_id: str) -> list[Any]:
    """Six orders at Oberdorf's point: 3 online, 3 assisted; five confirmed and ready after
    2, 4, 6, 8, 10 h; collected 1, 1, 1, 4 and 3 h later, the last two after the shop closed."""
    ids = [f"{prefix}-{n}" for n in range(6)]
    events: list[Any] = [placed(o, point_id, ch, shop_id) for o, ch in zip(ids, ["WEB", "WEB", "APP", "PHONE",
                                                                                   "COUNTER", "PAPER"])]
    events += [ev(OrderConfirmed, utc(7.5), order_id=o, pickup_point_id=point_id, delivery_day=DAY,
                  compartment_ids=[f"A{n + 1}"]) for n, o in enumerate(ids[:5])]
    events.append(ev(OrderRejected, utc(7.5), order_id=ids[5], reason="NO_COMPARTMENT"))
    events += [ev(OrderReadyForPickup, utc(9 + 2 * n), order_id=o, pickup_point_id=point_id,
                  compartment_ids=[f"A{n + 1}"], collect_by=utc(72)) for n, o in enumerate(ids[:5])]
    collected_at = [10, 12, 14, 19, 20]   # UTC; 20:00 and 21:00 in Berlin are after closing
    events += [ev(OrderCollected, utc(h), order_id=o, pickup_point_id=point_id) for o, h in zip(ids, collected_at)]
    events += [ev(CompartmentReserved, utc(7.4), order_id=o, pickup_point_id=point_id, delivery_day=DAY,
                  compartment_ids=[f"A{n + 1}"]) for n, o in enumerate(ids[:5])]
    return events


def freight_deliveries(prefix: str) -> list[Any]:
    """Five loads from Albaxen (Höxter) carried on trips driven anyway: 10 km avoided and 3 € each."""
    here = {"name": "Albaxen", "location": {"lat": 51.800, "lon": 9.380}}
    there = {"name": "Höxter", "location": {"lat": 51.775, "lon": 9.383}}
    window = {"start": utc(30), "end": utc(34)}
    events: list[Any] = []
    for n in range(5):
        trip, load, match = f"{prefix}-trip-{n}", f"{prefix}-load-{n}", f"{prefix}-match-{n}"
        events += [
            ev(TripOffered, utc(8), trip_id=trip, participant_id=f"driver-{n}", origin=here, destination=there,
               departure=window, spare_weight_g=50_000, spare_volume_ml=0),
            ev(LoadPosted, utc(8), load_id=load, participant_id=f"sender-{n}", origin=here, destination=there,
               description="Kiste Äpfel", weight_g=8000, volume_ml=0, pickup_window=window, delivery_window=window),
            ev(MatchAgreed, utc(9), match_id=match, trip_id=trip, load_id=load, price={"amount_cents": 300},
               detour_km=1.0, km_avoided=10.0, co2_kg_avoided=1.7),
            ev(LoadDelivered, utc(20), match_id=match, trip_id=trip, load_id=load, km_avoided=10.0),
        ]
    return events


def tour(prefix: str) -> list[Any]:
    stop = {"kind": "DELIVERY", "place_id": "pp", "location": {"lat": 50.0, "lon": 8.0}, "eta": utc(9),
            "load_g": 0, "load_ml": 0}
    tour_id = f"{prefix}-tour"
    return [
        ev(RoutePlanned, utc(5), plan_id=f"{prefix}-plan", day=DAY, distance_km=48.0, solve_time_ms=10, tours=[
            {"tour_id": tour_id, "vehicle_id": "van", "stops": [stop], "distance_km": 48.0, "duration_s": 3600,
             "empty_km": 6.0, "load_factor": 0.55}]),
        ev(TourDispatched, utc(6), tour_id=tour_id, plan_id=f"{prefix}-plan", day=DAY, driver_id="d", vehicle_id="van",
           stops=[stop], planned_distance_km=48.0),
        ev(TourCompleted, utc(12), tour_id=tour_id, plan_id=f"{prefix}-plan", driver_id="d", vehicle_id="van",
           stops_completed=1, stops_failed=0, distance_km=51.5),
    ]


# -- fixtures (settings, worker, watcher, api: insights_support) ----------------------------------
@pytest.fixture(scope="module")
async def seeded(worker, producer, watcher):
    """The module's day: three villages' points, a shop with goods, orders, a tour, freight."""
    ober, mittel, unter, shop_id = f"pp-ober-{TAG}", f"pp-mittel-{TAG}", f"pp-unter-{TAG}", f"shop-{TAG}"
    events = [point(ober, OBERDORF, 8), point(mittel, MITTELDORF, 4), point(unter, UNTERDORF, 4), shop(shop_id)]
    events += [ev(ProductListed, utc(-24), product_id=f"p-{TAG}-{n}", shop_id=shop_id, name="Brot", unit="Laib",
                  price={"amount_cents": 500}, vat_rate_bp=700, stock=5, weight_g=1000, volume_ml=2000)
               for n in range(3)]
    events += oberdorf_orders(f"o-{TAG}", ober, shop_id)
    events += [placed(f"m-{TAG}-{n}", mittel, "WEB", shop_id) for n in range(5)]
    events += [placed(f"u-{TAG}-{n}", unter, "WEB", shop_id) for n in range(2)]
    events += tour(TAG) + freight_deliveries(TAG)
    await producer.publish_all(events)
    await eventually(lambda: all_handled(worker, watcher), what="the module's day folded", watch=[worker])
    return events


async def figures(api, path: str, headers: dict[str, str], **params) -> dict[str, Any]:
    answer = await api.get(path, params={**RANGE, **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def area(body: dict[str, Any], level: str, name: str | None) -> dict[str, Any]:
    return next(a["values"] for a in body["periods"][0]["areas"] if a["level"] == level and a["name"] == name)


def value(cells: dict[str, Any], kpi: str) -> float | None:
    assert cells[kpi]["suppressed"] is False, f"{kpi} is suppressed"
    return cells[kpi]["value"]


# -- events in, figures out ----------------------------------------------------------------------
async def test_events_through_the_broker_give_the_expected_municipality_figures(api, seeded, worker):
    path = f"/v1/insights/municipalities/{TOWN}"

    async def folded() -> dict | None:
        answer = await api.get(path, params=RANGE, headers=TOWN_HALL)
        if answer.status_code == 404:
            return None  # the points not projected yet
        body = answer.json()
        town = area(body, "municipality", TOWN)
        done = (town["orders"]["value"] == 13 and town["collected"]["value"] == 5
                and town["compartment_use"]["suppressed"] is False and town["goods_listed"]["value"] == 3)
        return body if done else None

    body = await eventually(folded, what="the day's orders folded", watch=[worker])
    town, ober = area(body, "municipality", TOWN), area(body, "village", OBERDORF)
    assert value(town, "orders") == 13 and value(town, "items") == 26 and value(town, "order_value") == 130.0
    assert value(ober, "orders") == 6
    assert value(ober, "assisted_share") == 50.0
    assert value(ober, "confirmation_rate") == 83.33
    assert value(ober, "lead_time_ready_p50") == 6.0 and value(ober, "lead_time_ready_p90") == 10.0
    assert value(ober, "ready_to_collected_p50") == 1.0 and value(ober, "ready_to_collected_p90") == 4.0
    assert value(ober, "collected") == 5
    # two collections after closing: a count of two is suppressed, the share of five collections is not
    assert ober["collections_outside_shop_hours"] == {"value": None, "suppressed": True}
    assert value(ober, "collections_outside_shop_hours_share") == 40.0
    # 5 held on one day of the month asked for (always whole: March 2026 has 31 days)
    assert body["from"] == "2026-03-01" and body["to"] == "2026-03-31"
    assert value(ober, "compartment_use") == round(100 * 5 / (8 * 31), 2)
    assert value(ober, "peak_occupancy") == 62.5
    # Unterdorf: two orders, shown as suppressed, not as 2 or 0; and Mitteldorf's five with it,
    # or 13 - 6 - 5 would tell Unterdorf's two
    unter, mittel = area(body, "village", UNTERDORF), area(body, "village", MITTELDORF)
    assert unter["orders"] == {"value": None, "suppressed": True}
    assert unter["order_value"] == {"value": None, "suppressed": True}
    assert mittel["orders"] == {"value": None, "suppressed": True}
    # the municipality sees goods and shops of its own
    assert value(town, "active_shops") == 1 and value(town, "goods_listed") == 3


async def test_the_district_has_the_tours_and_freight_by_place(api, seeded, worker):
    async def folded() -> dict | None:
        body = await figures(api, "/v1/insights/district", STAFF)
        district = area(body, "district", None)
        ok = district["tours"]["value"] == 1 and district["loads_delivered"]["suppressed"] is False
        return body if ok else None

    body = await eventually(folded, what="tours and freight folded", watch=[worker])
    district = area(body, "district", None)
    assert value(district, "km_driven") == 51.5 and value(district, "load_factor") == 55.0
    assert value(district, "empty_km") == 6.0 and value(district, "on_time_share") is None
    hoexter = area(body, "municipality", "Höxter")   # the loads start in Albaxen, a village of Höxter
    assert value(hoexter, "loads_delivered") == 5 and value(hoexter, "km_avoided") == 50.0
    assert value(hoexter, "co2_avoided") == 8.5 and value(hoexter, "compensation") == 15.0
    assert body["co2_factor"] == {"g_per_km": INSIGHTS.co2_g_per_km, "source": INSIGHTS.co2_source}


# -- who sees what -----------------------------------------------------------------------------
async def test_a_municipality_sees_its_own_detail_and_the_district_only_in_aggregate(api, seeded):
    own = await api.get(f"/v1/insights/municipalities/{TOWN}", params=RANGE, headers=TOWN_HALL)
    assert own.status_code == 200
    other = await api.get("/v1/insights/municipalities/Höxter", params=RANGE, headers=TOWN_HALL)
    assert other.status_code == 403, other.text
    csv_other = await api.get("/v1/insights/municipalities/Höxter/figures.csv", params=RANGE, headers=TOWN_HALL)
    assert csv_other.status_code == 403
    hoexter = bearer("municipality", municipality="Höxter")
    assert (await api.get(f"/v1/insights/municipalities/{TOWN}", params=RANGE, headers=hoexter)).status_code == 403
    district = await figures(api, "/v1/insights/district", TOWN_HALL)
    assert [(a["level"], a["name"]) for a in district["periods"][0]["areas"]] == [("district", None)]
    unknown = await api.get(f"/v1/insights/municipalities/Nirgendwo {TAG}", params=RANGE, headers=STAFF)
    assert unknown.status_code == 404
    staff = await figures(api, "/v1/insights/district", STAFF)
    assert ("municipality", TOWN) in [(a["level"], a["name"]) for a in staff["periods"][0]["areas"]]


async def test_open_data_is_public_and_aggregate(api, seeded):
    body = await figures(api, "/v1/insights/open-data", {})
    assert {a["level"] for a in body["periods"][0]["areas"]} == {"district"}
    reach = {(a["level"], a["name"]): a for a in body["reach"]["areas"]}
    assert ("municipality", "Höxter") in reach and ("village", "Albaxen") in reach
    assert body["reach"]["reference"]["value"] == 74.0


async def test_no_resident_id_in_any_answer_or_in_the_state(api, seeded, redis):
    answers = [await figures(api, f"/v1/insights/municipalities/{TOWN}", STAFF),
               await figures(api, "/v1/insights/district", STAFF), await figures(api, "/v1/insights/open-data", {})]
    assert "resident-" not in json.dumps(answers)
    async for key in redis.scan_iter(match="insights:*"):
        kind = await redis.type(key)
        content = {"string": redis.get, "hash": redis.hgetall, "set": redis.smembers}[kind](key)
        assert "resident-" not in key and "resident-" not in json.dumps(await content, default=str), key


async def test_the_csv_export_opens_with_the_chosen_delimiter(api, seeded):
    for style, delimiter in (("de", ";"), ("intl", ",")):
        answer = await api.get(f"/v1/insights/municipalities/{TOWN}/figures.csv", params={**RANGE, "style": style},
                               headers=TOWN_HALL)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff")), delimiter=delimiter))
        assert len({len(r) for r in rows}) == 1 and len(rows[0]) == 10
        use = next(r for r in rows if r[5] == "assisted_share" and r[2] in ("Gemeinde", "municipality"))
        assert use[7] == ("23,08" if style == "de" else "23.08")   # 3 of 13 orders
        suppressed = next(r for r in rows if r[5] == "orders" and r[3] == UNTERDORF)
        assert suppressed[7] == "" and suppressed[9] in ("ja", "yes")


# -- at least once, dead letters, rebuild -------------------------------------------------------
async def test_a_redelivered_event_counts_once_and_a_stray_one_is_dead_lettered(api, seeded, worker, producer,
                                                                                  watcher):
    # The same records again (same event ids), as Kafka redelivers after a crash; the trip's
    # fold keeps no trace, so only its processed marker stops a second count.
    again = [next(e for e in seeded if isinstance(e, OrderPlaced) and e.pickup_point_id == f"pp-unter-{TAG}"),
             next(e for e in seeded if isinstance(e, TripOffered))]
    stray = ev(OrderCollected, utc(30), order_id=f"never-placed-{TAG}", pickup_point_id=f"pp-unter-{TAG}")
    await producer.publish_all([*again, stray])
    await eventually(lambda: watcher.dead_letters(ORDERS_ORDERS, keys=[stray.order_id]),
                     what="the stray event dead-lettered", watch=[worker])
    await eventually(lambda: all_handled(worker, watcher), what="the redeliveries handled", watch=[worker])
    body = await figures(api, f"/v1/insights/municipalities/{TOWN}", STAFF)
    assert value(area(body, "municipality", TOWN), "orders") == 13
    district = await figures(api, "/v1/insights/district", STAFF)
    assert value(area(district, "municipality", "Höxter"), "trips_offered") == 5


async def test_by_day_no_suppressed_day_can_be_had_from_its_week(api, seeded, worker, watcher, producer):
    """A village of its own: Monday 2 orders, Tuesday 6, Wednesday 7 (week of 16 March). By day,
    Monday is suppressed and so is Tuesday (else the week's 15 minus Tuesday and Wednesday
    would tell Monday's 2); the week itself is shown, and the days shown leave 8 hidden."""
    town, village, point_id = f"Zeitgemeinde {TAG}", f"Zeitdorf {TAG}", f"pp-zeit-{TAG}"
    registered = dataclasses.replace(point(point_id, village, 20), municipality=town)
    monday = datetime(2026, 3, 16, 8, 0, tzinfo=timezone.utc)
    events: list[Any] = [registered]
    for n, (offset, count) in enumerate(((0, 2), (1, 6), (2, 7))):
        for k in range(count):
            order = placed(f"z-{TAG}-{n}-{k}", point_id, "WEB", f"shop-{TAG}")
            on_the_day = dataclasses.replace(order.meta, occurred_at=monday + timedelta(days=offset))
            events.append(dataclasses.replace(order, meta=on_the_day))
    await producer.publish_all(events)
    await eventually(lambda: all_handled(worker, watcher), what="the week folded", watch=[worker])

    def orders_of(body: dict[str, Any]) -> list[dict[str, Any]]:
        return [area({"periods": [p]}, "municipality", town)["orders"] for p in body["periods"]]

    week = {"from": "2026-03-16", "to": "2026-03-18"}
    by_day = orders_of(await figures(api, f"/v1/insights/municipalities/{town}", STAFF, **week, period="day"))
    assert [c["suppressed"] for c in by_day] == [True, True, False], by_day
    assert by_day[2]["value"] == 7
    whole = orders_of(await figures(api, f"/v1/insights/municipalities/{town}", STAFF, **week, period="week"))
    assert whole == [{"value": 15, "suppressed": False}]
    assert whole[0]["value"] - sum(c["value"] for c in by_day if not c["suppressed"]) >= 5
    # The same days in the district's answer are protected alike.
    district = await figures(api, "/v1/insights/district", STAFF, **week, period="day")
    assert [area({"periods": [p]}, "municipality", town)["orders"]["suppressed"] for p in district["periods"]] == \
        [True, True, False]


async def test_a_point_full_on_a_day_has_no_free_room_for_reach(seeded, worker, watcher, producer, redis):
    """Two compartments both held for the 20th: the point is full that day, not the day before."""
    from services.insights import queries

    point_id, day = f"pp-voll-{TAG}", date(2026, 3, 20)
    events: list[Any] = [point(point_id, UNTERDORF, 2)]
    events += [ev(CompartmentReserved, utc(24), order_id=f"v-{TAG}-{n}", pickup_point_id=point_id, delivery_day=day,
                  compartment_ids=[f"A{n + 1}"]) for n in range(2)]
    await producer.publish_all(events)
    await eventually(lambda: all_handled(worker, watcher), what="the holds folded", watch=[worker])
    known = await queries.known(redis)
    assert point_id in await queries.full_points(redis, known, day)
    assert point_id not in await queries.full_points(redis, known, day - timedelta(days=1))
    assert f"pp-ober-{TAG}" not in await queries.full_points(redis, known, DAY)   # 5 of 8 held


async def test_a_shop_sees_its_own_figures_and_no_other_shop_s(api, seeded):
    """The module's shop: three goods listed two days before, 13 orders with a part from it on DAY."""
    own = bearer("shop", shop_id=f"shop-{TAG}")
    answer = await api.get(f"/v1/insights/shops/shop-{TAG}", params={**RANGE, "period": "week"}, headers=own)
    assert answer.status_code == 200, answer.text
    [week] = answer.json()["periods"]          # 9-15 March (another test orders on the 16th)
    assert week["values"] == {"orders": 13, "goods_listed": 3, "open": 1}
    assert answer.json()["definitions"]["orders"]["de"] == "Bestellungen mit Waren des Ladens"
    assert (await api.get(f"/v1/insights/shops/shop-{TAG}", params=RANGE, headers=STAFF)).status_code == 200
    other = bearer("shop", shop_id="shop-elsewhere")
    assert (await api.get(f"/v1/insights/shops/shop-{TAG}", params=RANGE, headers=other)).status_code == 403
    assert (await api.get(f"/v1/insights/shops/shop-{TAG}", params=RANGE, headers=TOWN_HALL)).status_code == 403
    assert (await api.get("/v1/insights/shops/shop-nowhere", params=RANGE, headers=STAFF)).status_code == 404


async def test_a_rebuild_from_the_topics_gives_exactly_the_live_figures(api, seeded, worker, watcher, redis,
                                                                        settings):
    await eventually(lambda: all_handled(worker, watcher), what="every event handled", watch=[worker])
    worker.stop()  # a rebuild runs with the worker stopped

    async def state() -> dict[str, Any]:
        out = {}
        async for key in redis.scan_iter(match="insights:*"):
            kind = await redis.type(key)
            if kind == "string":
                out[key] = await redis.get(key)
            elif kind == "hash":
                out[key] = await redis.hgetall(key)
            else:
                out[key] = sorted(await redis.smembers(key))
        return out

    async def answers() -> list[Any]:
        return [await figures(api, f"/v1/insights/municipalities/{TOWN}", STAFF, period=p) for p in
                ("day", "week", "month")] + [await figures(api, "/v1/insights/district", STAFF),
                                             await figures(api, "/v1/insights/open-data", {})]

    try:
        live_state, live = await state(), await answers()
        replayed = await rebuild(settings, redis, INSIGHTS)
        assert replayed.counts[ORDERS_ORDERS.name] > 0
        assert replayed.skipped == len(watcher.dead_letters())   # what the worker dead-lettered, skipped alike
        rebuilt_state, rebuilt = await state(), await answers()
        assert rebuilt_state.keys() == live_state.keys()
        assert {k: (v, rebuilt_state[k]) for k, v in live_state.items() if rebuilt_state[k] != v} == {}
        assert rebuilt == live
    finally:
        await worker.start()


async def test_goods_listed_side_by_side_count_once_each_and_a_product_listed_before_still_counts(redis):
    """The catalog.products partitions are folded side by side: 30 listings at once each
    decide on their own product, not on one set every partition watches (which made all
    but one decision of each round start again, ten times, then give up)."""
    from services.insights import keys
    from services.insights.domain.changes import SHOP
    from services.insights.handlers.events import handle_catalog_event

    shop_id, day = f"shop-side-{TAG}", date(2026, 3, 12)

    def listing(product_id: str) -> ProductListed:
        return ev(ProductListed, datetime(2026, 3, 12, 9, tzinfo=timezone.utc), product_id=product_id,
                  shop_id=shop_id, name="Brot", unit="Laib", price={"amount_cents": 500}, vat_rate_bp=700, stock=5,
                  weight_g=1000, volume_ml=2000)

    products = [f"p-side-{TAG}-{n}" for n in range(30)]
    outcomes = await asyncio.gather(*(handle_catalog_event(listing(p), redis) for p in products),
                                    return_exceptions=True)
    assert [o for o in outcomes if o is not None] == []
    await handle_catalog_event(listing(products[0]), redis)  # listed again (a new event): no second count
    assert await redis.hget(keys.cell(day, SHOP, shop_id), "goods_delta") == "30"

    # A product an earlier version kept in its one set is still listed: delisting it counts.
    legacy = f"p-legacy-{TAG}"
    await redis.sadd(keys.LISTED, legacy)
    await handle_catalog_event(ev(ProductDelisted, datetime(2026, 3, 12, 10, tzinfo=timezone.utc),
                                  product_id=legacy, shop_id=shop_id), redis)
    assert await redis.hget(keys.cell(day, SHOP, shop_id), "goods_delta") == "29"
    assert not await redis.sismember(keys.LISTED, legacy)
