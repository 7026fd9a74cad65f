"""A deposited parcel as the service keeps it: the hash `pickup:parcel:<order_id>`.

Its fields are strings (Redis keeps nothing else): the deadline in milliseconds,
so the due index and the hash agree to the millisecond; the code hashes and their
salt (the deposit's event id), never the codes themselves.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Mapping

from nahnetz.events import Actor
from nahnetz.kit.roles import STAFF_ROLES, Role
from nahnetz.records import ParcelDeposited, PickupCodeReissued

from .collection import DEPOSITED, ParcelState

FAILED_BY = "failed_by:"  # field prefix: one caller's wrong codes at this parcel
# What ends with a new code: the lock, its announcement, and every count of wrong codes.
_LOCK_FIELDS = ("lock_event_id", "lock_published", "locked_at_ms")
_STAFF = frozenset(role.event_role for role in STAFF_ROLES)


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
                       from_ms(record["expires_at_ms"]), int(record.get("stranger_failures", 0)))


def failed_by(caller_id: str) -> str:
    return f"{FAILED_BY}{caller_id}"


def caller_failures(record: Mapping[str, str], caller_id: str) -> int:
    return int(record.get(failed_by(caller_id), 0))


def is_staff(who: Actor) -> bool:
    return who.role in _STAFF


def is_holder(record: Mapping[str, str], who: Actor, staff_id: str | None) -> bool:
    """The parcel's own resident, or staff handing it over for them: their wrong codes
    count against the code itself; everyone else's only against themselves."""
    if staff_id or is_staff(who):
        return True
    resident = record.get("resident_id")
    return bool(resident) and who.role == Role.RESIDENT.event_role and who.user_id == resident


def took_reissue(record: Mapping[str, str], reissue_id: str) -> bool:
    """Whether the parcel has had the code of this reissue, current or since replaced.
    The API writes a new code at once and the worker projects the same event later:
    a projection of an older code, arriving after a newer one, must not bring it back."""
    return record.get("salt") == reissue_id or reissue_id in json.loads(record.get("reissue_ids", "[]"))


def after_reissue(record: Mapping[str, str], reissued: PickupCodeReissued) -> tuple[dict[str, str], list[str]]:
    """(fields to set, fields to delete) once the parcel has the new code of `reissued`:
    the old code stops opening, the lock and every count of wrong codes end."""
    taken = json.loads(record.get("reissue_ids", "[]")) + [reissued.event_id]
    changes = {"code_hash": reissued.code_hash, "qr_hash": reissued.qr_hash, "salt": reissued.event_id,
               "hash_key_id": reissued.hash_key_id, "failed_attempts": "0", "stranger_failures": "0",
               "locked": "0", "reissues": str(int(record.get("reissues", 0)) + 1), "reissue_ids": json.dumps(taken)}
    if reissued.cleared_lock_event_id:
        cleared = json.loads(record.get("cleared_locks", "[]")) + [reissued.cleared_lock_event_id]
        changes["cleared_locks"] = json.dumps(cleared)
    stale = [f for f in record if f.startswith(FAILED_BY) or f in _LOCK_FIELDS]
    return changes, stale


def lock_was_cleared(record: Mapping[str, str], lock_event_id: str) -> bool:
    """Whether a new code ended this lock already (its event may arrive after the new code)."""
    return lock_event_id in json.loads(record.get("cleared_locks", "[]"))
