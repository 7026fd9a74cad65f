"""A product's stock state in Redis (`catalog:stock:{id}` and its `:held` hash),
loaded into the pure `StockState` and written back as commands queued for the
atomic step."""

from __future__ import annotations

from typing import Any

from ..domain.stock import LISTED, StockState
from .. import keys
from .redis_values import text, text_map


async def load_stock(reader: Any, product_id: str) -> StockState | None:
    """The product's stock, or None when the catalog never listed it. `reader`
    is a Redis client or the read side of a transaction (keys watched)."""
    fields = text_map(await reader.hgetall(keys.stock(product_id)))
    if not fields:
        return None
    held = {order: int(units) for order, units in text_map(await reader.hgetall(keys.held(product_id))).items()}
    return StockState(
        product_id=product_id,
        shop_id=fields.get("shop_id", ""),
        available=int(fields.get("available", 0)),
        reservations=held,
        status=fields.get("status", LISTED),
        delisting_reason=fields.get("delisting_reason") or None,
    )


def write_available(writer: Any, product_id: str, available: int) -> None:
    writer.hset(keys.stock(product_id), "available", available)


def hold(writer: Any, product_id: str, order_id: str, units: int) -> None:
    writer.hset(keys.held(product_id), order_id, units)
    writer.hincrby(keys.stock(product_id), "reserved", units)


def unhold(writer: Any, product_id: str, order_id: str, units: int) -> None:
    writer.hdel(keys.held(product_id), order_id)
    writer.hincrby(keys.stock(product_id), "reserved", -units)


def stock_keys(product_id: str) -> list[str]:
    return [keys.stock(product_id), keys.held(product_id)]


def as_int(value: Any, default: int = 0) -> int:
    raw = text(value)
    return int(raw) if raw not in (None, "") else default
