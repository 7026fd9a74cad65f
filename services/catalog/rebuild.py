"""Rebuild the catalog's read models by replaying catalog.shops and catalog.products.

    python -m services.catalog.rebuild --yes    (KAFKA_BOOTSTRAP, REDIS_URL)

Deletes the read-model keys (shops, products, places, categories, search
index; see keys.py) and the projections' processed markers, then applies every
event of both topics from the beginning, in partition order, with the same
projection code the worker runs. Run it while the catalog worker is stopped
or idle: an event the worker projects meanwhile may find its document gone.

Not rebuilt here, because they are decision state rather than projections:
- stock (`catalog:stock:{id}`, `:held`): the deciders' own state. It follows
  from catalog.products (ProductListed.stock, StockAdjusted) together with
  catalog.stock-reservations (StockReserved takes, StockReleased gives back)
  in the order they happened.
- `catalog:order-products:<order>`: follows from OrderPlaced on orders.orders;
  a catalog worker in a new consumer group replays it.
"""

from __future__ import annotations

import logging
import sys

import redis.asyncio as aioredis

from nahnetz.events import read_event
from nahnetz.kit.rebuild import delete_matching
from nahnetz.kit.redis import connect as connect_redis
from nahnetz.kit.replay import replay, replay_command
from nahnetz.kit.settings import Settings
from nahnetz.messaging.idempotency import MARKER_PREFIX
from nahnetz.topics import CATALOG_PRODUCTS, CATALOG_SHOPS

from . import keys
from .handlers import product_projection, shop_projection

log = logging.getLogger("services.catalog.rebuild")


async def clear_read_models(redis: aioredis.Redis) -> int:
    """Delete every read-model key and the projections' markers; return how many."""
    patterns = [*keys.READ_MODEL_PATTERNS, f"{MARKER_PREFIX}:{product_projection.CONSUMER}:*",
                f"{MARKER_PREFIX}:{shop_projection.CONSUMER}:*"]
    return await delete_matching(redis, patterns)


async def rebuild(settings: Settings) -> dict[str, int]:
    redis = connect_redis(settings.redis_url, client_name="catalog-rebuild")
    counts = {"deleted": 0, "shops": 0, "products": 0, "skipped": 0}
    try:
        counts["deleted"] = await clear_read_models(redis)
        # Each topic in partition order, as the worker applied it; shops and goods meet only at query time.
        for topic, field in ((CATALOG_SHOPS, "shops"), (CATALOG_PRODUCTS, "products")):
            async for record in replay(settings.kafka_bootstrap, topic):
                try:
                    event = read_event(record.value)
                    if topic is CATALOG_SHOPS:
                        await shop_projection.project_shop_event(event, redis, producer=None)
                    else:
                        await product_projection.project_product_event(event, redis, with_stock=False)
                    counts[field] += 1
                except Exception as exc:  # what the worker dead-lettered cannot be applied now either
                    counts["skipped"] += 1
                    log.warning("skipped %s[%d]@%d: %s: %s", record.topic, record.partition, record.offset,
                                type(exc).__name__, exc)
    finally:
        await redis.aclose()
    return counts


def main() -> None:
    counts = replay_command(__doc__, "catalog", "the catalog's read models", rebuild)
    log.info("catalog read models rebuilt", extra=counts)
    print(f"rebuilt: {counts['shops']} shop events, {counts['products']} product events applied, "
          f"{counts['skipped']} skipped, {counts['deleted']} keys deleted first")
    sys.exit(0)


if __name__ == "__main__":
    main()
