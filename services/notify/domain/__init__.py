"""The notify domain: templates (German with English), the message to send, how each
person wants to be told (contacts.py), and sign-in with a one-time code (sign_in.py).
Pure: no Kafka, Redis or HTTP; requests come in as the typed NotificationRequested."""
