"""What the freight exchange tells people, as NotificationRequested for notify.

Each message has a stable id (from the match and what happened), so a repeated
decision sends it once. Whoever posted or offered through an assistant (phone,
counter, market, paper) is reached the way they came: a call for the phone, a
letter otherwise; everyone else by SMS. Notify uses the person's own contact
choice when they gave one (`services/notify/domain/contacts.py`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Mapping

from nahnetz.events import Event, new_event
from nahnetz.records import NotificationRequested

from ..domain.recurring import BERLIN

PRODUCER = "freight-worker"
_NAMESPACE = uuid.UUID("6f1c1bd0-6f1e-4d6e-9a53-9f0d2b7c4f11")

ASSISTED = {"PHONE": "PHONE_CALL", "COUNTER": "LETTER", "MARKET": "LETTER", "PAPER": "LETTER"}


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def channel_for(came_by: str | None) -> str:
    return ASSISTED.get(came_by or "", "SMS")


def when(value_ms: int | None) -> str:
    if value_ms is None:
        return ""
    return datetime.fromtimestamp(value_ms / 1000, BERLIN).strftime("%d.%m.%Y %H:%M")


def euros(cents: int) -> str:
    return f"{cents / 100:.2f} €".replace(".", ",")


def notice(template: str, recipient_id: str, came_by: str | None, params: Mapping[str, Any], *,
           caused_by: Event, key: str) -> NotificationRequested:
    notification_id = derived_id(template, recipient_id, key)
    return new_event(NotificationRequested, producer=PRODUCER, caused_by=caused_by,
                     event_id=derived_id("event", notification_id), notification_id=notification_id,
                     recipient_id=recipient_id, recipient_role="FREIGHT_PARTICIPANT",
                     channel=channel_for(came_by), template=template, language="de",
                     params={k: str(v) for k, v in params.items() if v not in (None, "")})


def match_params(match: Mapping[str, Any], trip: Mapping[str, Any] | None, load: Mapping[str, Any] | None
                 ) -> dict[str, Any]:
    """The params every freight template may use."""
    params: dict[str, Any] = {"match_id": match["match_id"], "price": euros(match.get("price_cents", 0))}
    if load:
        params |= {"load": load.get("description", ""), "pickup_place": load["origin"]["name"],
                   "drop_place": load["destination"]["name"], "weight_kg": f"{load['weight_g'] / 1000:g}"}
    if trip:
        params |= {"trip_from": trip["origin"]["name"], "trip_to": trip["destination"]["name"],
                   "departure": when(trip.get("depart_start")),
                   "driver": trip.get("participant_name") or trip["participant_id"]}
    if match.get("pickup_eta"):
        params["pickup_at"] = when(match["pickup_eta"])
    return params
