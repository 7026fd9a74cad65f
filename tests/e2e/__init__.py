"""Whole flows across services through HTTP and Kafka, against the real embedded stack
(a package, so the stack lives only as long as these tests: fixtures of package scope)."""
