"""A freight day in the region: trips people drive anyway offer their spare room,
shops, producers and residents post loads (some by phone, through the assistant at
the town hall), the exchange proposes matches, both sides accept, the driver takes
each load over with the sender's hand-over code and hands it over with proof.

It runs when the region pack has regular trips (`freight_trips`, Ilzer Land) and the
stack has the freight service.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from aiokafka import AIOKafkaConsumer

from ..avro.errors import EventDecodeError
from ..clock import BERLIN
from ..events import read_event
from ..records import NotificationRequested
from ..regions import LoadSeed, Region, TripSeed
from ..topics import NOTIFY_REQUESTS
from .client import DemoError, Platform

# The assistant at the town hall who takes trips and loads on the phone.
ASSISTANT = "assistentin-rathaus"
PARTICIPANT = "freight_participant"
# How long the exchange may take to propose, and the sides to agree (the worker decides).
PATIENCE_S = 60.0
# With no news for this long, the exchange has said all it can for now.
SETTLED_S = 4.0
ROUNDS = 3
# The region pack's kinds of driver as the freight API knows them.
KINDS = {"SHOP_RUN": "SHOP", "PRODUCER": "FARMER", "RESIDENT": "PRIVATE"}


@dataclass
class Posted:
    load: LoadSeed
    load_id: str
    matchable: bool
    unmatchable_reason: str | None = None
    match: dict | None = None
    outcome: str = "offen / open"


def participant(name: str) -> str:
    """A stable participant id for a fictional person or business of the region pack."""
    return "p-" + uuid.uuid5(uuid.NAMESPACE_URL, f"nahnetz-demo/{name}").hex[:12]


def at(day: date, clock: str) -> str:
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).isoformat()


def freight_day_of(region: Region, after: date) -> date:
    """The first day from `after` on which most of the region's regular trips run."""
    for ahead in range(7):
        day = after + timedelta(days=ahead)
        if sum(day.isoweekday() in t.weekdays for t in region.freight_trips) >= 3:
            return day
    return after


async def freight_day(platform: Platform, region: Region, day: date, bootstrap: str, say) -> None:
    if not region.freight_trips or "freight" not in platform.urls:
        return
    day = freight_day_of(region, day)
    say(f"\nFrachtbörse / freight exchange {region.name}, {day:%d.%m.%Y}: "
        "Fahrten mit freiem Platz / trips with spare room")
    trips = [t for t in region.freight_trips if day.isoweekday() in t.weekdays]
    for trip in trips:
        await offer(platform, trip, day)
        say(f"  {trip.driver:<28} {trip.origin.name} → {trip.destination.name}, {trip.departs:%H:%M}, "
            f"{trip.room_kg} kg frei / spare" + ("  (am Telefon / by phone)" if trip.by_phone else ""))
    say("  Ladungen / loads")
    posted = [await post(platform, load, day) for load in region.freight_loads]
    for p in posted:
        note = "" if p.matchable else f"  → nicht vermittelbar / unmatchable: {p.unmatchable_reason}"
        say(f"  {p.load.sender:<28} {p.load.origin.name} → {p.load.destination.name}, {p.load.weight_kg:g} kg"
            + ("  (am Telefon / by phone)" if p.load.by_phone else "") + note)

    phoned = {f"{t.id}-{day:%Y%m%d}" for t in trips if t.by_phone}
    # Each agreement changes what is left on a trip: the exchange proposes anew, so go round.
    for _ in range(ROUNDS):
        waiting = [p for p in posted if p.matchable and p.match is None]
        await proposed(platform, waiting)
        fresh = [p for p in waiting if p.match]
        if not fresh:
            break
        for p in fresh:
            await accept_both(platform, p.match, trip_by_phone=p.match["trip_id"] in phoned, load=p.load)
        agreed = await agreed_matches(platform, fresh)
        codes = await handover_codes(bootstrap, {p.match["match_id"] for p in agreed})
        for p in agreed:
            p.outcome = await hand_over(platform, p.match, codes.get(p.match["match_id"]))
        for p in fresh:
            if p not in agreed:
                p.match = None  # cancelled or declined: back to the exchange
    print_freight_day(posted, say)


