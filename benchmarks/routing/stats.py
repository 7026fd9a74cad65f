"""The benchmark's arithmetic: gaps, ratios, at-BKS counts and the means per class.

A row is one instance: its BKS and, per solver ("ours", "pyvrp", "vroom"), an
entry from `entry()`, or None where the solver cannot model the instance (n/a).
"""

from __future__ import annotations

import statistics

AT_BKS_TOLERANCE = 0.001  # distance within 0.1 % of the BKS counts as at the BKS


def gap_percent(distance: float, bks_distance: float | None) -> float | None:
    return None if not bks_distance else round((distance / bks_distance - 1) * 100, 2) + 0.0  # no -0.0


def at_bks(vehicles: int, distance: float, bks_vehicles: int | None, bks_distance: float | None) -> bool:
    """Vehicles-first: fewer vans than the BKS, or as many and the distance within 0.1 %."""
    if bks_vehicles is None or bks_distance is None:
        return False
    return vehicles < bks_vehicles or (
        vehicles == bks_vehicles and distance <= bks_distance * (1 + AT_BKS_TOLERANCE)
    )


def entry(
    vehicles: int, distance: float, feasible: bool, dropped: int, wall: float,
    bks_vehicles: int | None, bks_distance: float | None, distance_bks: bool,
) -> dict:
    """One solver on one instance. `distance_bks`: the BKS is for the fleet as given
    (Solomon `_distance`), so every gap counts; otherwise (vehicles-first BKS) a
    distance gap only means something with the BKS's vehicle count."""
    same = bks_vehicles is not None and vehicles == bks_vehicles
    gap = gap_percent(distance, bks_distance)
    return {
        "vehicles": vehicles,
        "distance": round(distance, 2),
        "feasible": feasible,
        "dropped": dropped,
        "wall_seconds": round(wall, 2),
        "gap_percent": gap,
        "same_vehicles": same,
        "comparable": feasible and gap is not None and (distance_bks or same),
        "at_bks": feasible and at_bks(vehicles, distance, bks_vehicles, bks_distance),
    }


def ratio(ours: dict | None, peer: dict | None) -> float | None:
    """ours / peer on distance, only where both plans passed the checker (below 1: we are shorter)."""
    if not ours or not peer or not ours["feasible"] or not peer["feasible"] or not peer["distance"]:
        return None
    return ours["distance"] / peer["distance"]


def _mean(values: list[float], digits: int) -> float | None:
    return round(statistics.fmean(values), digits) if values else None


def block(rows: list[dict], solvers: list[str]) -> dict:
    """Means over some rows, per solver, plus ours/peer ratios."""
    out: dict = {"instances": len(rows), "bks_vehicles": sum(r["bks_vehicles"] or 0 for r in rows)}
    for s in solvers:
        ran = [r[s] for r in rows if r.get(s)]
        gaps = [e["gap_percent"] for e in ran if e["comparable"]]
        out[s] = {
            "run": len(ran),
            "feasible": sum(e["feasible"] for e in ran),
            "vehicles": sum(e["vehicles"] for e in ran if e["feasible"]),
            "mean_gap_percent": _mean(gaps, 2),
            "compared": len(gaps),
            "at_bks": sum(e["at_bks"] for e in ran),
        }
        if s != "ours":
            ratios = [x for r in rows if (x := ratio(r.get("ours"), r.get(s))) is not None]
            out[s]["mean_ratio"] = _mean(ratios, 4)
            out[s]["ratio_n"] = len(ratios)
    return out


def summarise(rows: list[dict], solvers: list[str]) -> dict:
    order = {"solomon": 0, "homberger": 1, "li_lim": 2}
    groups = sorted({(r["family"], r["group"]) for r in rows}, key=lambda fg: (order.get(fg[0], 9), fg[1].lower()))
    return {
        "groups": {g: block([r for r in rows if r["group"] == g], solvers) for _, g in groups},
        "families": {
            f: block([r for r in rows if r["family"] == f], solvers)
            for f in sorted({r["family"] for r in rows}, key=lambda f: order.get(f, 9))
        },
        "all": block(rows, solvers),
    }
