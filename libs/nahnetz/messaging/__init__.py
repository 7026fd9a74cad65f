"""Kafka messaging: topic administration, producing, Faust workers, idempotency, dead letters."""