async def offer(platform: Platform, trip: TripSeed, day: date) -> None:
    driver = participant(trip.driver)
    body = {
        "trip_id": f"{trip.id}-{day:%Y%m%d}", "participant_name": trip.driver,
        "participant_kind": KINDS.get(trip.kind, trip.kind),
        "origin": {"place_id": trip.origin.name}, "destination": {"place_id": trip.destination.name},
        "via": [{"place_id": v.name} for v in trip.via],
        "departure": {"start": at(day, f"{trip.departs:%H:%M}"),
                      "end": at(day, f"{(datetime.combine(day, trip.departs) + timedelta(minutes=30)):%H:%M}")},
        "spare_weight_kg": trip.room_kg, "spare_volume_litres": trip.room_litres,
        "spare_parcels": trip.room_parcels, "temperature": trip.temperature,
        "max_detour_km": trip.detour_km, "max_detour_min": trip.detour_minutes, "price_rule": trip.price.rule,
    }
    if trip.price.rule == "PER_KM":
        body["price_per_km_cents"] = trip.price.cents
    elif trip.price.rule == "FIXED":
        body["fixed_price_cents"] = trip.price.cents
    if trip.by_phone:
        body |= {"participant_id": driver, "channel": "PHONE"}
    who = platform.token(ASSISTANT, "operator") if trip.by_phone else platform.token(driver, PARTICIPANT)
    await platform.call("freight", "POST", "/v1/freight/trips", who=who, json=body,
                        headers={"Idempotency-Key": body["trip_id"]}, ok=(202, 409))


async def post(platform: Platform, load: LoadSeed, day: date) -> Posted:
    sender = participant(load.sender)
    body = {
        "load_id": f"{load.id}-{day:%Y%m%d}", "participant_name": load.sender,
        "participant_kind": KINDS.get(load.kind, load.kind),
        "origin": {"place_id": load.origin.name}, "destination": {"place_id": load.destination.name},
        "pickup_window": {"start": at(day, "05:00"), "end": at(day, "12:00")},
        "delivery_window": {"start": at(day, "05:00"), "end": at(day, "18:00")},
        "description": load.note or f"{load.parcels} Packstück(e) / parcel(s)", "weight_kg": load.weight_kg,
        "volume_litres": load.volume_litres, "parcels": load.parcels, "temperature": load.temperature,
        "max_price_cents": load.max_price_cents,
    }
    if load.by_phone:
        body |= {"participant_id": sender, "channel": "PHONE"}
    who = platform.token(ASSISTANT, "operator") if load.by_phone else platform.token(sender, PARTICIPANT)
    answer = (await platform.call("freight", "POST", "/v1/freight/loads", who=who, json=body,
                                  headers={"Idempotency-Key": body["load_id"]})).json()
    return Posted(load, answer["load_id"], answer["matchable"], answer.get("unmatchable_reason"))


async def _load_view(platform: Platform, load_id: str) -> dict:
    """The load as the exchange shows it; empty while its worker has not taken in the
    post yet (accepted with 202: on a busy machine the first look came before it)."""
    answer = await platform.call("freight", "GET", f"/v1/freight/loads/{load_id}",
                                 who=platform.token(ASSISTANT, "operator"), ok=(200, 404))
    return {} if answer.status_code == 404 else answer.json()


async def proposed(platform: Platform, posted: list[Posted]) -> None:
    """Wait until every load has a proposal, or nothing has changed for SETTLED_S (the
    load says why it has no ride yet)."""
    deadline = time.monotonic() + PATIENCE_S
    waiting, quiet_since = list(posted), time.monotonic()
    while waiting and time.monotonic() < deadline and time.monotonic() - quiet_since < SETTLED_S:
        for p in list(waiting):
            view = await _load_view(platform, p.load_id)
            if view.get("match") and view["match"]["status"] == "PROPOSED":
                p.match = view["match"]
                waiting.remove(p)
                quiet_since = time.monotonic()
            elif view.get("unmatched_reason"):
                p.outcome = f"keine Fahrt / no ride: {view['unmatched_reason']}"
        if waiting:
            await asyncio.sleep(0.5)


async def accept_both(platform: Platform, match: dict, trip_by_phone: bool, load: LoadSeed) -> None:
    """Both sides say yes: online themselves, or by phone through the assistant."""
    assistant = platform.token(ASSISTANT, "operator")
    path = f"/v1/freight/matches/{match['match_id']}/accept"
    sides = (("TRIP_PROVIDER", match["trip_participant_id"], trip_by_phone),
             ("LOAD_PROVIDER", match["load_participant_id"], load.by_phone))
    for side, who, phoned in sides:
        if phoned:
            await platform.call("freight", "POST", path, who=assistant, json={"side": side, "channel": "PHONE"},
                                ok=(202, 409))
        else:
            await platform.call("freight", "POST", path, who=platform.token(who, PARTICIPANT), json={},
                                ok=(202, 409))


