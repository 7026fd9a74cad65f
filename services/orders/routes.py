"""The orders API's routes (under /v1). Each turns HTTP into a command or a query
and the answer back into JSON; the rules live in the domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Callable

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from nahnetz.kit.api import RedisDep, from_state
from nahnetz.kit.auth import CurrentUser, Role, User, actor_for_resident, actor_for_shop, require_roles
from nahnetz.kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from nahnetz.kit.http_errors import error_responses
from nahnetz.kit.idempotency_keys import Idempotency
from nahnetz.kit.publishing import ProducerDep
from nahnetz.kit.request_model import Day

from . import queries
from .domain.alternatives import bookable
from .domain.booking import booking_window
from .domain.channels import cancel_channel, who_orders
from .handlers import commands
from .http_models import (AlternativeBody, CancelBody, PlaceOrderBody, booking_window_json, event_channel, order_json,
                          order_summary_json, packing_list_json, status_url)
from .settings import OrdersSettings

ResidentOrStaff = Annotated[User, Depends(require_roles(Role.RESIDENT, Role.OPERATOR, Role.ADMIN))]
ShopOrStaff = Annotated[User, Depends(require_roles(Role.SHOP, Role.OPERATOR, Role.ADMIN))]
Page = Annotated[int, Query(ge=1, le=queries.MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=queries.MAX_OFFSET)]
# A basket of more shops than this is not a basket.
MAX_SHOPS = 20


OrdersSettingsDep = Annotated[OrdersSettings, Depends(from_state("orders_settings"))]
ClockDep = Annotated[Callable[[], datetime], Depends(from_state("clock"))]

router = APIRouter(prefix="/v1", tags=["orders"])

# What only the routes know they may answer (the kit documents auth, ids, bodies, keys).
NO_ORDER = (NotFound, "No such order (a resident sees only their own)")


@router.post("/orders", status_code=202, responses=error_responses(
    (Forbidden, "A resident orders only for themself"),
    (Unprocessable, "The order breaks a rule (unknown or delisted product, quantity, pick-up point, delivery "
                    "day, ...): `detail` names every field")))
async def place_order(body: PlaceOrderBody, user: ResidentOrStaff, redis: RedisDep, producer: ProducerDep,
                      config: OrdersSettingsDep, now: ClockDep, once: Idempotency) -> Any:
    """Place one order across shops. A resident orders for themself; an operator
    (counter, phone) for a resident named in `resident_id`, recorded as acting on
    their behalf. 202 with the order id and its status URL; the saga decides."""
    ordering = who_orders(user.sub, user.role is Role.RESIDENT, body.resident_id, event_channel(body.channel))
    actor = actor_for_resident(user, ordering.resident_id)  # 403 for a resident ordering for someone else

    async def place() -> JSONResponse:
        order = await commands.place_order(body.to_request(ordering), actor, redis, producer,
                                           config.booking_rules(), now())
        try:
            name = await queries.pickup_point_name(redis, order.pickup_point_id)
        except RedisError:  # the order is recorded: answer 202 (a 503 would have it placed twice)
            name = None
        answer = order_json(order, name)
        return JSONResponse(answer, status_code=202, headers={"Location": status_url(order.order_id)})

    return await once(place, status_code=202)


@router.get("/orders/{order_id}", responses=error_responses(NO_ORDER))
async def get_order(order_id: str, user: ResidentOrStaff, redis: RedisDep, config: OrdersSettingsDep,
                    now: ClockDep) -> dict[str, Any]:
    """An order with its status history. Residents see only their own (404 otherwise).
    A rejected order says in `instead` what it can still become: other pick-up points
    and days with room, or only the units left (`POST .../alternative` takes one)."""
    order = await queries.find_order(redis, order_id)
    if order is None or (user.role is Role.RESIDENT and order.resident_id != user.sub):
        raise NotFound(f"there is no order {order_id}")
    return order_json(order, await queries.pickup_point_name(redis, order.pickup_point_id),
                      await queries.instead(redis, order, config.booking_rules(), now()))


@router.post("/orders/{order_id}/alternative", status_code=202, responses=error_responses(
    NO_ORDER, (Conflict, "The order was not rejected, or was taken again already (`detail.replaced_by`)"),
    (Unprocessable, "The new order breaks a rule (the day, the point, nothing left, nothing changed): "
                    "`detail` names every field")))
async def take_alternative(order_id: str, body: AlternativeBody, user: ResidentOrStaff, redis: RedisDep,
                           producer: ProducerDep, config: OrdersSettingsDep, now: ClockDep,
                           once: Idempotency) -> Any:
    """Take a rejected order again in one step: at another pick-up point, on another
    day, or with only the units left; the same goods, resident and payment otherwise.
    The resident for their own order, or an assistant for them (recorded). 202 with
    the new order (`replaces` names the old one); it is decided like any order."""
    order = await queries.find_order(redis, order_id)
    if order is None or (user.role is Role.RESIDENT and order.resident_id != user.sub):
        raise NotFound(f"there is no order {order_id}")
    actor = actor_for_resident(user, order.resident_id)
    ordering = who_orders(user.sub, user.role is Role.RESIDENT, order.resident_id, event_channel(body.channel))

    async def take() -> JSONResponse:
        placed = await commands.take_alternative(order, body.to_choice(), actor, ordering, redis, producer,
                                                 config.booking_rules(), now())
        try:
            name = await queries.pickup_point_name(redis, placed.pickup_point_id)
        except RedisError:  # the order is recorded: answer 202 (a 503 would have it placed twice)
            name = None
        return JSONResponse(order_json(placed, name), status_code=202,
                            headers={"Location": status_url(placed.order_id)})

    return await once(take, status_code=202)


@router.get("/orders", responses=error_responses((Forbidden, "A resident sees only their own orders")))
async def list_orders(user: ResidentOrStaff, redis: RedisDep, resident_id: str | None = None,
                      limit: Page = 50, offset: Offset = 0) -> dict[str, Any]:
    """Orders of a resident, newest first; staff may leave out resident_id to see all."""
    if user.role is Role.RESIDENT:
        if resident_id not in (None, user.sub):
            raise Forbidden("a resident may see only their own orders")
        resident_id = user.sub
    if resident_id is None:
        orders = await queries.recent_orders(redis, limit, offset)
    else:
        orders = await queries.orders_of_resident(redis, resident_id, limit, offset)
    return {"resident_id": resident_id, "orders": [order_summary_json(o) for o in orders],
            "limit": limit, "offset": offset}


@router.get("/me/orders")
async def my_orders(user: Annotated[User, Depends(require_roles(Role.RESIDENT))], redis: RedisDep,
                    limit: Page = 50, offset: Offset = 0) -> dict[str, Any]:
    orders = await queries.orders_of_resident(redis, user.sub, limit, offset)
    return {"resident_id": user.sub, "orders": [order_summary_json(o) for o in orders],
            "limit": limit, "offset": offset}


@router.post("/orders/{order_id}/cancel", status_code=202, responses=error_responses(
    NO_ORDER, (Conflict, "The order can no longer be cancelled, or is being cancelled already")))
async def cancel_order(order_id: str, user: ResidentOrStaff, redis: RedisDep, producer: ProducerDep,
                       once: Idempotency, body: CancelBody | None = None) -> Any:
    """Cancel before the parcel is in the locker: 202; 409 once it is ready for
    pick-up, collected, rejected, expired or already cancelled."""
    order = await queries.find_order(redis, order_id)
    if order is None or (user.role is Role.RESIDENT and order.resident_id != user.sub):
        raise NotFound(f"there is no order {order_id}")
    actor = actor_for_resident(user, order.resident_id)
    body = body or CancelBody()
    channel = cancel_channel(user.role is Role.RESIDENT, event_channel(body.channel))

    async def cancel() -> JSONResponse:
        await commands.cancel_order(order, actor, body.reason, channel, redis, producer)
        return JSONResponse({"order_id": order_id, "status": "CANCELLATION_REQUESTED",
                             "status_url": status_url(order_id)}, status_code=202,
                            headers={"Location": status_url(order_id)})

    return await once(cancel, status_code=202)


@router.get("/shops/{shop_id}/packing-list",
            responses=error_responses((Forbidden, "A shop sees only its own packing list")))
async def packing_list(shop_id: str, day: Day, user: ShopOrStaff, redis: RedisDep) -> dict[str, Any]:
    """What the shop packs for `day`: its lines of the confirmed orders, by order,
    with the pick-up point, and the total of each product."""
    actor_for_shop(user, shop_id)  # 403 for another shop's list
    return packing_list_json(await queries.packing_list(redis, shop_id, day))


@router.get("/delivery-days", responses=error_responses((Unprocessable, "Too many shops named")))
async def delivery_days(user: CurrentUser, config: OrdersSettingsDep, now: ClockDep, redis: RedisDep,
                        shop_id: Annotated[list[str] | None, Query(max_length=MAX_SHOPS)] = None) -> dict[str, Any]:
    """The delivery days an order placed now can book; with `shop_id` (repeated: the
    basket's shops), only the days every one of them can hand its goods over for
    (opening hours and the hub's collection rule). A shop not known here limits nothing."""
    rules = config.booking_rules()
    window = booking_window(now(), rules)
    if not shop_id:
        return booking_window_json(window, config.cutoff.strftime("%H:%M"))
    shops = [s for s in (await queries.shops(redis, shop_id)).values() if s is not None]
    days = [day for day in window.days() if bookable(day, now(), rules, shops)]
    return booking_window_json(window, config.cutoff.strftime("%H:%M"), days, sorted(set(shop_id)))
