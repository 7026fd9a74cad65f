"""What happened, in tables people can read (German first, English second)."""

from __future__ import annotations

from collections import Counter
from statistics import median

from .residents import PlacedOrder

REASONS_DE = {
    "OUT_OF_STOCK": "ausverkauft", "INSUFFICIENT_STOCK": "zu wenig Bestand", "UNKNOWN_PRODUCT": "unbekannte Ware",
    "DELISTED": "nicht mehr gelistet", "NO_COMPARTMENT": "kein Fach frei", "FULL": "Abholstelle voll",
    "TIMEOUT": "keine Antwort", "NO_TEMPERATURE_CLASS": "kein passendes Kühlfach",
}


def reasons_of(order: dict) -> list[str]:
    """The overall reason of a rejection and the reasons of its lines."""
    rejection = order.get("rejection") or {}
    found = {rejection.get("reason")} | {line.get("reason") for line in rejection.get("lines", [])}
    return sorted(r for r in found if r) or ["(ohne Angabe / none given)"]


def print_orders(placed: list[PlacedOrder], final: dict[str, dict], say) -> None:
    accepted = [p for p in placed if p.order_id]
    refused = [p for p in placed if not p.order_id]
    statuses = Counter(final[p.order_id]["status"] for p in accepted)
    say("")
    say(f"Bestellungen / orders: {len(placed)} aufgegeben / placed, {len(accepted)} angenommen / accepted by the API"
        + (f", {len(refused)} abgewiesen / refused" if refused else ""))
    if accepted:
        say(f"  Annahme / acceptance: median {median(p.accepted_in_s for p in accepted) * 1000:.0f} ms")
    for status, count in statuses.most_common():
        say(f"  {status:<18} {count:>5}")
    reasons = Counter(r for p in accepted if final[p.order_id]["status"] == "REJECTED"
                      for r in reasons_of(final[p.order_id]))
    if reasons:
        say("  Abgelehnt, weil / rejected because:")
        for reason, count in reasons.most_common():
            say(f"    {reason:<24} {REASONS_DE.get(reason, ''):<24} {count:>5}")
    for reason, count in Counter(p.refused for p in refused).most_common(5):
        say(f"  API: {count} x {reason}")
    channels = Counter((p.channel, final[p.order_id]["status"] if p.order_id else "REFUSED") for p in placed)
    say("  Kanal / channel:      " + "  ".join(
        f"{c}: {sum(n for (ch, _), n in channels.items() if ch == c)}" for c in sorted({c for c, _ in channels})))


def print_second_chance(final: dict[str, dict], second: dict[str, dict], attempt: int, say) -> None:
    """How many rejected orders were taken again at another point, and how that went."""
    rejected = sum(1 for o in final.values() if o["status"] == "REJECTED" and o.get("replaced_by") in second) \
        + sum(1 for o in final.values() if o["status"] == "REJECTED" and not o.get("replaced_by"))
    statuses = Counter(o["status"] for o in second.values())
    say(f"  Neuer Versuch / taken again ({attempt}.): {len(second)} von / of {rejected} abgelehnten Bestellungen "
        f"an der nächsten Abholstelle mit Platz / at the nearest point with room"
        + "".join(f", {n} {status}" for status, n in statuses.most_common()))


def print_compartments(occupancy: list[dict], names: dict[str, str], say) -> None:
    say("")
    say(f"Fächer am Liefertag / compartments used on the delivery day")
    say(f"  {'Abholstelle / pick-up point':<44} {'belegt/used':>11} {'gesamt/total':>12}")
    for view in sorted(occupancy, key=lambda v: -v["used"]):
        name = names.get(view["pickup_point_id"], view["pickup_point_id"])
        say(f"  {name[:44]:<44} {view['used']:>11} {view['total']:>12}")
    used = sum(v["used"] for v in occupancy)
    total = sum(v["total"] for v in occupancy)
    say(f"  {'Summe / total':<44} {used:>11} {total:>12}")
