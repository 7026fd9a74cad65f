"""HTTP routes: each parses the request, authorises it, and calls a command
(`handlers/commands.py`) or a query (`queries.py`); the answer becomes JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from nahnetz.clock import today_in_berlin
from nahnetz.events import now_utc
from nahnetz.geo import MAX_LATITUDE
from nahnetz.kit.api import RedisDep, from_state
from nahnetz.kit.auth import CurrentUser, Role, User, require_roles, visible_area
from nahnetz.kit.errors import Forbidden, Unprocessable
from nahnetz.kit.http_errors import error_responses
from nahnetz.kit.lookup import found_or_404
from nahnetz.kit.idempotency_keys import Idempotency
from nahnetz.kit.publishing import ProducerDep
from nahnetz.kit.request_model import Day

from . import queries
from .handlers import commands
from .http_models import CollectIn, DepositIn, NewCodeIn, RegisterPoint, UpdatePoint
from .settings import PickupSettings

Staff = Annotated[User, Depends(require_roles(Role.OPERATOR, Role.ADMIN))]
Depositor = Annotated[User, Depends(require_roles(Role.DRIVER, Role.OPERATOR, Role.ADMIN))]
OccupancyReader = Annotated[User, Depends(require_roles(Role.OPERATOR, Role.ADMIN, Role.DRIVER, Role.MUNICIPALITY))]
Collector = Annotated[User, Depends(require_roles(Role.RESIDENT, Role.SHOP, Role.OPERATOR, Role.ADMIN))]
CodeRequester = Annotated[User, Depends(require_roles(Role.RESIDENT, Role.OPERATOR, Role.ADMIN))]


PickupSettingsDep = Annotated[PickupSettings, Depends(from_state("pickup"))]


def points_router() -> APIRouter:
    router = APIRouter(prefix="/v1/pickup-points", tags=["pick-up points"])

    @router.post("", status_code=202, responses=error_responses(
        (409, "A pick-up point with this id exists already (change it with PUT)"),
        (422, "The point breaks a rule (compartments, opening hours, ...)")))
    async def register_point(body: RegisterPoint, user: Staff, redis: RedisDep, producer: ProducerDep,
                             pickup: PickupSettingsDep, once: Idempotency):
        async def register() -> dict:
            point = body.to_point(body.pickup_point_id or commands.new_point_id(), pickup.expiry_days)
            event = await commands.register_point(point, actor=user.actor(), redis=redis, producer=producer)
            return {"pickup_point_id": point.pickup_point_id, "status": "accepted", "event_id": event.event_id,
                    "status_url": f"/v1/pickup-points/{point.pickup_point_id}"}

        return await once(register, status_code=202)

    @router.put("/{pickup_point_id}", status_code=202, responses=error_responses(
        (404, "No such pick-up point"), (422, "The point breaks a rule (compartments, opening hours, ...)")))
    async def update_point(pickup_point_id: str, body: UpdatePoint, user: Staff, redis: RedisDep,
                           producer: ProducerDep, pickup: PickupSettingsDep) -> dict:
        point = body.to_point(pickup_point_id, pickup.expiry_days, in_service=body.in_service)
        event = await commands.update_point(point, hold_days=body.hold_days, actor=user.actor(), redis=redis,
                                            producer=producer)
        return {"pickup_point_id": pickup_point_id, "status": "accepted", "event_id": event.event_id,
                "status_url": f"/v1/pickup-points/{pickup_point_id}"}

    @router.get("/near")
    async def points_near(user: CurrentUser, redis: RedisDep,
                          lat: Annotated[float, Query(ge=-MAX_LATITUDE, le=MAX_LATITUDE)],
                          lon: Annotated[float, Query(ge=-180, le=180)],
                          day: Day | None = None,
                          radius_km: Annotated[float, Query(gt=0, le=200)] = 10.0,
                          temperature: Literal["AMBIENT", "CHILLED", "FROZEN"] | None = None,
                          limit: Annotated[int, Query(ge=1, le=100)] = 20) -> dict:
        day = day or today_in_berlin()
        found = await queries.near(redis, lat=lat, lon=lon, radius_km=radius_km, day=day,
                                   temperature=temperature, limit=limit)
        return {"day": day.isoformat(), "radius_km": radius_km, "pickup_points": found}

    @router.get("/{pickup_point_id}")
    async def get_point(pickup_point_id: str, user: CurrentUser, redis: RedisDep, day: Day | None = None) -> dict:
        point = await queries.existing_point(redis, pickup_point_id)
        day = day or today_in_berlin()
        return queries.point_view(point, day, await queries.occupied(redis, pickup_point_id, day))

    @router.get("/{pickup_point_id}/occupancy")
    async def get_occupancy(pickup_point_id: str, user: OccupancyReader, redis: RedisDep,
                            day: Day | None = None) -> dict:
        point = await queries.existing_point(redis, pickup_point_id)
        if user.role is Role.MUNICIPALITY:
            visible_area(user, point.municipality)  # a municipality sees only its own points
        day = day or today_in_berlin()
        occupancy = await queries.occupied(redis, pickup_point_id, day)
        # Which order sits where is for staff: a driver learns the doors of their own parcels at the
        # deposit, a municipality counts compartments.
        return queries.occupancy_view(point, day, occupancy, show_orders=user.is_staff)

    @router.post("/{pickup_point_id}/collect", status_code=201, responses=error_responses(
        (400, "Neither order_id and code nor the qr payload"), (403, "Wrong code, or not this shop's counter"),
        (404, "No parcel of the order waits here"), (409, "Collected already"), (410, "The parcel expired"),
        (422, "The qr payload is not a pick-up code"), (423, "The code is locked after too many wrong tries"),
        (429, "Too many attempts; wait (Retry-After)")))
    async def collect(pickup_point_id: str, body: CollectIn, user: Collector, redis: RedisDep,
                      producer: ProducerDep, pickup: PickupSettingsDep, once: Idempotency):
        async def open_doors() -> dict:
            staff_id = None
            if user.role is Role.SHOP:
                # A shop hands over parcels only at the counter it hosts.
                point = await queries.existing_point(redis, pickup_point_id)
                if point.host_shop_id != user.shop_id:
                    raise Forbidden(f"shop {user.shop_id} does not host pick-up point {pickup_point_id}")
                staff_id = user.sub
            done = await commands.collect(
                pickup_point_id, order_id=body.order_id, pin=body.code, qr=body.qr, collector=user.actor(),
                staff_id=staff_id, redis=redis, producer=producer, settings=pickup, now=now_utc())
            return {"order_id": done.order_id, "pickup_point_id": done.pickup_point_id, "status": "collected",
                    "compartment_ids": done.compartment_ids, "open": done.doors, "event_id": done.event_id}

        return await once(open_doors, status_code=201)

    return router


def parcels_router() -> APIRouter:
    router = APIRouter(prefix="/v1/parcels", tags=["parcels"])

    @router.post("/{order_id}/deposit", status_code=201, responses={202: {
        "description": "A part of an order of several shops is in; the parcel is deposited with its last part",
        "content": {"application/json": {}}}, **error_responses(
        (403, "The order is not on a tour of this driver"), (404, "No reservation or pick-up point for the order"),
        (409, "Deposited already, or the compartments are held for another order"),
        (422, "No such compartment at the point, or no such part of the order"),
        (503, "The parcel is busy; try again"))})
    async def deposit(order_id: str, user: Depositor, redis: RedisDep, producer: ProducerDep,
                      pickup: PickupSettingsDep, once: Idempotency, body: DepositIn | None = None):
        body = body or DepositIn()

        async def put_in() -> JSONResponse:
            done = await commands.deposit(
                order_id, compartment_ids=body.compartment_ids, tour_id=body.tour_id, depositor=user.actor(),
                shop_ids=body.shop_ids, redis=redis, producer=producer, settings=pickup, now=now_utc())
            if isinstance(done, commands.PartsIn):
                return JSONResponse({"order_id": order_id, "status": "waiting_for_parts",
                                     "parts_in": list(done.parts_in), "waiting_for": list(done.waiting_for),
                                     "status_url": f"/v1/parcels/{order_id}"}, status_code=202)
            return JSONResponse({"order_id": done.order_id, "pickup_point_id": done.pickup_point_id,
                                 "status": "deposited", "compartment_ids": done.compartment_ids, "doors": done.doors,
                                 "expires_at": done.expires_at.isoformat(), "event_id": done.event_id,
                                 "status_url": f"/v1/parcels/{order_id}"}, status_code=201)

        return await once(put_in, status_code=201)

    @router.post("/{order_id}/code", status_code=201, responses=error_responses(
        (403, "Not the parcel's resident"), (404, "No parcel of the order was deposited"),
        (409, "Collected already, a new code is being sent, or the resident asked too often"),
        (410, "The parcel expired"), (422, "An operator gives no reason")))
    async def new_code(order_id: str, user: CodeRequester, redis: RedisDep, producer: ProducerDep,
                       pickup: PickupSettingsDep, once: Idempotency, body: NewCodeIn | None = None):
        """A new pick-up code for a waiting parcel, e.g. after its code was locked. It goes to the
        parcel's resident only (their phone or letter: the second factor), never into this answer.
        The parcel's resident may ask (a few times per parcel); operators may always, with a reason."""
        body = body or NewCodeIn()
        if user.is_staff and not body.reason:
            raise Unprocessable("an operator gives the reason for a new code (it is recorded)")

        async def send() -> dict:
            done = await commands.new_code(order_id, reason=body.reason, actor=user.actor(), redis=redis,
                                           producer=producer, settings=pickup, now=now_utc())
            return {"order_id": done.order_id, "pickup_point_id": done.pickup_point_id, "status": "reissued",
                    "sent_to": done.sent_to, "event_id": done.event_id, "status_url": f"/v1/parcels/{order_id}"}

        return await once(send, status_code=201)

    @router.get("/{order_id}", responses=error_responses(
        (403, "The order is not on a tour of this driver"), (404, "No parcel of the order was deposited")))
    async def get_parcel(order_id: str, user: Depositor, redis: RedisDep) -> dict:
        await commands.must_carry(redis, user.actor(), order_id)
        return found_or_404(await queries.parcel_view(redis, order_id), f"no parcel of order {order_id} was deposited")

    return router
