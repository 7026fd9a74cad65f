"""Dispatch: planned tours handed to drivers, on the phone or on a printed sheet.

| module | what it is |
|---|---|
| `domain/tours.py` | a dispatched tour built from a planned tour and the shipments (pure) |
| `domain/progress.py` | what happened at each stop: the stop state machine (pure) |
| `domain/sheet.py` | the printable tour sheet as rows and totals (pure) |
| `handlers/` | projections (plans, shipments, shops, pick-up points, tours) and the commands |
| `sheet.py`, `templates/` | the sheet as HTML (Jinja2, autoescaped, print CSS for A4) |
| `routing_client.py` | the call to the routing service for re-planning |
| `keys.py` | every Redis key (`dispatch:`) |
| `api.py`, `routes.py`, `http_models.py` | the HTTP API (`python -m services.dispatch.api`) |
| `worker.py` | the worker (`python -m services.dispatch.worker`) |
| `rebuild.py` | rebuild the Redis state from the topics |
"""
