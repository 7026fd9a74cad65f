"""Which vehicles could serve a job at all, checked before the optimiser runs.

A job no vehicle can serve is dropped here with the precise reason a person
can act on ("no vehicle can carry FROZEN"); the optimiser only ever says "left
out". The checks are necessary conditions (one job alone on an empty tour), so
a job passing them may still be left out later, never the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import DroppedJob, DropReason, Job, Problem, Stop, TimeWindow, Vehicle


@dataclass(frozen=True)
class Eligibility:
    allowed: dict[str, tuple[int, ...]]  # job id -> indexes of vehicles that may serve it
    dropped: tuple[DroppedJob, ...]


def check_eligibility(problem: Problem, exempt: frozenset[str] = frozenset()) -> Eligibility:
    """Exempt jobs (fixed on a vehicle by re-planning) are kept whatever they need."""
    allowed: dict[str, tuple[int, ...]] = {}
    dropped: list[DroppedJob] = []
    everyone = tuple(range(len(problem.vehicles)))
    for job in problem.jobs:
        if job.id in exempt:
            allowed[job.id] = everyone
            continue
        vehicles, refusal = _vehicles_for(problem, job)
        if vehicles:
            allowed[job.id] = vehicles
        else:
            dropped.append(refusal)
    return Eligibility(allowed, tuple(dropped))


def _vehicles_for(problem: Problem, job: Job) -> tuple[tuple[int, ...], DroppedJob | None]:
    fleet = list(enumerate(problem.vehicles))
    cold = [(i, v) for i, v in fleet if v.can_carry(job.temperature)]
    if not cold:
        return (), DroppedJob(job.id, DropReason.NO_VEHICLE_FOR_TEMPERATURE, f"no vehicle can carry {job.temperature.value}")
    if not any(job.weight_kg <= v.capacity_kg for _, v in fleet):
        return (), DroppedJob(
            job.id, DropReason.TOO_HEAVY, f"weight {job.weight_kg:g} kg exceeds every vehicle's capacity"
        )
    if not any(job.volume_l <= v.capacity_l for _, v in fleet):
        return (), DroppedJob(
            job.id, DropReason.TOO_BULKY, f"volume {job.volume_l:g} l exceeds every vehicle's capacity"
        )
    suitable = [(i, v) for i, v in cold if _fits(job, v)]
    if not suitable:
        return (), DroppedJob(
            job.id,
            DropReason.NO_SUITABLE_VEHICLE,
            f"no vehicle can carry {job.temperature.value} with {job.weight_kg:g} kg and {job.volume_l:g} l",
        )
    timed = [(i, v, _round_trip(problem, job, v)) for i, v in suitable]
    reachable = [(i, v, lower_bound) for i, v, lower_bound in timed if lower_bound is not None]
    if not reachable:
        return (), DroppedJob(
            job.id, DropReason.WINDOW_UNREACHABLE, "time window unreachable from depot within shift"
        )
    short = tuple(i for i, v, lower_bound in reachable if v.max_duration_s is None or lower_bound <= v.max_duration_s)
    if not short:
        return (), DroppedJob(
            job.id, DropReason.TOUR_TOO_LONG, "exceeds every suitable vehicle's maximum tour duration"
        )
    return short, None


def _fits(job: Job, vehicle: Vehicle) -> bool:
    return job.weight_kg <= vehicle.capacity_kg and job.volume_l <= vehicle.capacity_l


def _round_trip(problem: Problem, job: Job, vehicle: Vehicle) -> int | None:
    """Leave the start depot at shift start, serve the job's stops as early as
    their windows allow, return to the end depot. None if a window is missed or
    the shift ends first; otherwise the least time such a tour takes (driving
    and service, no waiting: a later departure can always avoid the wait)."""
    t = vehicle.shift.start_s
    here = vehicle.start_location_id
    busy = 0
    for _, stop in job.stops():
        travel = problem.duration_s(here, stop.location_id)
        start = earliest_service_start(t + travel, stop, vehicle.shift)
        if start is None:
            return None
        t = start + stop.service_s
        busy += travel + stop.service_s
        here = stop.location_id
    back = problem.duration_s(here, vehicle.end_location_id)
    if t + back > vehicle.shift.end_s:
        return None
    return busy + back


def earliest_service_start(arrival: int, stop: Stop, shift: TimeWindow) -> int | None:
    """The first second at or after `arrival` that lies in one of the stop's windows
    (the shift when it has none), or None when every window has closed."""
    windows = stop.time_windows or (shift,)
    for window in windows:
        if arrival <= window.end_s:
            return max(arrival, window.start_s)
    return None
