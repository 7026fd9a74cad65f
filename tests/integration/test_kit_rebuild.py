"""Clearing a service's keys before a rebuild: only the matching keys go, in
batches, and the ones the service must keep stay."""

from __future__ import annotations

from nahnetz.kit.rebuild import BATCH, delete_matching
from nahnetz.kit.redis import connect


async def test_matching_keys_go_in_batches_and_kept_ones_stay(redis_url, unique):
    redis = connect(redis_url, client_name="rebuild-test")
    try:
        many = BATCH * 2 + 7  # more than one SCAN batch
        await redis.mset({f"svc-{unique}:a:{n}": n for n in range(many)})
        await redis.mset({f"svc-{unique}:b:{n}": n for n in range(3)})
        await redis.set(f"svc-{unique}:a:solving", 1)
        await redis.set(f"other-{unique}:a:1", 1)

        deleted = await delete_matching(redis, [f"svc-{unique}:a:*", f"svc-{unique}:b:*"],
                                        keep=lambda key: key.endswith(":solving"))

        assert deleted == many + 3
        left = sorted([k async for k in redis.scan_iter(match=f"*{unique}*")])
        assert left == [f"other-{unique}:a:1", f"svc-{unique}:a:solving"]
    finally:
        await redis.aclose()
