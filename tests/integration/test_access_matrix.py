"""The role/tenant matrix: every route of every service API, called by every role (and
with no token, an expired and a forged one), is allowed or refused as its declared
policy (`access_policy.py`) says; and every tenant-scoped route refuses a caller of
the right role but another tenant (another shop, resident, area, driver).

The six APIs run in this process over ASGI with their lifespans (real producer, real
Redis); the catalog, orders, pick-up and dispatch workers run as processes on this
module's broker, so the shop, product, order, pick-up counter, parcel and tour the
checks need are real: registered through the APIs, or published as their owners
publish them, and projected by the workers.

What "allowed" means here: not 401/403, and no server error (a 500 would hide the
decision). Ids and bodies are plausible, so allowed callers get 2xx, 404, 409 or 422
from the route's own rules. FastAPI resolves the role dependencies before it reports
an invalid body, so a refused caller gets 401/403 whatever the body; one test per
route with a body pins that down.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from functools import cache
from itertools import count
from pathlib import Path
from typing import Any, Callable

import fastapi.routing
import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route

from access_policy import POLICIES, Policy, Scope
from catalog_stack import product_listing, shop_profile
from dispatch_support import plan_events, scenario
from nahnetz.clock import today_in_berlin
from nahnetz.kit.auth import issue_token
from nahnetz.kit.redis import connect
from nahnetz.kit.roles import Role
from nahnetz.testing import api_client, eventually, settings_for
from orders_support import days_ahead, pickup_point_registered, product_listed
from pickup_support import line, locker_body, order_placed
from services.catalog.api import create_app as catalog_app
from services.dispatch import keys as dispatch_keys
from services.dispatch.api import create_app as dispatch_app
from services.dispatch.handlers.routing_client import HttpRoutingClient
from services.dispatch.settings import DispatchSettings
from services.freight.api import create_app as freight_app
from services.freight.settings import FreightSettings
from services.hub.api import create_app as hub_app
from services.insights.api import create_app as insights_app
from services.insights.settings import InsightsSettings
from services.notify.api import create_app as notify_app
from services.orders import keys as orders_keys
from services.orders.api import create_app as orders_app
from services.pickup.api import create_app as pickup_app
from services.pickup.settings import PickupSettings
from services.routing.api import create_app as routing_app

pytestmark = pytest.mark.integration

SECRET = "access-matrix-integration-secret-long-enough-for-hs256"
CODE_SECRET = "access-matrix-pickup-code-secret-0123456789"
RUN = uuid.uuid4().hex[:6]          # ids of this run, so a rerun on a kept Redis never meets old data
PICKUP_DAY = date.today() + timedelta(days=2)
SERVICES = tuple(POLICIES)

# Callers besides the roles: no Authorization header, and a token the API must not believe.
NO_TOKEN, EXPIRED, FORGED = "no-token", "expired-token", "forged-token"
BAD_TOKENS = (NO_TOKEN, EXPIRED, FORGED)
ROLES = tuple(r.value for r in Role)
IDENTITIES = ROLES + BAD_TOKENS


# -- tenants and tokens ------------------------------------------------------------------------
@dataclass(frozen=True)
class Tenant:
    """Whose shop, resident, area and driver a token is."""

    shop: str
    resident: str
    municipality: str
    driver: str


# OWN owns everything seeded; OTHER has the same roles but owns none of it.
OWN = Tenant(f"shop-own-{RUN}", f"res-own-{RUN}", "Höxter", f"driver-own-{RUN}")
OTHER = Tenant(f"shop-other-{RUN}", f"res-other-{RUN}", "Brakel", f"driver-other-{RUN}")


def token_for(identity: str, tenant: Tenant = OWN) -> str | None:
    if identity == NO_TOKEN:
        return None
    if identity == EXPIRED:  # an admin's, so the expiry is the only thing wrong with it
        return issue_token(SECRET, "admin-expired", Role.ADMIN, ttl=timedelta(minutes=5),
                           now=datetime.now(timezone.utc) - timedelta(hours=2))
    if identity == FORGED:   # an admin's, signed with a key the platform does not have
        return issue_token(f"forged-{SECRET}", "admin-forged", Role.ADMIN)
    role = Role(identity)
    sub = {Role.RESIDENT: tenant.resident, Role.DRIVER: tenant.driver, Role.SHOP: f"user-{tenant.shop}",
           Role.MUNICIPALITY: f"town-hall-{tenant.municipality}"}.get(role, f"{role.value}-{RUN}")
    scopes = {Role.SHOP: {"shop_id": tenant.shop}, Role.MUNICIPALITY: {"municipality": tenant.municipality}}
    return issue_token(SECRET, sub, role, **scopes.get(role, {}))


def bearer(identity: str, tenant: Tenant = OWN) -> dict[str, str]:
    token = token_for(identity, tenant)
    return {"Authorization": f"Bearer {token}"} if token else {}


# -- the routes the apps serve -----------------------------------------------------------------
def route_table(app: Any) -> dict[tuple[str, str], Any]:
    """(METHOD, path template) -> route, for every HTTP route of the app. FastAPI 0.165
    keeps included routers as one entry of `app.routes`; `iter_route_contexts` walks into
    them (older versions list the APIRoutes themselves)."""
    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    table: dict[tuple[str, str], Any] = {}
    for entry in (walk(app.routes) if walk else app.routes):
        route = getattr(entry, "original_route", entry)
        if not isinstance(route, (APIRoute, Route)):
            continue
        methods = set(entry.methods or ())
        if not isinstance(route, APIRoute):
            methods.discard("HEAD")  # Starlette adds HEAD to every GET; it answers as the GET does
        for method in methods:
            table[(method, entry.path)] = entry
    return table


@cache
def served(service: str) -> dict[tuple[str, str], Any]:
    """The routes of the service's app, built but never started (nothing connects)."""
    settings = settings_for("127.0.0.1:9", "redis://127.0.0.1:9/0", service=service, jwt_secret=SECRET)
    return route_table(APP_FACTORIES[service](settings))


