"""The day's jobs by place, not by shipment (pure).

Logistikport HX collects the region's goods, consolidates them at the hub and
distributes them to the last mile. So a day plan has one job per place (and
temperature group), carrying every shipment handled there, not one job per
shipment:

| goods of the day (from `job_for_day`) | job(s) |
|---|---|
| collected and delivered today, via the hub | COLLECT shop -> hub, at the hub by the consolidation time; DISTRIBUTE hub -> point, loaded from then on |
| collected and delivered today, direct (rule below) | DIRECT shop -> point on one van |
| collected today, delivered on a later day | COLLECT shop -> hub (any time; the goods stay at the hub) |
| at the hub already (or collected on an earlier day), delivered today | DISTRIBUTE hub -> point, loaded from the start of the shifts when all of the point's goods are at the hub already |

Direct instead of via the hub, per shipment, when
- the shop's goods of the day go to one pick-up point only and that point gets
  goods from this shop only: the hub would be a detour; or
- the shop opens too late for a van to bring its goods to the hub by the
  consolidation time (e.g. a beekeeper opening at 10:00 for an 11:00 hub); or
- the solver could not fit the shop's collection before the consolidation time
  (`planning.solve_in_rounds` asks again with those goods direct, so the vans'
  afternoons carry them instead of leaving them for tomorrow).

Temperature: classes carried by exactly the same vans form one group that
travels at its strictest class; a place's goods are split into parts by group
only where the fleet makes a difference. With the HX fleet (AMBIENT on all four
vans, CHILLED on two, FROZEN on the refrigerated one) a place has up to three
parts, so the ambient goods never wait for the one van that can freeze. The
place's base service time is on its biggest part; each further part at the same
place adds `extra_part_s` (another compartment of the van), whichever van takes
it. A part heavier or bulkier than the largest van that may carry it is split
into parts that fit (largest shipments first).

Every job is optional with a penalty per shipment far above any day's routing
cost: the solver serves as many shipments as the fleet allows and reports the
rest, which stay due for the next plan.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Iterable, Sequence

from .shipments import LeftOut, Place, ServiceTimes, ShipmentRecord, UtcWindow
from .solver import Job, JobKind, Stop, TemperatureClass, TimeWindow, Vehicle

PENALTY_PER_SHIPMENT_EUR = 10_000.0  # a day's tours cost about a thousand euros: serving always pays
_STRICTNESS = (TemperatureClass.AMBIENT, TemperatureClass.CHILLED, TemperatureClass.FROZEN)


class Role(str, Enum):
    COLLECT = "COLLECT"  # shop -> hub
    DISTRIBUTE = "DISTRIBUTE"  # hub -> pick-up point
    DIRECT = "DIRECT"  # shop -> pick-up point on one van
    CARRIED = "CARRIED"  # re-plan: goods on a dispatched tour, kept as they are
    EXTRA = "EXTRA"  # a job the request names itself


@dataclass(frozen=True)
class Goods:
    """A shipment and what today's plan does with it: SHIPMENT both legs,
    PICKUP only to the hub, DELIVERY only from the hub."""

    shipment: ShipmentRecord
    legs: JobKind
    at_hub_early: bool = True  # DELIVERY only: at the hub before the day starts


@dataclass(frozen=True)
class JobSpec:
    """What planning knows about a job beyond the solver's Job."""

    role: Role
    shipment_ids: tuple[str, ...]
    collected_today: tuple[str, ...] = ()  # DISTRIBUTE: shipments a COLLECT job of this plan brings to the hub
    hub_deadline: bool = False  # COLLECT: must be at the hub by the consolidation time
    place_base_s: int = 0  # base service time of the part at its shop or point


@dataclass(frozen=True)
class DayContext:
    hub_id: str
    service: ServiceTimes
    ready_s: int  # the consolidation time, in seconds of the planning day
    vehicles: tuple[Vehicle, ...]
    windows: Callable[[Sequence[UtcWindow], int], tuple[TimeWindow, ...] | None]
    duration: Callable[[str, str], int]

    @property
    def horizon_s(self) -> int:
        return max([v.shift.end_s for v in self.vehicles] + [self.ready_s])


@dataclass
class Consolidated:
    jobs: list[Job] = field(default_factory=list)
    specs: dict[str, JobSpec] = field(default_factory=dict)
    left_out: list[LeftOut] = field(default_factory=list)