async def agreed_matches(platform: Platform, matched: list[Posted]) -> list[Posted]:
    deadline = time.monotonic() + PATIENCE_S
    agreed, waiting = [], list(matched)
    while waiting and time.monotonic() < deadline:
        for p in list(waiting):
            view = (await platform.call("freight", "GET", f"/v1/freight/matches/{p.match['match_id']}",
                                        who=platform.token(ASSISTANT, "operator"))).json()
            if view["status"] == "AGREED":
                p.match = view
                agreed.append(p)
                waiting.remove(p)
            elif view["status"] != "PROPOSED":
                p.outcome = f"nicht vereinbart / not agreed: {view['status']}"
                waiting.remove(p)
        if waiting:
            await asyncio.sleep(0.5)
    return agreed


async def handover_codes(bootstrap: str, match_ids: set[str], timeout: float = 30.0) -> dict[str, str]:
    """The senders' phones: each agreed match's hand-over code from the sender's message."""
    consumer = AIOKafkaConsumer(NOTIFY_REQUESTS.name, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=f"demo-freight-inbox-{uuid.uuid4().hex[:8]}", session_timeout_ms=6000,
                                heartbeat_interval_ms=1000)
    await consumer.start()
    codes: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    try:
        while set(codes) < match_ids and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    try:
                        event = read_event(record.value)
                    except EventDecodeError:
                        continue
                    if isinstance(event, NotificationRequested) and event.params.get("match_id") in match_ids \
                            and event.params.get("code"):
                        codes[event.params["match_id"]] = event.params["code"]
    finally:
        await consumer.stop()
    return codes


async def hand_over(platform: Platform, match: dict, code: str | None) -> str:
    """The driver takes the load with the sender's code, and hands it over with proof."""
    if code is None:
        return "kein Code angekommen / no code arrived"
    driver = platform.token(match["trip_participant_id"], PARTICIPANT)
    path = f"/v1/freight/matches/{match['match_id']}"
    await platform.call("freight", "POST", f"{path}/pickup", who=driver, json={"code": code})
    if not await match_is(platform, match["match_id"], "PICKED_UP"):
        return "Übernahme nicht bestätigt / pick-up not confirmed"
    await platform.call("freight", "POST", f"{path}/deliver", who=driver, json={
        "code": code, "received_by": "Empfänger / recipient", "photo_ref": f"photos/{match['match_id']}.jpg"})
    return "zugestellt / delivered"


async def match_is(platform: Platform, match_id: str, status: str) -> bool:
    """Wait until the worker has the match in `status` (the API answers 202 before)."""
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        view = (await platform.call("freight", "GET", f"/v1/freight/matches/{match_id}",
                                    who=platform.token(ASSISTANT, "operator"))).json()
        if view["status"] == status:
            return True
        await asyncio.sleep(0.3)
    return False


def print_freight_day(posted: list[Posted], say) -> None:
    say(f"  {'Ladung / load':<28} {'Fahrt / trip':<34} {'km gespart':>10} {'CO₂ kg':>7}  Stand / status")
    km = co2 = 0.0
    for p in posted:
        match = p.match or {}
        trip = match.get("trip_id", "—")
        saved_km, saved_co2 = match.get("km_avoided") or 0.0, match.get("co2_kg_avoided") or 0.0
        if p.outcome.startswith("zugestellt"):
            km, co2 = km + saved_km, co2 + saved_co2
        reason = p.outcome if p.matchable else "nicht vermittelbar / unmatchable"
        say(f"  {p.load.sender[:28]:<28} {trip[:34]:<34} {saved_km:>10.1f} {saved_co2:>7.1f}  {reason}")
    delivered = sum(1 for p in posted if p.outcome.startswith("zugestellt"))
    say(f"  {delivered} von / of {len(posted)} Ladungen mitgenommen / loads carried on trips driven anyway: "
        f"{km:.1f} km und / and {co2:.1f} kg CO₂ gespart / avoided")
    if delivered == 0:
        raise DemoError("the freight day carried no load")
