"""Fleet minimisation: plan the same day with one van less.

A district pays per van and day before it pays per kilometre, so a plan that
empties a van is worth far more than any shortening of the others. Local search
rarely gets there on its own: emptying a tour means moving all of its stops at
once, and every step on the way costs more than it saves. Route elimination (as
in Nagata & Bräysy's and Pisinger & Ropke's route minimisation) searches with
one van fewer from the start, where serving every job is the goal and the
penalty of each job left out shows the way."""

from __future__ import annotations

from dataclasses import replace

from .model import Problem, Solution, SolveStatus


def vans_cost_per_day(problem: Problem) -> bool:
    return any(v.fixed_cost > 0 for v in problem.vehicles)


def applies(problem: Problem) -> bool:
    """Vans that cost per day, at least two of them, and no driver breaks (plans
    with breaks go through the break reserve, which keeps its own vans)."""
    if len(problem.vehicles) < 2 or any(v.breaks is not None for v in problem.vehicles):
        return False
    return vans_cost_per_day(problem)


def worth_trying(problem: Problem, plan: Solution) -> bool:
    """Only after a plan that used at least two vans, of which one costs per day,
    and left no required job out (with a van less it would leave out more)."""
    if not applies(problem) or plan.status is not SolveStatus.SOLVED or len(plan.tours) < 2:
        return False
    if any(problem.job_by_id[d.job_id].required for d in plan.dropped):
        return False
    return any(problem.vehicle_by_id[t.vehicle_id].fixed_cost > 0 for t in plan.tours)


def with_one_van_less(problem: Problem, plan: Solution, time_budget_s: float) -> Problem | None:
    """The problem with only the plan's vans but the one whose tour is the easiest
    to empty: the fewest stops, then the highest cost per day. Vans with fixed
    stops stay (their drivers are on the road). None if no van can go."""
    keep_anyway = {p.vehicle_id for p in problem.fixed_prefixes}
    candidates = [t for t in plan.tours if t.vehicle_id not in keep_anyway]
    if not candidates:
        return None
    emptied = min(candidates, key=lambda t: (len(t.job_stops), -problem.vehicle_by_id[t.vehicle_id].fixed_cost))
    used = {t.vehicle_id for t in plan.tours} | keep_anyway
    vans = tuple(v for v in problem.vehicles if v.id in used and v.id != emptied.vehicle_id)
    return replace(problem, vehicles=vans, time_budget_s=time_budget_s)
