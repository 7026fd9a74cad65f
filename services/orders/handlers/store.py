"""Reading and writing the orders service's JSON values in Redis.

The loaders take anything with Redis's `get`/`mget`: a client (`nahnetz.kit.redis`,
str answers) or the read side of a `Transaction` inside an Outbox step; the
writers queue on a `Transaction`'s write side.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from nahnetz.messaging.idempotency import Transaction

from .. import keys
from ..domain.lifecycle import OrderView
from ..domain.listings import PickupPointListing, ProductListing, ShopListing
from ..domain.saga import SagaState

# The saga's state must outlive every redelivery of its answers, like the markers.
SAGA_TTL_S = 30 * 24 * 3600


def dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(raw: str | None) -> dict[str, Any] | None:
    return None if raw is None else json.loads(raw)


async def load_product(redis: Any, product_id: str) -> ProductListing | None:
    data = loads(await redis.get(keys.product(product_id)))
    return None if data is None else ProductListing.from_dict(data)


async def load_products(redis: Any, product_ids: Iterable[str]) -> dict[str, ProductListing | None]:
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    raws = await redis.mget([keys.product(pid) for pid in ids])
    return {pid: (None if raw is None else ProductListing.from_dict(json.loads(raw)))
            for pid, raw in zip(ids, raws)}


async def load_shop(redis: Any, shop_id: str) -> ShopListing | None:
    data = loads(await redis.get(keys.shop(shop_id)))
    return None if data is None else ShopListing.from_dict(data)


async def load_shops(redis: Any, shop_ids: Iterable[str]) -> dict[str, ShopListing | None]:
    ids = sorted(set(shop_ids))
    if not ids:
        return {}
    raws = await redis.mget([keys.shop(sid) for sid in ids])
    return {sid: (None if raw is None else ShopListing.from_dict(json.loads(raw))) for sid, raw in zip(ids, raws)}


async def load_point(redis: Any, pickup_point_id: str) -> PickupPointListing | None:
    data = loads(await redis.get(keys.pickup_point(pickup_point_id)))
    return None if data is None else PickupPointListing.from_dict(data)


async def load_view(redis: Any, order_id: str) -> OrderView | None:
    data = loads(await redis.get(keys.order(order_id)))
    return None if data is None else OrderView.from_dict(data)


async def load_views(redis: Any, order_ids: Iterable[str]) -> list[OrderView]:
    ids = list(order_ids)
    if not ids:
        return []
    raws = await redis.mget([keys.order(oid) for oid in ids])
    return [OrderView.from_dict(json.loads(raw)) for raw in raws if raw is not None]


async def load_saga(redis: Any, order_id: str) -> SagaState:
    data = loads(await redis.get(keys.saga(order_id)))
    return SagaState(order_id) if data is None else SagaState.from_dict(data)


def write_saga(tx: Transaction, state: SagaState) -> None:
    tx.write.set(keys.saga(state.order_id), dumps(state.to_dict()), ex=SAGA_TTL_S)
