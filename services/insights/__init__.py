"""Supply insights for municipalities (#12): KPIs per village, municipality and the
district, per day, week and month, folded from the domain topics' events only, so
a rebuild from the topics gives exactly the live figures; the reach of pick-up points
and shops; aggregates only, cells of fewer than five orders or residents suppressed.

Entry points:
- `api.py` (HTTP, `python -m services.insights.api`): the KPI catalogue, a
  municipality's figures by village, the district aggregate, the CSV export and the
  public open data; its routes call `queries.py`.
  The GeoJSON and NGSI-LD exports of the same answers are `export_routes.py`.
  The monthly report for the council (A4 HTML) is `report_routes.py`.
- `worker.py` (Faust, `python -m services.insights.worker`): the agents folding the topics.
- `rebuild.py` (`python -m services.insights.rebuild --yes`): the Redis state again from the topics.

Topics it reads: orders.orders, pickup.reservations, pickup.points, catalog.shops,
catalog.products, logistics.tours, logistics.plans, freight.trips, freight.loads,
freight.matches. It writes none (only dead letters of what it cannot fold).

The pure rules (KPI catalogue, folds, formulas, suppression) live in `domain/`,
what applies them to Redis in `handlers/`, the geometry of reach in `handlers/reach.py`.
"""
