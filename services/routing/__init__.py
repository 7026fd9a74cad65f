"""Routing service: plans collection and distribution tours for the logistics hub
(Logistikport HX) with OR-Tools.

An operator asks for a day's tours over HTTP; the request is recorded on
logistics.plans, and the worker answers it there with RoutePlanned (tours with
ETAs and loads, figures, what was left out and why) or RoutePlanFailed. Plans
are made of the hub's shipments, the region's vans and, for a re-plan, what the
drivers of its dispatched tours have done.

Entry points:
    python -m services.routing.api              # routes.py: POST/GET /v1/plans
    python -m services.routing.worker           # agents call handlers/; solves in a process pool
    python -m services.routing.rebuild --yes    # clear the projections, then replay

Topics: owns logistics.plans (RoutePlanRequested from the API, RoutePlanned /
RoutePlanFailed from the worker); reads logistics.shipments, logistics.tours and
orders.orders (cancellations).

Layout: `domain/` (pure rules, and the solver in `domain/solver/`), `handlers/`
(Redis and the broker), `queries.py` (the read models the API answers from),
`keys.py` (every Redis key). Tests: tests/unit/test_routing_*.py,
tests/integration/test_routing_service.py; benchmarks: benchmarks/routing/.
"""
