"""Tours (logistics.tours): the state of each dispatched tour, folded together
from its events, and the tour's completion.

State: `dispatch:tour:<tour_id>` holds the TourDispatched event (the tour
itself, read back typed) and the progress (JSON, with the ids of the reports
folded in). Both the API (right after the broker acknowledged its event, so the
next request sees it; see `commands.py`) and the worker (its projection of
logistics.tours, the truth) fold events in through `record`, in one WATCH/MULTI
step; folding is idempotent by event id, so they agree, and a lost write of the
API (it died after publishing) is made good by the worker.

Rebuild: replay logistics.tours through `record` (the worker does).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from typing import Mapping

from redis.asyncio import Redis
from redis.exceptions import WatchError

from nahnetz.events import Event, new_event
from nahnetz.kit.errors import Unavailable
from nahnetz.messaging.handling import InvalidEvent
from nahnetz.messaging.outbox import Outbox, pack, unpack
from nahnetz.messaging.producer import EventProducer
from nahnetz.records import StopCompleted, StopFailed, TourCompleted, TourDispatched

from .. import keys
from ..domain import progress as steps
from ..domain.progress import TourProgress

log = logging.getLogger(__name__)

WORKER = "dispatch-worker"
COMPLETE_TOUR = "dispatch.complete_tour"
MAX_CONFLICTS = 10
# The same TourCompleted id whoever makes it, so a second one is dropped by every consumer.
_COMPLETION_IDS = uuid.UUID("6f1c3a52-8d0e-4a43-9b7e-2f1f0c3d9a11")


@dataclass(frozen=True)
class TourState:
    tour: TourDispatched
    progress: TourProgress

    @property
    def driver_id(self) -> str:
        return self.tour.driver_id


def _state(stored: Mapping[str, str]) -> TourState | None:
    if not stored.get("dispatched"):
        return None
    [tour] = unpack(stored["dispatched"])
    progress = TourProgress.from_json(stored["progress"]) if stored.get("progress") else TourProgress.start(tour)
    return TourState(tour, progress)


async def load_tour(redis: Redis, tour_id: str) -> TourState | None:
    return _state(await redis.hgetall(keys.tour(tour_id)))


async def load_tours(redis: Redis, tour_ids: list[str]) -> list[TourState]:
    found = []
    for tour_id in sorted(tour_ids):
        state = await load_tour(redis, tour_id)
        if state is not None:
            found.append(state)
    return found


# -- folding events in -----------------------------------------------------------------------------
async def record(redis: Redis, event: Event) -> TourState:
    """Fold one event of logistics.tours into the tour's state, atomically and once."""
    key = keys.tour(event.tour_id)
    for _ in range(MAX_CONFLICTS):
        async with redis.pipeline(transaction=True) as pipe:
            await pipe.watch(key)
            state = _state(await pipe.hgetall(key))
            if isinstance(event, TourDispatched):
                if state is not None:
                    if state.tour.event_id != event.event_id:
                        raise InvalidEvent(f"tour {event.tour_id} was dispatched already "
                                           f"(event {state.tour.event_id})")
                    return state
                new = TourState(event, TourProgress.start(event))
                replaced = None
                if event.replaces_tour_id:
                    # The old tour's state is marked in the same step: no report slips in between.
                    await pipe.watch(keys.tour(event.replaces_tour_id))
                    replaced = _state(await pipe.hgetall(keys.tour(event.replaces_tour_id)))
                pipe.multi()
                pipe.hset(key, mapping={"dispatched": pack([event]), "progress": new.progress.to_json()})
                pipe.sadd(keys.tours_of_day(event.day), event.tour_id)
                pipe.sadd(keys.driver_tours(event.driver_id, event.day), event.tour_id)
                pipe.zadd(keys.driver_days(event.driver_id), {event.day.isoformat(): event.day.toordinal()})
                if replaced is not None:
                    pipe.hset(keys.tour(event.replaces_tour_id), "progress",
                              replace(replaced.progress, replaced_by=event.tour_id).to_json())
            else:
                if state is None:
                    # Same key, same partition: the dispatch is always read first.
                    raise InvalidEvent(f"{event.type} for tour {event.tour_id}, which was never dispatched")
                try:
                    after = steps.apply(state.tour, state.progress, event)
                except steps.InvalidReport as exc:
                    raise InvalidEvent(str(exc)) from exc
                if after is state.progress:
                    return state
                new = TourState(state.tour, after)
                pipe.multi()
                pipe.hset(key, "progress", after.to_json())
            try:
                await pipe.execute()
            except WatchError:
                continue  # the API and the worker folded at the same time: fold again on fresh state
            return new
    raise Unavailable(f"tour {event.tour_id} kept changing; try again", headers={"Retry-After": "1"})


# -- the worker: follow logistics.tours and close finished tours --------------------------------------
async def follow_tour(event: Event, redis: Redis, producer: EventProducer) -> None:
    state = await record(redis, event)
    # Only the report that finished the tour closes it (the last one folded in): the
    # API folds reports in before the worker reads them, so earlier reports may
    # already see a finished tour, and must not close it again and again.
    if isinstance(event, (StopCompleted, StopFailed)) and state.progress.applied[-1:] == (event.event_id,):
        await complete_if_finished(state, redis, producer)


async def complete_if_finished(state: TourState, redis: Redis, producer: EventProducer) -> TourCompleted | None:
    """TourCompleted once, when every stop is done or failed. Made by the worker
    owning the tour's partition, through the Outbox: a redelivery publishes it
    again only if its first publish did not finish (with the same event id, so
    consumers drop the second)."""
    if state.progress.completed or not state.progress.finished(state.tour):
        return None
    tour = state.tour
    completed = new_event(TourCompleted, producer=WORKER, event_id=str(uuid.uuid5(_COMPLETION_IDS, tour.tour_id)),
                          correlation_id=tour.correlation_id, **steps.completion(tour, state.progress))
    if await Outbox(redis, producer, COMPLETE_TOUR).publish_once(tour.tour_id, completed):
        log.info("tour completed", extra={"tour_id": tour.tour_id, "stops_completed": completed.stops_completed,
                                          "stops_failed": completed.stops_failed})
    return completed
