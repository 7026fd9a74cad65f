"""Aggregates only, and none built from too few people: a KPI cell whose basis
(the orders, collections, reservations or residents it counts) is below the
threshold is suppressed, shown as `{"value": null, "suppressed": true}`, never
as zero (a zero would tell that nothing happened, which may itself identify).

A cell with no personal basis (tours, kilometres, shops: businesses, not people)
is never suppressed. The threshold is five (the issue's rule); it is a parameter
so a stricter municipality can raise it, never lower it below five.

`protect_parts` adds the secondary suppression a table with totals needs: the
villages of a shown municipality total never leave exactly one cell suppressed.
`protect_days` does the same over time: a week's or a month's total minus its shown
days must never tell a suppressed day, nor a sum of suppressed days below the
threshold. Ranges are always whole weeks or months (`days.whole_periods`), so two
ranges a day apart tell nothing either. Not covered: both at once (a village's
days against the municipality's days and the village's week), which would need
the whole table of areas by days solved together (as statistical offices do with
tau-argus); the rules here close the single-step subtractions.
"""

from __future__ import annotations

from datetime import date
from typing import Callable, Hashable, Iterable, Mapping

from .catalogue import KPIS, SUM
from .figures import basis_count
from .tally import Tally

MIN_COUNT = 5


def shown(kpi_id: str, value: float | None, tally: Tally, min_count: int = MIN_COUNT,
          counted: dict[tuple[str, ...], float] | None = None) -> dict:
    """One KPI cell as the API shows it. `counted`: the tally's basis counts found so far
    (KPIs share bases; a row asks for each of them once)."""
    basis = KPIS[kpi_id].basis
    if basis:
        counted = {} if counted is None else counted
        if basis not in counted:
            counted[basis] = basis_count(tally, basis)
        if counted[basis] < max(min_count, MIN_COUNT):
            return {"value": None, "suppressed": True}
    return {"value": value, "suppressed": False}


def shown_all(values: Mapping[str, float | None], tally: Tally, min_count: int = MIN_COUNT) -> dict[str, dict]:
    counted: dict[tuple[str, ...], float] = {}
    return {kpi_id: shown(kpi_id, value, tally, min_count, counted) for kpi_id, value in values.items()}


def protect_parts(total: dict[str, dict], parts: list[tuple[dict[str, dict], Tally]]) -> bool:
    """Secondary suppression: the parts (villages) of a shown total (the municipality)
    must not give a suppressed part away by subtraction. Where exactly one part of a
    KPI is suppressed, the next smallest part is suppressed too; where no other part
    is left to hide, the total is. Changes the cells in place; says whether it did."""
    changed = False
    for kpi_id, cell in total.items():
        basis = KPIS[kpi_id].basis
        given = [(cells, tally) for cells, tally in parts if kpi_id in cells]
        if not basis or cell["suppressed"] or not given:
            continue  # no basis, already hidden, or not given by village (freight: by municipality)
        hidden = [cells for cells, _ in given if cells[kpi_id]["suppressed"]]
        if len(hidden) != 1:
            continue
        visible = [(basis_count(tally, basis), n) for n, (cells, tally) in enumerate(given)
                   if not cells[kpi_id]["suppressed"]]
        if visible:
            given[min(visible)[1]][0][kpi_id] = {"value": None, "suppressed": True}
        else:
            total[kpi_id] = {"value": None, "suppressed": True}
        changed = True
    return changed


def protect_days(days: list[tuple[date, dict[str, dict], Tally]], groups: Callable[[date], Iterable[Hashable]],
                 min_count: int = MIN_COUNT) -> bool:
    """Secondary suppression over time for one area's day cells (day, cells, tally):
    within every group of days (`groups(day)`: its ISO week and its month), the
    suppressed days of a summed KPI together count 0 or at least `min_count`, else
    the smallest shown day is suppressed too (a shown day counts at least
    `min_count`, so one is enough). Changes the cells in place; says whether it did."""
    threshold = max(min_count, MIN_COUNT)
    members: dict[Hashable, list[int]] = {}
    for n, (day, _, _) in enumerate(days):
        for group in groups(day):
            members.setdefault(group, []).append(n)
    changed = False
    kpi_ids = {kpi_id for _, cells, _ in days for kpi_id in cells}
    counted: dict[tuple[str, ...], list[float]] = {}  # each day's count of a basis, once (KPIs share bases)
    for kpi_id in sorted(kpi_ids):
        kpi = KPIS[kpi_id]
        if not kpi.basis or kpi.period_value != SUM:
            continue
        basis = kpi.basis
        if basis not in counted:
            counted[basis] = [basis_count(tally, basis) for _, _, tally in days]
        counts = counted[basis]
        if not any(counts[n] > 0 and cells.get(kpi_id, {}).get("suppressed") for n, (_, cells, _) in enumerate(days)):
            continue  # no day hides anyone: no group can give one away
        for indices in members.values():
            cells = [(counts[n], n) for n in indices if kpi_id in days[n][1]]
            hidden = [count for count, n in cells if days[n][1][kpi_id]["suppressed"]]
            visible = sorted((count, days[n][0], n) for count, n in cells if not days[n][1][kpi_id]["suppressed"])
            # A hidden sum of 0 tells only that nothing happened (a Sunday): no one to protect.
            if 0 < sum(hidden) < threshold and visible:
                days[visible[0][2]][1][kpi_id] = {"value": None, "suppressed": True}
                changed = True
    return changed
