"""The notify service: tells people what they must hear about.

Entry point: `worker.py` (Faust) on notify.requests.
- domain/templates.py  the templates, German with English
- domain/messages.py   the message to send; letters and calls go to the manual list
- providers.py         the Notifier interface: console, file, manual list, SMS gateway, SMTP
- delivery.py          render, route, send with retries, NotificationSent / NotificationFailed
- handlers.py          once per notification id (processed marker), skipping our own events
- config.py            NOTIFY_* settings
Redis: only the processed markers `nahnetz:processed:notify.deliver:<notification_id>`.
Tests: tests/unit/test_notify_*.py, tests/integration/test_notify*.py.
"""
