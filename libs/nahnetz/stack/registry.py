"""The service registry: each service's fixed number, from which its ports follow.

The API of service number n listens on `api_base + n` (8100 + n), its worker on
`worker_base + n` (8200 + n), in `nahnetz up`, docker-compose.yml and Kubernetes alike.
A number is given once and never reused, so adding a service moves no other port:
a new service takes `next_free_number()`. Extra instances of a worker (`nahnetz up
--instances`) listen after every service's first one: instance k of service n on
`worker_base + span * (k - 1) + n`, span being the count of service numbers. `tests/unit/test_stack_discovery.py` fails
when a folder under `services/` has no number here.
"""

from __future__ import annotations

from typing import Mapping

SERVICE_NUMBERS: Mapping[str, int] = {
    "catalog": 0,
    "dispatch": 1,
    "hub": 2,
    "notify": 3,
    "orders": 4,
    "pickup": 5,
    "routing": 6,
    "freight": 7,
    "insights": 8,
    "web": 9,
}


def next_free_number(numbers: Mapping[str, int] = SERVICE_NUMBERS) -> int:
    return max(numbers.values(), default=-1) + 1


def numbers_for(services: list[str], numbers: Mapping[str, int] = SERVICE_NUMBERS) -> dict[str, int]:
    """The registered number of each service; a service not registered (a local
    experiment, a test's stand-in) gets the next numbers after the registered ones,
    in name order."""
    out = {s: numbers[s] for s in services if s in numbers}
    spare = next_free_number(numbers)
    for service in sorted(s for s in services if s not in numbers):
        out[service] = spare
        spare += 1
    return out


def worker_instance_port(worker_base: int, number: int, instance: int, span: int) -> int:
    """The health port of instance `instance` (1, 2, ...) of service number `number`'s
    worker: the first on its registered port, the others in blocks of `span` after
    every service's first, so an extra instance takes no registered port."""
    if instance < 1:
        raise ValueError("instances count from 1")
    return worker_base + span * (instance - 1) + number
