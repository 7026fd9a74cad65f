"""HTTP request models of the dispatch API, separate from the event records and
converted at the edge."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field

from nahnetz.kit.request_model import RequestModel

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
FailureReason = Literal["SHOP_CLOSED", "DAMAGED", "NOT_FOUND", "NO_ACCESS", "COMPARTMENT_UNAVAILABLE", "OTHER"]
# The ways an operator learns what happened on the road; the driver's own app is APP.
OperatorChannel = Literal["PAPER", "PHONE"]



class DispatchTourIn(RequestModel):
    plan_id: str = Field(pattern=ID_PATTERN)
    vehicle_id: str = Field(pattern=ID_PATTERN)
    driver_id: str = Field(pattern=ID_PATTERN)


class PositionIn(RequestModel):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ProofIn(RequestModel):
    scanned_code: str | None = Field(None, min_length=1, max_length=200,
                                     description="The parcel or compartment label scanned (never a pick-up PIN).")
    photo_ref: str | None = Field(None, min_length=1, max_length=300, description="Key of the photo in the object store.")
    signature_name: str | None = Field(None, min_length=1, max_length=120)
    position: PositionIn | None = None

    def as_record(self) -> dict[str, Any]:
        return {"scanned_code": self.scanned_code, "photo_ref": self.photo_ref,
                "signature_name": self.signature_name,
                "position": self.position.model_dump() if self.position else None}


class StopReportIn(RequestModel):
    """What every report may carry. `at` and `channel` are for an operator entering
    a driver's paper sheet (or a call) afterwards: when it happened, and how it reached us."""

    at: AwareDatetime | None = Field(None, description="When it happened (operator entries only).")
    channel: OperatorChannel | None = Field(None, description="PAPER (default) or PHONE (operator entries only).")
    proof: ProofIn | None = None

    def params(self) -> dict[str, Any]:
        return {}


class ArrivedIn(StopReportIn):
    odometer_km: float | None = Field(None, ge=0, le=10_000_000)

    def params(self) -> dict[str, Any]:
        return {"odometer_km": self.odometer_km}


class CollectedIn(StopReportIn):
    pass


class DeliveredIn(StopReportIn):
    compartment_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None, min_length=1, max_length=50,
        description="Compartments the goods went into; default: the ones reserved for the orders.")

    def params(self) -> dict[str, Any]:
        return {"compartment_ids": list(self.compartment_ids) if self.compartment_ids else None}


class FailedIn(StopReportIn):
    reason: FailureReason
    note: str | None = Field(None, max_length=500)

    def params(self) -> dict[str, Any]:
        return {"reason": self.reason, "note": self.note}


class ReplanIn(RequestModel):
    time_budget_s: int | None = Field(None, ge=1, le=300)
    reason: str | None = Field(None, max_length=300)


def reported_at(value: datetime | None) -> datetime | None:
    return value.replace(microsecond=value.microsecond // 1000 * 1000) if value else None