def temperature_groups(vehicles: Iterable[Vehicle]) -> dict[TemperatureClass, TemperatureClass]:
    """Each class to the class its goods travel at: classes the same vans carry
    share the strictest of them; a class no van carries stays itself (and is
    reported as such)."""
    vehicles = tuple(vehicles)
    carriers = {c: frozenset(v.id for v in vehicles if v.can_carry(c)) for c in _STRICTNESS}
    groups = {}
    for c in _STRICTNESS:
        same = [d for d in _STRICTNESS if carriers[c] and carriers[d] == carriers[c]]
        groups[c] = max(same, key=_STRICTNESS.index) if same else c
    return groups


def consolidate(goods: Sequence[Goods], ctx: DayContext, force_direct: frozenset[str] = frozenset()
                ) -> Consolidated:
    """The jobs for the day's goods; `force_direct`: shipments that go shop ->
    point whatever the rule says (their collection missed the hub in an earlier round)."""
    groups = temperature_groups(ctx.vehicles)
    direct = _direct_shipments(goods, ctx) | (force_direct & {g.shipment.shipment_id for g in goods
                                                               if g.legs is JobKind.SHIPMENT})
    drafts: list[_Draft] = []
    collections: dict[tuple, list[Goods]] = defaultdict(list)
    distributions: dict[tuple, list[Goods]] = defaultdict(list)
    directs: dict[tuple, list[Goods]] = defaultdict(list)
    for item in goods:
        s = item.shipment
        group = groups[TemperatureClass(s.temperature_class)]
        if item.legs is JobKind.SHIPMENT and s.shipment_id in direct:
            directs[(s.shop.place_id, s.point.place_id, group)].append(item)
            continue
        if item.legs in (JobKind.SHIPMENT, JobKind.PICKUP):
            collections[(s.shop.place_id, group)].append(item)
        if item.legs in (JobKind.SHIPMENT, JobKind.DELIVERY):
            distributions[(s.point.place_id, group)].append(item)
    capacity = _largest_capacity(ctx.vehicles)
    for role, grouped in ((Role.COLLECT, collections), (Role.DISTRIBUTE, distributions), (Role.DIRECT, directs)):
        for key in sorted(grouped, key=_sort_key):
            group = key[-1]
            for same_time, windows in _by_common_windows(grouped[key], role):
                for part in _split(same_time, capacity.get(group)):
                    drafts.append(_Draft(role, group, part, windows))
    _assign_base_times(drafts, ctx.service)
    out = Consolidated()
    used: set[str] = set()
    for draft in drafts:
        _add(out, draft, ctx, used)
    return out


# -- which goods go direct -------------------------------------------------------------------------
def _direct_shipments(goods: Sequence[Goods], ctx: DayContext) -> set[str]:
    both = [g.shipment for g in goods if g.legs is JobKind.SHIPMENT]
    points_of_shop: dict[str, set[str]] = defaultdict(set)
    shops_of_point: dict[str, set[str]] = defaultdict(set)
    for s in both:
        points_of_shop[s.shop.place_id].add(s.point.place_id)
        shops_of_point[s.point.place_id].add(s.shop.place_id)
    from_hub = {g.shipment.point.place_id for g in goods if g.legs is JobKind.DELIVERY}
    direct = set()
    for s in both:
        shop, point = s.shop.place_id, s.point.place_id
        one_to_one = points_of_shop[shop] == {point} and shops_of_point[point] == {shop} and point not in from_hub
        if one_to_one or _too_late_for_hub(s, ctx):
            direct.add(s.shipment_id)
    return direct


def _too_late_for_hub(s: ShipmentRecord, ctx: DayContext) -> bool:
    """No van can bring the shop's goods to the hub by the consolidation time."""
    service = ctx.service.at_shop_s + ctx.service.per_parcel_s
    windows = ctx.windows(s.pickup_windows, service)
    if not windows:
        return False  # left out for its windows anyway
    first_shift = min(v.shift.start_s for v in ctx.vehicles)
    served = max(windows[0].start_s, first_shift + ctx.duration(ctx.hub_id, s.shop.place_id))
    return served + service + ctx.duration(s.shop.place_id, ctx.hub_id) > ctx.ready_s - ctx.service.at_hub_s


