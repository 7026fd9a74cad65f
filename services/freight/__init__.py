"""The hybrid freight exchange (Ilzer Land's "Hybride Frachtbörse"): trips driven
anyway offer their spare room, loads look for a ride, and the matcher puts loads
on trips so no van runs empty.

This session's slice is the domain: offers (`domain/offers.py`), the route of one
trip carrying a few loads (`domain/routes.py`), the matching of many trips and
loads (`domain/matching.py`) and what a match saves (`domain/footprint.py`).
The API and the worker follow the service skeleton (CONTRIBUTING.md) next.
"""