def has_body(entry: Any) -> bool:
    return isinstance(getattr(entry, "original_route", entry), APIRoute) and entry.body_field is not None


# -- what each route is called with ------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    tenant: Tenant = OWN  # whose tokens the allowed roles carry for this call


@dataclass
class World:
    """The running APIs and what was seeded for OWN."""

    http: dict[str, httpx.AsyncClient]
    product: str = ""
    order: str = ""
    order_body: dict[str, Any] = field(default_factory=dict)
    point: str = ""
    parcel: str = ""        # a deposited parcel of OWN.resident
    carried: str = ""       # an order on the tour dispatched to OWN.driver (nothing deposited)
    tour: str = ""


def counter_body(point_id: str) -> dict[str, Any]:
    """A staffed counter in Höxter, hosted by OWN's shop."""
    days = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
    body = locker_body(point_id, [("F1", "AMBIENT", 45), ("F2", "AMBIENT", 45)], name="Dorfladen-Theke Matrix")
    return {**body, "kind": "COUNTER", "host_shop_id": OWN.shop,
            "opening_hours": {"intervals": [{"weekday": d, "opens": "07:00", "closes": "19:00"} for d in days]}}


NOWHERE = f"none-{RUN}"   # an id nothing has
CONTACT = {"preferred_channel": "SMS", "phone": "0171 1234567", "consent": True}
SIGN_INS = count()        # each sign-in call from its own browser to its own address: no limit is reached


def sign_in_call(code: str | None = None) -> Call:
    n = next(SIGN_INS)
    body = {"address": f"matrix-{RUN}-{n}@example.org", **({"code": code} if code else {"language": "de"})}
    return Call(json=body, headers={"X-Forwarded-For": f"2001:db8::{n + 1:x}"})


CSV = b"name,unit,price,vat,weight_g,volume_ml,stock\nRoggenbrot Matrix,Laib,3.80,7,750,1500,4\n"

