"""HTTP routes of the hub: the shipments of a day and the hub's stock, for operators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from nahnetz.clock import today_in_berlin
from nahnetz.kit.api import RedisDep
from nahnetz.kit.auth import Role, User, require_roles
from nahnetz.kit.lookup import found_or_404
from nahnetz.kit.request_model import Day

from . import queries
from .http_models import ShipmentStatus

Operator = Annotated[User, Depends(require_roles(Role.OPERATOR, Role.ADMIN))]


def hub_router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["hub"])

    @router.get("/hub/stock")
    async def hub_stock(user: Operator, redis: RedisDep, day: Day | None = None) -> dict:
        """Shipments of the delivery day by destination: counts by status, what is in
        the hub and what is still to move (weight, volume, temperature class)."""
        return await queries.stock(redis, day or today_in_berlin())

    @router.get("/shipments")
    async def list_shipments(user: Operator, redis: RedisDep, day: Day | None = None,
                             status: ShipmentStatus | None = None,
                             pickup_point_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None
                             ) -> dict:
        day = day or today_in_berlin()
        found = await queries.shipments_of_day(redis, day, status=status, pickup_point_id=pickup_point_id)
        return {"day": day.isoformat(), "count": len(found), "shipments": found}

    @router.get("/shipments/{shipment_id}")
    async def get_shipment(shipment_id: str, user: Operator, redis: RedisDep) -> dict:
        return found_or_404(await queries.shipment(redis, shipment_id), f"shipment {shipment_id} is not known (yet)")

    return router
