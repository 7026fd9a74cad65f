"""Routing service: plans collection and distribution tours for the logistics hub."""
