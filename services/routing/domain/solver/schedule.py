"""Turn a vehicle's stop sequence into a timed tour with loads and figures.

The optimiser decides the order; the times a driver sees are recomputed
here: serve every stop as early as its window allows, then leave the depot as
late as possible without arriving later anywhere it matters, so the tour has
no idle wait that a later departure would avoid.
"""

from __future__ import annotations

from typing import Sequence

from .model import Job, JobKind, Problem, ScheduledStop, Stop, StopKind, Tour, Vehicle
from .precheck import earliest_service_start

_EPS = 1e-9


def build_tour(
    problem: Problem,
    vehicle: Vehicle,
    visits: Sequence[tuple[Job, StopKind]],
    departure_s: int,
) -> Tour:
    stops = [_job_stop(job, kind) for job, kind in visits]
    times = _forward_times(problem, vehicle, stops, departure_s)
    times = _leave_later(vehicle, stops, times)
    loads = _loads(visits)
    locations = [vehicle.start_location_id] + [s.location_id for s in stops] + [vehicle.end_location_id]
    kinds = [StopKind.START] + [kind for _, kind in visits] + [StopKind.END]
    job_ids: list[str | None] = [None] + [job.id for job, _ in visits] + [None]
    scheduled = tuple(
        ScheduledStop(kinds[i], locations[i], job_ids[i], *times[i], loads[i][0], loads[i][1])
        for i in range(len(locations))
    )
    distance = 0
    empty = 0
    utilised = 0.0
    for i in range(len(locations) - 1):
        leg = problem.distance_m(locations[i], locations[i + 1])
        distance += leg
        kg, litres = loads[i]
        if kg <= _EPS and litres <= _EPS:
            empty += leg
        utilised += leg * utilisation(vehicle, kg, litres)
    duration = scheduled[-1].arrival_s - scheduled[0].departure_s
    cost = vehicle.fixed_cost + distance / 1000 * vehicle.cost_per_km + duration / 3600 * vehicle.cost_per_hour
    return Tour(
        vehicle_id=vehicle.id,
        stops=scheduled,
        distance_m=distance,
        duration_s=duration,
        empty_distance_m=empty,
        load_factor=utilised / distance if distance else 0.0,
        cost=cost,
    )


def utilisation(vehicle: Vehicle, kg: float, litres: float) -> float:
    """Share of the tighter capacity in use."""
    by_weight = kg / vehicle.capacity_kg if vehicle.capacity_kg > 0 else 0.0
    by_volume = litres / vehicle.capacity_l if 0 < vehicle.capacity_l < float("inf") else 0.0
    return max(by_weight, by_volume)


def _job_stop(job: Job, kind: StopKind) -> Stop:
    stop = job.pickup if kind is StopKind.PICKUP else job.delivery
    assert stop is not None
    return stop


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


def _loads(visits: Sequence[tuple[Job, StopKind]]) -> list[tuple[float, float]]:
    """(kg, litres) on board after START, each stop and END (everything unloaded)."""
    kg = sum(job.weight_kg for job, kind in visits if job.kind is JobKind.DELIVERY)
    litres = sum(job.volume_l for job, kind in visits if job.kind is JobKind.DELIVERY)
    loads = [(kg, litres)]
    for job, kind in visits:
        sign = 1 if kind is StopKind.PICKUP else -1
        kg += sign * job.weight_kg
        litres += sign * job.volume_l
        loads.append((max(kg, 0.0), max(litres, 0.0)))
    loads.append((0.0, 0.0))
    return loads
