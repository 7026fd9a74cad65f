"""The notify worker's handlers.

| module | what |
|---|---|
| requests | handle_request: notify.requests -> one message and its NotificationSent or |
| | NotificationFailed, once per notification id (the kit's Outbox) |
| delivery | render, route to providers (Dispatcher), send with retries, the result event |
| providers | the Notifier interface; console, file, manual list, SMS gateway, SMTP |
"""
