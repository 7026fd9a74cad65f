"""Aggregates only, and none built from too few people: a KPI cell whose basis
(the orders, collections, reservations or residents it counts) is below the
threshold is suppressed, shown as `{"value": null, "suppressed": true}`, never
as zero (a zero would tell that nothing happened, which may itself identify).

A cell with no personal basis (tours, kilometres, shops: businesses, not people)
is never suppressed. The threshold is five (the issue's rule); it is a parameter
so a stricter municipality can raise it, never lower it below five.

`protect_parts` adds the secondary suppression a table with totals needs: the
villages of a shown municipality total never leave exactly one cell suppressed.
Not covered yet: differencing over time (a week's total minus its shown days, or
two ranges differing by one day), which needs periods fixed to calendar weeks and
months and the same rule between a period and its days.
"""

from __future__ import annotations

from typing import Mapping

from .catalogue import KPIS
from .figures import basis_count
from .tally import Tally

MIN_COUNT = 5


def shown(kpi_id: str, value: float | None, tally: Tally, min_count: int = MIN_COUNT) -> dict:
    """One KPI cell as the API shows it."""
    basis = KPIS[kpi_id].basis
    if basis and basis_count(tally, basis) < max(min_count, MIN_COUNT):
        return {"value": None, "suppressed": True}
    return {"value": value, "suppressed": False}


def shown_all(values: Mapping[str, float | None], tally: Tally, min_count: int = MIN_COUNT) -> dict[str, dict]:
    return {kpi_id: shown(kpi_id, value, tally, min_count) for kpi_id, value in values.items()}


def protect_parts(total: dict[str, dict], parts: list[tuple[dict[str, dict], Tally]]) -> None:
    """Secondary suppression: the parts (villages) of a shown total (the municipality)
    must not give a suppressed part away by subtraction. Where exactly one part of a
    KPI is suppressed, the next smallest part is suppressed too; where no other part
    is left to hide, the total is. Changes the cells in place."""
    for kpi_id, cell in total.items():
        basis = KPIS[kpi_id].basis
        if not basis or cell["suppressed"]:
            continue
        hidden = [cells for cells, _ in parts if cells[kpi_id]["suppressed"]]
        if len(hidden) != 1:
            continue
        visible = [(basis_count(tally, basis), n) for n, (cells, tally) in enumerate(parts)
                   if not cells[kpi_id]["suppressed"]]
        if visible:
            parts[min(visible)[1]][0][kpi_id] = {"value": None, "suppressed": True}
        else:
            total[kpi_id] = {"value": None, "suppressed": True}
