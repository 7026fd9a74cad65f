"""What makes a trip offer or a load posting sound, as problems naming the field.

The API answers 422 with these; the worker refuses (dead-letters) an event that
breaks them. Times are seconds since the epoch (UTC), weights grams, volumes
millilitres, distances metres.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICE_RULES = ("PER_KM", "FIXED", "FREE", "ON_REQUEST")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def trip_problems(*, departure_start: int, departure_end: int, arrive_by: int | None, spare_weight_g: int,
                  spare_volume_ml: int, spare_parcels: int | None, max_detour_m: int | None,
                  max_detour_s: int | None, price_rule: str, price_per_km_cents: int | None,
                  fixed_price_cents: int | None) -> list[Problem]:
    found = []
    if departure_end < departure_start:
        found.append(Problem("departure", "the departure window ends before it starts"))
    if arrive_by is not None and arrive_by <= departure_start:
        found.append(Problem("arrive_by", "the latest arrival lies before the departure"))
    if spare_weight_g <= 0:
        found.append(Problem("spare_weight_kg", "the spare room must weigh more than 0 kg"))
    if spare_volume_ml < 0:
        found.append(Problem("spare_volume_litres", "the spare volume cannot be negative"))
    if spare_parcels is not None and spare_parcels < 0:
        found.append(Problem("spare_parcels", "the spare parcels cannot be negative"))
    if max_detour_m is not None and max_detour_m < 0:
        found.append(Problem("max_detour_km", "the detour limit cannot be negative"))
    if max_detour_s is not None and max_detour_s < 0:
        found.append(Problem("max_detour_min", "the detour limit cannot be negative"))
    if price_rule not in PRICE_RULES:
        found.append(Problem("price_rule", f"unknown price rule {price_rule!r}"))
    if price_rule == "PER_KM" and (price_per_km_cents is None or price_per_km_cents < 0):
        found.append(Problem("price_per_km", "the PER_KM rule needs a price per kilometre (0 or more)"))
    if price_rule == "FIXED" and (fixed_price_cents is None or fixed_price_cents < 0):
        found.append(Problem("fixed_price", "the FIXED rule needs a price per load (0 or more)"))
    return found


def load_problems(*, pickup_start: int, pickup_end: int, delivery_start: int, delivery_end: int,
                  weight_g: int, volume_ml: int, parcels: int, same_place: bool = False) -> list[Problem]:
    found = []
    if pickup_end < pickup_start:
        found.append(Problem("pickup_window", "the pick-up window ends before it starts"))
    if delivery_end < delivery_start:
        found.append(Problem("delivery_window", "the drop window ends before it starts"))
    elif delivery_end <= pickup_start:
        found.append(Problem("delivery_window", "the drop window closes before the pick-up window opens"))
    if weight_g <= 0:
        found.append(Problem("weight_kg", "a load must weigh more than 0 kg"))
    if volume_ml < 0:
        found.append(Problem("volume_litres", "the volume cannot be negative"))
    if parcels < 1:
        found.append(Problem("parcels", "a load has at least one parcel"))
    if same_place:
        found.append(Problem("destination", "the drop place is the pick-up place"))
    return found


def unmatchable_reason(weight_g: int, volume_ml: int, max_weight_g: int, max_volume_ml: int) -> str | None:
    """Why no trip of the exchange could ever carry the load, or None."""
    if weight_g > max_weight_g:
        return (f"zu schwer: {weight_g / 1000:g} kg, keine Fahrt nimmt mehr als {max_weight_g / 1000:g} kg / "
                f"too heavy: {weight_g / 1000:g} kg, no trip takes more than {max_weight_g / 1000:g} kg")
    if volume_ml > max_volume_ml:
        return (f"zu groß: {volume_ml / 1000:g} l, keine Fahrt nimmt mehr als {max_volume_ml / 1000:g} l / "
                f"too big: {volume_ml / 1000:g} l, no trip takes more than {max_volume_ml / 1000:g} l")
    return None
