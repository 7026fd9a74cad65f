"""HTTP routes: each parses the request, decides who acts for whom, and calls a
command (`handlers/commands.py`) or a query (`queries.py`).

Who may call what, and on whose data:
- participants (roles freight_participant, shop, resident) act for themselves: their
  participant id is their token's subject (a shop's: its shop id). They see and
  change only their own trips and loads, and the matches they are a side of; others'
  are 404 (not even their existence is told).
- staff (operator, admin) are the assistants at the town hall, the shop counter and
  on the phone: they act for any participant (`participant_id` in the body), recorded
  as `on_behalf_of` with the channel it came by; they see everything.
- the weekly board is for every signed-in caller (it is pinned to notice boards).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from nahnetz.clock import today_in_berlin
from nahnetz.events import Actor, now_utc
from nahnetz.kit.api import RedisDep, from_state
from nahnetz.kit.auth import CurrentUser, Role, User, require_roles
from nahnetz.kit.errors import Forbidden, NotFound, Unprocessable
from nahnetz.kit.http_errors import error_responses
from nahnetz.kit.idempotency_keys import Idempotency
from nahnetz.kit.publishing import ProducerDep

from . import queries
from .domain.handover import handover_code
from .domain.listings import load_problems, trip_problems, unmatchable_reason
from .domain.recurring import dated_trip_id, weekly
from .handlers import commands, hub_mode
from .handlers.places import find_place
from .handlers.printing import render_board, render_slip
from .http_models import (
    AnswerIn, DeclineIn, DeliverIn, LoadIn, OnBehalf, PickUpIn, PlaceIn, PlausibleDay, TripIn, WithdrawIn,
)
from .settings import FreightSettings

PARTICIPANT_ROLES = (Role.FREIGHT_PARTICIPANT, Role.SHOP, Role.RESIDENT)
Participant = Annotated[User, Depends(require_roles(*PARTICIPANT_ROLES, Role.OPERATOR, Role.ADMIN))]
FreightDep = Annotated[FreightSettings, Depends(from_state("freight"))]
Staff = Annotated[User, Depends(require_roles(Role.OPERATOR, Role.ADMIN))]

NO_TRIP = (NotFound, "No such trip, or not yours")
NO_LOAD = (NotFound, "No such load, or not yours")
NO_MATCH = (NotFound, "No such match, or you are no side of it")


def own_id(user: User) -> str:
    return user.shop_id if user.role is Role.SHOP and user.shop_id else user.sub


def acting(user: User, body: OnBehalf) -> tuple[str, Actor, str]:
    """For whom the caller acts, the actor to record, and the channel."""
    if user.is_staff:
        if not body.participant_id:
            raise Unprocessable("participant_id: an assistant names the participant they act for",
                                details={"problems": [{"field": "participant_id", "message": "required for staff"}]})
        return body.participant_id, user.actor(on_behalf_of=body.participant_id), body.channel or "COUNTER"
    mine = own_id(user)
    if body.participant_id and body.participant_id != mine:
        raise Forbidden("a participant acts only for themself; an assistant (staff) may act for others")
    return mine, user.actor(), body.channel or "WEB"


def may_see(user: User, *participants: str | None) -> bool:
    return user.is_staff or own_id(user) in participants


def place(body: PlaceIn, field: str) -> dict[str, Any]:
    if body.place_id is not None:
        known = find_place(body.place_id)
        if known is None:
            raise Unprocessable(f"{field}.place_id: unknown place {body.place_id!r}",
                                details={"problems": [{"field": f"{field}.place_id", "message": "unknown place"}]})
        return {"name": body.name or known.name, "location": {"lat": known.lat, "lon": known.lon}}
    return {"name": body.name, "location": {"lat": body.location.lat, "lon": body.location.lon}}


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


def _trip_offers(body: TripIn, participant_id: str, channel: str) -> list[dict[str, Any]]:
    origin, destination = place(body.origin, "origin"), place(body.destination, "destination")
    via = [place(v, f"via.{i}") for i, v in enumerate(body.via)]
    common = dict(
        participant_id=participant_id, participant_kind=body.participant_kind, participant_name=body.participant_name,
        origin=origin, destination=destination, via=via, spare_weight_g=round(body.spare_weight_kg * 1000),
        spare_volume_ml=round(body.spare_volume_litres * 1000), spare_parcels=body.spare_parcels,
        temperature_class=body.temperature, refrigerated=body.temperature != "AMBIENT",
        max_detour_km=body.max_detour_km, max_detour_min=body.max_detour_min, price_rule=body.price_rule,
        price_per_km=None if body.price_per_km_cents is None else {"amount_cents": body.price_per_km_cents},
        fixed_price=None if body.fixed_price_cents is None else {"amount_cents": body.fixed_price_cents},
        channel=channel, note=body.note)
    if body.departure is not None:
        departures = [(body.trip_id or commands.new_id("trip"), utc(body.departure.start), utc(body.departure.end),
                       utc(body.arrive_by) if body.arrive_by else None, None)]
    else:
        series = body.trip_id or commands.new_id("trips")
        w = body.weekly
        departures = [(dated_trip_id(series, d.day), d.start, d.end, d.arrive_by, series)
                      for d in weekly(w.weekday, w.leave_at, flexible_min=w.flexible_min, drive_max_min=w.drive_max_min,
                                      first_day=w.first_day, weeks=w.weeks)]
    offers = []
    for trip_id, start, end, arrive_by, series in departures:
        problems = trip_problems(
            departure_start=ms(start), departure_end=ms(end), arrive_by=ms(arrive_by) if arrive_by else None,
            spare_weight_g=common["spare_weight_g"], spare_volume_ml=common["spare_volume_ml"],
            spare_parcels=body.spare_parcels,
            max_detour_m=None if body.max_detour_km is None else round(body.max_detour_km * 1000),
            max_detour_s=None if body.max_detour_min is None else body.max_detour_min * 60,
            price_rule=body.price_rule, price_per_km_cents=body.price_per_km_cents,
            fixed_price_cents=body.fixed_price_cents)
        commands.refuse(problems)
        offers.append(common | {"trip_id": trip_id, "departure": {"start": start, "end": end}, "arrive_by": arrive_by,
                                "recurrence_id": series})
    return offers


def _load_fields(body: LoadIn, participant_id: str, channel: str) -> dict[str, Any]:
    origin, destination = place(body.origin, "origin"), place(body.destination, "destination")
    problems = load_problems(
        pickup_start=ms(body.pickup_window.start), pickup_end=ms(body.pickup_window.end),
        delivery_start=ms(body.delivery_window.start), delivery_end=ms(body.delivery_window.end),
        weight_g=round(body.weight_kg * 1000), volume_ml=round(body.volume_litres * 1000), parcels=body.parcels,
        same_place=origin["location"] == destination["location"])
    commands.refuse(problems)
    return dict(
        load_id=body.load_id or commands.new_id("load"), participant_id=participant_id,
        participant_kind=body.participant_kind, participant_name=body.participant_name,
        recipient_name=body.recipient_name, origin=origin, destination=destination, description=body.description,
        weight_g=round(body.weight_kg * 1000), volume_ml=round(body.volume_litres * 1000), parcels=body.parcels,
        temperature_class=body.temperature,
        pickup_window={"start": utc(body.pickup_window.start), "end": utc(body.pickup_window.end)},
        delivery_window={"start": utc(body.delivery_window.start), "end": utc(body.delivery_window.end)},
        offered_price=None if body.max_price_cents is None else {"amount_cents": body.max_price_cents},
        handling_notes=body.handling_notes, channel=channel)


async def _own_trip(redis, user: User, trip_id: str) -> dict:
    trip = await queries.trip(redis, trip_id)
    if trip is None or not may_see(user, trip["participant_id"]):
        raise NotFound(f"no trip {trip_id}")
    return trip


async def _own_load(redis, user: User, load_id: str) -> dict:
    load = await queries.load(redis, load_id)
    if load is None or not may_see(user, load["participant_id"]):
        raise NotFound(f"no load {load_id}")
    return load


async def _own_match(redis, user: User, match_id: str) -> dict:
    match = await queries.match(redis, match_id)
    if match is None or not may_see(user, match.get("trip_participant_id"), match.get("load_participant_id")):
        raise NotFound(f"no match {match_id}")
    return match


def _side(user: User, match: dict, asked: str | None) -> str:
    """Which side the caller answers for: their own; staff say which."""
    if user.is_staff:
        if asked is None:
            raise Unprocessable("side: an assistant says for which side they answer",
                                details={"problems": [{"field": "side", "message": "required for staff"}]})
        return asked
    mine = own_id(user)
    sides = [s for s, who in (("TRIP_PROVIDER", match.get("trip_participant_id")),
                              ("LOAD_PROVIDER", match.get("load_participant_id"))) if who == mine]
    if asked is not None:
        if asked not in sides:
            raise Forbidden(f"you are not the {asked} of match {match['match_id']}")
        return asked
    return sides[0]


def trips_router() -> APIRouter:
    router = APIRouter(prefix="/v1/freight/trips", tags=["trips"])

    @router.post("", status_code=202, responses=error_responses(
        (403, "A participant offers only their own trips"), (409, "A trip with this id exists already"),
        (422, "The trip breaks a rule (windows, room, detour, price rule) or names an unknown place")))
    async def offer_trip(body: TripIn, user: Participant, redis: RedisDep, producer: ProducerDep, once: Idempotency):
        """A trip with spare room, or a weekly trip as one dated offer per week. A participant
        offers their own; an assistant (staff) for anyone, recorded with the channel."""
        participant_id, actor, channel = acting(user, body)
        offers = _trip_offers(body, participant_id, channel)

        async def offer() -> dict:
            events = await commands.offer_trips(offers, actor=actor, redis=redis, producer=producer)
            ids = [e.trip_id for e in events]
            return {"trip_ids": ids, "status": "accepted", "recurrence_id": offers[0]["recurrence_id"],
                    "status_url": f"/v1/freight/trips/{ids[0]}"}

        return await once(offer, status_code=202)

    @router.get("/{trip_id}", responses=error_responses(NO_TRIP))
    async def get_trip(trip_id: str, user: Participant, redis: RedisDep) -> dict:
        """The trip and the loads it was proposed or carries: its participant, or staff."""
        trip = await _own_trip(redis, user, trip_id)
        return queries.trip_view(trip, await queries.held_matches(redis, trip_id))

    @router.post("/{trip_id}/withdraw", status_code=202, responses=error_responses(
        NO_TRIP, (409, "Withdrawn already")))
    async def withdraw_trip(trip_id: str, user: Participant, redis: RedisDep, producer: ProducerDep,
                            body: WithdrawIn | None = None) -> dict:
        """Its participant or staff. Its loads go back into matching and their senders are told.
        With `later_in_series`, a weekly trip's later weeks are withdrawn with it."""
        body = body or WithdrawIn()
        trip = await _own_trip(redis, user, trip_id)
        actor = user.actor(on_behalf_of=trip["participant_id"]) if user.is_staff else user.actor()
        later = await queries.later_in_series(redis, trip) if body.later_in_series else []
        event = await commands.withdraw_trip(trip, reason=body.reason, note=body.note, actor=actor, producer=producer)
        for each in later:
            await commands.withdraw_trip(each, reason=body.reason, note=body.note, actor=actor, producer=producer)
        return {"trip_id": trip_id, "status": "withdrawing", "event_id": event.event_id,
                "trip_ids": [trip_id, *(each["trip_id"] for each in later)],
                "status_url": f"/v1/freight/trips/{trip_id}"}

    return router


