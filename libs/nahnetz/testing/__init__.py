"""The one test kit: what integration and e2e tests (and the order benchmark) need
to drive the real broker, Redis and service processes, and wait on what happens.

| need | use |
|---|---|
| wait on a real condition (never a fixed sleep) | `eventually(condition, timeout=..., interval=..., what=..., watch=[process])` |
| what lands on topics | `TopicReader(bootstrap, topics)`: reads from the beginning in the background; `events(...)`, `wait_for(...)`, `caught_up()`, `dead_letters(...)` |
| a consumer group done with what is on its topics (before stopping its worker) | `group_committed_to_end(bootstrap, group, topics)` |
| a service's worker (or API) as a process | `WorkerProcess(service, ...)` / `ApiProcess(service, ...)`: started as `nahnetz up` starts it, ready when /readyz answers 200, stopped with SIGTERM then SIGKILL, `restart()`ed as the same process |
| an API in this process | `api_client(create_app(settings))`: its lifespan, calls over ASGI |
| publish as a service does | `event_producer(bootstrap)` (`EventProducer.from_settings`: acks=all); `raw_producer` for bytes |
| settings of a test process | `settings_for(bootstrap, redis_url, service=...)` |
| the whole stack | `EmbeddedStack(run_dir)`: `nahnetz up/down` on free ports, `leftovers()` |
| HTTP with the tokens of who acts | `Platform`: the demo's client (`nahnetz.demo.client`), `stack.platform()` |

An integration test of a worker (fixtures `broker_bootstrap`, `redis_url`, `run_dir`
and `unique` come from tests/conftest.py):

    from nahnetz.events import new_event
    from nahnetz.records import OrderPlaced, StockReserved
    from nahnetz.testing import TopicReader, WorkerProcess, event_producer, eventually
    from nahnetz.topics import CATALOG_STOCK_RESERVATIONS, ORDERS_ORDERS

    @pytest.fixture(scope="module")
    async def worker(broker_bootstrap, redis_url, run_dir):
        async with WorkerProcess("catalog", bootstrap=broker_bootstrap, redis_url=redis_url,
                                 run_dir=run_dir, app_id="catalog-it") as running:
            yield running                            # /readyz answered 200: partitions assigned

    async def test_a_redelivered_order_reserves_once(worker, broker_bootstrap, unique):
        async with TopicReader(broker_bootstrap, [CATALOG_STOCK_RESERVATIONS], dead_letters=True) as seen, \
                event_producer(broker_bootstrap) as producer:
            placed = new_event(OrderPlaced, producer="orders-api", order_id=f"o-{unique}", ...)
            await producer.publish(placed)
            await producer.publish(placed)           # delivered twice
            reserved = await seen.wait_for(CATALOG_STOCK_RESERVATIONS, StockReserved,
                                           order_id=placed.order_id, watch=[worker])
            assert reserved.lines[0].quantity == placed.lines[0].quantity   # typed all the way down

            async def both_handled() -> bool:
                return await worker.handled(ORDERS_ORDERS, OrderPlaced) >= 2
            await eventually(both_handled, timeout=20, what="the copy handled", watch=[worker])
            await seen.caught_up()
            assert len(seen.events(CATALOG_STOCK_RESERVATIONS, StockReserved, order_id=placed.order_id)) == 1
            assert seen.dead_letters(keys={placed.order_id}) == []
"""

from ..demo.client import Platform
from .clients import api_client, event_producer, raw_producer, settings_for
from .processes import ApiProcess, WorkerProcess, app_id_variable
from .stack import EmbeddedStack
from .topics import Seen, TopicReader, group_committed_to_end
from .waiting import EFFECT, WORKER_START, NotInTime, eventually

__all__ = [
    "EFFECT", "WORKER_START", "ApiProcess", "EmbeddedStack", "NotInTime", "Platform", "Seen", "TopicReader",
    "WorkerProcess", "api_client", "app_id_variable", "eventually", "event_producer", "group_committed_to_end",
    "raw_producer", "settings_for",
]
