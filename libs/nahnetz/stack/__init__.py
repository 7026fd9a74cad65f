"""The embedded stack: broker, Redis and every service as local processes."""
