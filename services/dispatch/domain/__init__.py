"""Dispatch's pure logic: no Kafka, Redis, HTTP or Faust. A tour is the typed
TourDispatched of `nahnetz.records`; plans and shipments are the typed
PlannedTour and ShipmentRequested.

- `tours`: a dispatched tour built from a planned tour, the shipments and the places
- `progress`: what happened at each stop: the stop state machine
- `reports`: who reports a stop and how (app, or an operator from paper or a call)
- `replans`: the tour of a re-plan taking over a tour under way
- `sheet`: the printable tour sheet as rows and totals
"""
