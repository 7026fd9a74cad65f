"""A deposited parcel as the service keeps it: the hash `pickup:parcel:<order_id>`.

Its fields are strings (Redis keeps nothing else): the deadline in milliseconds,
so the due index and the hash agree to the millisecond; the code hashes and their
salt (the deposit's event id), never the codes themselves.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Mapping

from nahnetz.records import ParcelDeposited

from .collection import DEPOSITED, ParcelState


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(ms: str | int) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, tz=timezone.utc)


def parcel_record(deposited: ParcelDeposited, *, resident_id: str, delivery_day: str) -> dict[str, str]:
    """The parcel's hash as a ParcelDeposited event describes it."""
    return {
        "order_id": deposited.order_id, "pickup_point_id": deposited.pickup_point_id,
        "compartment_ids": json.dumps(list(deposited.compartment_ids)), "status": DEPOSITED,
        "code_hash": deposited.code_hash, "qr_hash": deposited.qr_hash, "salt": deposited.event_id,
        "hash_key_id": deposited.hash_key_id, "deposited_by": deposited.deposited_by,
        "deposited_at": deposited.meta.occurred_at.isoformat(),
        "expires_at_ms": str(to_ms(deposited.expires_at)), "failed_attempts": "0", "locked": "0",
        "deposit_event_id": deposited.event_id, "correlation_id": deposited.correlation_id,
        "resident_id": resident_id, "delivery_day": delivery_day,
    }


def compartments_of(record: Mapping[str, str]) -> list[str]:
    return json.loads(record["compartment_ids"])


def state_of(record: Mapping[str, str]) -> ParcelState:
    """What a collection decides on."""
    return ParcelState(record["status"], int(record.get("failed_attempts", 0)), record.get("locked") == "1",
                       from_ms(record["expires_at_ms"]))
