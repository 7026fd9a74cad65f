"""The freight exchange's API: offer trips, post loads, answer proposals, hand loads over.

| method | path | roles (and on whose data) | answers |
|---|---|---|---|
| POST | /v1/freight/trips | participant (own), operator, admin (for anyone: assisted) | 202 (TripOffered, one per week of a weekly trip), 403, 409, 422 |
| GET | /v1/freight/trips/{id} | its participant, operator, admin | 200, 404 |
| POST | /v1/freight/trips/{id}/withdraw | its participant, operator, admin | 202 (TripWithdrawn), 404, 409 |
| POST | /v1/freight/loads | participant (own), operator, admin (for anyone: assisted) | 202 (LoadPosted; unmatchable shown with the reason), 403, 409, 422 |
| GET | /v1/freight/loads/{id} | its participant, operator, admin | 200, 404 |
| POST | /v1/freight/loads/{id}/withdraw | its participant, operator, admin | 202 (LoadWithdrawn), 404, 409 |
| GET | /v1/freight/loads/{id}/slip | its participant, its match's driver, operator, admin | 200 (A4 HTML; the code for sender and staff), 404 |
| GET | /v1/freight/matches/{id} | its two sides, operator, admin | 200, 404 |
| POST | /v1/freight/matches/{id}/accept, /decline | its two sides (each its own), operator, admin (naming the side) | 202 (MatchAccepted / MatchDeclined), 403, 404, 409, 422 |
| POST | /v1/freight/matches/{id}/pickup | its driver, operator, admin | 202 (LoadPickedUp), 403 wrong code, 404, 409, 429 |
| POST | /v1/freight/matches/{id}/deliver | its driver, operator, admin | 202 (LoadDelivered with proof), 403, 404, 409, 429 |
| GET | /v1/freight/mine | participant (own), operator, admin (naming one) | 200, 403, 422 |
| GET | /v1/freight/board?day= | any signed-in | 200 (A4 HTML, the week's open trips and loads) |
| GET | /v1/freight/open?day= | any signed-in | 200 (the same as data: the week's open trips and loads) |

Participants are the roles freight_participant, shop (as its shop) and resident.

    python -m services.freight.api
"""

from __future__ import annotations

from fastapi import FastAPI

from nahnetz.kit.api import create_api, serve
from nahnetz.kit.settings import Settings, load_settings

from .routes import board_router, hub_router, loads_router, matches_router, trips_router
from .settings import FreightSettings, load_freight_settings


def create_app(settings: Settings | None = None, freight: FreightSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    freight = freight or load_freight_settings(settings)
    app = create_api(settings, title="Nahnetz freight exchange",
                     routers=[trips_router(), loads_router(), matches_router(), board_router(), hub_router()], publishes=True,
                     description="Hybride Frachtbörse: trips with spare room, loads looking for a ride, "
                                 "proposals, hand-over with a code.")
    app.state.freight = freight
    return app


if __name__ == "__main__":
    serve(create_app)