def loads_router() -> APIRouter:
    router = APIRouter(prefix="/v1/freight/loads", tags=["loads"])

    @router.post("", status_code=202, responses=error_responses(
        (403, "A participant posts only their own loads"), (409, "A load with this id exists already"),
        (422, "The load breaks a rule (windows, weight) or names an unknown place")))
    async def post_load(body: LoadIn, user: Participant, redis: RedisDep, producer: ProducerDep,
                        freight: FreightDep, once: Idempotency):
        """A load looking for a ride. One no trip could carry is accepted and shown as
        unmatchable with the reason."""
        participant_id, actor, channel = acting(user, body)
        fields = _load_fields(body, participant_id, channel)

        async def post() -> dict:
            event = await commands.post_load(fields, actor=actor, redis=redis, producer=producer)
            reason = unmatchable_reason(event.weight_g, event.volume_ml, freight.max_load_g, freight.max_load_ml)
            return {"load_id": event.load_id, "status": "accepted", "matchable": reason is None,
                    "unmatchable_reason": reason, "status_url": f"/v1/freight/loads/{event.load_id}"}

        return await once(post, status_code=202)

    @router.get("/{load_id}", responses=error_responses(NO_LOAD))
    async def get_load(load_id: str, user: Participant, redis: RedisDep) -> dict:
        """The load, its match and why it is unmatched: its participant, or staff."""
        load = await _own_load(redis, user, load_id)
        view = queries.load_view(load)
        if load.get("match_id") and (match := await queries.match(redis, load["match_id"])) is not None:
            view["match"] = queries.match_view(match)
        return view

    @router.post("/{load_id}/withdraw", status_code=202, responses=error_responses(
        NO_LOAD, (409, "Withdrawn already, or on its way")))
    async def withdraw_load(load_id: str, user: Participant, redis: RedisDep, producer: ProducerDep,
                            body: WithdrawIn | None = None) -> dict:
        """Its participant or staff; an agreed trip's driver is told."""
        body = body or WithdrawIn()
        load = await _own_load(redis, user, load_id)
        actor = user.actor(on_behalf_of=load["participant_id"]) if user.is_staff else user.actor()
        event = await commands.withdraw_load(load, reason=body.reason, note=body.note, actor=actor, producer=producer)
        return {"load_id": load_id, "status": "withdrawing", "event_id": event.event_id,
                "status_url": f"/v1/freight/loads/{load_id}"}

    @router.get("/{load_id}/slip", response_class=HTMLResponse, responses=error_responses(NO_LOAD))
    async def load_slip(load_id: str, user: Participant, redis: RedisDep, freight: FreightDep) -> HTMLResponse:
        """The printable A4 load slip with the route and, for the sender and staff once the
        match is agreed, the hand-over code. The sender, staff, or the driver of its match."""
        load = await queries.load(redis, load_id)
        match = await queries.match(redis, load["match_id"]) if load and load.get("match_id") else None
        driver = match.get("trip_participant_id") if match else None
        if load is None or not may_see(user, load["participant_id"], driver):
            raise NotFound(f"no load {load_id}")
        trip = await queries.trip(redis, match["trip_id"]) if match else None
        code = None
        if match and match["status"] in ("AGREED", "PICKED_UP") and may_see(user, load["participant_id"]):
            code = handover_code(freight.code_key, match["match_id"])
        return HTMLResponse(render_slip(load, match, trip, code, now_utc()))

    return router


