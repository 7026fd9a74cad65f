"""Pure rules of the pick-up service: no Kafka, Redis, HTTP or Faust in here."""