# Calls of the role matrix. Deletions and re-plans go to ids nothing has (404 for those
# allowed), so the matrix changes nothing the tenant checks rely on.
CALLS: dict[tuple[str, str, str], Callable[[World], Call]] = {
    ("catalog", "GET", "/v1/shops"): lambda w: Call(query={"municipality": "Höxter"}),
    ("catalog", "GET", "/v1/shops/{shop_id}"): lambda w: Call({"shop_id": OWN.shop}),
    ("catalog", "GET", "/v1/products/search"): lambda w: Call(query={"q": "käse"}),
    ("catalog", "GET", "/v1/products/{product_id}"): lambda w: Call({"product_id": w.product}),
    ("catalog", "GET", "/v1/products/{product_id}/availability"): lambda w: Call({"product_id": w.product}),
    # The shop exists already: 409 for whoever may register it.
    ("catalog", "POST", "/v1/shops"): lambda w: Call(
        json=own_shop_profile()),
    ("catalog", "PATCH", "/v1/shops/{shop_id}"): lambda w: Call(
        {"shop_id": OWN.shop}, json={"description": "Frisch vom Hof"}),
    ("catalog", "DELETE", "/v1/shops/{shop_id}"): lambda w: Call(
        {"shop_id": NOWHERE}, json={"reason": "OTHER"}, tenant=replace(OWN, shop=NOWHERE)),
    ("catalog", "POST", "/v1/shops/{shop_id}/products"): lambda w: Call(
        {"shop_id": OWN.shop}, json=product_listing("Matrix-Quark")),
    ("catalog", "POST", "/v1/shops/{shop_id}/products/import"): lambda w: Call(
        {"shop_id": OWN.shop}, query={"dry_run": "true"}, content=CSV, headers={"Content-Type": "text/csv"}),
    ("catalog", "GET", "/v1/shops/{shop_id}/products.csv"): lambda w: Call({"shop_id": OWN.shop}),
    ("catalog", "PATCH", "/v1/products/{product_id}"): lambda w: Call(
        {"product_id": w.product}, json={"description": "würzig"}),
    ("catalog", "POST", "/v1/products/{product_id}/stock"): lambda w: Call(
        {"product_id": w.product}, json={"delta": 1}),
    ("catalog", "DELETE", "/v1/products/{product_id}"): lambda w: Call(
        {"product_id": NOWHERE}, json={"reason": "OTHER"}),

    ("orders", "POST", "/v1/orders"): lambda w: Call(json=w.order_body),
    ("orders", "GET", "/v1/orders/{order_id}"): lambda w: Call({"order_id": w.order}),
    ("orders", "GET", "/v1/orders"): lambda w: Call(query={"resident_id": OWN.resident}),
    ("orders", "POST", "/v1/orders/{order_id}/cancel"): lambda w: Call({"order_id": w.order},
                                                                       json={"reason": "doch nicht"}),
    # The order is not rejected: 409 for whoever may take it again, nothing placed.
    ("orders", "POST", "/v1/orders/{order_id}/alternative"): lambda w: Call({"order_id": w.order},
                                                                            json={"take_available": True}),
    ("orders", "GET", "/v1/shops/{shop_id}/packing-list"): lambda w: Call(
        {"shop_id": OWN.shop}, query={"day": days_ahead(2).isoformat()}),

    # The point exists already: 409 for whoever may register it.
    ("pickup", "POST", "/v1/pickup-points"): lambda w: Call(json=counter_body(w.point)),
    ("pickup", "PUT", "/v1/pickup-points/{pickup_point_id}"): lambda w: Call(
        {"pickup_point_id": NOWHERE},
        json={k: v for k, v in counter_body(NOWHERE).items() if k != "pickup_point_id"}),
    ("pickup", "GET", "/v1/pickup-points/near"): lambda w: Call(query={"lat": 51.775, "lon": 9.383}),
    ("pickup", "GET", "/v1/pickup-points/{pickup_point_id}"): lambda w: Call({"pickup_point_id": w.point}),
    ("pickup", "GET", "/v1/pickup-points/{pickup_point_id}/occupancy"): lambda w: Call(
        {"pickup_point_id": w.point}, query={"day": PICKUP_DAY.isoformat()}),
    # A code for no parcel: 404 once the caller may try codes here.
    ("pickup", "POST", "/v1/pickup-points/{pickup_point_id}/collect"): lambda w: Call(
        {"pickup_point_id": w.point}, json={"order_id": f"o-{NOWHERE}", "code": "000000"}),
    # Carried by OWN.driver but never reserved: 404 for those allowed, nothing deposited.
    ("pickup", "POST", "/v1/parcels/{order_id}/deposit"): lambda w: Call({"order_id": w.carried}, json={}),
    ("pickup", "GET", "/v1/parcels/{order_id}"): lambda w: Call({"order_id": w.carried}),
    ("pickup", "POST", "/v1/parcels/{order_id}/code"): lambda w: Call(
        {"order_id": w.parcel}, json={"reason": "die Nachricht ist weg"}),

    ("dispatch", "POST", "/v1/tours"): lambda w: Call(
        json={"plan_id": f"plan-{NOWHERE}", "vehicle_id": "van-matrix", "driver_id": OWN.driver}),
    ("dispatch", "GET", "/v1/tours"): lambda w: Call(query={"day": today_in_berlin().isoformat()}),
    ("dispatch", "GET", "/v1/tours/{tour_id}"): lambda w: Call({"tour_id": w.tour}),
    ("dispatch", "GET", "/v1/tours/{tour_id}/sheet"): lambda w: Call({"tour_id": w.tour}),
    # Stop 999 is not on the tour: 404 for those allowed, no report recorded.
    ("dispatch", "POST", "/v1/tours/{tour_id}/stops/{seq}/arrived"): lambda w: Call(
        {"tour_id": w.tour, "seq": 999}, json={}),
    ("dispatch", "POST", "/v1/tours/{tour_id}/stops/{seq}/collected"): lambda w: Call(
        {"tour_id": w.tour, "seq": 999}, json={}),
    ("dispatch", "POST", "/v1/tours/{tour_id}/stops/{seq}/delivered"): lambda w: Call(
        {"tour_id": w.tour, "seq": 999}, json={}),
    ("dispatch", "POST", "/v1/tours/{tour_id}/stops/{seq}/failed"): lambda w: Call(
        {"tour_id": w.tour, "seq": 999}, json={"reason": "OTHER", "note": "Matrix"}),
    ("dispatch", "POST", "/v1/tours/{tour_id}/replan"): lambda w: Call({"tour_id": NOWHERE}, json={}),
    ("dispatch", "GET", "/v1/drivers/me/tours"): lambda w: Call(),

    ("hub", "GET", "/v1/hub/stock"): lambda w: Call(query={"day": today_in_berlin().isoformat()}),
    ("hub", "GET", "/v1/shipments"): lambda w: Call(query={"status": "REQUESTED"}),

    ("notify", "PUT", "/v1/me/contact"): lambda w: Call(json=CONTACT),
    ("notify", "GET", "/v1/me/messages"): lambda w: Call(query={"limit": 5}),
    ("notify", "PUT", "/v1/contacts/{recipient_id}"): lambda w: Call({"recipient_id": OWN.resident}, json=CONTACT),
    ("notify", "GET", "/v1/contacts/{recipient_id}"): lambda w: Call({"recipient_id": OWN.resident}),
    ("notify", "GET", "/v1/contacts"): lambda w: Call(query={"address": CONTACT["phone"]}),
    ("notify", "DELETE", "/v1/contacts/{recipient_id}"): lambda w: Call({"recipient_id": NOWHERE}),
    # A code to a fresh address (202); a code for an address without one (422 for anyone).
    ("notify", "POST", "/v1/sign-in/codes"): lambda w: sign_in_call(),
    ("notify", "POST", "/v1/sign-in/verify"): lambda w: sign_in_call(code="000000"),

    ("routing", "POST", "/v1/plans"): lambda w: Call(
        json={"day": (today_in_berlin() + timedelta(days=1)).isoformat(), "replan_of": f"plan-{NOWHERE}"}),
}