def matches_router() -> APIRouter:
    router = APIRouter(prefix="/v1/freight/matches", tags=["matches"])

    @router.get("/{match_id}", responses=error_responses(NO_MATCH))
    async def get_match(match_id: str, user: Participant, redis: RedisDep) -> dict:
        """A proposal or agreed match with its route, price and savings: its two sides, or staff."""
        return queries.match_view(await _own_match(redis, user, match_id))

    @router.post("/{match_id}/accept", status_code=202, responses=error_responses(
        NO_MATCH, (403, "Not that side of the match"), (409, "Not open for answers, or accepted already"),
        (422, "An assistant names the side")))
    async def accept(match_id: str, user: Participant, redis: RedisDep, producer: ProducerDep,
                     body: AnswerIn | None = None) -> dict:
        """One side says yes; when both have, the worker agrees the match if the trip still
        has the room. A side for themself; staff for either side (recorded)."""
        body = body or AnswerIn()
        match = await _own_match(redis, user, match_id)
        side = _side(user, match, body.side)
        who = match["trip_participant_id"] if side == "TRIP_PROVIDER" else match["load_participant_id"]
        actor = user.actor(on_behalf_of=who) if user.is_staff else user.actor()
        event = await commands.accept(match, side=side, channel=body.channel or ("COUNTER" if user.is_staff else "WEB"),
                                      actor=actor, producer=producer)
        return {"match_id": match_id, "side": side, "status": "accepting", "event_id": event.event_id,
                "status_url": f"/v1/freight/matches/{match_id}"}

    @router.post("/{match_id}/decline", status_code=202, responses=error_responses(
        NO_MATCH, (403, "Not that side of the match"), (409, "Not open for answers"),
        (422, "An assistant names the side")))
    async def decline(match_id: str, user: Participant, redis: RedisDep, producer: ProducerDep,
                      body: DeclineIn | None = None) -> dict:
        """One side says no: the pair is not proposed again and the load is matched anew."""
        body = body or DeclineIn()
        match = await _own_match(redis, user, match_id)
        side = _side(user, match, body.side)
        who = match["trip_participant_id"] if side == "TRIP_PROVIDER" else match["load_participant_id"]
        actor = user.actor(on_behalf_of=who) if user.is_staff else user.actor()
        event = await commands.decline(match, side=side, reason=body.reason, note=body.note,
                                       channel=body.channel or ("COUNTER" if user.is_staff else "WEB"), actor=actor,
                                       producer=producer)
        return {"match_id": match_id, "side": side, "status": "declining", "event_id": event.event_id,
                "status_url": f"/v1/freight/matches/{match_id}"}

    @router.post("/{match_id}/pickup", status_code=202, responses=error_responses(
        NO_MATCH, (403, "Wrong code, or not the match's driver"), (409, "The match is not agreed"),
        (429, "Too many wrong codes; wait (Retry-After)")))
    async def pick_up(match_id: str, body: PickUpIn, user: Participant, redis: RedisDep, producer: ProducerDep,
                      freight: FreightDep) -> dict:
        """The driver takes the load over with the code the sender gives them (or staff)."""
        match = await _own_match(redis, user, match_id)
        if not user.is_staff and own_id(user) != match.get("trip_participant_id"):
            raise Forbidden("only the match's driver picks the load up")
        event = await commands.pick_up(match, code=body.code, actor=user.actor(), redis=redis, producer=producer,
                                       settings=freight, now=now_utc())
        return {"match_id": match_id, "status": "picked_up", "event_id": event.event_id,
                "status_url": f"/v1/freight/matches/{match_id}"}

    @router.post("/{match_id}/deliver", status_code=202, responses=error_responses(
        NO_MATCH, (403, "Wrong code, or not the match's driver"), (409, "The load was not picked up"),
        (429, "Too many wrong codes; wait (Retry-After)")))
    async def deliver(match_id: str, body: DeliverIn, user: Participant, redis: RedisDep, producer: ProducerDep,
                      freight: FreightDep) -> dict:
        """The driver hands the load over with proof: the code, the recipient's name, a photo reference."""
        match = await _own_match(redis, user, match_id)
        if not user.is_staff and own_id(user) != match.get("trip_participant_id"):
            raise Forbidden("only the match's driver delivers the load")
        proof = commands.Proof(body.code, body.received_by, body.photo_ref)
        event = await commands.deliver(match, proof=proof, actor=user.actor(), redis=redis, producer=producer,
                                       settings=freight, now=now_utc())
        return {"match_id": match_id, "status": "delivered", "event_id": event.event_id,
                "status_url": f"/v1/freight/matches/{match_id}"}

    return router


