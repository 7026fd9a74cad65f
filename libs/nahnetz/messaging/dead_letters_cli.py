"""`nahnetz dlq`: the dead letters, as a tool.

    nahnetz dlq list [--topic orders.orders] [--all] [--json]   # open dead letters, with reason and error
    nahnetz dlq show ID [--json]                                 # one in full: headers, error, the event
    nahnetz dlq replay ID [ID ...]                               # back to its topic, to be handled again
    nahnetz dlq replay --all [--topic orders.orders]            # every open one

An id is where the dead letter lies, `<dlq topic>:<partition>:<offset>`
(`catalog.products.dlq:0:3`). A replay sends the original key, value and headers
to the partition the message came from, with a `dlq-replay-of` header naming the
dead letter, and appends a note (a record without a value) to the dead-letter
topic, so `list` shows it as replayed. Every consumer of the topic reads the
replay; handlers apply each event once (processed markers by event id or
business key), so whoever had handled it changes nothing, and the consumer that
failed handles it now. One message that several consumers dead-lettered is sent
back once. A replay that fails again becomes a new dead letter, with its reason
and `replay of` the old id. `--all` leaves out bytes that still decode as no event
(every consumer would dead-letter them again); named by id, they are sent all the same.

The broker: `--bootstrap`, else KAFKA_BOOTSTRAP, else the one the running
`nahnetz up` stack recorded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

import click

from ..topics import DLQ_SUFFIX
from . import headers as h
from .dead_letter import DeadLetter, RecordId, ReplayNote, read_dead_letter_record

READ_TIMEOUT_S = 30.0
ERROR_WIDTH = 100


class DeadLetterToolError(click.ClickException):
    """Said on stderr with exit code 1."""


# -- reading -------------------------------------------------------------------------------
@dataclass
class DeadLetterLog:
    """Everything on the dead-letter topics read: dead letters and replay notes."""

    letters: list[DeadLetter] = field(default_factory=list)
    notes: list[ReplayNote] = field(default_factory=list)

    def replays_of(self, letter: DeadLetter) -> list[ReplayNote]:
        return [n for n in self.notes if n.replayed == letter.id]

    def open(self) -> list[DeadLetter]:
        """Dead letters nobody replayed yet."""
        replayed = {n.replayed for n in self.notes}
        return [d for d in self.letters if d.id not in replayed]

    def sort(self) -> None:
        """Oldest first (several dead-letter topics are read side by side)."""
        self.letters.sort(key=lambda d: (d.failed_at, str(d.id)))

    def find(self, wanted: RecordId) -> DeadLetter:
        for letter in self.letters:
            if letter.id == wanted:
                return letter
        raise DeadLetterToolError(f"no dead letter {wanted} (see `nahnetz dlq list --all`)")

    def same_message(self, letter: DeadLetter) -> list[DeadLetter]:
        """Dead letters of the very same record (several consumers read one topic)."""
        source = letter.source
        return [d for d in self.letters if source is not None and d.source == source]


def dead_letter_topic_name(topic: str) -> str:
    return topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX


async def read_dead_letters(bootstrap: str, topics: Iterable[str] | None = None,
                            timeout: float = READ_TIMEOUT_S) -> DeadLetterLog:
    """Read the dead-letter topics (all on the broker, or `topics`) from their start
    to what is there now: each partition up to the high-water mark its fetch gave
    (Tansu's ListOffsets for "latest" is off, DESIGN.md)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest", request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(consumer.start(), timeout)
    except Exception as exc:
        await _quietly(consumer.stop())
        raise DeadLetterToolError(f"the broker at {bootstrap} does not answer ({type(exc).__name__}: {exc})")
    log = DeadLetterLog()
    try:
        existing = await consumer.topics()
        if topics is None:
            names = sorted(t for t in existing if t.endswith(DLQ_SUFFIX))
        else:
            names = [dead_letter_topic_name(t) for t in topics]
            missing = [t for t in names if t not in existing]
            if missing:
                raise DeadLetterToolError(f"no topic {', '.join(missing)} on {bootstrap}")
        partitions = [TopicPartition(t, p) for t in names for p in sorted(consumer.partitions_for_topic(t) or ())]
        if not partitions:
            return log
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    found = read_dead_letter_record(record)
                    if isinstance(found, DeadLetter):
                        log.letters.append(found)
                    elif isinstance(found, ReplayNote):
                        log.notes.append(found)
            if await _at_end(consumer, partitions):
                log.sort()
                return log
            if loop.time() > deadline:
                raise DeadLetterToolError(f"reading {', '.join(names)} took longer than {timeout:.0f} s")
    finally:
        await _quietly(consumer.stop())


async def _at_end(consumer: Any, partitions: list) -> bool:
    for tp in partitions:
        highwater = consumer.highwater(tp)
        if highwater is None or await consumer.position(tp) < highwater:
            return False
    return True


async def _quietly(awaitable: Any) -> None:
    try:
        await awaitable
    except Exception:
        pass


# -- replaying -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Replayed:
    letter: DeadLetter
    to: RecordId
    settles: tuple[DeadLetter, ...]  # other dead letters of the same message
    before: tuple[ReplayNote, ...]   # earlier replays of it


async def replay(bootstrap: str, log: DeadLetterLog, letters: Iterable[DeadLetter]) -> list[Replayed]:
    """Send each dead letter's message back to where it came from (once per message),
    then note every dead letter of that message as replayed."""
    from aiokafka import AIOKafkaProducer

    from ..events import now_utc

    chosen, seen_sources = [], set()
    for letter in letters:
        source = letter.source
        if source is None:
            raise DeadLetterToolError(f"{letter.id} does not say where it came from (no {h.DLQ_SOURCE_TOPIC} "
                                      f"header): not a Nahnetz dead letter")
        if source in seen_sources:
            continue
        seen_sources.add(source)
        chosen.append(letter)
    # The services' producer options: acknowledged by all replicas, no idempotence (Tansu).
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False,
                                client_id="nahnetz-dlq")
    try:
        await asyncio.wait_for(producer.start(), READ_TIMEOUT_S)
    except Exception as exc:
        await _quietly(producer.stop())
        raise DeadLetterToolError(f"the broker at {bootstrap} does not answer ({type(exc).__name__}: {exc})")
    done: list[Replayed] = []
    try:
        for letter in chosen:
            source = letter.source
            assert source is not None
            partitions = await producer.partitions_for(source.topic)
            # Back to the partition it came from: after its entity's earlier events.
            partition = source.partition if source.partition in partitions else None
            sent = await producer.send_and_wait(source.topic, letter.value, key=letter.key, partition=partition,
                                                headers=letter.replay_headers())
            to = RecordId(sent.topic, sent.partition, sent.offset)
            siblings = tuple(d for d in log.same_message(letter) if d.id != letter.id)
            at = now_utc()
            for settled in (letter, *siblings):
                await producer.send_and_wait(settled.id.topic, None, key=settled.key, partition=settled.id.partition,
                                             headers=ReplayNote.headers(settled.id, to, at))
            done.append(Replayed(letter, to, siblings, tuple(log.replays_of(letter))))
    finally:
        await producer.stop()
    return done


