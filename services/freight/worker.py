"""The freight worker: projects trips and loads, runs the matching, decides the
agreements, and turns the hub tours' spare room into trips.

| agent | consumes | does |
|---|---|---|
| on_trips | freight.trips | trip offers; a withdrawn trip cancels its matches (MatchCancelled) and tells the senders |
| on_loads | freight.loads | loads (unmatchable ones with the reason); a withdrawn load cancels its match |
| on_matches | freight.matches | proposals, acceptances (both sides -> MatchAgreed or MatchCancelled), declines, hand-overs |
| on_plans | logistics.plans | the spare room on each leg of each planned hub tour -> TripOffered; a re-plan withdraws what it drops |
| matching (task) | Redis | a matching round soon after any change and every FREIGHT_MATCH_INTERVAL_SECONDS: MatchProposed and word to both sides |

It writes freight.trips (hub legs), freight.matches and notify.requests.

    python -m services.freight.worker
"""

from __future__ import annotations

import logging

from nahnetz.events import Event, now_utc
from nahnetz.kit.settings import Settings, load_settings
from nahnetz.messaging.faust_app import QUICK_FETCH_WAIT_MS, WorkerApp, create_worker_app, run_worker
from nahnetz.topics import FREIGHT_LOADS, FREIGHT_MATCHES, FREIGHT_TRIPS, LOGISTICS_PLANS

from .handlers import hub_tours, loads, matches, trips
from .handlers.matching import Matcher
from .settings import FreightSettings, load_freight_settings

log = logging.getLogger(__name__)

SERVICE = "freight"


def build_app(settings: Settings | None = None, *, freight: FreightSettings | None = None,
              app_id: str | None = None) -> WorkerApp:
    settings = settings or load_settings()
    freight = freight or load_freight_settings(settings)
    app = create_worker_app(SERVICE, settings, app_id=app_id or freight.app_id, fetch_wait_ms=QUICK_FETCH_WAIT_MS)
    matcher = Matcher(app.redis, app.event_producer, freight, lambda: int(now_utc().timestamp() * 1000))
    app.matcher = matcher  # type: ignore[attr-defined]

    @app.event_agent(FREIGHT_TRIPS)
    async def on_trips(event: Event) -> None:
        await trips.handle_trip_event(event, app.redis, app.event_producer)
        matcher.poke()

    @app.event_agent(FREIGHT_LOADS)
    async def on_loads(event: Event) -> None:
        await loads.handle_load_event(event, app.redis, app.event_producer, freight)
        matcher.poke()

    @app.event_agent(FREIGHT_MATCHES)
    async def on_matches(event: Event) -> None:
        await matches.handle_match_event(event, app.redis, app.event_producer, freight)
        matcher.poke()

    @app.event_agent(LOGISTICS_PLANS)
    async def on_plans(event: Event) -> None:
        await hub_tours.handle_plan_event(event, app.redis, app.event_producer, freight)

    @app.task
    async def matching() -> None:
        await matcher.run_forever()

    return app


if __name__ == "__main__":
    run_worker(build_app())
