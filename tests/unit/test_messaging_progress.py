"""How far a worker has handled its partitions, in the producers' time."""

from __future__ import annotations

from nahnetz.events import new_event
from nahnetz.messaging.delivery import Delivery
from nahnetz.messaging.handling import EventHandling, InvalidEvent, RetryPolicy
from nahnetz.messaging.metrics import HandlingMetrics
from nahnetz.messaging.progress import Mark, Progress, of_topics, watermarks
from nahnetz.records import OrderCancelled
from test_messaging_handling import TOPIC, FakeDeadLetters

NOW = 1_000_000
A, B = ("answers", 0), ("answers", 1)


def test_a_partition_handled_to_its_end_is_at_now_one_behind_at_its_last_record():
    progress = Progress(done={A: Mark(9, 400_000), B: Mark(4, 500_000)})
    # A: offsets 0..9 handled, end 10: nothing waits. B: offset 5 waits.
    assert watermarks(progress, {A: 10, B: 6}, {}, NOW) == {A: NOW, B: 500_000}


def test_the_record_being_handled_holds_its_partition_back():
    progress = Progress(busy={A: Mark(10, 450_000)}, done={A: Mark(9, 400_000)})
    assert watermarks(progress, {A: 11}, {}, NOW) == {A: 450_000}


def test_a_partition_nothing_was_handled_on_is_at_now_only_when_nothing_waits_there():
    progress = Progress()
    assert watermarks(progress, {A: 5, B: 5}, {A: 5, B: 3}, NOW) == {A: NOW, B: 0}
    assert watermarks(progress, {A: 5}, {}, NOW) == {A: 0}   # position unknown: nothing known


def test_only_the_named_topics_count():
    assert of_topics([("answers", 0), ("other", 0)], ["answers"]) == [("answers", 0)]


async def test_the_handling_loop_marks_each_message_busy_while_handled_and_done_after_even_when_dead_lettered():
    progress = Progress()
    seen_busy = []

    async def handler(event):
        seen_busy.append(dict(progress.busy))
        raise InvalidEvent("broken")

    handling = EventHandling(handler, consumer="test.progress", source=TOPIC, dead_letters=FakeDeadLetters(),
                             metrics=HandlingMetrics("test"), retry=RetryPolicy(attempts=1), progress=progress)
    event = new_event(OrderCancelled, producer="test", order_id="o-1")
    delivery = Delivery(TOPIC.name, 2, 7, b"o-1", event.encode(), [("event-type", b"OrderCancelled")],
                        timestamp_ms=123_000)
    await handling.handle(delivery)
    assert seen_busy == [{(TOPIC.name, 2): Mark(7, 123_000)}]
    assert progress.busy == {} and progress.done == {(TOPIC.name, 2): Mark(7, 123_000)}
