"""What the API reads: the cells of a range of days summed by period and area, the
KPI values with suppression applied, and reach.

Areas are joined here, when reading: an order's cell belongs to its pick-up point,
the point to its village and municipality (pickup.points); a shop's to the shop's;
a freight trip or load to the place nearest its origin; tours to the district.
Which event of which topic arrived first therefore never changes a figure, and
live and rebuilt state give the same answers.

    periods = await period_figures(redis, insights, first, last, Period.WEEK)
    periods[0].tallies[("village", "Höxter", "Lüchtringen")]
"""

from __future__ import annotations

import json
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable

import httpx
from redis.asyncio import Redis

from nahnetz.clock import today_in_berlin
from nahnetz.geo import MatrixUnavailable, OsrmMatrix

from . import keys
from .handlers.areas import RegionAreas, region_areas
from .domain.catalogue import CATALOGUE, DISTRICT, MUNICIPALITY, VILLAGE
from .domain.changes import LOAD, POINT, SHOP, TOUR, TRIP
from .domain.compartments import occupancy, point_day
from .domain.coverage import NATIONAL_REFERENCE, village_tally
from .domain.days import Period, buckets, days_between
from .domain.figures import kpi_values
from .domain.privacy import protect_days, protect_parts, shown_all
from .domain.tally import Tally, level_at
from .handlers.reach import road_distances, supply_sites, village_distances
from .settings import InsightsSettings

AreaKey = tuple[str, ...]   # ("district",), ("municipality", m), ("village", m, v)
DISTRICT_KEY: AreaKey = (DISTRICT,)
SAMPLE_MEASURES = ("lead_ready_s", "ready_collected_s")


def municipality_key(m: str) -> AreaKey:
    return (MUNICIPALITY, m)


def village_key(m: str, v: str) -> AreaKey:
    return (VILLAGE, m, v)


@dataclass
class Known:
    points: dict[str, dict[str, Any]]
    shops: dict[str, dict[str, Any]]

    def municipalities(self) -> set[str]:
        return {d["municipality"] for d in (*self.points.values(), *self.shops.values())}


@dataclass
class PeriodFigures:
    start: date
    end: date
    tallies: dict[AreaKey, Tally] = field(default_factory=dict)

    def add(self, keys_: Iterable[AreaKey], tally: Tally) -> None:
        for key in keys_:
            self.tallies.setdefault(key, Tally()).merge(tally)


async def _docs(redis: Redis, ids: Iterable[str], key_of) -> dict[str, dict]:
    ids = sorted(ids)
    async with redis.pipeline(transaction=False) as pipe:
        for ref in ids:
            pipe.get(key_of(ref))
        raws = await pipe.execute()
    return {ref: json.loads(raw) for ref, raw in zip(ids, raws) if raw}


async def known(redis: Redis) -> Known:
    return Known(points=await _docs(redis, await redis.smembers(keys.POINTS), keys.point),
                 shops=await _docs(redis, await redis.smembers(keys.SHOPS), keys.shop))


def _areas_of(doc: dict | None) -> list[AreaKey]:
    """The areas a point's or shop's figures add to: its village, municipality, the district."""
    if doc is None:
        return [DISTRICT_KEY]  # not (yet) known where it is: the district's only
    return [village_key(doc["municipality"], doc["village"]), municipality_key(doc["municipality"]), DISTRICT_KEY]


def _shops_open(shops: Iterable[dict], day: date):
    """`open_at("HH:MM")`: whether any open shop of these has hours covering that time on `day`."""
    weekday, iso = day.isoweekday(), day.isoformat()
    intervals = [(opens, closes) for s in shops if iso not in s.get("closed_on", [])
                 for wd, opens, closes in s.get("hours", []) if wd == weekday]
    return lambda hhmm: any(opens <= hhmm < closes for opens, closes in intervals)


async def _cells(redis: Redis, wanted: list[tuple[date, str, str]]) -> list[dict[str, int]]:
    async with redis.pipeline(transaction=False) as pipe:
        for day, kind, ref in wanted:
            pipe.hgetall(keys.cell(day, kind, ref))
        raws = await pipe.execute()
    return [{k: int(v) for k, v in raw.items()} for raw in raws]


async def _indexed(redis: Redis, days: list[date], kind: str) -> list[tuple[date, str, str]]:
    async with redis.pipeline(transaction=False) as pipe:
        for day in days:
            pipe.smembers(keys.index(day, kind))
        refs = await pipe.execute()
    return [(day, kind, ref) for day, found in zip(days, refs) for ref in sorted(found)]


