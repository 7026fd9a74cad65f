"""Turn a vehicle's stop sequence into a timed tour with loads and figures.

The optimiser decides the order; the times a driver sees are recomputed
here: serve every stop as early as its window allows, then leave the depot as
late as possible without arriving later anywhere it matters, so the tour has
no idle wait that a later departure would avoid.

A vehicle with a break rule gets its breaks here. Counted is pure driving
time, as the regulation does (the optimiser's model counts elapsed working
time, the stricter reading, so its plans leave room for this). A wait of a
whole break before a window opens is taken as the break. Otherwise breaks go
at stops if that keeps the plan: as late as the driving allows, before the
service when that keeps the stop's window (the break then soaks up waiting),
else after it. When breaks at stops would make the tour miss a window or its
shift end, a break is taken on the road (a lay-by) the moment the driving time
is used up; such a BREAK stop names the place the van is heading for, and the
van drives on at once after it (drive first, wait at the stop).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .model import BreakRule, Job, JobKind, Problem, ScheduledStop, Stop, StopKind, Tour, Vehicle
from .precheck import earliest_service_start

_EPS = 1e-9

Visit = tuple[Job | None, StopKind]  # (None, StopKind.RELOAD): a reload at the start depot


@dataclass(frozen=True)
class _Row:
    """A line of the schedule: START, a visit (its index in the visits), a BREAK or END."""

    kind: StopKind
    visit: int | None
    location_id: str
    arrival_s: int
    service_start_s: int
    departure_s: int


@dataclass(frozen=True)
class SolverTimes:
    """The optimiser's own timing of a tour: when each visit's service starts, and
    when its breaks start (each lasts the rule's break time)."""

    service_starts: tuple[int, ...]
    end_s: int   # back at the end depot
    break_starts: tuple[int, ...]


def build_tour(problem: Problem, vehicle: Vehicle, visits: Sequence[Visit], departure_s: int,
               solver_times: SolverTimes | None = None) -> Tour:
    stops = [_stop(vehicle, job, kind) for job, kind in visits]
    if vehicle.breaks is None:
        rows = _rows(vehicle, visits, stops, _leave_later(vehicle, stops, _forward_times(problem, vehicle, stops,
                                                                                          departure_s)))
    else:
        kinds = [kind for _, kind in visits]
        rows, feasible = _with_breaks(problem, vehicle, kinds, stops, departure_s, vehicle.breaks)
        if not feasible and solver_times is not None:
            # Breaks at stops and in lay-bys both missed here: the optimiser's breaks hold by its model.
            rows = _rows_of_solver(problem, vehicle, kinds, stops, departure_s, solver_times, vehicle.breaks)
    return _scheduled_tour(problem, vehicle, visits, rows)


def rested_tour(problem: Problem, vehicle: Vehicle, visits: Sequence[Visit], departure_s: int) -> Tour | None:
    """The tour with the vehicle's breaks placed by its driving time, as `build_tour`
    places them; None when they do not fit (a window, the shift or the driving time
    would be broken)."""
    assert vehicle.breaks is not None
    stops = [_stop(vehicle, job, kind) for job, kind in visits]
    rows, feasible = _with_breaks(problem, vehicle, [kind for _, kind in visits], stops, departure_s,
                                  vehicle.breaks)
    return _scheduled_tour(problem, vehicle, visits, rows) if feasible else None


def _scheduled_tour(problem: Problem, vehicle: Vehicle, visits: Sequence[Visit], rows: Sequence[_Row]) -> Tour:
    after_visit = _loads(visits)
    scheduled: list[ScheduledStop] = []
    for row in rows:
        if row.kind is StopKind.BREAK:
            kg, litres = scheduled[-1].load_kg, scheduled[-1].load_l
        elif row.kind is StopKind.START:
            kg, litres = after_visit[0]
        elif row.kind is StopKind.END:
            kg, litres = after_visit[-1]
        else:
            assert row.visit is not None
            kg, litres = after_visit[row.visit + 1]
        job = visits[row.visit][0] if row.visit is not None else None
        scheduled.append(ScheduledStop(row.kind, row.location_id, job.id if job else None, row.arrival_s,
                                       row.service_start_s, row.departure_s, kg, litres))
    return _tour(problem, vehicle, tuple(scheduled))


def tour_cost(vehicle: Vehicle, distance_m: int, duration_s: int) -> float:
    """Euros: fixed, per km driven, per hour from leaving to returning (breaks and reloads are paid time)."""
    return vehicle.fixed_cost + distance_m / 1000 * vehicle.cost_per_km + duration_s / 3600 * vehicle.cost_per_hour


def utilisation(vehicle: Vehicle, kg: float, litres: float) -> float:
    """Share of the tighter capacity in use."""
    by_weight = kg / vehicle.capacity_kg if vehicle.capacity_kg > 0 else 0.0
    by_volume = litres / vehicle.capacity_l if 0 < vehicle.capacity_l < float("inf") else 0.0
    return max(by_weight, by_volume)


def _tour(problem: Problem, vehicle: Vehicle, scheduled: tuple[ScheduledStop, ...]) -> Tour:
    distance = 0
    empty = 0
    utilised = 0.0
    for before, after in zip(scheduled, scheduled[1:]):
        leg = problem.distance_m(before.location_id, after.location_id)
        distance += leg
        if before.load_kg <= _EPS and before.load_l <= _EPS:
            empty += leg
        utilised += leg * utilisation(vehicle, before.load_kg, before.load_l)
    duration = scheduled[-1].arrival_s - scheduled[0].departure_s
    return Tour(vehicle_id=vehicle.id, stops=scheduled, distance_m=distance, duration_s=duration,
                empty_distance_m=empty, load_factor=utilised / distance if distance else 0.0,
                cost=tour_cost(vehicle, distance, duration))


def _stop(vehicle: Vehicle, job: Job | None, kind: StopKind) -> Stop:
    if job is None:  # a reload: no window, the depot is open all shift
        return Stop(vehicle.start_location_id, (), vehicle.reload_s)
    stop = job.pickup if kind is StopKind.PICKUP else job.delivery
    assert stop is not None
    return stop


def _rows(vehicle: Vehicle, visits: Sequence[Visit], stops: Sequence[Stop],
          times: Sequence[tuple[int, int, int]]) -> list[_Row]:
    rows = [_Row(StopKind.START, None, vehicle.start_location_id, *times[0])]
    rows += [_Row(visits[i][1], i, stop.location_id, *times[i + 1]) for i, stop in enumerate(stops)]
    rows.append(_Row(StopKind.END, None, vehicle.end_location_id, *times[-1]))
    return rows


def _forward_times(
    problem: Problem, vehicle: Vehicle, stops: Sequence[Stop], departure_s: int
) -> list[tuple[int, int, int]]:
    """(arrival, service start, departure) for START, each stop and END."""
    times = [(departure_s, departure_s, departure_s)]
    here, t = vehicle.start_location_id, departure_s
    for stop in stops:
        arrival = t + problem.duration_s(here, stop.location_id)
        start = earliest_service_start(arrival, stop, vehicle.shift)
        if start is None:  # the optimiser guarantees a window; never invent an early time
            start = arrival
        t = start + stop.service_s
        times.append((arrival, start, t))
        here = stop.location_id
    arrival = t + problem.duration_s(here, vehicle.end_location_id)
    times.append((arrival, arrival, arrival))
    return times


def _leave_later(
    vehicle: Vehicle, stops: Sequence[Stop], times: list[tuple[int, int, int]]
) -> list[tuple[int, int, int]]:
    """Delay the departure by as much waiting as the tour has, as long as no
    service start leaves its window. The end stays put, so the duration shrinks."""
    waited = 0
    delay_limit: float = float("inf")
    for stop, (arrival, start, _) in zip(stops, times[1:-1]):
        waited += start - arrival
        window_end = next(
            (w.end_s for w in stop.time_windows if w.start_s <= start <= w.end_s), vehicle.shift.end_s
        )
        delay_limit = min(delay_limit, waited + window_end - start)
    delay = int(min(waited, delay_limit))
    if delay <= 0:
        return times
    shifted = []
    carried = delay
    for i, (arrival, start, departure) in enumerate(times):
        if i == 0:
            shifted.append((arrival + delay, start + delay, departure + delay))
            continue
        arrival += carried
        new_start = max(arrival, start)
        carried = new_start - start
        shifted.append((arrival, new_start, departure + carried))
    return shifted


# --- breaks ----------------------------------------------------------------------


def _with_breaks(problem: Problem, vehicle: Vehicle, kinds: Sequence[StopKind], stops: Sequence[Stop],
                 departure_s: int, rule: BreakRule) -> tuple[list[_Row], bool]:
    """The schedule with breaks, leaving as late as keeps it feasible and its end;
    whether one was found that keeps every window, the shift and the driving time."""
    first = None
    for forward in (_forward_with_breaks, _forward_breaking_on_the_road):
        rows, feasible = forward(problem, vehicle, kinds, stops, departure_s, rule)
        first = first or rows
        if not feasible:
            continue
        end = rows[-1].arrival_s
        waited = sum(r.service_start_s - r.arrival_s for r in rows if r.kind is not StopKind.BREAK)

        def keeps(departure: int) -> bool:
            later, ok = forward(problem, vehicle, kinds, stops, departure, rule)
            return ok and later[-1].arrival_s <= end

        # Where breaks go depends on waits, so the latest good departure is searched, not computed.
        low, high = departure_s, departure_s + waited
        while low < high:
            middle = (low + high + 1) // 2
            if keeps(middle):
                low = middle
            else:
                high = middle - 1
        return (forward(problem, vehicle, kinds, stops, low, rule)[0] if low != departure_s else rows), True
    return first or [], False  # the checker will say why; never invent a better time


def _rows_of_solver(problem: Problem, vehicle: Vehicle, kinds: Sequence[StopKind], stops: Sequence[Stop],
                    departure_s: int, times: SolverTimes, rule: BreakRule) -> list[_Row]:
    """The schedule as the optimiser timed it. Each break goes on the leg during
    which it starts; the van drives first, rests (on the road if the leg is not
    done), drives on and waits at the stop, so every stretch between breaks drives
    no longer than the optimiser's elapsed time, which its model bounds."""
    places, legs, _ = _route(problem, vehicle, stops)
    rows = [_Row(StopKind.START, None, places[0], departure_s, departure_s, departure_s)]
    breaks = sorted(b for b in times.break_starts if b >= departure_s)
    t = departure_s
    for i, (there, left) in enumerate(zip(places[1:], legs)):
        # The next service start as the optimiser has it, or its return to the end depot.
        due = times.service_starts[i] if i < len(stops) else times.end_s
        while breaks and breaks[0] < due:
            start = max(breaks.pop(0), t)
            left -= min(left, start - t)
            rows.append(_Row(StopKind.BREAK, None, there, start, start, start + rule.break_s))
            t = start + rule.break_s
        arrival = t + left
        if i == len(stops):
            rows.append(_Row(StopKind.END, None, there, arrival, arrival, arrival))
            break
        start = max(arrival, due)
        t = start + stops[i].service_s
        rows.append(_Row(kinds[i], i, there, arrival, start, t))
    return rows


def _route(problem: Problem, vehicle: Vehicle, stops: Sequence[Stop]) -> tuple[list[str], list[int], list[int]]:
    """The places from start to end, the driving time of each leg, and the driving left from each leg on."""
    places = [vehicle.start_location_id] + [s.location_id for s in stops] + [vehicle.end_location_id]
    legs = [problem.duration_s(a, b) for a, b in zip(places, places[1:])]
    return places, legs, [sum(legs[i:]) for i in range(len(legs) + 1)]


def _forward_breaking_on_the_road(problem: Problem, vehicle: Vehicle, kinds: Sequence[StopKind],
                                  stops: Sequence[Stop], departure_s: int, rule: BreakRule) -> tuple[list[_Row], bool]:
    """Serve as early as possible, resting the moment the driving time is used up."""
    places, legs, still_to_drive = _route(problem, vehicle, stops)
    rows = [_Row(StopKind.START, None, places[0], departure_s, departure_s, departure_s)]
    feasible = True
    driven, t = 0, departure_s
    for i, leg in enumerate(legs):
        left = leg
        while driven + left > rule.max_driving_s:
            part = rule.max_driving_s - driven
            t, left = t + part, left - part
            rows.append(_Row(StopKind.BREAK, None, places[i + 1], t, t, t + rule.break_s))
            t, driven = t + rule.break_s, 0
        t, driven = t + left, driven + left
        if i == len(stops):
            break
        stop, arrival = stops[i], t
        start = earliest_service_start(arrival, stop, vehicle.shift)
        if start is None:
            feasible, start = False, arrival
        if start - arrival >= rule.break_s and driven + still_to_drive[i + 1] > rule.max_driving_s:
            rows.append(_Row(StopKind.BREAK, None, stop.location_id, arrival, arrival, arrival + rule.break_s))
            arrival, driven = arrival + rule.break_s, 0
        t = start + stop.service_s
        rows.append(_Row(kinds[i], i, stop.location_id, arrival, start, t))
    rows.append(_Row(StopKind.END, None, places[-1], t, t, t))
    return rows, feasible and t <= vehicle.shift.end_s


def _forward_with_breaks(problem: Problem, vehicle: Vehicle, kinds: Sequence[StopKind], stops: Sequence[Stop],
                         departure_s: int, rule: BreakRule) -> tuple[list[_Row], bool]:
    """Serve as early as possible with breaks at stops; also whether every window,
    the shift and the driving time hold (a leg longer than the driving time cannot)."""
    places, legs, still_to_drive = _route(problem, vehicle, stops)
    rows = [_Row(StopKind.START, None, places[0], departure_s, departure_s, departure_s)]
    feasible = True
    driven, t = 0, departure_s
    for i, stop in enumerate(stops):
        arrival = t + legs[i]
        driven += legs[i]
        feasible = feasible and driven <= rule.max_driving_s
        start = earliest_service_start(arrival, stop, vehicle.shift)
        if start is None:
            feasible, start = False, arrival
        needs_break = driven + legs[i + 1] > rule.max_driving_s
        wanted_later = driven + still_to_drive[i + 1] > rule.max_driving_s
        # Resting on arrival soaks up waiting; it must not miss the window nor
        # leave later than resting after the service would.
        after_rest = earliest_service_start(arrival + rule.break_s, stop, vehicle.shift)
        rest_first = after_rest is not None and after_rest <= start + rule.break_s
        if rest_first and (needs_break or (start - arrival >= rule.break_s and wanted_later)):
            assert after_rest is not None
            rows.append(_Row(StopKind.BREAK, None, stop.location_id, arrival, arrival, arrival + rule.break_s))
            arrival, start, driven = arrival + rule.break_s, after_rest, 0
            needs_break = False
        t = start + stop.service_s
        rows.append(_Row(kinds[i], i, stop.location_id, arrival, start, t))
        if needs_break:  # rest after the service, before driving on
            rows.append(_Row(StopKind.BREAK, None, stop.location_id, t, t, t + rule.break_s))
            t, driven = t + rule.break_s, 0
    arrival = t + legs[-1]
    feasible = feasible and driven + legs[-1] <= rule.max_driving_s
    rows.append(_Row(StopKind.END, None, places[-1], arrival, arrival, arrival))
    return rows, feasible and arrival <= vehicle.shift.end_s


def _loads(visits: Sequence[Visit]) -> list[tuple[float, float]]:
    """(kg, litres) on board after START, each visit and END (everything unloaded).
    Single deliveries are loaded at the start of their trip (START or RELOAD),
    single pickups unloaded at its end; a shipment rides from its pickup to its
    delivery, across reloads too."""
    trips: list[list[Job]] = [[]]
    for job, kind in visits:
        if job is None:
            trips.append([])
        else:
            trips[-1].append(job)
    to_deliver = [(sum(j.weight_kg for j in trip if j.kind is JobKind.DELIVERY),
                   sum(j.volume_l for j in trip if j.kind is JobKind.DELIVERY)) for trip in trips]
    kg, litres = to_deliver[0]
    picked_kg = picked_l = 0.0
    trip = 0
    loads = [(kg, litres)]
    for job, kind in visits:
        if job is None:  # unload the trip's pickups, load the next trip's deliveries
            trip += 1
            kg += to_deliver[trip][0] - picked_kg
            litres += to_deliver[trip][1] - picked_l
            picked_kg = picked_l = 0.0
        else:
            sign = 1 if kind is StopKind.PICKUP else -1
            kg += sign * job.weight_kg
            litres += sign * job.volume_l
            if job.kind is JobKind.PICKUP:
                picked_kg += job.weight_kg
                picked_l += job.volume_l
        loads.append((max(kg, 0.0), max(litres, 0.0)))
    loads.append((0.0, 0.0))
    return loads
