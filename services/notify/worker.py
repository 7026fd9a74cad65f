"""The notify worker: `python -m services.notify.worker`.

Consumes notify.requests: each NotificationRequested is rendered (German or
English, templates in domain/templates.py) and sent through the configured
providers (NOTIFY_PROVIDERS, see settings.py and handlers/providers.py); letters
and phone calls go to the assistants' manual list. Publishes NotificationSent or
NotificationFailed to notify.requests, once per notification id
(handlers/requests.py).
"""

from __future__ import annotations

from nahnetz.kit.settings import Settings, load_settings
from nahnetz.messaging.faust_app import WorkerApp, create_worker_app, run_worker
from nahnetz.records import (ContactDetailsErased, ContactDetailsSet, NotificationFailed, NotificationRequested,
                             NotificationSent)
from nahnetz.topics import NOTIFY_CONTACTS, NOTIFY_REQUESTS

from .handlers.contacts import project_contact
from .handlers.delivery import Dispatcher
from .handlers.requests import handle_request
from .settings import NotifySettings


def build_app(settings: Settings | None = None, notify_settings: NotifySettings | None = None) -> WorkerApp:
    settings = settings or load_settings()
    config = notify_settings or NotifySettings()
    app = create_worker_app("notify", settings, app_id=config.app_id)
    dispatcher = Dispatcher.from_settings(config)  # opens nothing until the first send

    @app.event_agent(NOTIFY_REQUESTS)
    async def deliver(event: NotificationRequested | NotificationSent | NotificationFailed) -> None:
        await handle_request(event, app.redis, app.event_producer, dispatcher,
                             attempts=config.send_attempts, first_delay=config.retry_delay_seconds)

    @app.event_agent(NOTIFY_CONTACTS)
    async def remember_contact(event: ContactDetailsSet | ContactDetailsErased) -> None:
        await project_contact(event, app.redis)

    return app


if __name__ == "__main__":
    run_worker(build_app())
