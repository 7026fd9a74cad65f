"""A tally's KPI values: the formulas of the catalogue, in code.

    values = kpi_values(tally, Factors(co2_g_per_km=170.0), ids=("orders", "co2_avoided"))
    values["orders"]   -> 12.0

A value is None where its formula has nothing to divide by (no decisions, no
samples). Suppression is `privacy.py`'s job, not this one's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from .catalogue import ASSISTED_CHANNELS, CATALOGUE, SIZES, TEMPERATURES, OrderRejectionReason, ORDER_CHANNELS
from .tally import Tally, percentile


@dataclass(frozen=True)
class Factors:
    """Configured factors (settings, each with its source there)."""

    co2_g_per_km: float


def _share(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _ratio(part: float, whole: float, digits: int = 2) -> float | None:
    return round(part / whole, digits) if whole else None


Formula = Callable[[Tally, Factors], "float | None"]


def _formulas() -> dict[str, Formula]:
    c = lambda name: (lambda t, f: float(t.counts.get(name, 0)))  # noqa: E731 - a count as it is
    out: dict[str, Formula] = {
        "orders": c("orders"),
        "items": c("items"),
        "order_value": lambda t, f: round(t.counts.get("value_cents", 0) / 100, 2),
        "assisted_share": lambda t, f: _share(sum(t.counts.get(f"channel:{ch.value}", 0) for ch in ASSISTED_CHANNELS),
                                              t.counts.get("orders", 0)),
        "confirmation_rate": lambda t, f: _share(t.counts.get("confirmed", 0),
                                                 t.counts.get("confirmed", 0) + t.counts.get("rejected", 0)),
        "rejections": c("rejected"),
        "cancelled": c("cancelled"),
        "lead_time_ready_p50": lambda t, f: _hours(percentile(t.samples.get("lead_ready_s", []), 0.5)),
        "lead_time_ready_p90": lambda t, f: _hours(percentile(t.samples.get("lead_ready_s", []), 0.9)),
        "ready_to_collected_p50": lambda t, f: _hours(percentile(t.samples.get("ready_collected_s", []), 0.5)),
        "ready_to_collected_p90": lambda t, f: _hours(percentile(t.samples.get("ready_collected_s", []), 0.9)),
        "collected": c("collected"),
        "expired": c("expired"),
        "compartment_use": lambda t, f: _share(t.counts.get("held", 0), t.counts.get("capacity", 0)),
        "peak_occupancy": lambda t, f: (round(100 * t.maxima["occupancy"], 2) if "occupancy" in t.maxima else None),
        "days_full": c("days_full"),
        "collections_outside_shop_hours": c("collected_outside_hours"),
        "collections_outside_shop_hours_share": lambda t, f: _share(t.counts.get("collected_outside_hours", 0),
                                                                    t.counts.get("collected_timed", 0)),
        "tours": c("tours"),
        "km_driven": lambda t, f: round(t.counts.get("m_driven", 0) / 1000, 1),
        "stops_per_tour": lambda t, f: _ratio(t.counts.get("stops_completed", 0) + t.counts.get("stops_failed", 0),
                                              t.counts.get("tours", 0)),
        "on_time_share": lambda t, f: _share(t.counts.get("stops_on_time", 0), t.counts.get("stops_timed", 0)),
        "load_factor": lambda t, f: _share(t.counts.get("planned_load_factor_sum", 0),
                                           t.counts.get("planned_tours", 0)),
        "empty_km": lambda t, f: round(t.counts.get("planned_empty_km", 0), 1),
        "trips_offered": c("trips_offered"),
        "loads_posted": c("loads_posted"),
        "loads_matched": c("loads_matched"),
        "loads_delivered": c("loads_delivered"),
        "km_avoided": lambda t, f: round(t.counts.get("m_avoided", 0) / 1000, 1),
        "co2_avoided": lambda t, f: round(t.counts.get("m_avoided", 0) / 1000 * f.co2_g_per_km / 1000, 1),
        "compensation": lambda t, f: round(t.counts.get("compensation_cents", 0) / 100, 2),
        "active_shops": c("active_shops"),
        "goods_listed": c("goods_listed"),
        "orders_per_shop": lambda t, f: _ratio(t.counts.get("shop_orders", 0), t.counts.get("active_shops", 0)),
    }
    for ch in ORDER_CHANNELS:
        out[f"orders_{ch.value.lower()}"] = c(f"channel:{ch.value}")
    for reason in OrderRejectionReason:
        out[f"rejected_{reason.value.lower()}"] = c(f"rejected:{reason.value}")
    for key in (*TEMPERATURES, *SIZES):
        out[f"compartment_use_{key.lower()}"] = (
            lambda t, f, key=key: _share(t.counts.get(f"held:{key}", 0), t.counts.get(f"capacity:{key}", 0)))
    for metres in (1000, 2000, 5000):
        out[f"reach_{metres}m"] = (
            lambda t, f, m=metres: _share(t.counts.get(f"residents_within:{m}", 0), t.counts.get("residents", 0)))
        out[f"reach_road_{metres}m"] = (
            lambda t, f, m=metres: _share(t.counts.get(f"residents_within_road:{m}", 0),
                                          t.counts.get("residents_by_road", 0)))
    return out


FORMULAS: dict[str, Formula] = _formulas()
_missing = {k.id for k in CATALOGUE} - set(FORMULAS)
assert not _missing, f"KPIs without a formula: {sorted(_missing)}"


def kpi_values(tally: Tally, factors: Factors, ids: Iterable[str]) -> dict[str, float | None]:
    return {kpi_id: FORMULAS[kpi_id](tally, factors) for kpi_id in ids}


def basis_count(tally: Tally, basis: Iterable[str]) -> float:
    """The count a KPI's cell is built from: counters, or `n:<measure>` for samples."""
    total = 0.0
    for name in basis:
        total += len(tally.samples.get(name[2:], [])) if name.startswith("n:") else tally.counts.get(name, 0)
    return total
