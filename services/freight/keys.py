"""Every Redis key of the freight exchange (prefix `freight:`), in one place.

| key | type | what | written by |
|---|---|---|---|
| freight:trip:<trip_id> | string (JSON) | a trip offer: route, windows, room, price rule, status, who offered it and how | worker, from freight.trips |
| freight:load:<load_id> | string (JSON) | a load: places, windows, size, status, its match, why it is unmatched | worker, from freight.loads and freight.matches |
| freight:match:<match_id> | string (JSON) | a match: trip, load, route, price, savings, who accepted, status | worker (matching, freight.matches) |
| freight:trips:open | set | trip ids on offer | worker |
| freight:loads:open | set | load ids waiting for a ride (no live match) | worker |
| freight:holding:<trip_id> | set | match ids holding room on the trip (proposed, agreed, picked up) | worker |
| freight:excluded:<load_id> | set | trip ids the load must not be proposed to again (declined, overtaken) | worker |
| freight:participant:<id> | set | `trip:<id>`, `load:<id>` of one participant | worker |
| freight:plan:<plan_id> | string (JSON) | the vehicles of a routing plan request (capacity) | worker, from logistics.plans |
| freight:plan-trips:<plan_id> | set | trip ids offered from the plan's tours' spare room | worker |
| freight:trip-claim:<trip_id>, freight:load-claim:<load_id> | string | the API's claim of a new id | API |
| freight:attempts:<match_id>:<caller> | counter | hand-over code attempts (expires) | API |
| freight:matching:due | string | "a trip or load changed": the next matching round runs soon | worker |

The worker's outboxes (`nahnetz.messaging.outbox`) keep processed markers
`nahnetz:processed:freight.<step>:<ref>`.
"""

from __future__ import annotations

TRIPS_OPEN = "freight:trips:open"
LOADS_OPEN = "freight:loads:open"
MATCHING_DUE = "freight:matching:due"

# Outbox consumers
PROPOSE = "freight.propose"          # once per match id
MATCH_EVENT = "freight.match_event"  # once per match event id
TRIP_EVENT = "freight.trip_event"    # once per trip event id
LOAD_EVENT = "freight.load_event"    # once per load event id
HUB_PLAN = "freight.hub_plan"        # once per RoutePlanned event id
LAPSE = "freight.lapse"              # once per match id: a proposal nobody answered in time


def trip(trip_id: str) -> str:
    return f"freight:trip:{trip_id}"


def load(load_id: str) -> str:
    return f"freight:load:{load_id}"


def match(match_id: str) -> str:
    return f"freight:match:{match_id}"


def holding(trip_id: str) -> str:
    return f"freight:holding:{trip_id}"


def excluded(load_id: str) -> str:
    return f"freight:excluded:{load_id}"


def participant(participant_id: str) -> str:
    return f"freight:participant:{participant_id}"


def plan(plan_id: str) -> str:
    return f"freight:plan:{plan_id}"


def plan_trips(plan_id: str) -> str:
    return f"freight:plan-trips:{plan_id}"


def trip_claim(trip_id: str) -> str:
    return f"freight:trip-claim:{trip_id}"


def load_claim(load_id: str) -> str:
    return f"freight:load-claim:{load_id}"


def attempts(match_id: str, caller: str) -> str:
    return f"freight:attempts:{match_id}:{caller}"
