"""Nahnetz shared library: event contracts, topics, messaging and the service kit."""