async def _point_tallies(redis: Redis, known_: Known, days: list[date]) -> dict[tuple[date, str], Tally]:
    """Every point's day (also the days nothing happened: its compartments were there).
    Only the days in a day's index have cells or samples (`cells.stage` indexes every
    write), so only those are read; a point's empty day is the same every day."""
    indexed = await _indexed(redis, days, POINT)
    point_ids = sorted(set(known_.points) | {ref for _, _, ref in indexed})
    cells = await _cells(redis, indexed)
    async with redis.pipeline(transaction=False) as pipe:
        for day, _, pid in indexed:
            for measure in SAMPLE_MEASURES:
                pipe.hvals(keys.samples(day, POINT, pid, measure))
        samples = await pipe.execute()
    written = {(day, pid): (counters, samples[n * len(SAMPLE_MEASURES):(n + 1) * len(SAMPLE_MEASURES)])
               for n, ((day, _, pid), counters) in enumerate(zip(indexed, cells))}
    shops_by_municipality: dict[str, list[dict]] = {}
    for shop in known_.shops.values():
        if shop.get("open", True):
            shops_by_municipality.setdefault(shop["municipality"], []).append(shop)
    compartments_of, empty = {}, {}
    for pid in point_ids:
        doc = known_.points.get(pid)
        in_service = doc is not None and doc.get("in_service", True)
        compartments_of[pid] = {c: tuple(st) for c, st in doc["compartments"].items()} if in_service else {}
        empty[pid] = _point_tally(point_day({}, compartments_of[pid], None), [])
    out = {}
    for day in days:
        for pid in point_ids:
            found = written.get((day, pid))
            if found is None:
                out[(day, pid)] = empty[pid]
                continue
            counters, measured = found
            doc = known_.points.get(pid)
            open_at = None
            if doc is not None and doc.get("kind") != "COUNTER":  # a counter hands out only while open
                open_at = _shops_open(shops_by_municipality.get(doc["municipality"], []), day)
            out[(day, pid)] = _point_tally(point_day(counters, compartments_of[pid], open_at), measured)
    return out


def _point_tally(derived: Counter, measured: list[list[str]]) -> Tally:
    tally = Tally()
    tally.add_counts(derived)
    tally.add_maximum("occupancy", occupancy(derived))
    for measure, values in zip(SAMPLE_MEASURES, measured):
        tally.add_samples(measure, (int(v) for v in values))
    return tally


async def _shop_deltas(redis: Redis, last: date) -> dict[str, dict[str, dict[str, int]]]:
    """shop id -> day (ISO) -> its counters, for every day with a shop cell up to `last`."""
    all_days = sorted(date.fromisoformat(d) for d in await redis.smembers(keys.days(SHOP)))
    wanted = await _indexed(redis, [d for d in all_days if d <= last], SHOP)
    out: dict[str, dict[str, dict[str, int]]] = {}
    for (day, _, ref), counters in zip(wanted, await _cells(redis, wanted)):
        out.setdefault(ref, {})[day.isoformat()] = counters
    return out


async def _tour_tallies(redis: Redis, days: list[date]) -> dict[date, Tally]:
    wanted = await _indexed(redis, days, TOUR)
    cells = await _cells(redis, wanted)
    plans = await _docs(redis, {ref for _, _, ref in wanted}, keys.tour_plan)
    out: dict[date, Tally] = {}
    for (day, _, ref), counters in zip(wanted, cells):
        tally = out.setdefault(day, Tally())
        tally.add_counts(counters)
        plan = plans.get(ref)
        if plan is not None and counters.get("tours", 0) > 0:
            tally.counts["planned_tours"] += 1
            tally.counts["planned_load_factor_sum"] += plan["load_factor"]
            tally.counts["planned_empty_km"] += plan["empty_km"]
    return out


async def _freight_tallies(redis: Redis, days: list[date], areas: RegionAreas,
                           radius_km: float) -> list[tuple[date, AreaKey | None, Tally]]:
    wanted = (await _indexed(redis, days, TRIP)) + (await _indexed(redis, days, LOAD))
    cells = await _cells(redis, wanted)
    async with redis.pipeline(transaction=False) as pipe:
        for _, kind, ref in wanted:
            pipe.get(keys.origin(kind, ref))
        origins = await pipe.execute()
    out = []
    for (day, _, _), counters, raw in zip(wanted, cells, origins):
        place = None
        if raw:
            origin = json.loads(raw)
            place = areas.place_of(origin["name"], origin["lat"], origin["lon"], radius_km)
        tally = Tally()
        tally.add_counts(counters)
        out.append((day, municipality_key(place.municipality) if place else None, tally))
    return out


