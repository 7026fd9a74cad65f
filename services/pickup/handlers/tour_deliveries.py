"""logistics.tours: deliveries reported by drivers become deposits: a StopCompleted of kind
DELIVERED on logistics.tours deposits each of its orders' parcels into the
compartments reserved for them, exactly as the terminal's deposit does (a
code for the resident, only its hash kept).

An order of several shops comes as one shipment per shop, maybe on different
tours and days. A delivery puts its parts into their compartments and records
them (`delivered` in `pickup:order:<order_id>`); only the delivery that brings
the last part deposits the parcel, so the resident's code comes once, when
everything is there. Which parts a stop brings is kept from the tour's stops
(each consignment names its shipment, order and shop).

DELIVERED is also what a driver reports when unloading at the hub mid-tour or
at the end of a collection tour (a DEPOT stop; the hub books the goods in):
those goods are not in a locker yet, so no parcel is deposited and no code
sent. The report names only its stop's position, so the kind of each stop is
kept from the tour's TourDispatched (`pickup:tour:<tour_id>`), which comes
first on the tour's partition.

Rebuild: `replay_tour_event` applies TourDispatched and the delivered parts of
StopCompleted again without depositing anything.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import WatchError

from nahnetz.events import Actor, Event, new_event
from nahnetz.kit.errors import Conflict, NotFound, Unprocessable
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import NotificationRequested, StopCompleted, StopKind, TourDispatched

from .. import keys
from ..domain.deposit import Reservation, parts_missing
from ..domain.notices import late_part
from ..settings import PickupSettings
from .deposits import deposit_parcel
from .points import load_point

log = logging.getLogger(__name__)

WORKER = "pickup-worker"
# A tour's stops are reported on within days; kept a while longer for late paper sheets.
TOUR_TTL_S = 30 * 24 * 3600


def _parts_field(index: int) -> str:
    return f"{index}:parts"


async def remember_stops(event: TourDispatched, redis: Redis) -> None:
    """The kind of each stop of a dispatched tour, by its position, what each delivery
    stop unloads (shipment -> order and shop), and the tour's driver as a carrier of
    every order it unloads at a pick-up point (only they may deposit it)."""
    kinds: dict[str, str] = {str(i): stop.kind for i, stop in enumerate(event.stops)}
    if not kinds:
        return
    for i, stop in enumerate(event.stops):
        unloaded = {c.shipment_id: [c.order_id, c.shop_id] for c in stop.consignments
                    if stop.kind == StopKind.DELIVERY and c.pickup_point_id == stop.place_id}
        if unloaded:
            kinds[_parts_field(i)] = json.dumps(unloaded)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(keys.tour(event.tour_id), mapping=kinds)
        pipe.expire(keys.tour(event.tour_id), TOUR_TTL_S)
        for order_id in delivered_orders(event):
            pipe.sadd(keys.carriers(order_id), event.driver_id)
            pipe.expire(keys.carriers(order_id), TOUR_TTL_S)
        await pipe.execute()


def delivered_orders(event: TourDispatched) -> set[str]:
    """The orders the tour unloads at their pick-up points."""
    return {c.order_id for stop in event.stops if stop.kind == StopKind.DELIVERY
            for c in stop.consignments if c.pickup_point_id == stop.place_id}


async def deposit_delivered_orders(event: Event, redis: Redis, producer: EventProducer,
                                   settings: PickupSettings, now: datetime) -> list[str]:
    """Deposit the parcels of a delivery stop; returns the orders deposited now.
    A redelivered stop finds its parcels deposited already and changes nothing."""
    if isinstance(event, TourDispatched):
        await remember_stops(event, redis)
        return []
    if not isinstance(event, StopCompleted) or event.kind != "DELIVERED":
        return []
    kind = await redis.hget(keys.tour(event.tour_id), str(event.stop_index))
    if kind == StopKind.DEPOT:
        # Unloaded at the hub: the goods wait there for the last mile. Depositing now would
        # send the resident a code for an empty compartment (and mark the order ready).
        return []
    if kind is None:
        # A tour dispatched before its stops were kept here: deposit as reported.
        log.warning("stop %s of tour %s is not known here; depositing as reported", event.stop_index,
                    event.tour_id)
    reported_by = event.meta.actor
    actor = (Actor(reported_by.user_id, reported_by.role, reported_by.on_behalf_of) if reported_by
             else Actor(f"tour:{event.tour_id}", "DRIVER"))
    deposited, refused = [], []
    brought = await parts_brought(event, redis)
    for order_id in event.order_ids:
        if await redis.exists(keys.parcel(order_id)):
            # Deposited before: a redelivery, or staff put the whole order in before this part came.
            await _tell_of_late_parts(redis, producer, settings, event, order_id, brought.get(order_id))
            continue
        missing = await record_parts(redis, order_id, brought.get(order_id))
        if missing:
            # In their compartments, waiting: no code while a part is still to come.
            log.info("order %s: a part is in; waiting for the part(s) of %s", order_id, ", ".join(missing),
                     extra={"order_id": order_id, "tour_id": event.tour_id})
            continue
        try:
            await deposit_parcel(order_id=order_id, compartment_ids=None, tour_id=event.tour_id, actor=actor,
                                 deposited_by=actor.user_id, redis=redis, producer=producer,
                                 settings=settings, now=now)
        except (NotFound, Conflict, Unprocessable) as exc:
            if await redis.exists(keys.parcel(order_id)):
                continue  # two vans delivered parts of one order at once: the other one won
            refused.append(f"{order_id}: {exc}")
            continue  # the stop's other parcels still go in
        deposited.append(order_id)
    if deposited:
        log.info("deposited parcels delivered by tour %s", event.tour_id, extra={"order_ids": deposited})
    if refused:
        # No reservation, or compartments held by someone else: a person must look.
        raise InvalidEvent(f"tour {event.tour_id} stop {event.stop_index}: cannot deposit " + "; ".join(refused))
    return deposited


async def _tell_of_late_parts(redis: Redis, producer: EventProducer, settings: PickupSettings,
                              event: StopCompleted, order_id: str, shops: set[str] | None) -> None:
    """A part the deposited parcel did not have: recorded, and the operator told (once;
    a redelivery of the stop finds it recorded)."""
    reservation = Reservation.from_record(order_id, await redis.hgetall(keys.order(order_id)))
    late = tuple(sorted(s for s in (shops or ()) if s in reservation.shops and s not in reservation.delivered))
    if not late:
        return
    point = await load_point(redis, reservation.pickup_point_id) if reservation.pickup_point_id else None
    notice = late_part(operator_id=settings.operator_recipient, order_id=order_id,
                       pickup_point_id=reservation.pickup_point_id, point_name=point.name if point else "",
                       shop_ids=late, tour_id=event.tour_id)
    log.warning("order %s: the part(s) of %s came after its parcel was deposited; the operator is told", order_id,
                ", ".join(late), extra={"order_id": order_id, "tour_id": event.tour_id})
    await producer.publish(new_event(NotificationRequested, producer=WORKER, caused_by=event, **asdict(notice)))
    await record_parts(redis, order_id, set(late))


async def parts_brought(event: StopCompleted, redis: Redis) -> dict[str, set[str] | None]:
    """Order -> the shops whose parts the stop unloaded (those of the reported shipments,
    or all the stop's when it names none); an order absent when the tour's stop is not
    known here, or None when a consignment names no shop (the whole order, as before
    parts were told)."""
    raw = await redis.hget(keys.tour(event.tour_id), _parts_field(event.stop_index))
    if raw is None:
        return {}
    reported = set(event.shipment_ids)
    brought: dict[str, set[str] | None] = {}
    for shipment_id, (order_id, shop_id) in json.loads(raw).items():
        if reported and shipment_id not in reported:
            continue  # on board no more (its collection failed): not unloaded here
        if shop_id is None or brought.get(order_id, set()) is None:
            brought[order_id] = None
        else:
            brought.setdefault(order_id, set()).add(shop_id)
    return brought


async def record_parts(redis: Redis, order_id: str, shops: set[str] | None) -> tuple[str, ...]:
    """Record the order's parts `shops` as in their compartments (None: the whole order);
    return the parts still to come."""
    key = keys.order(order_id)
    for _ in range(10):
        async with redis.pipeline(transaction=True) as pipe:
            await pipe.watch(key)
            reservation = Reservation.from_record(order_id, await pipe.hgetall(key))
            delivered = list(reservation.shops if shops is None else dict.fromkeys(
                [*reservation.delivered, *sorted(shops)]))
            pipe.multi()
            if reservation.shops:
                pipe.hset(key, "delivered", json.dumps(delivered))
            try:
                await pipe.execute()
            except WatchError:
                continue
            return parts_missing(reservation, delivered)
    raise RuntimeError(f"order {order_id}: its record keeps changing; the delivery is tried again")


async def replay_tour_event(event: Event, redis: Redis) -> None:
    """A rebuild: the stops of a dispatched tour, and the parts a delivery brought, without
    depositing (the parcels come back from pickup.parcels)."""
    if isinstance(event, TourDispatched):
        await remember_stops(event, redis)
    elif isinstance(event, StopCompleted) and event.kind == "DELIVERED":
        for order_id, shops in (await parts_brought(event, redis)).items():
            await record_parts(redis, order_id, shops)
