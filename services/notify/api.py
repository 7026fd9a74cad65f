"""The notify API: how each person wants to be told things (with consent).

| method | path | roles | answers |
|---|---|---|---|
| GET, PUT, DELETE | /v1/me/contact | anyone signed in, for themself | 200 / 202; 404 none (yet) |
| GET, PUT, DELETE | /v1/contacts/{recipient_id} | operator, admin (recorded as on_behalf_of) | 200 / 202; 404 |

Writes are ContactDetailsSet / ContactDetailsErased on notify.contacts; the notify
worker projects them and routes every message by them (domain/contacts.py).

    python -m services.notify.api
"""

from __future__ import annotations

from fastapi import FastAPI

from nahnetz.kit.api import create_api, serve
from nahnetz.kit.settings import Settings, load_settings

from .routes import contacts_router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    return create_api(settings, title="Nahnetz notify", routers=[contacts_router()], publishes=True,
                      description="Contact details: the channel, language and address each person chose.")


if __name__ == "__main__":
    serve(create_app)
