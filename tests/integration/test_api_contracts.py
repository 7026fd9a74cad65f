"""Every API tells the truth about itself: schemathesis generates requests from each
service's OpenAPI (valid ones and invalid ones, with the tokens of several roles)
and checks that no answer is a server error and that every answer has a documented
status, content type and body schema.

The APIs run in this process over ASGI (schemathesis' own transport, which runs
their lifespans: Redis and the event producer) against this module's real broker
and Redis. Only the catalog's worker runs: a shop and a product exist, and path ids
are sometimes theirs, so the answers for existing things are checked too. Elsewhere
a 202's status URL answers 404, as documented.

Bounded: a fixed number of examples per operation, once derandomized (the same
requests every run) and a few more at random. A failing random run names its seed;
NAHNETZ_CONTRACT_SEED=<seed> repeats it.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections import Counter
from typing import Any, Callable

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from nahnetz.kit.auth import issue_token
from nahnetz.testing import api_client, eventually, settings_for

pytestmark = pytest.mark.integration

SECRET = "contract-test-secret-long-enough-for-hs256"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
DERANDOMIZED_EXAMPLES = 6    # per operation and generation mode, the same every run
RANDOM_EXAMPLES = 2          # per operation and generation mode, new every run
RANDOM_SEED = int(os.environ.get("NAHNETZ_CONTRACT_SEED") or random.randrange(2**32))

# Operators act most (every route is open to them); the others find the 401/403/404 answers.
TOKENS: dict[str, str | None] = {
    "operator": issue_token(SECRET, "op-contract", "operator"),
    "admin": issue_token(SECRET, "admin-contract", "admin"),
    "resident": issue_token(SECRET, "res-contract", "resident"),
    "shop": issue_token(SECRET, "user-shop-contract", "shop", shop_id="shop-contract"),
    "driver": issue_token(SECRET, "driver-contract", "driver"),
    "municipality": issue_token(SECRET, "muni-contract", "municipality", municipality="Brakel"),
    "nobody": None,
}
WHO = st.sampled_from(["operator", "operator", "operator", "admin", "resident", "shop", "driver",
                       "municipality", "nobody"])


def _routing_accepts(request: httpx.Request) -> httpx.Response:
    return httpx.Response(202, json={"plan_id": "plan-contract", "status_url": "/v1/plans/plan-contract"})


def _catalog(settings):
    from services.catalog.api import create_app
    return create_app(settings)


def _orders(settings):
    from services.orders.api import create_app
    return create_app(settings)


def _pickup(settings):
    from services.pickup.api import create_app
    from services.pickup.settings import PickupSettings
    return create_app(settings, PickupSettings(code_secret="contract-code-secret"))


def _dispatch(settings):
    from services.dispatch.api import create_app
    from services.dispatch.handlers.routing_client import HttpRoutingClient
    from services.dispatch.settings import DispatchSettings
    return create_app(settings, DispatchSettings(routing_url="http://routing.test"),
                      routing=HttpRoutingClient("http://routing.test", transport=httpx.MockTransport(_routing_accepts)))


def _hub(settings):
    from services.hub.api import create_app
    return create_app(settings)


def _routing(settings):
    from services.routing.api import create_app
    return create_app(settings)


def _notify(settings):
    from services.notify.api import create_app
    return create_app(settings)


def _freight(settings):
    from services.freight.api import create_app
    from services.freight.settings import FreightSettings
    return create_app(settings, FreightSettings(code_secret="contract-code-secret"))


def _insights(settings):
    from services.insights.api import create_app
    from services.insights.settings import InsightsSettings
    return create_app(settings, InsightsSettings())


APIS: dict[str, Callable[[Any], Any]] = {"catalog": _catalog, "orders": _orders, "pickup": _pickup,
                                         "dispatch": _dispatch, "hub": _hub, "routing": _routing,
                                         "notify": _notify, "freight": _freight, "insights": _insights}


SHOP_ID = "shop-contract"  # the shop token's own shop


@pytest.fixture(scope="module")
async def known_ids(topics, own_worker, broker_bootstrap, redis_url) -> dict[str, list[str]]:
    """Path ids that exist: a shop (the shop token's) with a product, made through the
    catalog's API and projected by its worker."""
    bearer = {"Authorization": f"Bearer {TOKENS['operator']}"}
    shop = {"shop_id": SHOP_ID, "name": "Hofladen Vertrag", "kind": "FARM", "municipality": "Brakel",
            "address": {"street": "Hauptstraße 1", "postal_code": "33034", "locality": "Brakel"},
            "location": {"lat": 51.717, "lon": 9.183}, "accepts_phone_listing": True,
            "opening_hours": {"intervals": [{"weekday": "MONDAY", "opens": "08:00", "closes": "12:30"}]}}
    product = {"name": "Bergkäse", "unit": "200 g", "price_cents": 449, "vat_rate_bp": 700, "stock": 10,
               "category": "DAIRY_EGGS", "temperature_class": "CHILLED", "weight_g": 200, "volume_ml": 250}
    settings = settings_for(broker_bootstrap, redis_url, service="catalog", jwt_secret=SECRET)
    async with own_worker("catalog", "contracts") as worker, api_client(_catalog(settings)) as http:
        assert (await http.post("/v1/shops", json=shop, headers=bearer)).status_code == 202
        await eventually(lambda: _found(http, f"/v1/shops/{SHOP_ID}"), what="the shop projected", watch=[worker])
        listed = await http.post(f"/v1/shops/{SHOP_ID}/products", json=product, headers=bearer)
        assert listed.status_code == 202, listed.text
        product_id = listed.json()["product_id"]
        await eventually(lambda: _found(http, f"/v1/products/{product_id}/availability"),
                         what="the product projected", watch=[worker])
        yield {"shop_id": [SHOP_ID], "product_id": [product_id]}


async def _found(http, path: str) -> bool:
    return (await http.get(path)).status_code == 200


@pytest.fixture(scope="module")
def schemas(topics, broker_bootstrap, redis_url):
    """`schemas(service)`: the service's schema, loaded from its app (lifespan started)."""
    loaded: dict[str, Any] = {}

    def load(service: str):
        if service not in loaded:
            app = APIS[service](settings_for(broker_bootstrap, redis_url, service=service, jwt_secret=SECRET))
            loaded[service] = schemathesis.openapi.from_asgi("/openapi.json", app)
        return loaded[service]

    yield load
    asgi.shutdown_lifespans()  # before the module's broker and Redis stop


def with_known_ids(operation, mode: GenerationMode, known: dict[str, list[str]]):
    """The operation's cases; where a path id names something that exists, also cases with it."""
    names = {p.name for p in operation.path_parameters} & set(known)
    strategies = [operation.as_strategy(generation_mode=mode)]
    strategies += [operation.as_strategy(generation_mode=mode, path_parameters={name: value})
                   for name in sorted(names) for value in known[name]]
    return st.one_of(strategies)


def run_operation(operation, mode: GenerationMode, *, examples: int, derandomize: bool,
                  seen: Counter[int], known: dict[str, list[str]]) -> None:
    @settings(max_examples=examples, derandomize=derandomize, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              print_blob=False)
    @given(case=with_known_ids(operation, mode, known), who=WHO)
    def one(case, who: str) -> None:
        token = TOKENS[who]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if not token:
            case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        seen[case.call_and_validate(headers=headers, checks=CHECKS).status_code] += 1

    if not derandomize:
        one = seed(RANDOM_SEED)(one)
    one()


@pytest.mark.parametrize("service", list(APIS))
def test_every_answer_is_documented(schemas, known_ids, service):
    schema = schemas(service)
    started = time.monotonic()
    problems: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"{service}: no operation in the OpenAPI"
    for operation in operations:
        seen: Counter[int] = Counter()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for derandomize, examples in ((True, DERANDOMIZED_EXAMPLES), (False, RANDOM_EXAMPLES)):
                try:
                    run_operation(operation, mode, examples=examples, derandomize=derandomize, seen=seen,
                                  known=known_ids)
                except Unsatisfiable:
                    if mode is GenerationMode.POSITIVE:
                        raise
                    # no invalid request exists (e.g. the only parameter is any text in the path)
                except (Exception, FailureGroup) as exc:  # collect them all: one report per API
                    run = "derandomized" if derandomize else f"random, NAHNETZ_CONTRACT_SEED={RANDOM_SEED}"
                    problems.append(f"--- {operation.label} ({mode.value}, {run}):\n{exc}")
        print(f"{operation.label}: " + ", ".join(f"{n}x {status}" for status, n in sorted(seen.items())))
    print(f"{service}: {len(operations)} operations in {time.monotonic() - started:.1f} s")
    assert not problems, f"{service}: {len(problems)} contract problem(s)\n" + "\n".join(problems)


# -- the docs pages work without internet ------------------------------------------------------
# Any absolute URL, or a protocol-relative one in src/href, would reach outside.
EXTERNAL_URL = re.compile(r"""https?://|(?:src|href)\s*=\s*["']//""", re.IGNORECASE)
ASSET_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.mark.parametrize("service", list(APIS))
@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_docs_pages_load_nothing_from_the_internet(service, page):
    app = APIS[service](settings_for("127.0.0.1:1", "redis://127.0.0.1:1/0", service=service, jwt_secret=SECRET))
    # No lifespan: the pages and their assets need neither Redis nor the broker.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://docs.test") as http:
        html = await http.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert not EXTERNAL_URL.search(html.text), f"{page} of {service} loads from outside:\n{html.text}"
        assets = ASSET_URL.findall(html.text)
        assert any(a.endswith(".js") for a in assets), assets
        for asset in assets:
            answer = await http.get(asset)
            assert answer.status_code == 200, f"{asset}: {answer.status_code}"
            assert answer.content, asset
        spec = await http.get("/openapi.json")
        assert spec.status_code == 200
        assert "HTTPValidationError" not in spec.text and "ErrorBody" in spec.json()["components"]["schemas"]
