"""The matching round: every open load against every trip on offer, solved off the
event loop, each new pairing proposed to both sides.

A round reads the open trips (with the loads they carry or were proposed) and the
open loads, leaves out pairs that cannot be (declined before, a price above what
the sender pays), and asks the domain
(`domain/matching.py`: bundles, then CP-SAT) for as many loads as possible with the
fewest extra kilometres. The solver runs in a thread (`asyncio.to_thread`), so the
worker's agents keep consuming. Every trip-load pair that can work is a candidate;
bundles of several loads are built per trip from its `bundle_breadth` cheapest
loads only (a heuristic cut that keeps a round of 200 trips and 500 loads within
seconds).

Each proposal is one `Outbox` decision keyed by its match id (a trip and a load
meet once): under WATCH of the trip, its held room and the load, it is written
only if nothing it was computed on changed meanwhile (else the next round tries
again), so room is never proposed twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import WatchError

from nahnetz.events import Event, new_event
from nahnetz.geo import TravelTimes
from nahnetz.messaging.idempotency import Transaction
from nahnetz.messaging.outbox import Outbox
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import MatchDeclined, MatchProposed

from .. import keys
from ..domain import lifecycle
from ..domain.footprint import saving
from ..domain.matching import match
from ..domain.pricing import affordable, price_cents
from ..domain.routes import DROP, PICKUP, VIA, best_route, fits
from ..settings import FreightSettings
from .matches import proposal_doc
from .notices import PRODUCER, derived_id, match_params, notice, when
from .places import travel_times
from .state import Doc, at, domain_load, domain_trip, dump, places_of, read_doc, stage_match

log = logging.getLogger(__name__)

NO_TRIP_YET = "noch keine passende Fahrt / no trip on offer fits yet"
NO_TRIP_OFFERED = "noch keine Fahrt im Angebot / no trip on offer yet"
WINDOW_PASSED = "Abholzeit vorbei, keine Fahrt gefunden / the pick-up window passed without a ride"


class Stale(Exception):
    """What a proposal was computed on changed; the next round decides again."""


@dataclass
class Proposal:
    match_id: str
    trip: Doc
    load: Doc
    price_cents: int
    detour_m: int
    detour_s: int
    km_avoided: float
    co2_kg_avoided: float
    pickup_eta: int
    stops: list[dict[str, Any]]
    holding: frozenset[str]


@dataclass
class Round:
    trips: int = 0
    loads: int = 0
    proposed: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    stale: int = 0          # proposals whose inputs changed meanwhile: the next round follows at once
    optimal: bool = True
    seconds: float = 0.0


def match_id_for(trip_id: str, load_id: str) -> str:
    return "m-" + derived_id("match", trip_id, load_id).replace("-", "")[:20]


async def _docs(redis: Redis, ids: set[str], key) -> list[Doc]:
    found = []
    for ident in sorted(ids):
        doc = await read_doc(redis, key(ident))
        if doc is not None:
            found.append(doc)
    return found


async def run_round(redis: Redis, producer: EventProducer, settings: FreightSettings, now_ms: int) -> Round:
    started = time.monotonic()
    await redis.delete(keys.MATCHING_DUE)
    await lapse_proposals(redis, producer, now_ms)
    trips = [t for t in await _docs(redis, await redis.smembers(keys.TRIPS_OPEN), keys.trip)
             if t["status"] == "OPEN" and t["depart_end"] >= now_ms]
    waiting = [l for l in await _docs(redis, await redis.smembers(keys.LOADS_OPEN), keys.load)
               if l["status"] == lifecycle.OPEN and not l.get("unmatchable_reason")]
    loads = [l for l in waiting if l["pickup_end"] >= now_ms]
    await _note_unmatched(redis, {l["load_id"]: WINDOW_PASSED for l in waiting if l["pickup_end"] < now_ms})
    done = Round(len(trips), len(loads))
    if not loads:
        return done
    holding: dict[str, frozenset[str]] = {}
    carrying: dict[str, list[Doc]] = {}
    for trip in trips:
        ids = frozenset(await redis.smembers(keys.holding(trip["trip_id"])))
        holding[trip["trip_id"]] = ids
        aboard = []
        for match_id in sorted(ids):
            held = await read_doc(redis, keys.match(match_id))
            if held is not None and held["status"] in (lifecycle.PROPOSED, lifecycle.AGREED):
                load = await read_doc(redis, keys.load(held["load_id"]))
                if load is not None:
                    aboard.append(load)
        carrying[trip["trip_id"]] = aboard
    excluded = {(trip_id, load["load_id"]) for load in loads
                for trip_id in await redis.smembers(keys.excluded(load["load_id"]))}
    proposals: list[Proposal] = []
    unmatched = [l["load_id"] for l in loads]
    if trips:
        every_load = loads + [l for aboard in carrying.values() for l in aboard]
        points, index = places_of(trips, every_load)
        times = await travel_times(points, settings.circuity)
        proposals, unmatched, optimal = await asyncio.to_thread(
            plan_proposals, trips, loads, carrying, holding, excluded, times, index, settings)
        done.optimal = optimal
    respond_by = now_ms + settings.respond_hours * 3600 * 1000
    added: dict[str, set[str]] = {}  # per trip, what this round proposed already (a bundle's loads)
    for proposal in proposals:
        trip_id = proposal.trip["trip_id"]
        proposal.holding = proposal.holding | added.get(trip_id, set())
        try:
            published = await propose(redis, producer, proposal, now_ms, respond_by)
        except Stale as stale:
            log.info("proposal %s left for the next round: %s", proposal.match_id, stale)
            await redis.set(keys.MATCHING_DUE, "1")
            done.stale += 1
            continue
        added.setdefault(trip_id, set()).add(proposal.match_id)
        if published:
            done.proposed.append(proposal.match_id)
    largest = max((t["spare_weight_g"] for t in trips), default=None)
    weights = {l["load_id"]: l["weight_g"] for l in loads}
    await _note_unmatched(redis, {load_id: unmatched_reason(weights.get(load_id, 0), largest) for load_id in unmatched})
    done.unmatched = unmatched
    done.seconds = time.monotonic() - started
    return done


async def lapse_proposals(redis: Redis, producer: EventProducer, now_ms: int) -> list[str]:
    """Proposals nobody answered in time are declined (NO_RESPONSE, by the system): their
    loads are matched again without that trip."""
    lapsed = []
    for trip_id in sorted(await redis.smembers(keys.TRIPS_OPEN)):
        for match_id in sorted(await redis.smembers(keys.holding(trip_id))):
            doc = await read_doc(redis, keys.match(match_id))
            if doc is None or doc["status"] != lifecycle.PROPOSED or not doc.get("respond_by"):
                continue
            if doc["respond_by"] >= now_ms:
                continue
            declined = new_event(MatchDeclined, producer=PRODUCER, event_id=derived_id("lapsed", match_id),
                                 match_id=match_id, trip_id=doc["trip_id"], load_id=doc["load_id"],
                                 declined_by="SYSTEM", reason="NO_RESPONSE", note="no answer in time")
            await Outbox(redis, producer, keys.LAPSE).publish_once(match_id, declined)
            lapsed.append(match_id)
    return lapsed


def plan_proposals(trips: list[Doc], loads: list[Doc], carrying: dict[str, list[Doc]],
                   holding: dict[str, frozenset[str]], excluded: set[tuple[str, str]], times: TravelTimes,
                   index: dict[str, int], settings: FreightSettings) -> tuple[list[Proposal], list[str], bool]:
    """The pure part of a round (runs in a thread): which loads to propose on which trips."""
    by_trip = {t["trip_id"]: domain_trip(t, index) for t in trips}
    by_load = {l["load_id"]: domain_load(l, index) for l in loads}
    trip_docs = {t["trip_id"]: t for t in trips}
    load_docs = {l["load_id"]: l for l in loads}
    aboard = {tid: [domain_load(l, index) for l in carrying.get(tid, [])] for tid in by_trip}
    banned = set(excluded)
    for tid, trip in trip_docs.items():
        for lid, load in load_docs.items():
            if (tid, lid) in banned:
                continue
            if trip["price_rule"] == "PER_KM" and load.get("max_price_cents") is not None:
                if not fits(by_trip[tid], by_load[lid], times):
                    continue  # no route at all: nothing to price
                alone = best_route(by_trip[tid], [by_load[lid]], times)
                if alone is not None and not affordable(_price(trip, load, alone.extra_m, 1), load["max_price_cents"]):
                    banned.add((tid, lid))
            elif not affordable(_price(trip, load, 0, 1), load.get("max_price_cents")):
                banned.add((tid, lid))
    result = match(list(by_trip.values()), list(by_load.values()), times, max_bundle=settings.max_bundle,
                   excluded=banned, time_limit_s=settings.solver_seconds, carrying=aboard,
                   breadth=settings.bundle_breadth)
    proposals = []
    for found in result.matches:
        route = found.route
        trip = trip_docs[route.trip_id]
        new = list(found.new_load_ids)
        base = best_route(by_trip[route.trip_id], aboard[route.trip_id], times) if aboard[route.trip_id] else None
        extra_m = route.extra_m - (base.extra_m if base else 0)
        extra_s = route.extra_s - (base.extra_s if base else 0)
        stops = _stops(trip, route, {**load_docs, **{l["load_id"]: l for l in carrying.get(route.trip_id, [])}})
        for load_id in new:
            share_m, share_s = extra_m // len(new), extra_s // len(new)
            kept = saving([by_load[load_id]], share_m, times)
            pickup = next(s for s in route.stops if s.kind == PICKUP and s.load_id == load_id)
            proposals.append(Proposal(
                match_id_for(route.trip_id, load_id), trip, load_docs[load_id],
                _price(trip, load_docs[load_id], extra_m, len(new)), share_m, share_s, kept.km_avoided,
                kept.co2_kg_avoided, pickup.arrive_at * 1000, stops, holding.get(route.trip_id, frozenset())))
    matched = {p.load["load_id"] for p in proposals}
    return proposals, [lid for lid in by_load if lid not in matched], result.optimal


def _price(trip: Doc, load: Doc, detour_m: int, loads: int) -> int:
    return price_cents(trip["price_rule"], detour_m=detour_m, loads=loads, per_km_cents=trip.get("price_per_km_cents"),
                       fixed_cents=trip.get("fixed_price_cents"), offered_cents=load.get("max_price_cents"))


def _stops(trip: Doc, route, loads: dict[str, Doc]) -> list[dict[str, Any]]:
    stops = [{"action": "DEPART", "load_id": None, "place": trip["origin"], "eta": route.departure * 1000}]
    vias = iter(trip.get("via") or ())
    for stop in route.stops:
        if stop.kind == VIA:
            stops.append({"action": "VIA", "load_id": None, "place": next(vias), "eta": stop.arrive_at * 1000})
            continue
        load = loads[stop.load_id]
        place = load["origin"] if stop.kind == PICKUP else load["destination"]
        stops.append({"action": "PICKUP" if stop.kind == PICKUP else DROP, "load_id": stop.load_id,
                      "place": place, "eta": stop.arrive_at * 1000})
    stops.append({"action": "ARRIVE", "load_id": None, "place": trip["destination"], "eta": route.arrival * 1000})
    return stops


def proposed_event(p: Proposal, now_ms: int, respond_by: int) -> MatchProposed:
    def place(doc: Doc) -> dict:
        return {"name": doc["name"], "location": {"lat": doc["lat"], "lon": doc["lon"]}}

    return new_event(
        MatchProposed, producer=PRODUCER, event_id=derived_id("proposed", p.match_id), match_id=p.match_id,
        trip_id=p.trip["trip_id"], load_id=p.load["load_id"], detour_km=round(p.detour_m / 1000, 3),
        price={"amount_cents": p.price_cents}, empty_km_avoided=p.km_avoided, pickup_eta=_dt(p.pickup_eta),
        respond_by=_dt(respond_by), trip_participant_id=p.trip["participant_id"],
        load_participant_id=p.load["participant_id"], detour_min=round(p.detour_s / 60),
        co2_kg_avoided=p.co2_kg_avoided,
        stops=[{"action": s["action"], "load_id": s["load_id"], "place": place(s["place"]), "eta": _dt(s["eta"])}
               for s in p.stops])


def _dt(value_ms: int):
    return at(value_ms)


async def propose(redis: Redis, producer: EventProducer, p: Proposal, now_ms: int, respond_by: int) -> list[Event]:
    trip_id, load_id = p.trip["trip_id"], p.load["load_id"]

    async def step(tx: Transaction) -> list[Event]:
        trip = await read_doc(tx.read, keys.trip(trip_id))
        load = await read_doc(tx.read, keys.load(load_id))
        if trip is None or trip["status"] != "OPEN":
            raise Stale(f"trip {trip_id} is no longer on offer")
        if load is None or load["status"] != lifecycle.OPEN:
            raise Stale(f"load {load_id} is no longer open")
        if frozenset(await tx.read.smembers(keys.holding(trip_id))) != p.holding:
            raise Stale(f"trip {trip_id} took other loads meanwhile")
        if trip_id in await tx.read.smembers(keys.excluded(load_id)):
            raise Stale(f"trip {trip_id} and load {load_id} were excluded meanwhile")
        event = proposed_event(p, now_ms, respond_by)
        stage_match(tx.write, proposal_doc(event), load)
        params = match_params({"match_id": p.match_id, "price_cents": p.price_cents, "pickup_eta": p.pickup_eta},
                              trip, load) | {"respond_by": _when(respond_by)}
        return [event,
                notice("freight_match_proposed_sender", load["participant_id"], load.get("channel"), params,
                       caused_by=event, key=p.match_id),
                notice("freight_match_proposed_driver", trip["participant_id"], trip.get("channel"), params,
                       caused_by=event, key=p.match_id)]

    return await Outbox(redis, producer, keys.PROPOSE).decide(
        p.match_id, step, watch=[keys.trip(trip_id), keys.load(load_id), keys.holding(trip_id), keys.excluded(load_id)])


def _when(value_ms: int) -> str:
    return when(value_ms)


def unmatched_reason(weight_g: int, largest_spare_g: int | None) -> str:
    """Why a load found no ride in this round, for people."""
    if largest_spare_g is None:
        return NO_TRIP_OFFERED
    if weight_g > largest_spare_g:
        kg = f"{largest_spare_g / 1000:g}"
        return (f"schwerer als jeder freie Platz (größter: {kg} kg) / "
                f"heavier than any room on offer (largest: {kg} kg)")
    return NO_TRIP_YET


async def _note_unmatched(redis: Redis, reasons: dict[str, str]) -> None:
    for load_id, reason in reasons.items():
        async with redis.pipeline(transaction=True) as pipe:
            await pipe.watch(keys.load(load_id))
            doc = await read_doc(pipe, keys.load(load_id))
            if doc is None or doc["status"] != lifecycle.OPEN or doc.get("unmatched_reason") == reason:
                continue
            doc["unmatched_reason"] = reason
            pipe.multi()
            pipe.set(keys.load(load_id), dump(doc))
            try:
                await pipe.execute()
            except WatchError:  # changed meanwhile: the next round notes it
                pass


class Matcher:
    """Runs matching rounds one at a time: soon after a trip or load changed (`poke`,
    debounced; the handlers mark `freight:matching:due` when what they wrote can change
    the matching) and every `match_interval_seconds` in any case (the periodic batch,
    which also lets unanswered proposals lapse)."""

    def __init__(self, redis: Redis, producer: EventProducer, settings: FreightSettings, clock) -> None:
        self.redis, self.producer, self.settings, self.clock = redis, producer, settings, clock
        self._poked = asyncio.Event()
        self.rounds = 0

    def poke(self) -> None:
        self._poked.set()

    async def run_forever(self) -> None:
        self._poked.set()  # a first round at start: catch up on what came while away
        first = True
        while True:
            periodic = False
            try:
                await asyncio.wait_for(self._poked.wait(), timeout=self.settings.match_interval_seconds)
            except asyncio.TimeoutError:
                periodic = True
            await asyncio.sleep(self.settings.match_debounce_seconds)
            self._poked.clear()
            try:
                # Poked by an event that changed nothing matching cares about: no round.
                if not (first or periodic or await self.redis.exists(keys.MATCHING_DUE)):
                    continue
                first = False
                done = await run_round(self.redis, self.producer, self.settings, self.clock())
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis or the broker away: the next round tries again
                log.exception("matching round failed")
                await asyncio.sleep(1.0)
                self._poked.set()
                continue
            self.rounds += 1
            if done.stale:
                self._poked.set()  # decide those again now, not at the next batch
            if done.proposed or done.loads:
                say = log.info if done.proposed else log.debug
                say("matching round: %d trips, %d loads, %d proposed, %d unmatched (%.2f s, optimal %s)",
                    done.trips, done.loads, len(done.proposed), len(done.unmatched), done.seconds, done.optimal)
