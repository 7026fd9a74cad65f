"""The routing service's handlers: they load state, call the domain and cause
effects through the kit; each takes its dependencies as arguments.

- `shipments` (logistics.shipments), `tours` (logistics.tours), `orders`
  (orders.orders): what plans are made of, in routing's own keys
- `plans` (logistics.plans): requests claimed once, solved in a process pool,
  answered once through the outbox, recovered; `plan_views`: the plans' read model
- `commands`: what the API's writes become (a plan request)
- `travel`: travel times for the solver (great circle, or OSRM over HTTP)
"""
