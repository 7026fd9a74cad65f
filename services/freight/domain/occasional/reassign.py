"""One large exact move on a plan: which customers the drivers take.

OR-Tools' local search changes a hand-over one customer at a time; a better set of
hand-overs often needs chains (driver k takes i out of a tour, k's customer j goes
back into a tour) or many changes at once. This move chooses all hand-overs
together with CP-SAT, the tours held still:
- a customer on a tour may be handed over; leaving its tour saves its detour
  d(prev, i) + d(i, next) - d(prev, next) (two neighbours on one tour never
  both leave, so the savings add up exactly);
- a handed-over customer may stay with a driver or go back into a tour at its
  cheapest insertion into that tour (or a tour of its own);
- each driver takes at most one eligible customer, each tour keeps its capacity.
The plan is rebuilt from the choice and costed exactly by the caller.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from .instance import DEPOT, HubInstance

_UNITS = 10_000  # CP-SAT needs integers: costs in 1e-4


def reassign(
    instance: HubInstance,
    routes: list[list[int]],
    handovers: dict[int, int],
    seconds: float = 1.0,
) -> tuple[list[list[int]], dict[int, int]] | None:
    """A plan with the best hand-overs for these tours, or None when none is better."""
    d = instance.distance
    demand = {c.id: c.demand for c in instance.customers}
    model = cp_model.CpModel()
    objective = []
    out: dict[int, cp_model.IntVar] = {}
    back: dict[tuple[int, int], cp_model.IntVar] = {}
    take: dict[tuple[int, int], cp_model.IntVar] = {}
    by_customer: dict[int, list] = {}
    by_driver: dict[int, list] = {}
    for driver in instance.drivers:
        for i, c in driver.compensation.items():
            v = take[driver.id, i] = model.NewBoolVar("")
            by_customer.setdefault(i, []).append(v)
            by_driver.setdefault(driver.id, []).append(v)
            objective.append(round(c * _UNITS) * v)
    for k, vs in by_driver.items():
        model.AddAtMostOne(vs)
    loads = [sum(demand[i] for i in r) for r in routes]
    leaving_load: list[list] = [[] for _ in routes]
    for r, route in enumerate(routes):
        stops = [DEPOT] + route + [DEPOT]
        previous_out = None
        for p, i in enumerate(route, start=1):
            options = by_customer.get(i, [])
            if not options:
                previous_out = None
                continue
            o = out[i] = model.NewBoolVar("")
            model.Add(sum(options) == o)
            saving = d(stops[p - 1], i) + d(i, stops[p + 1]) - d(stops[p - 1], stops[p + 1])
            objective.append(-round(saving * _UNITS) * o)
            leaving_load[r].append(demand[i] * o)
            if previous_out is not None:
                model.AddBoolOr([previous_out.Not(), o.Not()])  # neighbours: savings would not add up
            previous_out = o
    arriving_load: list[list] = [[] for _ in routes]
    for j in handovers.values():
        options = list(by_customer.get(j, []))
        for r, route in enumerate(routes):
            if loads[r] + demand[j] > instance.capacity and not leaving_load[r]:
                continue
            stops = [DEPOT] + route + [DEPOT]
            cost = min(d(a, j) + d(j, b) - d(a, b) for a, b in zip(stops, stops[1:]))
            v = back[j, r] = model.NewBoolVar("")
            arriving_load[r].append(demand[j] * v)
            objective.append(round(cost * _UNITS) * v)
            options.append(v)
        alone = back[j, -1] = model.NewBoolVar("")
        objective.append(round(2 * d(DEPOT, j) * _UNITS) * alone)
        options.append(alone)
        model.AddExactlyOne(options)
    for r in range(len(routes)):
        if arriving_load[r]:
            model.Add(loads[r] - sum(leaving_load[r]) + sum(arriving_load[r]) <= instance.capacity)
    # The current plan as a hint: the solver starts from it.
    current = {(k, i) for k, i in handovers.items()}
    for key, v in take.items():
        model.AddHint(v, key in current)
    model.Minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1  # the caller decides about parallelism
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    now = sum(round(instance.driver(k).compensation[i] * _UNITS) for k, i in handovers.items())
    if solver.ObjectiveValue() >= now - 1:
        return None
    leaving = {i for i, v in out.items() if solver.Value(v)}
    new_routes = [[i for i in route if i not in leaving] for route in routes]
    new_handovers = {k: i for (k, i), v in take.items() if solver.Value(v)}
    returning = [(j, r) for (j, r), v in back.items() if solver.Value(v)]
    for j, r in returning:
        if r < 0:
            new_routes.append([j])
            continue
        route = new_routes[r]
        stops = [DEPOT] + route + [DEPOT]
        p = min(range(len(stops) - 1), key=lambda p: d(stops[p], j) + d(j, stops[p + 1]) - d(stops[p], stops[p + 1]))
        route.insert(p, j)
    return [r for r in new_routes if r], new_handovers
