"""`ReadAhead`: a transaction's read side answers the calls it read ahead from
what Redis said then, and passes every other call to the pipeline."""

from __future__ import annotations

from nahnetz.messaging.idempotency import ReadAhead, Transaction


class Pipe:
    """A stand-in for the watched pipeline: records what reached Redis."""

    def __init__(self):
        self.sent = []

    async def hget(self, key, field):
        self.sent.append(("HGET", key, field))
        return "from redis"

    async def hgetall(self, key, **options):
        self.sent.append(("HGETALL", key))
        return {"from": "redis"}

    async def watch(self, *keys):
        self.sent.append(("WATCH", *keys))


async def test_a_call_read_ahead_is_answered_without_reaching_redis_and_others_go_through():
    pipe = Pipe()
    read = ReadAhead(pipe, {("HGET", "stock:p1", "available"): "7", ("HGETALL", "held:p1"): {"o-1": "2"}})

    assert await read.hget("stock:p1", "available") == "7"
    assert await read.hget("stock:p1", "available") == "7"   # as often as the step asks
    assert await read.hgetall("held:p1") == {"o-1": "2"}
    assert pipe.sent == []

    assert await read.hget("stock:p1", "reserved") == "from redis"      # another field
    assert await read.hgetall("held:p1", timeout=1) == {"from": "redis"}  # options: not the call read ahead
    await read.watch("other")                                           # not a command read ahead
    assert pipe.sent == [("HGET", "stock:p1", "reserved"), ("HGETALL", "held:p1"), ("WATCH", "other")]


def test_a_transaction_without_reads_ahead_reads_from_the_pipeline_itself():
    pipe = Pipe()
    assert Transaction(pipe).read is pipe
    assert Transaction(pipe, {}).read is pipe
    assert isinstance(Transaction(pipe, {("GET", "k"): None}).read, ReadAhead)