async def period_figures(redis: Redis, insights: InsightsSettings, first: date, last: date,
                         period: Period) -> list[PeriodFigures]:
    """Every area's tally for each period of [first, last]."""
    areas = region_areas(insights.region)
    known_ = await known(redis)
    days = days_between(first, last)
    spans = buckets(first, last, period)
    periods = [PeriodFigures(start, end) for start, end, _ in spans]
    period_of = {day: figures for figures, (_, _, in_span) in zip(periods, spans) for day in in_span}

    for (day, pid), tally in (await _point_tallies(redis, known_, days)).items():
        period_of[day].add(_areas_of(known_.points.get(pid)), tally)

    for day, tally in (await _tour_tallies(redis, days)).items():
        period_of[day].add([DISTRICT_KEY], tally)

    for day, area, tally in await _freight_tallies(redis, days, areas, insights.place_radius_km):
        period_of[day].add([area, DISTRICT_KEY] if area else [DISTRICT_KEY], tally)

    deltas = await _shop_deltas(redis, last)
    for figures in periods:
        end = figures.end.isoformat()
        for shop_id, by_day in deltas.items():
            tally = Tally()
            tally.counts["active_shops"] = level_at(
                {d: c.get("shops_opened", 0) - c.get("shops_closed", 0) for d, c in by_day.items()}, end)
            tally.counts["goods_listed"] = level_at({d: c.get("goods_delta", 0) for d, c in by_day.items()}, end)
            tally.counts["shop_orders"] = sum(c.get("orders", 0) for d, c in by_day.items()
                                              if figures.start.isoformat() <= d <= end)
            figures.add(_areas_of(known_.shops.get(shop_id)), tally)
    return periods


# A shop's own figures: the shop knows each of its orders (its packing list), so nothing is suppressed.
SHOP_FIGURES = {
    "orders": {"de": "Bestellungen mit Waren des Ladens", "en": "Orders with goods from the shop",
               "formula": "orders placed in the period with at least one line from the shop", "unit": "count"},
    "goods_listed": {"de": "Gelistete Waren", "en": "Goods listed",
                     "formula": "the shop's goods listed and not delisted, at the period's end", "unit": "count"},
    "open": {"de": "Laden aktiv", "en": "Shop active",
             "formula": "1 if the shop is registered and not closed at the period's end, else 0", "unit": "0/1"},
}


async def shop_periods(redis: Redis, shop_id: str, first: date, last: date, period: Period) -> list[dict[str, Any]]:
    """One shop's own figures by period (`SHOP_FIGURES`), from its day cells."""
    by_day = (await _shop_deltas(redis, last)).get(shop_id, {})
    out = []
    for start, end, _ in buckets(first, last, period):
        since, until = start.isoformat(), end.isoformat()
        out.append({"start": start, "end": end, "values": {
            "orders": sum(c.get("orders", 0) for d, c in by_day.items() if since <= d <= until),
            "goods_listed": level_at({d: c.get("goods_delta", 0) for d, c in by_day.items()}, until),
            "open": int(level_at({d: c.get("shops_opened", 0) - c.get("shops_closed", 0)
                                  for d, c in by_day.items()}, until) > 0),
        }})
    return out


def kpi_ids(level: str) -> list[str]:
    return [k.id for k in CATALOGUE if level in k.levels and k.group != "reach"]


def area_row(key: AreaKey, tally: Tally | None, insights: InsightsSettings) -> dict[str, Any]:
    level = key[0]
    tally = tally or Tally()
    values = kpi_values(tally, insights.factors, kpi_ids(level))
    row: dict[str, Any] = {"level": level, "name": key[-1] if level != DISTRICT else None}
    if level == VILLAGE:
        row["municipality"] = key[1]
    row["values"] = shown_all(values, tally, insights.min_count)
    return row


def detail_rows(figures: PeriodFigures, municipality: str, villages: list[str],
                insights: InsightsSettings) -> list[dict[str, Any]]:
    """The municipality's row and its villages' rows, with no suppressed village cell
    to be had by subtracting the others from the municipality's (`protect_parts`)."""
    total = area_row(municipality_key(municipality), figures.tallies.get(municipality_key(municipality)), insights)
    keys_ = [village_key(municipality, v) for v in villages]
    rows = [area_row(k, figures.tallies.get(k), insights) for k in keys_]
    protect_parts(total["values"], [(row["values"], figures.tallies.get(k) or Tally()) for row, k in zip(rows, keys_)])
    return [total, *rows]


def row_key(row: dict[str, Any]) -> AreaKey:
    if row["level"] == DISTRICT:
        return DISTRICT_KEY
    if row["level"] == MUNICIPALITY:
        return municipality_key(row["name"])
    return village_key(row["municipality"], row["name"])


def _week_and_month(day: date) -> tuple[tuple, tuple]:
    iso = day.isocalendar()
    return ("week", iso.year, iso.week), ("month", day.year, day.month)


