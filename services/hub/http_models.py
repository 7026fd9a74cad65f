"""What the hub API takes in, separate from the event records: the query
parameters of the shipment list (every answer is a read-model document)."""

from __future__ import annotations

from typing import Literal

# A shipment's status in the hub's books (WITHDRAWN: its order was cancelled before collection).
ShipmentStatus = Literal["REQUESTED", "COLLECTED", "AT_HUB", "DELIVERED", "WITHDRAWN"]
