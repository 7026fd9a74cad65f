"""Routing's pure rules: no Redis, Kafka or HTTP (OR-Tools computes, it does no I/O).

- `plan_requests`: what an operator's request becomes (day, budget, re-plan, vehicles)
- `fleet`: the region's vans as a day's vehicles, shifts in UTC
- `shipments`: routing's view of the hub's shipments and how the hub's events move it
- `replanning`: dispatched tours and their drivers' progress; what stays fixed
- `planning`: request + shipments (+ tours) -> the solver's Problem; solving in rounds
- `consolidation`: the day's jobs by place (collect, distribute, direct)
- `plan_events`: the Solution as RoutePlanned, and a published plan back as a Solution
- `plan_views`: the plans' read model documents
- `solver/`: the OR-Tools model and the independent checker
"""
