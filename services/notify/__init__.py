"""The notify service: tells people what they must hear about.

Entry points: `worker.py` (Faust) on notify.requests, and `rebuild.py`
(`python -m services.notify.rebuild --yes`: clear its markers), and `api.py`
(contact details, residents' sign-in with a one-time code, and each person's
inbox: GET /v1/me/messages).
- domain/templates.py     the templates, German with English
- domain/messages.py      the message to send; letters and calls go to the manual list
- handlers/requests.py    once per notification id (the kit's Outbox), skipping our own events
- handlers/delivery.py    render, route, send with retries, NotificationSent / NotificationFailed
- handlers/providers.py   the Notifier interface: console, file, manual list, SMS gateway, SMTP
- domain/sign_in.py, handlers/sign_in.py, sign_in_routes.py
                          residents' sign-in with a one-time code (POST /v1/sign-in/codes, /verify)
- domain/inbox.py, handlers/inbox.py, inbox_routes.py
                          each person's messages kept to read again (never a sign-in code)
- keys.py                 its Redis keys: markers, contacts, the address index, inboxes, sign-in codes and limits
- settings.py             NOTIFY_* settings
Topics: owns notify.requests (reads NotificationRequested, writes NotificationSent
and NotificationFailed there; its API writes sign-in codes' NotificationRequested)
and notify.contacts (ContactDetailsSet / ContactDetailsErased, from its API).
Tests: tests/unit/test_notify_*.py, tests/integration/test_notify_worker.py,
tests/integration/test_notify_sign_in.py, tests/integration/test_notify_inbox.py.
"""