# -- parts ------------------------------------------------------------------------------------------
@dataclass
class _Draft:
    role: Role
    group: TemperatureClass
    goods: list[Goods]
    windows: tuple[tuple[UtcWindow, ...], tuple[UtcWindow, ...]]  # at the shop, at the point
    pickup_base_s: int = 0
    delivery_base_s: int = 0

    @property
    def shipments(self) -> list[ShipmentRecord]:
        return [g.shipment for g in self.goods]

    @property
    def first(self) -> ShipmentRecord:
        return self.goods[0].shipment


def _by_common_windows(goods: list[Goods], role: Role
                       ) -> list[tuple[list[Goods], tuple[tuple[UtcWindow, ...], tuple[UtcWindow, ...]]]]:
    """One part with the windows all its goods share (e.g. goods for today's
    distribution are collected by 15:00, goods kept at the hub until the shop
    closes: together until 15:00); parts by their own windows when none is shared."""
    shop = _common([g.shipment.pickup_windows for g in goods]) if role is not Role.DISTRIBUTE else ()
    point = _common([g.shipment.delivery_windows for g in goods]) if role is not Role.COLLECT else ()
    if shop is not None and point is not None:
        return [(goods, (shop, point))]
    by_own: dict[tuple, list[Goods]] = defaultdict(list)
    for g in goods:
        by_own[(g.shipment.pickup_windows, g.shipment.delivery_windows)].append(g)
    return [(members, key) for key, members in by_own.items()]


def _common(window_sets: list[tuple[UtcWindow, ...]]) -> tuple[UtcWindow, ...] | None:
    """The instants in every set (an empty set means any time); None when none."""
    common: tuple[UtcWindow, ...] = ()
    for windows in window_sets:
        if not windows:
            continue
        if not common:
            common = tuple(sorted(windows, key=lambda w: w.start))
            continue
        common = tuple(UtcWindow(max(a.start, b.start), min(a.end, b.end))
                       for a in common for b in windows if max(a.start, b.start) < min(a.end, b.end))
        if not common:
            return None
    return common


def _sort_key(key: tuple) -> tuple:
    return tuple(str(k.value) if isinstance(k, Enum) else str(k) for k in key)


def _largest_capacity(vehicles: Sequence[Vehicle]) -> dict[TemperatureClass, tuple[float, float]]:
    largest = {}
    for c in _STRICTNESS:
        able = [v for v in vehicles if v.can_carry(c)]
        if able:
            largest[c] = (max(v.capacity_kg for v in able), max(v.capacity_l for v in able))
    return largest


def _split(goods: list[Goods], capacity: tuple[float, float] | None) -> list[list[Goods]]:
    """Parts that each fit the largest van (first fit, heaviest first); one part
    when everything fits. A shipment too big for every van is a part of its own."""
    kg = sum(g.shipment.weight_g for g in goods) / 1000
    litres = sum(g.shipment.volume_ml for g in goods) / 1000
    if capacity is None or (kg <= capacity[0] and litres <= capacity[1]):
        return [sorted(goods, key=lambda g: g.shipment.shipment_id)]
    parts: list[tuple[list[Goods], list[float]]] = []
    for g in sorted(goods, key=lambda g: (-g.shipment.weight_g, -g.shipment.volume_ml, g.shipment.shipment_id)):
        w, v = g.shipment.weight_g / 1000, g.shipment.volume_ml / 1000
        for members, used in parts:
            if used[0] + w <= capacity[0] and used[1] + v <= capacity[1]:
                members.append(g)
                used[0] += w
                used[1] += v
                break
        else:
            parts.append(([g], [w, v]))
    return [sorted(members, key=lambda g: g.shipment.shipment_id) for members, _ in parts]


def _assign_base_times(drafts: Sequence[_Draft], service: ServiceTimes) -> None:
    """The biggest part at a place carries the place's base time, the others a
    small one (another compartment on the same stop)."""
    at_place: dict[tuple[str, str], list[tuple[_Draft, str]]] = defaultdict(list)
    for d in drafts:
        if d.role in (Role.COLLECT, Role.DIRECT):
            at_place[("shop", d.first.shop.place_id)].append((d, "pickup"))
        if d.role in (Role.DISTRIBUTE, Role.DIRECT):
            at_place[("point", d.first.point.place_id)].append((d, "delivery"))
    for (kind, _), parts in at_place.items():
        base = service.at_shop_s if kind == "shop" else service.at_point_s
        parts.sort(key=lambda p: (-len(p[0].goods), _STRICTNESS.index(p[0].group)))
        for n, (draft, side) in enumerate(parts):
            setattr(draft, f"{side}_base_s", base if n == 0 else service.extra_part_s)


