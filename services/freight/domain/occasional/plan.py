"""A plan for the hub's day and what it costs.

Cost = the length of every non-empty tour (hub, its customers in order, hub) plus
the compensation of every parcel handed to an occasional driver. Rules: every
customer is served exactly once, by a tour or by a driver; a tour carries at most
the capacity; a driver takes at most one parcel, and only for a customer they are
eligible for (drivers have no capacity limit)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from .instance import DEPOT, HubInstance


@dataclass(frozen=True)
class HubPlan:
    """`routes`: customer ids in visit order (the hub implicit at both ends).
    `handovers`: driver id -> the customers given to that driver (at most one in a
    feasible plan; a sequence so that a broken plan can still be described)."""

    routes: tuple[tuple[int, ...], ...]
    handovers: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    @staticmethod
    def of(routes: Sequence[Sequence[int]], handovers: Mapping[int, int | Sequence[int]] = ()) -> "HubPlan":
        given = dict(handovers)
        return HubPlan(
            routes=tuple(tuple(r) for r in routes),
            handovers={k: (v,) if isinstance(v, int) else tuple(v) for k, v in given.items()},
        )


@dataclass(frozen=True)
class Evaluation:
    value: float  # tour length plus compensations, in double precision
    route_length: float
    compensation: float
    violations: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return not self.violations


class InfeasiblePlan(ValueError):
    def __init__(self, violations: Sequence[str]) -> None:
        super().__init__("; ".join(violations))
        self.violations = tuple(violations)


def evaluate(instance: HubInstance, plan: HubPlan) -> Evaluation:
    """The plan's cost and every rule it breaks (the cost counts what the plan
    says, even when it is infeasible)."""
    violations: list[str] = []
    served: Counter[int] = Counter()
    length = 0.0
    for number, route in enumerate(plan.routes, start=1):
        if not route:
            continue  # an empty tour is not driven
        load = 0
        previous = DEPOT
        for stop in route:
            customer = instance.customer(stop)
            if customer is None:
                violations.append(f"route {number} visits {stop}, which is not a customer")
                continue
            load += customer.demand
            served[stop] += 1
            length += instance.distance(previous, stop)
            previous = stop
        length += instance.distance(previous, DEPOT)
        if load > instance.capacity:
            violations.append(f"route {number} carries {load}, above the capacity {instance.capacity}")
    compensation = 0.0
    for driver_id, customers in sorted(plan.handovers.items()):
        driver = instance.driver(driver_id)
        if driver is None:
            violations.append(f"driver {driver_id} does not exist")
            continue
        if len(customers) > 1:
            violations.append(f"driver {driver_id} is given {len(customers)} customers {list(customers)}, at most 1")
        for stop in customers:
            if instance.customer(stop) is None:
                violations.append(f"driver {driver_id} is given {stop}, which is not a customer")
                continue
            served[stop] += 1
            if stop not in driver.compensation:
                violations.append(f"driver {driver_id} is not eligible for customer {stop}")
                continue
            compensation += driver.compensation[stop]
    for customer in instance.customers:
        times = served[customer.id]
        if times == 0:
            violations.append(f"customer {customer.id} is not served")
        elif times > 1:
            violations.append(f"customer {customer.id} is served {times} times")
    return Evaluation(length + compensation, length, compensation, tuple(violations))


def require_feasible(instance: HubInstance, plan: HubPlan) -> float:
    """The plan's cost; raises InfeasiblePlan naming every broken rule."""
    result = evaluate(instance, plan)
    if result.violations:
        raise InfeasiblePlan(result.violations)
    return result.value
