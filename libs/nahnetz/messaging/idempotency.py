"""Processed markers in Redis, so a redelivered event changes nothing.

Kafka delivers at least once. A handler that changes state in Redis does it in
one MULTI/EXEC together with setting a marker `nahnetz:processed:<consumer>:<ref>`
(`ref` is the event id, or a business key such as the order id when "once per
order" is the rule). A WATCH on the marker and on the state keys the handler
read makes the step atomic against a second worker still finishing the same
partition during a rebalance; when it races, the step is re-run on fresh state.

A worker's handler does not call `apply` itself: `Outbox.decide` (outbox.py) runs
its step through `apply`, remembers the events the step returns with the marker
and publishes them. `apply` is the building block:

    markers = ProcessedMarkers(redis, consumer="catalog.reserve_stock")

    async def reserve(tx: Transaction) -> str | None:
        available = int(await tx.read.hget(stock_key, "available") or 0)
        decision = domain.reserve(available, line.quantity)      # pure
        if decision.accepted:
            tx.write.hincrby(stock_key, "available", -line.quantity)
            tx.write.hset(reservations_key, order_id, line.quantity)
        return decision.outcome                                    # text, remembered in the marker

    outcome = await markers.apply(order_id, reserve, watch=[stock_key, reservations_key])

A step that knows its reads before it starts names them (`read_ahead`): they go
to Redis in the same round trip as the WATCH and the marker, and the step's own
calls of those commands are answered from there, so the step reads nothing more:

    outcome = await markers.apply(order_id, reserve, watch=[reservations_key],
                                  read_ahead=[("HGET", stock_key, "available")])

On a redelivery `apply` does not run `reserve` again; it returns the
remembered result (`outcome.applied` is False). Results are text (Redis replies
are decoded, see `nahnetz.kit.redis`; the Outbox keeps events as base64). Reads
come before the first write: once a step writes, Redis queues commands until EXEC.

`once(redis, consumer, ref)` is the simple claim for handlers without Redis
state: True the first time, False after. It marks before the effect, so a
crash between claim and effect loses the effect; use the Outbox where that matters.

With Redis Cluster all keys of one step must share a hash slot (hash tags).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable, Iterable, Mapping, Sequence

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import WatchError

MARKER_PREFIX = "nahnetz:processed"
# Redeliveries come within minutes; a month also covers replays of old topics
# into a worker that kept its state.
DEFAULT_TTL = timedelta(days=30)
# Each conflict means another writer got there first; it will not happen forever.
MAX_CONFLICTS = 10


class ConcurrentChange(RuntimeError):
    """The watched keys kept changing under the step; the caller may retry later."""


# A read command as Redis names it, with its arguments: ("HGETALL", key), ("HGET", key, field).
ReadCommand = tuple[str, ...]


class Transaction:
    """What a step's function gets: `read` runs commands at once (keys are
    watched), `write` queues them for the atomic EXEC with the marker."""

    def __init__(self, pipe: Pipeline, answers: Mapping[ReadCommand, Any] | None = None):
        self._pipe = pipe
        self._writing = False
        self._reader: Any = ReadAhead(pipe, answers) if answers else pipe

    @property
    def read(self) -> Pipeline:
        if self._writing:
            raise RuntimeError("read before the first write: queued commands run only at EXEC")
        return self._reader

    @property
    def write(self) -> Pipeline:
        if not self._writing:
            self._pipe.multi()
            self._writing = True
        return self._pipe

    async def watch(self, *keys: str) -> None:
        """Watch more keys found while reading (e.g. a key named in a read value)."""
        await self.read.watch(*keys)


class ReadAhead:
    """The read side of a transaction whose reads were sent ahead: a call of a
    command read ahead, with the same arguments, is answered from what Redis
    said then (its keys are watched and nothing is written before EXEC, so that
    answer is as good as a new one); any other call goes to the pipeline."""

    def __init__(self, pipe: Pipeline, answers: Mapping[ReadCommand, Any]):
        self._pipe = pipe
        self._answers = answers
        self._commands = {command[0] for command in answers}

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._pipe, name)
        if name.upper() not in self._commands:
            return method

        async def answer(*args: Any, **kwargs: Any) -> Any:
            command = (name.upper(), *args)
            if not kwargs and command in self._answers:
                return self._answers[command]
            return await method(*args, **kwargs)

        return answer


@dataclass(frozen=True)
class Outcome:
    applied: bool         # False: the marker was there, nothing changed
    result: Any = None    # what the step returned, then; or what Redis gives back for it now


Step = Callable[[Transaction], Awaitable["bytes | str | None"]]


class ProcessedMarkers:
    def __init__(self, redis: Redis, consumer: str, ttl: timedelta = DEFAULT_TTL):
        if not consumer:
            raise ValueError("markers need a consumer name")
        self.redis = redis
        self.consumer = consumer
        self.ttl_ms = int(ttl.total_seconds() * 1000)

    def key(self, ref: str) -> str:
        return f"{MARKER_PREFIX}:{self.consumer}:{ref}"

    async def is_processed(self, ref: str) -> bool:
        return bool(await self.redis.exists(self.key(ref)))

    async def once(self, ref: str) -> bool:
        """Claim `ref`: True the first time, False ever after (within the TTL)."""
        return bool(await self.redis.set(self.key(ref), b"", nx=True, px=self.ttl_ms))

    async def apply(self, ref: str, step: Step, *, watch: Iterable[str] = (),
                    read_ahead: Sequence[ReadCommand] = ()) -> Outcome:
        """Run `step` and commit its writes with the marker in one MULTI/EXEC,
        unless `ref` was processed before; then return the remembered result.
        The keys of the `read_ahead` commands are watched too."""
        marker = self.key(ref)
        watched = list(dict.fromkeys([marker, *watch, *(command[1] for command in read_ahead)]))
        for _ in range(MAX_CONFLICTS):
            async with self.redis.pipeline(transaction=True) as pipe:
                remembered, answers = await watch_then_get(pipe, watched, marker, read_ahead)
                if remembered is not None:
                    return Outcome(False, remembered or None)
                tx = Transaction(pipe, answers)
                result = await step(tx)
                tx.write.set(marker, b"" if result is None else result, px=self.ttl_ms)
                try:
                    await pipe.execute()
                except WatchError:
                    continue  # someone changed what we read: decide again on fresh state
                return Outcome(True, result)
        raise ConcurrentChange(f"{marker}: watched keys changed {MAX_CONFLICTS} times in a row")


async def watch_then_get(pipe: Pipeline, watched: list[str], key: str,
                         read_ahead: Sequence[ReadCommand] = ()) -> tuple[Any, dict[ReadCommand, Any]]:
    """WATCH `watched`, GET `key` and send the `read_ahead` commands, in one round
    trip; return GET's answer and the read-ahead answers by command. The pipeline
    is then watching, as after `pipe.watch`. redis-py would send them one after the
    other, and every round trip costs a worker a socket write, a read and their
    timeouts: with its reads ahead, a decision takes two (this one, then EXEC).
    A pooled connection that went stale (Redis restarted) fails before Redis saw
    any of them: they are sent once more on a new connection, as redis-py's retry
    would (they are reads; a WATCH on a dropped connection is gone with it)."""
    if not isinstance(pipe, Pipeline):  # a unit test's stand-in
        await pipe.watch(*watched)
        remembered = await pipe.get(key)
        return remembered, {command: await pipe.execute_command(*command) for command in read_ahead}
    commands = [("WATCH", *watched), ("GET", key), *read_ahead]
    for attempt in (1, 2):
        connection = pipe.connection
        if connection is None:
            connection = pipe.connection = await pipe.connection_pool.get_connection()
        try:
            await connection.send_packed_command(connection.pack_commands(commands))
            await pipe.parse_response(connection, "WATCH")  # marks the pipeline as watching
            remembered = await pipe.parse_response(connection, "GET")
            # Each answer read as its command's own call would (HGETALL gives a dict).
            answers = {command: await pipe.parse_response(connection, command[0]) for command in read_ahead}
            return remembered, answers
        except RedisConnectionError:
            # Both are reads: sending them again cannot do anything twice.
            await connection.disconnect()
            pipe.watching = False
            if attempt == 2:
                raise
        except BaseException:
            # A reply left unread would be served to the next command on this connection.
            await connection.disconnect()
            raise
    raise AssertionError("unreachable")


async def once(redis: Redis, consumer: str, ref: str, *, ttl: timedelta = DEFAULT_TTL) -> bool:
    """True the first time `consumer` claims `ref`, False after."""
    return await ProcessedMarkers(redis, consumer, ttl).once(ref)
