"""The notify domain: templates (German with English) and the message to send.
Pure: no Kafka, Redis or HTTP; requests come in as the typed NotificationRequested."""
