"""The plans' read model as JSON documents (pure): PENDING when requested,
PLANNED with tours, figures and dropped jobs, or FAILED with the reason.

Every field comes from the events of logistics.plans (the request, then its
outcome), so replaying that topic gives the same documents again.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from nahnetz.records import PlannedTour, RoutePlanFailed, RoutePlanned, RoutePlanRequested

Outcome = RoutePlanned | RoutePlanFailed
SUMMARY_FIELDS = ("plan_id", "day", "status", "requested_at", "requested_by", "answered_at", "replan_of", "figures",
                  "failure")


def pending_view(request: RoutePlanRequested) -> dict[str, Any]:
    actor = request.meta.actor
    return {
        "plan_id": request.plan_id, "day": request.day.isoformat(), "status": "PENDING",
        "requested_at": request.meta.occurred_at.isoformat(), "requested_by": actor.user_id if actor else None,
        "time_budget_s": request.time_budget_s, "replan_of": request.replan_of,
        "vehicle_ids": [v.vehicle_id for v in request.vehicles],
        "depot": {"depot_id": request.depot.depot_id, "name": request.depot.name},
    }


def answered_view(view: Mapping[str, Any] | None, outcome: Outcome) -> dict[str, Any]:
    """The plan's view after its outcome (the same outcome again gives the same view)."""
    answered = dict(view) if view is not None else {"plan_id": outcome.plan_id}
    answered["answered_at"] = outcome.meta.occurred_at.isoformat()
    if isinstance(outcome, RoutePlanned):
        costs = outcome.tour_costs_eur or {}
        answered.update(status="PLANNED", day=outcome.day.isoformat(),
                        tours=[_tour(t, costs.get(t.tour_id)) for t in outcome.tours], cost_eur=outcome.cost_eur,
                        dropped=[d.to_avro() for d in outcome.dropped], figures=figures(outcome),
                        matrix_source=outcome.matrix_source, replan_of=outcome.replan_of, failure=None)
    else:
        answered.update(status="FAILED", failure={"reason": str(outcome.reason), "message": outcome.message})
    return answered


def figures(planned: RoutePlanned) -> dict[str, Any]:
    tours = planned.tours
    return {
        "vehicles_used": len(tours), "distance_km": round(planned.distance_km, 3),
        "empty_km": round(planned.empty_km if planned.empty_km is not None else sum(t.empty_km for t in tours), 3),
        "load_factor": planned.load_factor, "duration_s": sum(t.duration_s for t in tours),
        "stops": sum(len(t.stops) - 2 for t in tours), "dropped_jobs": len(planned.dropped),
        "solve_time_ms": planned.solve_time_ms,
    }


def requested_ms(view: Mapping[str, Any], outcome: Outcome) -> int:
    """The plan's place in its day's list: when it was requested (else answered), in ms."""
    requested_at = view.get("requested_at")
    instant = datetime.fromisoformat(requested_at) if requested_at else outcome.meta.occurred_at
    return instant_ms(instant)


def instant_ms(instant: datetime) -> int:
    return int(instant.astimezone(timezone.utc).timestamp() * 1000)


def summary(view: Mapping[str, Any]) -> dict[str, Any]:
    return {k: view.get(k) for k in SUMMARY_FIELDS}


def _tour(tour: PlannedTour, cost_eur: float | None) -> dict[str, Any]:
    """The tour as the API shows it, with its cost in euros (None for plans from before costs were carried)."""
    document = tour.to_avro()
    return {**document, "cost_eur": cost_eur,
            "stops": [{**s, "eta": s["eta"].isoformat(), "kind": str(s["kind"])} for s in document["stops"]],
            "breaks": [{**b, "starts_at": b["starts_at"].isoformat(), "ends_at": b["ends_at"].isoformat()}
                       for b in document["breaks"]]}