def open_trip(trip: dict) -> dict:
    """A trip as the notice board shows it: where, when, how much room, by whom."""
    return {"trip_id": trip["trip_id"], "participant": trip.get("participant_name") or trip["participant_id"],
            "origin": trip["origin"]["name"], "destination": trip["destination"]["name"],
            "via": [v["name"] for v in trip.get("via", [])], "depart_start": ms_iso(trip["depart_start"]),
            "spare_weight_kg": trip["spare_weight_g"] / 1000, "temperature": trip.get("temperature", "AMBIENT"),
            "price_rule": trip.get("price_rule")}


def open_load(load: dict) -> dict:
    """A load as the notice board shows it."""
    return {"load_id": load["load_id"], "description": load["description"], "origin": load["origin"]["name"],
            "destination": load["destination"]["name"], "pickup_start": ms_iso(load["pickup_start"]),
            "pickup_end": ms_iso(load["pickup_end"]), "weight_kg": load["weight_g"] / 1000,
            "temperature": load.get("temperature", "AMBIENT")}


def ms_iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def board_router() -> APIRouter:
    router = APIRouter(prefix="/v1/freight", tags=["board"])

    @router.get("/mine", responses=error_responses((422, "An assistant names the participant")))
    async def mine(user: Participant, redis: RedisDep, participant_id: str | None = None) -> dict:
        """A participant's own trips and loads with their matches; staff give `participant_id`."""
        if user.is_staff:
            if not participant_id:
                raise Unprocessable("participant_id: staff name the participant",
                                    details={"problems": [{"field": "participant_id", "message": "required"}]})
            return await queries.mine(redis, participant_id)
        if participant_id and participant_id != own_id(user):
            raise Forbidden("a participant sees only their own listings")
        return await queries.mine(redis, own_id(user))

    @router.get("/open")
    async def open_listings(user: CurrentUser, redis: RedisDep, day: PlausibleDay | None = None) -> dict:
        """The week's open trips and loads as data: what the printed board shows (any signed-in caller)."""
        monday, trips, loads = await queries.open_in_week(redis, day or today_in_berlin())
        return {"week_of": monday.isoformat(), "trips": [open_trip(t) for t in trips],
                "loads": [open_load(l) for l in loads]}

    @router.get("/board", response_class=HTMLResponse)
    async def weekly_board(user: CurrentUser, redis: RedisDep, day: PlausibleDay | None = None) -> HTMLResponse:
        """The printable board of the week's open trips and loads (any signed-in caller)."""
        monday, trips, loads = await queries.open_in_week(redis, day or today_in_berlin())
        return HTMLResponse(render_board(monday, trips, loads, now_utc()))

    return router



