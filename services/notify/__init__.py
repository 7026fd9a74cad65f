"""The notify service: tells people what they must hear about.

Entry points: `worker.py` (Faust) on notify.requests, and `rebuild.py`
(`python -m services.notify.rebuild --yes`: clear its markers). No API.
- domain/templates.py     the templates, German with English
- domain/messages.py      the message to send; letters and calls go to the manual list
- handlers/requests.py    once per notification id (the kit's Outbox), skipping our own events
- handlers/delivery.py    render, route, send with retries, NotificationSent / NotificationFailed
- handlers/providers.py   the Notifier interface: console, file, manual list, SMS gateway, SMTP
- keys.py                 its Redis keys: only the processed markers
- settings.py             NOTIFY_* settings
Topics: owns notify.requests (reads NotificationRequested, writes NotificationSent
and NotificationFailed there). Tests: tests/unit/test_notify_*.py,
tests/integration/test_notify_worker.py.
"""