def point_service_s(shipments: Iterable[ShipmentRecord], base_s: int, service: ServiceTimes) -> int:
    return base_s + service.per_compartment_s * sum(max(1, s.compartments) for s in shipments)


def shop_service_s(shipments: Iterable[ShipmentRecord], base_s: int, service: ServiceTimes) -> int:
    return base_s + service.per_parcel_s * sum(1 for _ in shipments)


def penalty(shipment_count: int) -> float:
    return PENALTY_PER_SHIPMENT_EUR * max(1, shipment_count)


def _add(out: Consolidated, draft: _Draft, ctx: DayContext, used: set[str]) -> None:
    shipments, first, service = draft.shipments, draft.first, ctx.service
    ids = tuple(s.shipment_id for s in shipments)
    # The part travels at its strictest class (within its group, any van of the group carries it).
    temperature = max((TemperatureClass(s.temperature_class) for s in shipments), key=_STRICTNESS.index)
    hub_deadline = False
    collected_today: tuple[str, ...] = ()
    if draft.role is Role.DIRECT:
        name = f"direct:{first.shop.place_id}>{first.point.place_id}:{temperature.value}"
    elif draft.role is Role.COLLECT:
        name = f"collect:{first.shop.place_id}:{temperature.value}"
        hub_deadline = any(g.legs is JobKind.SHIPMENT for g in draft.goods)
    else:
        name = f"distribute:{first.point.place_id}:{temperature.value}"
        collected_today = tuple(g.shipment.shipment_id for g in draft.goods
                                if g.legs is JobKind.SHIPMENT or not g.at_hub_early)
    job_id = _unique(name, used)
    if draft.role is Role.DISTRIBUTE:
        # Loaded once the day's collections are consolidated, or from the start
        # of the shifts when all of the point's goods were at the hub the evening before.
        pickup: Stop | None = Stop(ctx.hub_id, (TimeWindow(ctx.ready_s, ctx.horizon_s),) if collected_today else (),
                                   service.at_hub_s)
        base = draft.delivery_base_s
    else:
        pickup = _stop_within(ctx, first.shop, draft.windows[0],
                              shop_service_s(shipments, draft.pickup_base_s, service))
        base = draft.pickup_base_s
    if draft.role is Role.COLLECT:
        deadline = ctx.ready_s - service.at_hub_s
        delivery = Stop(ctx.hub_id, (TimeWindow(0, max(0, deadline)),) if hub_deadline else (), service.at_hub_s)
    else:
        delivery = _stop_within(ctx, first.point, draft.windows[1],
                                point_service_s(shipments, draft.delivery_base_s, service))
    if pickup is None or delivery is None:
        place, what = (first.shop, "collection") if pickup is None else (first.point, "delivery")
        out.left_out.append(_hours_too_short(job_id, ids, place, what))
        return
    out.jobs.append(Job(job_id, JobKind.SHIPMENT, pickup=pickup, delivery=delivery,
                        weight_kg=sum(s.weight_g for s in shipments) / 1000,
                        volume_l=sum(s.volume_ml for s in shipments) / 1000,
                        temperature=temperature, penalty=penalty(len(ids))))
    out.specs[job_id] = JobSpec(draft.role, ids, collected_today, hub_deadline, base)


def _stop_within(ctx: DayContext, place: Place, hours: Sequence[UtcWindow], service_s: int) -> Stop | None:
    """A stop at a shop or point in its opening hours; None when they leave no time for the service."""
    windows = ctx.windows(hours, service_s)
    return None if windows is None else Stop(place.place_id, windows, service_s)


def _hours_too_short(job_id: str, ids: tuple[str, ...], place: Place, what: str) -> LeftOut:
    return LeftOut(job_id, ids, "TIME_WINDOW",
                   f"the opening hours of {place.name or place.place_id} are too short for the {what}")


def _unique(name: str, used: set[str]) -> str:
    job_id, n = name, 1
    while job_id in used:
        n += 1
        job_id = f"{name}#{n}"
    used.add(job_id)
    return job_id
