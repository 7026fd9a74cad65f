"""The order body of the service-kit tests' `POST /orders` (unit and integration):
nested enough for a validation error to name its field path (`lines.0.quantity`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Line(BaseModel):
    product_id: str
    quantity: int = Field(gt=0)


class PlaceOrder(BaseModel):
    pickup_point_id: str
    lines: list[Line] = Field(min_length=1)