# -- the command ---------------------------------------------------------------------------
def resolve_bootstrap(given: str | None) -> str:
    """--bootstrap / KAFKA_BOOTSTRAP, else the broker of the running `nahnetz up` stack."""
    if given:
        return given
    from ..stack.config import StackConfig
    from ..stack.state import StackState, StateFileError

    try:
        state = StackState.load(StackConfig.from_env().state_path)
    except (StateFileError, RuntimeError) as exc:
        raise DeadLetterToolError(str(exc))
    if state is None:
        raise DeadLetterToolError("which broker? Give --bootstrap HOST:PORT or KAFKA_BOOTSTRAP, "
                                  "or start the stack with `nahnetz up`")
    return state.bootstrap


def _run(coroutine: Any) -> Any:
    # aiokafka logs every refused connection at ERROR; the tool says what matters itself.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    return asyncio.run(coroutine)


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _what(letter: DeadLetter) -> str:
    return f"{letter.event_type or '(not an event)'} {letter.key_text}".strip()


def _as_json(letter: DeadLetter, log: DeadLetterLog, *, full: bool = False) -> dict[str, Any]:
    replays = log.replays_of(letter)
    out: dict[str, Any] = {
        "id": str(letter.id), "status": "replayed" if replays else "open", "reason": letter.reason,
        "error_type": letter.error_type, "error": letter.error,
        "source": str(letter.source) if letter.source else None, "service": letter.service,
        "consumer": letter.consumer, "attempts": letter.attempts, "failed_at": letter.failed_at,
        "event_type": letter.event_type, "event_id": letter.event_id, "key": letter.key_text,
        "replay_of": letter.replay_of,
        "replays": [{"to": n.to, "at": n.at, "note": str(n.id)} for n in replays],
    }
    if full:
        out["headers"] = {name: value.decode("utf-8", "replace") for name, value in letter.headers}
        out["event"] = _event_json(letter)
    return out


