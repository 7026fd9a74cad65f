"""The supply insights' rules, pure: no Redis, Kafka, HTTP, no distances.

- `catalogue`: every KPI with its id, German and English name, formula, unit and
  the count a cell of it is built from (its privacy basis).
- `days`: the Berlin day an event counts on; days grouped into weeks and months.
- `changes`: what folding one event adds to which cell (a day and a pick-up point,
  shop, tour, trip or load).
- `orders`, `compartments`, `tours`, `freight`, `trade`: the folds of each topic
  family: an event (and what was kept of its entity) -> changes.
- `tally`: cells summed over an area and a period.
- `figures`: a tally's KPI values (rates, percentiles, CO2 from a configured factor).
- `privacy`: cells built from fewer than five orders or residents are suppressed, and
  a village's suppressed cell cannot be had by subtracting its neighbours from the total.
- `coverage`: the share of a village's residents near a pick-up point or shop,
  from distances measured outside the domain.
"""