def guard_days(periods: list[PeriodFigures], rows: list[list[dict[str, Any]]], insights: InsightsSettings,
               municipality: str | None = None) -> None:
    """Rows by day (whole weeks and months of them): no week or month total minus its shown
    days gives a suppressed day away (`protect_days`), and, with a municipality's detail, no
    day's villages give one away either (`protect_parts`); the two rules take turns until
    neither hides more. Changes the rows in place."""
    series: dict[AreaKey, list] = {}
    for figures, day_rows in zip(periods, rows):
        for row in day_rows:
            key = row_key(row)
            series.setdefault(key, []).append((figures.start, row["values"], figures.tallies.get(key) or Tally()))
    while True:
        changed = False
        for days in series.values():
            changed |= protect_days(days, _week_and_month, insights.min_count)
        if municipality is not None:
            for figures, day_rows in zip(periods, rows):
                total, *parts = day_rows
                changed |= protect_parts(total["values"], [(r["values"], figures.tallies.get(row_key(r)) or Tally())
                                                           for r in parts])
        if not changed:
            return


def villages_with_sites(known_: Known, municipality: str) -> list[str]:
    """The villages where the municipality's figures can be: those with a pick-up point or shop."""
    return sorted({d["village"] for d in (*known_.points.values(), *known_.shops.values())
                   if d["municipality"] == municipality})


async def full_points(redis: Redis, known_: Known, day: date | None = None) -> set[str]:
    """The pick-up points full on `day` (default today): every compartment held, or an order refused as FULL."""
    day = day or today_in_berlin()
    return {pid for (_, pid), tally in (await _point_tallies(redis, known_, [day])).items()
            if tally.counts.get("days_full", 0) > 0}


async def reach(redis: Redis, insights: InsightsSettings, municipality: str | None = None,
                villages: bool = True) -> dict[str, Any]:
    """Reach per village and municipality (one municipality's, or all), next to the national reference."""
    areas = region_areas(insights.region)
    known_ = await known(redis)
    places = [p for p in areas.region.places if municipality is None or p.municipality == municipality]
    sites = supply_sites(known_.points, known_.shops, await full_points(redis, known_))
    road_m, by_road = await _by_road(places, sites, insights.osrm_url)
    distances = village_distances(places, sites, road_m)
    ids = [k.id for k in CATALOGUE if k.group == "reach"]
    by_municipality: dict[str, Tally] = {}
    rows = []
    for v in distances:
        tally = village_tally(v)
        by_municipality.setdefault(v.municipality, Tally()).merge(tally)
        if villages:
            rows.append({"level": VILLAGE, "name": v.village, "municipality": v.municipality,
                         "nearest_site_m": v.nearest_m if v.population >= insights.min_count else None,
                         "values": shown_all(kpi_values(tally, insights.factors, ids), tally, insights.min_count)})
    rows = [{"level": MUNICIPALITY, "name": m,
             "values": shown_all(kpi_values(t, insights.factors, ids), t, insights.min_count)}
            for m, t in sorted(by_municipality.items())] + rows
    return {"areas": rows, "reference": NATIONAL_REFERENCE,
            "method": "straight line from each village's centre (region pack, approximate) to the nearest "
                      "pick-up point in service with free room today (not full) or open shop selling daily goods; "
                      "all residents at the centre",
            "by_road": by_road}


# Road distances change only when a site opens, closes or fills up: the last few answers kept.
_ROADS: OrderedDict[tuple, list[float | None]] = OrderedDict()
_ROADS_KEPT = 16


async def _by_road(places: list, sites: list, osrm_url: str | None) -> tuple[list[float | None] | None, str]:
    """Road distances village -> nearest site, and how they were had (or why not)."""
    if not osrm_url:
        return None, "no road matrix configured (INSIGHTS_OSRM_URL): straight line only"
    how = "shortest road distance (OSRM table service) from the village centre"
    key = (osrm_url, tuple((p.lat, p.lon) for p in places), tuple(sites))
    if key in _ROADS:
        _ROADS.move_to_end(key)
        return _ROADS[key], how
    async with httpx.AsyncClient(timeout=10.0) as client:
        try:
            road_m = await road_distances(places, sites, OsrmMatrix(osrm_url, client))
        except MatrixUnavailable as exc:
            return None, f"road matrix unavailable: {exc}"
    _ROADS[key] = road_m
    while len(_ROADS) > _ROADS_KEPT:
        _ROADS.popitem(last=False)
    return road_m, how


async def is_known_municipality(redis: Redis, insights: InsightsSettings, municipality: str) -> bool:
    areas = region_areas(insights.region)
    return municipality in areas.municipalities or municipality in (await known(redis)).municipalities()
