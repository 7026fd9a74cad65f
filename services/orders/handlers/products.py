"""catalog.products -> orders:product:<id>: what new orders are priced and checked against."""

from __future__ import annotations

from redis.asyncio import Redis

from nahnetz.messaging.handling import InvalidEvent
from nahnetz.records import ProductDelisted, ProductListed, ProductUpdated, StockAdjusted

from .. import keys
from ..domain.listings import ProductListing
from .store import dumps, load_product

ProductEvent = ProductListed | ProductUpdated | StockAdjusted | ProductDelisted


async def project_product(event: ProductEvent, redis: Redis) -> None:
    """Values are absolute (the whole listing, the new stock level), so applying an
    event again gives the same state."""
    previous = await load_product(redis, event.product_id)
    if isinstance(event, (ProductListed, ProductUpdated)):
        listing = ProductListing.from_listing(event, previous)
    elif previous is None:
        raise InvalidEvent(f"{event.type} for product {event.product_id}, which was never listed")
    elif isinstance(event, StockAdjusted):
        listing = previous.with_stock(event.new_level)
    else:  # ProductDelisted
        listing = previous.delist()
    await redis.set(keys.product(event.product_id), dumps(listing.to_dict()))