def hub_router() -> APIRouter:
    router = APIRouter(prefix="/v1/freight/hub-plans", tags=["hub mode"])

    @router.get("/{plan_id}", responses=error_responses((NotFound, "No plan request of that id is known here")))
    async def hub_plan(plan_id: str, user: Staff, redis: RedisDep, freight: FreightDep,
                       seconds: Annotated[float, Query(ge=0.5, le=10.0)] = 2.0) -> dict:
        """Hub mode (staff): the plan's deliveries weighed between the hub's vans and the
        day's open trips that pass the hub: which go on the vans' tours, which to which
        trip for what compensation, and what that saves against the vans alone.
        Advice: nothing is booked; the operator posts the loads a trip should take."""
        doc = await hub_mode.plan_doc(redis, plan_id)
        if doc is None or "day" not in doc:
            raise NotFound(f"no plan request {plan_id} is known to the freight exchange")
        decision = await hub_mode.hub_mode(redis, doc, freight, seconds)
        return {"plan_id": plan_id, "day": doc["day"], "depot": doc["depot"],
                "tours": [list(t) for t in decision.tours],
                "handovers": [{"place_id": h.place_id, "trip_id": h.trip_id, "participant_id": h.participant_id,
                               "detour_km": h.detour_km, "compensation_cents": h.compensation_cents}
                              for h in decision.handovers],
                "cost_cents": round(decision.cost_cents), "vans_only_cents": round(decision.vans_only_cents),
                "saved_cents": round(decision.saved_cents), "eligible_pairs": decision.eligible_pairs}

    return router
