"""The freight pages' logic (pure): a trip or load form into the freight API's body,
the windows people type (local time) into times with their offset, labels for
statuses, and the hand-over code read off the load slip.

Forms give strings; a problem is (field, German, English), shown next to the form.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")
TEMPERATURES = ("AMBIENT", "CHILLED", "FROZEN")
PRICE_RULES = ("FREE", "ON_REQUEST", "PER_KM", "FIXED")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
COORDINATES = "__coordinates__"

STATUS_LABELS = {
    "OPEN": ("offen", "open"), "PROPOSED": ("vorgeschlagen", "proposed"), "AGREED": ("vereinbart", "agreed"),
    "PICKED_UP": ("unterwegs", "on its way"), "DELIVERED": ("zugestellt", "delivered"),
    "DECLINED": ("abgelehnt", "declined"), "CANCELLED": ("storniert", "cancelled"),
    "WITHDRAWN": ("zurückgezogen", "withdrawn"), "MATCHED": ("vermittelt", "matched"),
    "EXPIRED": ("abgelaufen", "expired"), "COMPLETED": ("erledigt", "completed"),
    "FULL": ("voll", "full"),
}
TEMPERATURE_LABELS = {"AMBIENT": ("ungekühlt", "ambient"), "CHILLED": ("gekühlt", "chilled"),
                      "FROZEN": ("tiefgekühlt", "frozen")}


@dataclass
class Problems:
    found: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, name: str, german: str, english: str) -> None:
        self.found.append((name, german, english))

    def __bool__(self) -> bool:
        return bool(self.found)

    def fields(self) -> set[str]:
        return {name for name, _, _ in self.found}


def status_label(status: str | None) -> tuple[str, str]:
    return STATUS_LABELS.get(status or "", (status or "–", status or "–"))


def local_input(value: str | None, problems: Problems, name: str, german: str, english: str) -> datetime | None:
    """A `datetime-local` field (YYYY-MM-DDTHH:MM, Berlin time) as an aware time."""
    text = (value or "").strip()
    if not text:
        problems.add(name, f"{german}: bitte angeben.", f"{english}: please fill in.")
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        problems.add(name, f"{german}: Datum und Uhrzeit wie 2026-12-08T07:30.",
                     f"{english}: date and time like 2026-12-08T07:30.")
        return None
    return parsed.replace(tzinfo=BERLIN) if parsed.tzinfo is None else parsed


def number(value: str | None, problems: Problems, name: str, german: str, english: str, *,
           required: bool = False, minimum: float = 0, integer: bool = False) -> float | int | None:
    text = (value or "").strip().replace(",", ".")
    if not text:
        if required:
            problems.add(name, f"{german}: bitte angeben.", f"{english}: please fill in.")
        return None
    try:
        found = float(text)
    except ValueError:
        problems.add(name, f"{german}: bitte eine Zahl.", f"{english}: please a number.")
        return None
    if not math.isfinite(found):
        problems.add(name, f"{german}: bitte eine Zahl.", f"{english}: please a number.")
        return None
    if found < minimum:
        problems.add(name, f"{german}: mindestens {minimum:g}.", f"{english}: at least {minimum:g}.")
        return None
    if integer:
        if found != int(found):
            problems.add(name, f"{german}: bitte eine ganze Zahl.", f"{english}: please a whole number.")
            return None
        return int(found)
    return found


def cents(euros: float | None) -> int | None:
    return None if euros is None else round(euros * 100)


def place_of(form: Mapping[str, str], prefix: str, problems: Problems, known: Iterable[str],
             german: str, english: str) -> dict[str, Any] | None:
    """A place chosen from the list (`<prefix>`), or a name with coordinates
    (`<prefix>_name`, `<prefix>_lat`, `<prefix>_lon`) when the list says coordinates."""
    chosen = (form.get(prefix) or "").strip()
    if chosen and chosen != COORDINATES:
        if chosen not in set(known):
            problems.add(prefix, f"{german}: diesen Ort kennen wir nicht.", f"{english}: unknown place.")
            return None
        return {"place_id": chosen}
    name = (form.get(f"{prefix}_name") or "").strip()
    if not name and not (form.get(f"{prefix}_lat") or "").strip() and not (form.get(f"{prefix}_lon") or "").strip():
        problems.add(prefix, f"{german}: bitte Ort wählen oder Namen und Koordinaten angeben.",
                     f"{english}: please choose a place or give a name and coordinates.")
        return None
    lat = number(form.get(f"{prefix}_lat"), problems, f"{prefix}_lat", f"{german} (Breite)", f"{english} (latitude)",
                 required=True, minimum=-90)
    lon = number(form.get(f"{prefix}_lon"), problems, f"{prefix}_lon", f"{german} (Länge)", f"{english} (longitude)",
                 required=True, minimum=-180)
    if not name:
        problems.add(f"{prefix}_name", f"{german}: bitte einen Namen für den Ort angeben.",
                     f"{english}: please give the place a name.")
    if lat is not None and lat > 90:
        problems.add(f"{prefix}_lat", f"{german}: Breite bis 90.", f"{english}: latitude up to 90.")
    if lon is not None and lon > 180:
        problems.add(f"{prefix}_lon", f"{german}: Länge bis 180.", f"{english}: longitude up to 180.")
    if not name or lat is None or lon is None or lat > 90 or lon > 180:
        return None
    return {"name": name[:200], "location": {"lat": lat, "lon": lon}}


# Why a side may decline a proposal (the freight API's DeclineReason), and the two sides.
DECLINE_REASONS = ("PRICE", "TIMING", "DETOUR_TOO_LONG", "NO_LONGER_AVAILABLE", "OTHER")
SIDES = ("TRIP_PROVIDER", "LOAD_PROVIDER")


def choice(value: str | None, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed else default


def window(form: Mapping[str, str], start: str, end: str, problems: Problems, german: str,
           english: str) -> tuple[datetime, datetime] | None:
    begins = local_input(form.get(start), problems, start, f"{german} ab", f"{english} from")
    ends = local_input(form.get(end), problems, end, f"{german} bis", f"{english} until")
    if begins is None or ends is None:
        return None
    if ends <= begins:
        problems.add(end, f"{german}: das Ende muss nach dem Anfang liegen.", f"{english}: the end must follow the start.")
        return None
    return begins, ends


def trip_body(form: Mapping[str, str], known: Iterable[str]) -> tuple[dict[str, Any] | None, Problems]:
    """The body of POST /v1/freight/trips from the trip form, or the problems."""
    problems, known = Problems(), list(known)
    origin = place_of(form, "origin", problems, known, "Start", "Origin")
    destination = place_of(form, "destination", problems, known, "Ziel", "Destination")
    departure = window(form, "departure_start", "departure_end", problems, "Abfahrt", "Departure")
    weight = number(form.get("spare_weight_kg"), problems, "spare_weight_kg", "Platz (kg)", "Room (kg)",
                    required=True, minimum=0.1)
    litres = number(form.get("spare_volume_litres"), problems, "spare_volume_litres", "Platz (Liter)", "Room (litres)")
    parcels = number(form.get("spare_parcels"), problems, "spare_parcels", "Platz (Pakete)", "Room (parcels)",
                     integer=True)
    detour = number(form.get("max_detour_km"), problems, "max_detour_km", "Umweg (km)", "Detour (km)")
    rule = choice(form.get("price_rule"), PRICE_RULES, "ON_REQUEST")
    price = number(form.get("price_euros"), problems, "price_euros", "Preis (€)", "Price (€)")
    if rule in ("PER_KM", "FIXED") and price is None:
        problems.add("price_euros", "Preis (€): bei dieser Preisregel bitte angeben.",
                     "Price (€): please fill in for this price rule.")
    weeks = number(form.get("weeks"), problems, "weeks", "Wochen", "Weeks", integer=True, minimum=1)
    if problems or origin is None or destination is None or departure is None or weight is None:
        return None, problems
    body: dict[str, Any] = {
        "origin": origin, "destination": destination, "spare_weight_kg": weight,
        "temperature": choice(form.get("temperature"), TEMPERATURES, "AMBIENT"), "price_rule": rule,
        "participant_kind": "OTHER",
    }
    if litres is not None:
        body["spare_volume_litres"] = litres
    if parcels is not None:
        body["spare_parcels"] = parcels
    if detour is not None:
        body["max_detour_km"] = detour
    if rule == "PER_KM":
        body["price_per_km_cents"] = cents(price)
    if rule == "FIXED":
        body["fixed_price_cents"] = cents(price)
    if note := (form.get("note") or "").strip():
        body["note"] = note[:500]
    start, end = departure
    if form.get("weekly"):
        if weeks is not None and weeks > 12:
            problems.add("weeks", "Wochen: höchstens 12.", "Weeks: at most 12.")
            return None, problems
        body["weekly"] = {"weekday": WEEKDAYS[start.weekday()], "leave_at": start.strftime("%H:%M"),
                          "flexible_min": min(720, int((end - start) / timedelta(minutes=1))),
                          "first_day": start.date().isoformat(), "weeks": weeks or 4}
    else:
        body["departure"] = {"start": start.isoformat(), "end": end.isoformat()}
    return body, problems


def load_body(form: Mapping[str, str], known: Iterable[str]) -> tuple[dict[str, Any] | None, Problems]:
    """The body of POST /v1/freight/loads from the load form, or the problems."""
    problems, known = Problems(), list(known)
    origin = place_of(form, "origin", problems, known, "Abholort", "Pick-up place")
    destination = place_of(form, "destination", problems, known, "Zielort", "Drop place")
    pickup = window(form, "pickup_start", "pickup_end", problems, "Abholung", "Pick-up")
    delivery = window(form, "delivery_start", "delivery_end", problems, "Zustellung", "Drop")
    description = (form.get("description") or "").strip()
    if not description:
        problems.add("description", "Was wird transportiert: bitte angeben.", "What is carried: please fill in.")
    weight = number(form.get("weight_kg"), problems, "weight_kg", "Gewicht (kg)", "Weight (kg)", required=True,
                    minimum=0.1)
    litres = number(form.get("volume_litres"), problems, "volume_litres", "Größe (Liter)", "Size (litres)")
    parcels = number(form.get("parcels"), problems, "parcels", "Pakete", "Parcels", integer=True, minimum=1)
    price = number(form.get("max_price_euros"), problems, "max_price_euros", "Höchstpreis (€)", "Maximum price (€)")
    if problems or None in (origin, destination, pickup, delivery, weight):
        return None, problems
    assert pickup is not None and delivery is not None
    body: dict[str, Any] = {
        "origin": origin, "destination": destination, "description": description[:200], "weight_kg": weight,
        "pickup_window": {"start": pickup[0].isoformat(), "end": pickup[1].isoformat()},
        "delivery_window": {"start": delivery[0].isoformat(), "end": delivery[1].isoformat()},
        "temperature": choice(form.get("temperature"), TEMPERATURES, "AMBIENT"), "participant_kind": "OTHER",
    }
    if litres is not None:
        body["volume_litres"] = litres
    if parcels is not None:
        body["parcels"] = parcels
    if price is not None:
        body["max_price_cents"] = cents(price)
    if notes := (form.get("handling_notes") or "").strip():
        body["handling_notes"] = notes[:500]
    if recipient := (form.get("recipient_name") or "").strip():
        body["recipient_name"] = recipient[:120]
    return body, problems


def local_time(value: str | None) -> str:
    """An ISO time as people here read it: 08.12.2026 07:30."""
    if not value:
        return "–"
    try:
        return datetime.fromisoformat(value).astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")
    except ValueError:
        return value


def span(window: Mapping[str, Any] | None) -> str:
    """A window as one line: 08.12.2026 07:30–09:00 (the day once when it is one day)."""
    if not window:
        return "–"
    start, end = local_time(window.get("start")), local_time(window.get("end"))
    if start[:10] == end[:10] and len(end) > 11:
        return f"{start}–{end[11:]}"
    return f"{start} – {end}"


def money(amount_cents: int | None) -> str:
    if amount_cents is None:
        return "–"
    return f"{amount_cents / 100:.2f} €".replace(".", ",")


def kilometres(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} km".replace(".", ",")


def kilograms(grams: int | None) -> str:
    return "–" if grams is None else f"{grams / 1000:g} kg".replace(".", ",")


SLIP_CODE = re.compile(r'<div class="code">\s*([0-9 ]{6,9})\s*</div>')


def code_on_slip(html: str) -> str | None:
    """The hand-over code the freight API prints on the sender's load slip (None before agreement)."""
    found = SLIP_CODE.search(html)
    return found.group(1).strip() if found else None


def my_side(match: Mapping[str, Any], me: str) -> str | None:
    if match.get("trip_participant_id") == me:
        return "TRIP_PROVIDER"
    if match.get("load_participant_id") == me:
        return "LOAD_PROVIDER"
    return None


def answered(match: Mapping[str, Any], side: str | None) -> bool:
    """Has this side accepted already? (`accepted_by` lists the sides that said yes.)"""
    accepted = match.get("accepted_by") or []
    return side is not None and side in accepted


def proposals(mine: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every match of my trips and loads, once each, with what it concerns."""
    seen: dict[str, dict[str, Any]] = {}
    for load in mine.get("loads", []):
        if (m := load.get("match")) and m.get("match_id"):
            seen[m["match_id"]] = {**m, "load": load}
    for trip in mine.get("trips", []):
        for m in trip.get("matches") or []:
            seen.setdefault(m["match_id"], {**m, "trip": trip})
    return list(seen.values())
