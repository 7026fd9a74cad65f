"""What people are told: the parcel is ready (with its code), a code was locked,
a new code replaces the old one.

The notify service renders templates by name; the params carry every value
already formatted for people, and the whole message in German and English
(`text_de`, `text_en`) for channels that send text as it is (SMS, a letter).
Times are shown in Europe/Berlin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping, Sequence

from nahnetz.clock import BERLIN

PARCEL_READY = "parcel-ready"
CODE_LOCKED = "pickup-code-locked"
CODE_REISSUED = "pickup-code-reissued"
LATE_PART = "pickup-late-part"
_WEEKDAYS_DE = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Notice:
    """A NotificationRequested without its meta: the fields are the event's."""

    notification_id: str
    recipient_id: str
    recipient_role: str  # a nahnetz.common.Role symbol
    template: str
    params: Mapping[str, str]
    language: str = "de"


def local_time_de(moment: datetime) -> str:
    local = moment.astimezone(BERLIN)
    return f"{_WEEKDAYS_DE[local.weekday()]}, {local:%d.%m.%Y, %H:%M} Uhr"


def local_time_en(moment: datetime) -> str:
    local = moment.astimezone(BERLIN)
    return f"{_WEEKDAYS_EN[local.weekday()]} {local:%d %b %Y, %H:%M}"


def parcel_ready(*, deposit_id: str, order_id: str, resident_id: str, pin: str, qr_payload: str,
                 point_name: str, point_address: str, access_note: str | None, doors: Sequence[str],
                 collect_by: datetime, counter: bool) -> Notice:
    """The resident's message with the PIN: where, which doors, until when."""
    doors_text = ", ".join(doors)
    where_de = f"{point_name}, {point_address}" + (f" ({access_note})" if access_note else "")
    where_en = where_de
    until_de, until_en = local_time_de(collect_by), local_time_en(collect_by)
    if counter:
        how_de = f"Nennen Sie an der Theke den Abholcode {pin}."
        how_en = f"Give the pick-up code {pin} at the counter."
    else:
        how_de = f"Ihr Abholcode: {pin} (Fach {doors_text})."
        how_en = f"Your pick-up code: {pin} (compartment {doors_text})."
    text_de = (f"Ihre Bestellung {order_id} liegt zur Abholung bereit: {where_de}. {how_de} "
               f"Abholbar bis {until_de}. Den Code nie weitergeben, außer an die Person, die abholt.")
    text_en = (f"Your order {order_id} is ready for pick-up: {where_en}. {how_en} "
               f"Collect by {until_en}. Share the code only with the person collecting.")
    return _notice(PARCEL_READY, f"{order_id}:{deposit_id}", resident_id, "RESIDENT", text_de, text_en,
                   {"order_id": order_id, "order_ref": order_id, "pin": pin, "qr_payload": qr_payload,
                    "pickup_point": point_name, "address": point_address, "access_note": access_note or "",
                    "compartments": doors_text, "collect_by": until_de, "collect_by_en": until_en})


def code_locked(*, lock_id: str, operator_id: str, order_id: str, pickup_point_id: str, point_name: str,
                failed_attempts: int) -> Notice:
    """The operator's alert: someone keeps typing wrong codes at a parcel."""
    text_de = (f"Abholcode gesperrt: {failed_attempts} falsche Eingaben für Bestellung {order_id} "
               f"am {point_name} ({pickup_point_id}). Bitte prüfen und ggf. entsperren.")
    text_en = (f"Pick-up code locked: {failed_attempts} wrong codes for order {order_id} "
               f"at {point_name} ({pickup_point_id}). Please check and unlock if appropriate.")
    return _notice(CODE_LOCKED, f"{order_id}:{lock_id}", operator_id, "OPERATOR", text_de, text_en,
                   {"order_id": order_id, "pickup_point_id": pickup_point_id, "pickup_point": point_name,
                    "failed_attempts": str(failed_attempts)})


def code_reissued(*, reissue_id: str, order_id: str, resident_id: str, pin: str, qr_payload: str,
                  point_name: str, collect_by: datetime) -> Notice:
    """The resident's new code; sent only to them, whoever asked for it."""
    until_de, until_en = local_time_de(collect_by), local_time_en(collect_by)
    text_de = (f"Neuer Abholcode für Ihre Bestellung {order_id} ({point_name}): {pin}. Der alte Code gilt nicht "
               f"mehr. Abholbar bis {until_de}. Haben Sie keinen neuen Code angefordert, melden Sie sich bitte "
               f"beim Service-Team.")
    text_en = (f"New pick-up code for your order {order_id} ({point_name}): {pin}. The old code no longer "
               f"works. Collect by {until_en}. If you did not ask for a new code, please tell the operator.")
    return _notice(CODE_REISSUED, f"{order_id}:{reissue_id}", resident_id, "RESIDENT", text_de, text_en,
                   {"order_id": order_id, "order_ref": order_id, "pin": pin, "qr_payload": qr_payload,
                    "pickup_point": point_name, "collect_by": until_de, "collect_by_en": until_en})


def late_part(*, operator_id: str, order_id: str, pickup_point_id: str, point_name: str,
              shop_ids: tuple[str, ...], tour_id: str) -> Notice:
    """The operator's task: a part came after the order's parcel was deposited (staff put the
    whole order in before it), so the resident may have a code for an incomplete parcel."""
    shops = ", ".join(shop_ids)
    text_de = (f"Nachzügler: Tour {tour_id} brachte Ware von {shops} für Bestellung {order_id} an {point_name} "
               f"({pickup_point_id}), nachdem das Paket schon eingelagert war. Bitte zum Paket legen und die "
               f"Kundin oder den Kunden informieren.")
    text_en = (f"Late part: tour {tour_id} brought goods of {shops} for order {order_id} to {point_name} "
               f"({pickup_point_id}) after its parcel was deposited. Please add them to the parcel and tell the "
               f"customer.")
    return _notice(LATE_PART, f"{order_id}:{'+'.join(shop_ids)}", operator_id, "OPERATOR", text_de, text_en,
                   {"order_id": order_id, "pickup_point_id": pickup_point_id, "pickup_point": point_name,
                    "shops": shops, "tour_id": tour_id})


def _notice(template: str, ref: str, recipient_id: str, role: str, text_de: str, text_en: str,
            params: Mapping[str, str]) -> Notice:
    """One notification per template and `ref`; the whole texts ride along in the
    params for channels that send text as it is."""
    return Notice(notification_id=f"{template}:{ref}", recipient_id=recipient_id, recipient_role=role,
                  template=template, params={**params, "text_de": text_de, "text_en": text_en})