# Where a tenant check needs a real resource the matrix call leaves alone (see CALLS).
TENANT_CALLS: dict[tuple[str, str, str], Callable[[World], Call]] = {
    ("catalog", "DELETE", "/v1/shops/{shop_id}"): lambda w: Call({"shop_id": OWN.shop}, json={"reason": "OTHER"}),
    ("catalog", "DELETE", "/v1/products/{product_id}"): lambda w: Call({"product_id": w.product},
                                                                       json={"reason": "OTHER"}),
    **{("dispatch", "POST", f"/v1/tours/{{tour_id}}/stops/{{seq}}/{step}"): (
        lambda w, body=body: Call({"tour_id": w.tour, "seq": 0}, json=body))
       for step, body in [("arrived", {}), ("collected", {}), ("delivered", {}),
                          ("failed", {"reason": "OTHER", "note": "Matrix"})]},
}


# The freight exchange's resources of OWN's resident (a trip, a load and a proposal between them),
# seeded by `seed_freight`. Writes that would change them go to ids nothing has in the role matrix.
FREIGHT_IDS: dict[str, str] = {}


def _freight_trip_body(**more: Any) -> dict[str, Any]:
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    return {"origin": {"place_id": "Höxter"}, "destination": {"place_id": "Brakel"},
            "departure": {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
            "spare_weight_kg": 50, "max_detour_km": 5} | more


def _freight_load_body(**more: Any) -> dict[str, Any]:
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    return {"origin": {"place_id": "Höxter"}, "destination": {"place_id": "Brakel"},
            "pickup_window": {"start": start.isoformat(), "end": (start + timedelta(hours=4)).isoformat()},
            "delivery_window": {"start": start.isoformat(), "end": (start + timedelta(hours=8)).isoformat()},
            "description": "Kiste Äpfel", "weight_kg": 8} | more


CALLS.update({
    ("freight", "POST", "/v1/freight/trips"): lambda w: Call(json=_freight_trip_body()),
    ("freight", "GET", "/v1/freight/trips/{trip_id}"): lambda w: Call({"trip_id": FREIGHT_IDS["trip"]}),
    ("freight", "POST", "/v1/freight/trips/{trip_id}/withdraw"): lambda w: Call({"trip_id": NOWHERE}, json={}),
    ("freight", "POST", "/v1/freight/loads"): lambda w: Call(json=_freight_load_body()),
    ("freight", "GET", "/v1/freight/loads/{load_id}"): lambda w: Call({"load_id": FREIGHT_IDS["load"]}),
    ("freight", "POST", "/v1/freight/loads/{load_id}/withdraw"): lambda w: Call({"load_id": NOWHERE}, json={}),
    ("freight", "GET", "/v1/freight/loads/{load_id}/slip"): lambda w: Call({"load_id": FREIGHT_IDS["load"]}),
    ("freight", "GET", "/v1/freight/matches/{match_id}"): lambda w: Call({"match_id": FREIGHT_IDS["match"]}),
    # Nothing consumes the answers here (no freight worker): the proposal stays open.
    ("freight", "POST", "/v1/freight/matches/{match_id}/accept"): lambda w: Call(
        {"match_id": FREIGHT_IDS["match"]}, json={}),
    ("freight", "POST", "/v1/freight/matches/{match_id}/decline"): lambda w: Call(
        {"match_id": FREIGHT_IDS["match"]}, json={"reason": "TIMING"}),
    # Not agreed: 409 for its driver and staff.
    ("freight", "POST", "/v1/freight/matches/{match_id}/pickup"): lambda w: Call(
        {"match_id": FREIGHT_IDS["match"]}, json={"code": "000000"}),
    ("freight", "POST", "/v1/freight/matches/{match_id}/deliver"): lambda w: Call(
        {"match_id": FREIGHT_IDS["match"]}, json={"code": "000000", "received_by": "Matrix"}),
    ("freight", "GET", "/v1/freight/mine"): lambda w: Call(),
    ("freight", "GET", "/v1/freight/board"): lambda w: Call(query={"day": today_in_berlin().isoformat()}),
    ("freight", "GET", "/v1/freight/open"): lambda w: Call(query={"day": today_in_berlin().isoformat()}),
    # No plan of that id: 404 for staff, nothing computed.
    ("freight", "GET", "/v1/freight/hub-plans/{plan_id}"): lambda w: Call({"plan_id": f"plan-{NOWHERE}"}),
})
# Supply insights: OWN's municipality (Höxter, in the region pack: 200 for those allowed); OTHER's
# municipality token (Brakel) asks for Höxter's detail in the tenant check.
CALLS.update({
    ("insights", "GET", "/v1/insights/municipalities/{municipality}"): lambda w: Call(
        {"municipality": OWN.municipality}, query={"period": "week"}),
    ("insights", "GET", "/v1/insights/municipalities/{municipality}/figures.csv"): lambda w: Call(
        {"municipality": OWN.municipality}, query={"style": "de"}),
    # No month: the last complete one (a fixed month could lie ahead of a simulated clock).
    ("insights", "GET", "/v1/insights/municipalities/{municipality}/report"): lambda w: Call(
        {"municipality": OWN.municipality}),
    ("insights", "GET", "/v1/insights/district"): lambda w: Call(query={"period": "month"}),
    # A shop the insights have not seen: 404 for those allowed, 403 for another shop's token.
    ("insights", "GET", "/v1/insights/shops/{shop_id}"): lambda w: Call({"shop_id": OWN.shop}, query={"period": "week"}),
    ("insights", "GET", "/v1/insights/open-data"): lambda w: Call(query={"period": "month"}),
    ("insights", "GET", "/v1/insights/municipalities/{municipality}/figures.geojson"): lambda w: Call(
        {"municipality": OWN.municipality}, query={"period": "week"}),
    ("insights", "GET", "/v1/insights/municipalities/{municipality}/kpis.ngsi-ld.json"): lambda w: Call(
        {"municipality": OWN.municipality}, query={"period": "month"}),
    ("insights", "GET", "/v1/insights/open-data.geojson"): lambda w: Call(query={"period": "week"}),
    ("insights", "GET", "/v1/insights/open-data.ngsi-ld.json"): lambda w: Call(query={"period": "month"}),
})
TENANT_CALLS.update({
    ("freight", "POST", "/v1/freight/trips"): lambda w: Call(json=_freight_trip_body(participant_id=OWN.resident)),
    ("freight", "POST", "/v1/freight/loads"): lambda w: Call(json=_freight_load_body(participant_id=OWN.resident)),
    ("freight", "POST", "/v1/freight/trips/{trip_id}/withdraw"): lambda w: Call({"trip_id": FREIGHT_IDS["trip"]},
                                                                                  json={}),
    ("freight", "POST", "/v1/freight/loads/{load_id}/withdraw"): lambda w: Call({"load_id": FREIGHT_IDS["load"]},
                                                                                  json={}),
    ("freight", "GET", "/v1/freight/mine"): lambda w: Call(query={"participant_id": OWN.resident}),
})


async def seed_freight(redis) -> None:
    """A trip and a load of OWN's resident and a proposal between them, as the freight worker
    projects its topics (its handlers' projections, on this module's Redis)."""
    from nahnetz.events import Actor, new_event
    from nahnetz.records import LoadPosted, MatchProposed, TripOffered
    from services.freight.handlers.loads import project_load
    from services.freight.handlers.matches import project_match
    from services.freight.handlers.trips import project_trip

    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    here, there = {"name": "Höxter", "location": {"lat": 51.775, "lon": 9.383}}, {
        "name": "Brakel", "location": {"lat": 51.717, "lon": 9.183}}
    trip_id, load_id, match_id = f"trip-{RUN}", f"load-{RUN}", f"m-{RUN}"
    actor = Actor(OWN.resident, "RESIDENT")
    await project_trip(new_event(TripOffered, producer="freight-api", actor=actor, trip_id=trip_id,
                                 participant_id=OWN.resident, origin=here, destination=there,
                                 departure={"start": start, "end": start + timedelta(hours=1)},
                                 spare_weight_g=50_000, spare_volume_ml=0), redis)
    await project_load(new_event(LoadPosted, producer="freight-api", actor=actor, load_id=load_id,
                                 participant_id=OWN.resident, origin=here, destination=there, description="Äpfel",
                                 weight_g=8000, volume_ml=0,
                                 pickup_window={"start": start, "end": start + timedelta(hours=4)},
                                 delivery_window={"start": start, "end": start + timedelta(hours=8)}),
                       redis, FreightSettings())
    await project_match(new_event(MatchProposed, producer="freight-worker", match_id=match_id, trip_id=trip_id,
                                  load_id=load_id, detour_km=0.0, price={"amount_cents": 0}, empty_km_avoided=20.0,
                                  trip_participant_id=OWN.resident, load_participant_id=OWN.resident), redis)
    FREIGHT_IDS.update(trip=trip_id, load=load_id, match=match_id)


def call_for(world: World, service: str, method: str, path: str, *, tenant_check: bool = False) -> Call:
    key = (service, method, path)
    make = (TENANT_CALLS.get(key) if tenant_check else None) or CALLS.get(key)
    call = make(world) if make else Call()
    missing = {name: NOWHERE for name in re.findall(r"{(\w+)}", path) if name not in call.path}
    return replace(call, path={**call.path, **missing})


async def send(world: World, service: str, method: str, path: str, call: Call,
               headers: dict[str, str]) -> httpx.Response:
    return await world.http[service].request(
        method, path.format(**call.path), params=call.query, json=call.json, content=call.content,
        headers={**call.headers, **headers})


def described(method: str, path: str, identity: str, answer: httpx.Response) -> str:
    return f"{method} {path} as {identity}: {answer.status_code} {answer.text[:300]}"


def check_decision(policy: Policy, method: str, path: str, identity: str, answer: httpx.Response) -> None:
    status, what = answer.status_code, described(method, path, identity, answer)
    if policy.allows(identity):
        assert status not in (401, 403), f"the policy allows this, the API refused it: {what}"
        assert status < 500, f"allowed, but a server error hides whether access was granted: {what}"
    elif identity in BAD_TOKENS:
        assert status == 401, f"needs a valid token, but was not refused with 401: {what}"
        assert "www-authenticate" in answer.headers, f"a 401 without WWW-Authenticate: {what}"
    else:
        assert status == 403, f"the policy does not allow the role {identity}, but it got no 403: {what}"


# -- fixtures ----------------------------------------------------------------------------------
def _fake_routing(request: httpx.Request) -> httpx.Response:
    # Routing is its own service; dispatch's one outgoing call answers as it would.
    return httpx.Response(202, json={"plan_id": "plan-re", "status": "requested", "status_url": "/v1/plans/plan-re"})


APP_FACTORIES: dict[str, Callable[[Any], Any]] = {
    "catalog": catalog_app,
    "orders": orders_app,
    "pickup": lambda settings: pickup_app(settings, PickupSettings(code_secret=CODE_SECRET)),
    "dispatch": lambda settings: dispatch_app(
        settings, DispatchSettings(routing_url="http://routing.test"),
        routing=HttpRoutingClient("http://routing.test", transport=httpx.MockTransport(_fake_routing))),
    "hub": hub_app,
    "routing": routing_app,
    "notify": notify_app,
    "freight": lambda settings: freight_app(settings, FreightSettings(code_secret=CODE_SECRET)),
    "insights": lambda settings: insights_app(settings, InsightsSettings()),
}


@pytest.fixture(scope="module")
async def workers(topics, own_worker):
    """The workers whose projections the seeded data needs, started side by side."""
    started = {name: own_worker(name, "matrix", **options) for name, options in {
        "catalog": {}, "orders": {}, "pickup": {"env": {"PICKUP_CODE_SECRET": CODE_SECRET}}, "dispatch": {}}.items()}
    try:
        for worker in started.values():
            worker.launch()
        await asyncio.gather(*(worker.wait_ready() for worker in started.values()))
        yield started
    finally:
        for worker in started.values():
            worker.stop()


@pytest.fixture(scope="module")
async def world(workers, broker_bootstrap, redis_url, producer):
    """Every API started once for the module, and OWN's shop, product, order, counter,
    parcel and tour seeded through them (or published as their owners publish)."""
    redis = connect(redis_url, client_name="access-matrix")
    async with AsyncExitStack() as stack:
        stack.push_async_callback(redis.aclose)
        http = {}
        for service, factory in APP_FACTORIES.items():
            settings = settings_for(broker_bootstrap, redis_url, service=service, jwt_secret=SECRET)
            http[service] = await stack.enter_async_context(
                api_client(factory(settings), base_url=f"http://{service}.test", timeout=15))
        made = World(http)
        # The catalog first: the parcel's order is of its product, so the order saga confirms it
        # (an order of an unknown product would be rejected and its compartment released).
        await seed_catalog(made, workers["catalog"])
        await asyncio.gather(seed_orders(made, workers["orders"], producer, redis),
                             seed_pickup(made, workers["pickup"], producer),
                             seed_tour(made, workers["dispatch"], producer, redis))
        await seed_carried(made, workers["pickup"])
        await seed_freight(redis)
        yield made


def own_shop_profile() -> dict:
    """OWN's shop, open every day: the order the matrix places must be bookable on
    whatever weekday the suite runs (a shop closed on the delivery day and the day
    before makes the order 422)."""
    every_day = [{"weekday": day, "opens": "08:00", "closes": "18:00"}
                 for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")]
    return shop_profile(OWN.shop, "Hofladen Matrix", "Höxter", 51.775, 9.383,
                        opening_hours={"intervals": every_day})


async def seed_catalog(w: World, worker) -> None:
    http = w.http["catalog"]
    answer = await http.post("/v1/shops", json=own_shop_profile(),
                             headers=bearer("operator"))
    assert answer.status_code == 202, answer.text

    async def shop_open() -> bool:
        return (await http.get(f"/v1/shops/{OWN.shop}")).status_code == 200

    await eventually(shop_open, what="the shop projected", watch=[worker])
    answer = await http.post(f"/v1/shops/{OWN.shop}/products", json=product_listing("Matrix-Käse"),
                             headers=bearer("shop"))
    assert answer.status_code == 202, answer.text
    w.product = answer.json()["product_id"]

    async def product_available() -> bool:
        return (await http.get(f"/v1/products/{w.product}/availability")).status_code == 200

    await eventually(product_available, what="the product projected", watch=[worker])


async def seed_orders(w: World, worker, producer, redis) -> None:
    product, point = f"p-orders-{RUN}", f"pp-orders-{RUN}"
    await producer.publish(product_listed(product, OWN.shop, "Eier (10)", 390))
    await producer.publish(pickup_point_registered(point, "Pick-up-Point Matrix"))

    async def projected() -> bool:
        return await redis.exists(orders_keys.product(product), orders_keys.pickup_point(point)) == 2

    await eventually(projected, what="product and point known to orders", watch=[worker])
    w.order_body = {"resident_id": OWN.resident, "lines": [{"product_id": product, "quantity": 1}],
                    "pickup_point_id": point, "delivery_day": days_ahead(2).isoformat(), "payment_method": "ONLINE"}
    answer = await w.http["orders"].post("/v1/orders", json=w.order_body, headers=bearer("resident"))
    assert answer.status_code == 202, answer.text
    w.order = answer.json()["order_id"]


async def seed_pickup(w: World, worker, producer) -> None:
    """OWN's shop hosts a counter in Höxter; a parcel of OWN's resident is deposited there."""
    http, w.point = w.http["pickup"], f"pp-counter-{RUN}"
    answer = await http.post("/v1/pickup-points", json=counter_body(w.point), headers=bearer("operator"))
    assert answer.status_code == 202, answer.text

    async def point_known() -> bool:
        return (await http.get(f"/v1/pickup-points/{w.point}", headers=bearer("resident"))).status_code == 200

    await eventually(point_known, what="the counter projected", watch=[worker])
    w.parcel = f"o-parcel-{RUN}"
    await producer.publish(order_placed(w.parcel, w.point, PICKUP_DAY,
                                        [line("AMBIENT", 5000, product=w.product, shop=OWN.shop)],
                                        resident=OWN.resident))

    async def reserved() -> bool:
        answer = await http.get(f"/v1/pickup-points/{w.point}/occupancy", params={"day": PICKUP_DAY.isoformat()},
                                headers=bearer("operator"))
        return any(c.get("order_id") == w.parcel for c in answer.json().get("compartments", []))

    await eventually(reserved, what="a compartment reserved for the parcel", watch=[worker])
    answer = await http.post(f"/v1/parcels/{w.parcel}/deposit", json={}, headers=bearer("operator"))
    assert answer.status_code == 201, answer.text


async def seed_tour(w: World, worker, producer, redis) -> None:
    """A planned tour (events as routing, hub, catalog and pick-up publish them), dispatched to OWN's driver."""
    s = scenario(f"matrix-{RUN}", today_in_berlin())
    for event in plan_events(s):
        await producer.publish(event)

    async def projected() -> bool:
        planned = await redis.hget(dispatch_keys.plan(s.plan_id), "status") == "PLANNED"
        known = await redis.exists(*(dispatch_keys.shipment(sid) for sid in s.shipments),
                                   dispatch_keys.point(s.point), dispatch_keys.shop(s.shop_a),
                                   dispatch_keys.shop(s.shop_b))
        return planned and known == 5

    await eventually(projected, what="plan, shipments and places known to dispatch", watch=[worker])
    answer = await w.http["dispatch"].post("/v1/tours", headers=bearer("operator"), json={
        "plan_id": s.plan_id, "vehicle_id": s.vehicle_id, "driver_id": OWN.driver})
    assert answer.status_code == 201, answer.text
    w.tour, w.carried = s.tour_id, s.orders[0]


async def seed_carried(w: World, worker) -> None:
    """Pick-up learns from the dispatched tour that OWN's driver carries its first order."""
    async def carrier_known() -> bool:  # 404: may read, nothing deposited (403 while not known)
        answer = await w.http["pickup"].get(f"/v1/parcels/{w.carried}", headers=bearer("driver"))
        return answer.status_code == 404

    await eventually(carrier_known, what="OWN's driver known as carrier", watch=[worker])


# -- every route has a policy, every policy a route --------------------------------------------
# The web front's pages take a session cookie, not a bearer token: their walk with
# every role is tests/browser/test_web_routes_by_role.py.
SESSION_APIS = {"web"}


def test_every_service_api_has_policies():
    apis = {p.parent.name for p in (Path(__file__).parents[2] / "services").glob("*/api.py")} - SESSION_APIS
    assert apis == set(POLICIES), f"services with an API: {sorted(apis)}; with policies: {sorted(POLICIES)}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_served_route_has_a_declared_policy(service):
    undeclared = sorted(set(served(service)) - set(POLICIES[service]))
    assert not undeclared, f"{service} serves routes with no declared access policy: {undeclared}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_declared_policy_names_a_served_route(service):
    stale = sorted(set(POLICIES[service]) - set(served(service)))
    assert not stale, f"{service} declares policies for routes it does not serve: {stale}"


# -- the role matrix ---------------------------------------------------------------------------
MATRIX = [(service, method, path, identity) for service, routes in POLICIES.items()
          for (method, path) in routes for identity in IDENTITIES]


def skip_unless_served(service: str, method: str, path: str) -> None:
    if (method, path) not in served(service):
        pytest.skip(f"{service} does not serve {method} {path} (test_every_declared_policy_names_a_served_route)")


@pytest.mark.parametrize(("service", "method", "path", "identity"), MATRIX,
                         ids=[f"{s} {m} {p} as {i}" for s, m, p, i in MATRIX])
async def test_each_caller_is_allowed_or_refused_as_declared(world, service, method, path, identity):
    skip_unless_served(service, method, path)
    call = call_for(world, service, method, path)
    answer = await send(world, service, method, path, call, bearer(identity, call.tenant))
    check_decision(POLICIES[service][(method, path)], method, path, identity, answer)


BODY_ROUTES = [(service, method, path) for service, routes in POLICIES.items() for (method, path), policy in routes.items()
               if not policy.public and (method, path) in served(service) and has_body(served(service)[(method, path)])]


@pytest.mark.parametrize(("service", "method", "path"), BODY_ROUTES, ids=[f"{s} {m} {p}" for s, m, p in BODY_ROUTES])
async def test_the_access_decision_comes_before_body_validation(world, service, method, path):
    # An invalid body must not turn a refusal into a 422 that says nothing about access.
    policy = POLICIES[service][(method, path)]
    call = replace(call_for(world, service, method, path), json={"no_such_field": True}, content=None)
    answer = await send(world, service, method, path, call, {})
    assert answer.status_code == 401, described(method, path, NO_TOKEN, answer)
    denied = [role for role in ROLES if not policy.allows(role)]
    if denied:
        answer = await send(world, service, method, path, call, bearer(denied[0]))
        assert answer.status_code == 403, described(method, path, denied[0], answer)


# -- tenants -----------------------------------------------------------------------------------
TENANT_CASES = [(service, method, path, scope) for service, routes in POLICIES.items()
                for (method, path), policy in routes.items() for scope in policy.scopes]


@pytest.mark.parametrize(("service", "method", "path", "scope"), TENANT_CASES,
                         ids=[f"{s} {m} {p} {sc.role.value} not of the {sc.kind}" for s, m, p, sc in TENANT_CASES])
async def test_a_caller_of_another_tenant_is_refused(world, service, method, path, scope: Scope):
    skip_unless_served(service, method, path)
    call = call_for(world, service, method, path, tenant_check=True)
    role = scope.role.value
    other = await send(world, service, method, path, call, bearer(role, OTHER))
    assert other.status_code == scope.refused_with, (
        f"a {role} not of the {scope.kind} must get {scope.refused_with}: "
        + described(method, path, f"{role} of another tenant", other))
    if scope.refused_with == 404:
        # A 404 could also mean the resource is not there: the owner must not get it.
        own = await send(world, service, method, path, call, bearer(role, OWN))
        assert own.status_code not in (401, 403, 404) and own.status_code < 500, (
            f"the {scope.kind} must get past the check: " + described(method, path, f"{role} (own)", own))
