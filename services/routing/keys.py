"""Every Redis key of the routing service (prefix `routing:`), in one place.

| key | type | what | written by |
|---|---|---|---|
| routing:shipment:<id> | string (JSON) | the shipment as planning needs it, with its status | worker, from logistics.shipments |
| routing:day:<day> | set | shipments a plan of the day concerns (collected or delivered that day) | worker, from logistics.shipments |
| routing:cancelled:<order_id> | string | the order was cancelled | worker, from orders.orders |
| routing:tour:<tour_id> | string (JSON) | a dispatched tour's stops and how far the driver got | worker, from logistics.tours |
| routing:plan-tours:<plan_id> | set | tour ids dispatched from the plan | worker, from logistics.tours |
| routing:plan:<plan_id> | string (JSON) | the plan's read model: PENDING, PLANNED or FAILED, tours, figures, dropped jobs | API (PENDING, only if absent), worker |
| routing:plans:<day> | sorted set | plan ids of a day by request time (ms) | API, worker |
| routing:plan-request:<plan_id> | string (base64 Avro) | the claimed request, for solving and recovery | worker |
| routing:plan-outcome:<plan_id> | string | the type of the outcome decided for it (RoutePlanned or RoutePlanFailed): a replayed request is not solved again | worker |
| routing:plans:solving | sorted set | claimed plans without a published outcome, by lease deadline (ms) | worker |

Besides these, the worker's processed markers (`nahnetz.messaging.idempotency`):
`routing.plan_requests:<plan_id>` (the claim) and `routing.plan_answers:<plan_id>`
(the outcome's outbox, `nahnetz.messaging.outbox`).
"""

from __future__ import annotations

from datetime import date

PREFIX = "routing"
SOLVING = "routing:plans:solving"


def _day(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else value


def shipment(shipment_id: str) -> str:
    return f"routing:shipment:{shipment_id}"


def day(value: date | str) -> str:
    return f"routing:day:{_day(value)}"


def cancelled(order_id: str) -> str:
    return f"routing:cancelled:{order_id}"


def tour(tour_id: str) -> str:
    return f"routing:tour:{tour_id}"


def plan_tours(plan_id: str) -> str:
    return f"routing:plan-tours:{plan_id}"


def plan(plan_id: str) -> str:
    return f"routing:plan:{plan_id}"


def plans_of_day(value: date | str) -> str:
    return f"routing:plans:{_day(value)}"


def plan_request(plan_id: str) -> str:
    return f"routing:plan-request:{plan_id}"


def plan_outcome(plan_id: str) -> str:
    return f"routing:plan-outcome:{plan_id}"

