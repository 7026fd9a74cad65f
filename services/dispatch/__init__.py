"""Dispatch: planned tours handed to drivers, on the phone or on a printed sheet;
the drivers' reports from each stop; re-planning during the day.

Entry points:
- `python -m services.dispatch.api`: dispatch a planned tour, show it (also as an
  A4 sheet), take stop reports (driver in the app, operator from paper or a call),
  ask routing for a re-plan
- `python -m services.dispatch.worker`: projects plans, shipments, shops and
  pick-up points, folds the tours' events together, publishes TourCompleted
- `python -m services.dispatch.rebuild --yes`: clear the state before a replay

Topics: owns and writes logistics.tours (TourDispatched, StopCompleted,
StopFailed, TourCompleted); reads logistics.plans, logistics.shipments,
catalog.shops, pickup.points and its own logistics.tours.
"""
