"""The notify API: how each person wants to be told things (with consent), and what they were told.

| method | path | roles | answers |
|---|---|---|---|
| GET, PUT, DELETE | /v1/me/contact | anyone signed in, for themself | 200 / 202; 404 none (yet) |
| GET | /v1/me/messages?limit=20 | anyone signed in, their own | 200 {messages: [...]}, newest first (limit 1-50) |
| GET | /v1/contacts?address= | operator, admin | 200 the details whose phone number or e-mail address this is; 404; 422 neither |
| GET, PUT, DELETE | /v1/contacts/{recipient_id} | operator, admin (recorded as on_behalf_of) | 200 / 202; 404 |
| POST | /v1/sign-in/codes | anyone (public; the web front, with X-Forwarded-For) | 202 {sent_to, expires_in_s}; 422 no address; 429 |
| POST | /v1/sign-in/verify | anyone (public; the web front, with X-Forwarded-For) | 200 {resident_id, name, new}; 422 wrong code or address; 429 |

Writes are ContactDetailsSet / ContactDetailsErased on notify.contacts; the notify
worker projects them and routes every message by them (domain/contacts.py).
Sign-in (sign_in_routes.py): a one-time code to a resident's phone or e-mail, sent
as a NotificationRequested through the worker like every message; its check names
the resident whose details have that address, or makes a new one (ContactDetailsSet).
Inbox (inbox_routes.py): the messages the worker sent a person (the last 50 of 30
days, never a sign-in code), each with its params, e.g. a parcel's PIN and QR payload.

    python -m services.notify.api
"""

from __future__ import annotations

from fastapi import FastAPI

from nahnetz.kit.api import create_api, serve
from nahnetz.kit.service_settings import load_service_settings
from nahnetz.kit.settings import Settings, load_settings

from .inbox_routes import inbox_router
from .routes import contacts_router
from .settings import NotifySettings
from .sign_in_routes import sign_in_router


def create_app(settings: Settings | None = None, notify: NotifySettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    notify = notify or load_service_settings(NotifySettings)
    app = create_api(settings, title="Nahnetz notify", routers=[contacts_router(), inbox_router(), sign_in_router()],
                     publishes=True, description="Contact details: the channel, language and address each "
                     "person chose; residents' sign-in with a one-time code; each person's messages.")
    app.state.notify = notify
    return app


if __name__ == "__main__":
    serve(create_app)
