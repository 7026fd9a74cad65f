"""Who may call which route: one declared access policy per route of every service API.

This is a declaration, read off the routes and their docstrings once and then kept
by hand: `test_access_matrix.py` compares the running apps against it, so a route
added without a policy, a policy left behind by a removed route, or a role check
that drifts from what is written here fails a test. Where the code allows more than
a real product should, the policy says what it *should* be and the test fails.

    POLICIES["orders"][("GET", "/v1/orders/{order_id}")]
    -> Policy(allowed={"resident", "operator", "admin"},
              scopes=(Scope(Role.RESIDENT, OWN_RESIDENT, refused_with=404),))

`allowed` holds role values (`nahnetz.kit.roles.Role`), or `ANONYMOUS` for a public
route (anyone: no token, a bad token, any role). A `Scope` narrows one allowed role
to its own tenant (its shop, itself, its area, its tours), and says how a caller of
that role but another tenant is refused: 403, or 404 where the route does not even
tell others that the resource exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from nahnetz.kit.roles import Role

ANONYMOUS = "anonymous"
ALL_ROLES = frozenset(r.value for r in Role)

# Scope kinds: what "own" means for the role the scope narrows.
OWN_SHOP = "own shop"                 # token shop_id == the shop the route changes or reads
HOST_SHOP = "hosting shop"            # token shop_id == host_shop_id of the pick-up counter
OWN_RESIDENT = "own resident"         # token sub == the resident of the order / parcel
OWN_AREA = "own municipality area"    # token municipality == the point's municipality
CARRYING_DRIVER = "carrying driver"   # token sub == driver of a dispatched tour that carries the order
TOUR_DRIVER = "tour's driver"         # token sub == driver the tour is dispatched to
OWN_PARTICIPANT = "own freight participant"  # token sub (a shop: its shop_id) == the trip's, load's or match side's participant


@dataclass(frozen=True)
class Scope:
    role: Role
    kind: str
    refused_with: int  # 403, or 404 when the route hides the resource from other tenants


@dataclass(frozen=True)
class Policy:
    allowed: frozenset[str]
    scopes: tuple[Scope, ...] = ()

    @property
    def public(self) -> bool:
        return ANONYMOUS in self.allowed

    def allows(self, identity: str) -> bool:
        """`identity`: a role value, or one of the token-less / bad-token callers."""
        return self.public or identity in self.allowed


def public() -> Policy:
    return Policy(frozenset({ANONYMOUS}))


def signed_in() -> Policy:
    """Every role, but a valid token is needed."""
    return Policy(ALL_ROLES)


def roles(*allowed: Role, scopes: Iterable[Scope] = ()) -> Policy:
    return Policy(frozenset(r.value for r in allowed), tuple(scopes))


STAFF = (Role.OPERATOR, Role.ADMIN)

# What `nahnetz.kit.api.create_api` and FastAPI add to every app: probes, metrics, API docs.
OPERATIONS: dict[tuple[str, str], Policy] = {
    ("GET", "/healthz"): public(),
    ("GET", "/readyz"): public(),
    ("GET", "/metrics"): public(),
    ("GET", "/openapi.json"): public(),
    ("GET", "/docs"): public(),
    ("GET", "/docs/oauth2-redirect"): public(),
    ("GET", "/redoc"): public(),
}

_SHOP_WRITER = roles(Role.SHOP, *STAFF, scopes=[Scope(Role.SHOP, OWN_SHOP, 403)])

CATALOG: dict[tuple[str, str], Policy] = {
    # Reads are the public shop window.
    ("GET", "/v1/shops"): public(),
    ("GET", "/v1/shops/{shop_id}"): public(),
    ("GET", "/v1/products/search"): public(),
    ("GET", "/v1/products/{product_id}"): public(),
    ("GET", "/v1/products/{product_id}/availability"): public(),
    # Writes: a shop its own goods (the shop named in the body, the path, or owning the product).
    ("POST", "/v1/shops"): _SHOP_WRITER,
    ("PATCH", "/v1/shops/{shop_id}"): _SHOP_WRITER,
    ("DELETE", "/v1/shops/{shop_id}"): _SHOP_WRITER,
    ("POST", "/v1/shops/{shop_id}/products"): _SHOP_WRITER,
    ("POST", "/v1/shops/{shop_id}/products/import"): _SHOP_WRITER,
    ("GET", "/v1/shops/{shop_id}/products.csv"): _SHOP_WRITER,
    ("PATCH", "/v1/products/{product_id}"): _SHOP_WRITER,
    ("POST", "/v1/products/{product_id}/stock"): _SHOP_WRITER,
    ("DELETE", "/v1/products/{product_id}"): _SHOP_WRITER,
}

ORDERS: dict[tuple[str, str], Policy] = {
    # A resident orders for themself (body resident_id); staff for any resident.
    ("POST", "/v1/orders"): roles(Role.RESIDENT, *STAFF, scopes=[Scope(Role.RESIDENT, OWN_RESIDENT, 403)]),
    # Another resident's order does not exist for a resident.
    ("GET", "/v1/orders/{order_id}"): roles(Role.RESIDENT, *STAFF, scopes=[Scope(Role.RESIDENT, OWN_RESIDENT, 404)]),
    ("GET", "/v1/orders"): roles(Role.RESIDENT, *STAFF, scopes=[Scope(Role.RESIDENT, OWN_RESIDENT, 403)]),
    ("GET", "/v1/me/orders"): roles(Role.RESIDENT),
    ("POST", "/v1/orders/{order_id}/cancel"): roles(Role.RESIDENT, *STAFF,
                                                     scopes=[Scope(Role.RESIDENT, OWN_RESIDENT, 404)]),
    # A rejected order taken again: by its resident, or staff for them.
    ("POST", "/v1/orders/{order_id}/alternative"): roles(Role.RESIDENT, *STAFF,
                                                          scopes=[Scope(Role.RESIDENT, OWN_RESIDENT, 404)]),
    ("GET", "/v1/shops/{shop_id}/packing-list"): roles(Role.SHOP, *STAFF, scopes=[Scope(Role.SHOP, OWN_SHOP, 403)]),
    # The bookable days are no secret, but the route is for signed-in callers.
    ("GET", "/v1/delivery-days"): signed_in(),
}

PICKUP: dict[tuple[str, str], Policy] = {
    ("POST", "/v1/pickup-points"): roles(*STAFF),
    ("PUT", "/v1/pickup-points/{pickup_point_id}"): roles(*STAFF),
    ("GET", "/v1/pickup-points/near"): signed_in(),
    ("GET", "/v1/pickup-points/{pickup_point_id}"): signed_in(),
    # A municipality sees the figures of points in its own area only.
    ("GET", "/v1/pickup-points/{pickup_point_id}/occupancy"): roles(
        Role.OPERATOR, Role.ADMIN, Role.DRIVER, Role.MUNICIPALITY, scopes=[Scope(Role.MUNICIPALITY, OWN_AREA, 403)]),
    # The code is what proves the resident; a shop hands out parcels only at the counter it hosts.
    ("POST", "/v1/pickup-points/{pickup_point_id}/collect"): roles(
        Role.RESIDENT, Role.SHOP, *STAFF, scopes=[Scope(Role.SHOP, HOST_SHOP, 403)]),
    # A driver only the parcels their dispatched tours carry.
    ("POST", "/v1/parcels/{order_id}/deposit"): roles(Role.DRIVER, *STAFF,
                                                       scopes=[Scope(Role.DRIVER, CARRYING_DRIVER, 403)]),
    ("GET", "/v1/parcels/{order_id}"): roles(Role.DRIVER, *STAFF, scopes=[Scope(Role.DRIVER, CARRYING_DRIVER, 403)]),
    # A new pick-up code (re-issue): the parcel's own resident, or staff.
    ("POST", "/v1/parcels/{order_id}/code"): roles(Role.RESIDENT, *STAFF,
                                                    scopes=[Scope(Role.RESIDENT, OWN_RESIDENT, 403)]),
}

_TOUR_DRIVER = roles(Role.DRIVER, *STAFF, scopes=[Scope(Role.DRIVER, TOUR_DRIVER, 404)])

DISPATCH: dict[tuple[str, str], Policy] = {
    ("POST", "/v1/tours"): roles(*STAFF),
    ("GET", "/v1/tours"): roles(*STAFF),
    # Another driver's tour does not exist for a driver.
    ("GET", "/v1/tours/{tour_id}"): _TOUR_DRIVER,
    ("GET", "/v1/tours/{tour_id}/sheet"): _TOUR_DRIVER,
    ("POST", "/v1/tours/{tour_id}/stops/{seq}/arrived"): _TOUR_DRIVER,
    ("POST", "/v1/tours/{tour_id}/stops/{seq}/collected"): _TOUR_DRIVER,
    ("POST", "/v1/tours/{tour_id}/stops/{seq}/delivered"): _TOUR_DRIVER,
    ("POST", "/v1/tours/{tour_id}/stops/{seq}/failed"): _TOUR_DRIVER,
    ("POST", "/v1/tours/{tour_id}/replan"): roles(*STAFF),
    # The caller's own tours (an empty list for whoever drives none), as the API documents.
    ("GET", "/v1/drivers/me/tours"): signed_in(),
}

HUB: dict[tuple[str, str], Policy] = {
    ("GET", "/v1/hub/stock"): roles(*STAFF),
    ("GET", "/v1/shipments"): roles(*STAFF),
    ("GET", "/v1/shipments/{shipment_id}"): roles(*STAFF),
}

ROUTING: dict[tuple[str, str], Policy] = {
    ("POST", "/v1/plans"): roles(*STAFF),
    ("GET", "/v1/plans"): roles(*STAFF),
    ("GET", "/v1/plans/{plan_id}"): roles(*STAFF),
}

NOTIFY: dict[tuple[str, str], Policy] = {
    # Everyone signed in keeps their own details (the token's subject, nobody else's).
    ("GET", "/v1/me/contact"): signed_in(),
    ("PUT", "/v1/me/contact"): signed_in(),
    ("DELETE", "/v1/me/contact"): signed_in(),
    # ... and reads the messages sent to them (their own inbox, never a sign-in code).
    ("GET", "/v1/me/messages"): signed_in(),
    # An assistant records them for someone (on the phone, at the counter).
    ("GET", "/v1/contacts"): roles(*STAFF),
    ("GET", "/v1/contacts/{recipient_id}"): roles(*STAFF),
    ("PUT", "/v1/contacts/{recipient_id}"): roles(*STAFF),
    ("DELETE", "/v1/contacts/{recipient_id}"): roles(*STAFF),
    # Residents sign in with a one-time code: a login form, so anyone (the web front calls them).
    ("POST", "/v1/sign-in/codes"): public(),
    ("POST", "/v1/sign-in/verify"): public(),
}

# The freight exchange: participants (freight_participant, shop, resident) act for themselves and see
# only their own trips, loads and the matches they are a side of (others' are 404); staff are the
# assistants who act for anyone (recorded). The matrix's resources belong to OWN's resident.
_FREIGHT_PARTICIPANTS = (Role.FREIGHT_PARTICIPANT, Role.SHOP, Role.RESIDENT, *STAFF)
_FREIGHT_OWN = roles(*_FREIGHT_PARTICIPANTS, scopes=[Scope(Role.RESIDENT, OWN_PARTICIPANT, 404)])
_FREIGHT_FOR_SELF = roles(*_FREIGHT_PARTICIPANTS, scopes=[Scope(Role.RESIDENT, OWN_PARTICIPANT, 403)])

FREIGHT: dict[tuple[str, str], Policy] = {
    ("POST", "/v1/freight/trips"): _FREIGHT_FOR_SELF,
    ("GET", "/v1/freight/trips/{trip_id}"): _FREIGHT_OWN,
    ("POST", "/v1/freight/trips/{trip_id}/withdraw"): _FREIGHT_OWN,
    ("POST", "/v1/freight/loads"): _FREIGHT_FOR_SELF,
    ("GET", "/v1/freight/loads/{load_id}"): _FREIGHT_OWN,
    ("POST", "/v1/freight/loads/{load_id}/withdraw"): _FREIGHT_OWN,
    ("GET", "/v1/freight/loads/{load_id}/slip"): _FREIGHT_OWN,
    ("GET", "/v1/freight/matches/{match_id}"): _FREIGHT_OWN,
    ("POST", "/v1/freight/matches/{match_id}/accept"): _FREIGHT_OWN,
    ("POST", "/v1/freight/matches/{match_id}/decline"): _FREIGHT_OWN,
    ("POST", "/v1/freight/matches/{match_id}/pickup"): _FREIGHT_OWN,
    ("POST", "/v1/freight/matches/{match_id}/deliver"): _FREIGHT_OWN,
    ("GET", "/v1/freight/mine"): _FREIGHT_FOR_SELF,
    # Pinned to the village notice board: every signed-in caller.
    ("GET", "/v1/freight/board"): signed_in(),
    ("GET", "/v1/freight/open"): signed_in(),
    # Hub mode weighs the hub's deliveries against people's trips: the hub's staff only.
    ("GET", "/v1/freight/hub-plans/{plan_id}"): roles(*STAFF),
}

# Supply insights: the catalogue and the open data are public (aggregates only); a municipality
# reads its own municipality in detail (another's is 403) and the district in aggregate; staff all.
_OWN_MUNICIPALITY = roles(Role.MUNICIPALITY, *STAFF, scopes=[Scope(Role.MUNICIPALITY, OWN_AREA, 403)])

INSIGHTS: dict[tuple[str, str], Policy] = {
    ("GET", "/v1/insights/kpis"): public(),
    ("GET", "/v1/insights/open-data"): public(),
    ("GET", "/v1/insights/municipalities/{municipality}"): _OWN_MUNICIPALITY,
    ("GET", "/v1/insights/municipalities/{municipality}/figures.csv"): _OWN_MUNICIPALITY,
    ("GET", "/v1/insights/municipalities/{municipality}/report"): _OWN_MUNICIPALITY,
    ("GET", "/v1/insights/district"): roles(Role.MUNICIPALITY, *STAFF),
    ("GET", "/v1/insights/shops/{shop_id}"): roles(Role.SHOP, *STAFF, scopes=[Scope(Role.SHOP, OWN_SHOP, 403)]),
    ("GET", "/v1/insights/municipalities/{municipality}/figures.geojson"): _OWN_MUNICIPALITY,
    ("GET", "/v1/insights/municipalities/{municipality}/kpis.ngsi-ld.json"): _OWN_MUNICIPALITY,
    ("GET", "/v1/insights/open-data.geojson"): public(),
    ("GET", "/v1/insights/open-data.ngsi-ld.json"): public(),
}

# Every service with an HTTP API (services/<name>/api.py).
POLICIES: dict[str, dict[tuple[str, str], Policy]] = {
    service: {**OPERATIONS, **routes}
    for service, routes in {"catalog": CATALOG, "orders": ORDERS, "pickup": PICKUP, "dispatch": DISPATCH,
                            "hub": HUB, "routing": ROUTING, "notify": NOTIFY, "freight": FREIGHT,
                            "insights": INSIGHTS}.items()
}
