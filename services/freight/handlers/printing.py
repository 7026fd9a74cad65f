"""The printable pages, as HTML for A4 (Jinja2 with autoescaping: names, places and
notes come from people and must never become markup):

- the load slip: what travels with the goods, with the hand-over code and the route;
- the weekly board: the open trips and loads of a week, for the village notice board.

German first, English beneath, like dispatch's tour sheet.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..domain.recurring import BERLIN

TEMPLATES = Path(__file__).parent.parent / "templates"
WEEKDAYS_DE = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
TEMPERATURES = {"AMBIENT": ("ungekühlt", "ambient"), "CHILLED": ("gekühlt", "chilled"),
                "FROZEN": ("tiefgekühlt", "frozen")}
ACTIONS = {"DEPART": ("Abfahrt", "depart"), "PICKUP": ("Abholen", "pick up"), "DROP": ("Abgeben", "drop"),
           "VIA": ("über", "via"), "ARRIVE": ("Ankunft", "arrive")}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def local(value_ms: int | None, pattern: str = "%d.%m.%Y %H:%M") -> str:
    if value_ms is None:
        return "–"
    return datetime.fromtimestamp(value_ms / 1000, BERLIN).strftime(pattern)


def window(start_ms: int, end_ms: int) -> str:
    start, end = local(start_ms), local(end_ms)
    if start[:10] == end[:10]:
        return f"{start} – {end[11:]}"
    return f"{start} – {end}"


def euros(cents: int | None) -> str:
    return "–" if cents is None else f"{cents / 100:.2f} €".replace(".", ",")


def render_slip(load: dict[str, Any], match: dict[str, Any] | None, trip: dict[str, Any] | None,
                code: str | None, now: datetime) -> str:
    temp_de, temp_en = TEMPERATURES.get(load.get("temperature", "AMBIENT"), ("–", "–"))
    stops = []
    for stop in (match or {}).get("stops", []):
        de, en = ACTIONS.get(stop["action"], (stop["action"], stop["action"].lower()))
        stops.append({"action": de, "action_en": en, "place": stop["name"], "time": local(stop["eta"]),
                      "mine": stop.get("load_id") == load["load_id"]})
    slip = {
        "load_id": load["load_id"], "description": load["description"],
        "sender": load.get("participant_name") or load["participant_id"],
        "recipient": load.get("recipient_name") or "–",
        "pickup_place": load["origin"]["name"], "drop_place": load["destination"]["name"],
        "pickup_window": window(load["pickup_start"], load["pickup_end"]),
        "delivery_window": window(load["delivery_start"], load["delivery_end"]),
        "weight_kg": f"{load['weight_g'] / 1000:g}", "volume_l": f"{load['volume_ml'] / 1000:g}",
        "parcels": load.get("parcels", 1), "temperature": temp_de, "temperature_en": temp_en,
        "notes": load.get("handling_notes"), "status": load["status"],
        "match_id": (match or {}).get("match_id"), "price": euros((match or {}).get("price_cents")),
        "driver": (trip or {}).get("participant_name") or (trip or {}).get("participant_id") or "–",
        "code": code, "stops": stops, "printed_at": now.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M"),
        "km_avoided": (match or {}).get("km_avoided"), "co2_kg_avoided": (match or {}).get("co2_kg_avoided"),
        "assisted": load.get("assisted"), "channel": load.get("channel"),
    }
    return _environment().get_template("load_slip.html").render(slip=slip)


def render_board(monday: date, trips: list[dict[str, Any]], loads: list[dict[str, Any]], now: datetime) -> str:
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        day_trips = [t for t in trips if local(t["depart_start"], "%Y-%m-%d") == day.isoformat()]
        day_loads = [l for l in loads if local(l["pickup_start"], "%Y-%m-%d") == day.isoformat()
                     or (offset == 0 and local(l["pickup_start"], "%Y-%m-%d") < day.isoformat())]
        days.append({
            "weekday": WEEKDAYS_DE[offset], "date": day.strftime("%d.%m.%Y"),
            "trips": [{"time": local(t["depart_start"], "%H:%M"), "from": t["origin"]["name"],
                       "to": t["destination"]["name"], "via": ", ".join(v["name"] for v in t.get("via", [])),
                       "who": t.get("participant_name") or t["participant_id"],
                       "room": f"{t['spare_weight_g'] / 1000:g} kg",
                       "temperature": TEMPERATURES.get(t.get("temperature", "AMBIENT"))[0],
                       "price": _price_text(t), "ref": t["trip_id"]} for t in day_trips],
            "loads": [{"time": window(l["pickup_start"], l["pickup_end"])[11:], "from": l["origin"]["name"],
                       "to": l["destination"]["name"], "what": l["description"],
                       "weight": f"{l['weight_g'] / 1000:g} kg",
                       "temperature": TEMPERATURES.get(l.get("temperature", "AMBIENT"))[0],
                       "ref": l["load_id"]} for l in day_loads],
        })
    board = {"week": monday.isocalendar().week, "from": monday.strftime("%d.%m.%Y"),
             "to": (monday + timedelta(days=6)).strftime("%d.%m.%Y"), "days": days,
             "trips": len(trips), "loads": len(loads),
             "printed_at": now.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")}
    return _environment().get_template("weekly_board.html").render(board=board)


def _price_text(trip: dict[str, Any]) -> str:
    rule = trip.get("price_rule")
    if rule == "FREE":
        return "kostenlos / free"
    if rule == "PER_KM":
        return f"{euros(trip.get('price_per_km_cents'))} je Umweg-km / per detour km"
    if rule == "FIXED":
        return f"{euros(trip.get('fixed_price_cents'))} je Ladung / per load"
    return "nach Absprache / on request"