def _decodes(letter: DeadLetter) -> bool:
    from ..events import read_event

    try:
        return letter.value is not None and read_event(letter.value) is not None
    except Exception:
        return False


def _event_json(letter: DeadLetter) -> Any:
    """The event as JSON, or what can be said of bytes that are no event."""
    from ..events import read_event

    if letter.value is None:
        return None
    try:
        return read_event(letter.value).to_avro()
    except Exception as exc:
        return {"undecodable": f"{type(exc).__name__}: {exc}", "bytes": len(letter.value),
                "start_hex": letter.value[:32].hex()}


@click.group("dlq")
def dlq() -> None:
    """Dead letters: list, show, replay (`nahnetz dlq COMMAND --help`)."""


_bootstrap_option = click.option("--bootstrap", envvar="KAFKA_BOOTSTRAP", show_envvar=True,
                                 help="The broker (default: the running `nahnetz up` stack's).")


@dlq.command("list")
@_bootstrap_option
@click.option("--topic", "topics", multiple=True, help="Only the dead letters of this topic (repeatable).")
@click.option("--all", "everything", is_flag=True, help="Also those already replayed.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def dlq_list(bootstrap: str | None, topics: tuple[str, ...], everything: bool, as_json: bool) -> None:
    """The dead letters not yet replayed, oldest first, with reason and error."""
    log = _run(read_dead_letters(resolve_bootstrap(bootstrap), topics or None))
    shown = log.letters if everything else log.open()
    if as_json:
        for letter in shown:
            click.echo(json.dumps(_as_json(letter, log)))
        return
    if not shown:
        click.echo("No dead letters" + ("" if everything else " open") + (
            f" ({len(log.letters)} replayed; --all shows them)" if log.letters and not everything else "."))
        return
    width = max(len(str(d.id)) for d in shown)
    click.echo(f"{'ID':<{width}}  {'STATUS':<8}  {'REASON':<12}  {'SERVICE':<9}  {'EVENT':<40}  ERROR")
    for letter in shown:
        status = "replayed" if log.replays_of(letter) else "open"
        error = f"{letter.error_type.rsplit('.', 1)[-1]}: {letter.error}"
        click.echo(f"{str(letter.id):<{width}}  {status:<8}  {letter.reason:<12}  {letter.service:<9}  "
                   f"{_short(_what(letter), 40):<40}  {_short(error, ERROR_WIDTH)}")
    opened = len(log.open())
    click.echo(f"\n{opened} open, {len(log.letters) - opened} replayed. "
               "`nahnetz dlq show ID` shows one; `nahnetz dlq replay ID` sends it back.")


@dlq.command("show")
@_bootstrap_option
@click.argument("letter_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="As one JSON object.")
def dlq_show(bootstrap: str | None, letter_id: str, as_json: bool) -> None:
    """One dead letter in full: why it failed, where it came from, the event."""
    wanted = _parse_id(letter_id)
    log = _run(read_dead_letters(resolve_bootstrap(bootstrap), [wanted.topic]))
    letter = log.find(wanted)
    if as_json:
        click.echo(json.dumps(_as_json(letter, log, full=True), indent=2, default=str))
        return
    replays = log.replays_of(letter)
    rows = [
        ("status", "open" if not replays else
         "replayed " + "; ".join(f"at {n.at} as {n.to}" for n in replays)),
        ("reason", letter.reason),
        ("error", f"{letter.error_type}: {letter.error}"),
        ("source", f"{letter.source}" if letter.source else "?"),
        ("consumer", f"{letter.consumer} (service {letter.service}), attempts {letter.attempts}"),
        ("failed at", letter.failed_at),
        ("event", f"{letter.event_type or '(not an event)'} {letter.event_id or ''}".strip()),
        ("key", letter.key_text),
    ]
    if letter.replay_of:
        rows.append(("replay of", f"{letter.replay_of} (a replay that failed again)"))
    click.echo(f"Dead letter {letter.id}")
    for name, value in rows:
        click.echo(f"  {name:<10} {value}")
    click.echo("  headers" + ("" if letter.original_headers() else "    (none)"))
    for name, value in letter.original_headers():
        click.echo(f"    {name}: {value.decode('utf-8', 'replace')}")
    click.echo("  value")
    click.echo("    " + json.dumps(_event_json(letter), indent=2, default=str, ensure_ascii=False)
               .replace("\n", "\n    "))


@dlq.command("replay")
@_bootstrap_option
@click.argument("letter_ids", metavar="[ID]...", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every open dead letter (of --topic, if given).")
@click.option("--topic", "topics", multiple=True, help="With --all: only the dead letters of this topic.")
def dlq_replay(bootstrap: str | None, letter_ids: tuple[str, ...], everything: bool,
               topics: tuple[str, ...]) -> None:
    """Send dead letters back to their topic, to be handled again (once)."""
    if everything == bool(letter_ids):
        raise click.UsageError("name the dead letters to replay (IDs), or give --all")
    if topics and not everything:
        raise click.UsageError("--topic goes with --all")
    address = resolve_bootstrap(bootstrap)
    wanted = [_parse_id(i) for i in letter_ids]

    skipped: list[DeadLetter] = []

    async def run() -> tuple[DeadLetterLog, list[Replayed]]:
        if everything:
            log = await read_dead_letters(address, topics or None)
            chosen = []
            for letter in log.open():
                # Bytes that still are no event would only come back, once per consumer.
                (chosen if _decodes(letter) else skipped).append(letter)
        else:
            log = await read_dead_letters(address, sorted({w.topic for w in wanted}))
            chosen = [log.find(w) for w in wanted]
        return log, await replay(address, log, chosen)

    log, done = _run(run())
    for letter in skipped:
        click.echo(f"skipped {letter.id}: its bytes still are no event here ({_short(letter.error, 80)}); "
                   f"replay it by id to send it all the same")
    if not done:
        if not skipped:
            click.echo("Nothing to replay: no open dead letters" + (f" of {', '.join(topics)}" if topics else "") + ".")
        return
    for r in done:
        line = f"replayed {r.letter.id} -> {r.to}  ({_what(r.letter)}; was {r.letter.reason})"
        if r.before:
            line += f"; replayed before at {r.before[-1].at}: handlers apply it once all the same"
        if r.settles:
            line += f"; the same message as {', '.join(str(d.id) for d in r.settles)}"
        click.echo(line)
    click.echo(f"{len(done)} sent back. A replay that fails again shows up in `nahnetz dlq list` with its reason.")


def _parse_id(text: str) -> RecordId:
    try:
        return RecordId.parse(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="ID") from None


if __name__ == "__main__":  # pragma: no cover
    dlq(prog_name="nahnetz dlq")
    sys.exit(0)
