"""Settings of the orders service (env prefix ORDERS_), on top of the kit's Settings.

| variable | default | meaning |
|---|---|---|
| ORDERS_BOOKING_HORIZON_DAYS | 14 | how many days ahead a delivery day may be booked |
| ORDERS_CUTOFF | 18:00 | Europe/Berlin time after which tomorrow can no longer be booked |
| ORDERS_DELIVERY_FEE_CENTS | 250 | flat delivery fee per order (2.50 EUR), whatever the number of shops |
| ORDERS_LATEST_COLLECTION | 15:00 | the hub's latest collection time on the delivery day (as HUB_LATEST_COLLECTION) |
| ORDERS_MAX_DAYS_IN_HUB | 6 | how many days before the delivery day the hub may collect (as HUB_MAX_DAYS_IN_HUB) |
| ORDERS_SAGA_TIMEOUT_SECONDS | 30 | an order without a complete answer after this is rejected (TIMEOUT) |
| ORDERS_TIMEOUT_SCAN_SECONDS | 1 | how often the worker looks for overdue orders |
| ORDERS_APP_ID | nahnetz-orders | the worker's consumer group (a second stack on one broker needs its own) |
"""

from __future__ import annotations

from datetime import time

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .domain.booking import BookingRules


class OrdersSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ORDERS_", case_sensitive=False, extra="ignore")

    booking_horizon_days: int = Field(14, ge=1, le=90)
    cutoff: time = time(18, 0)
    delivery_fee_cents: int = Field(250, ge=0)
    # Must agree with the hub's: a day is bookable only if the hub can collect the goods for it.
    latest_collection: time = time(15, 0)
    max_days_in_hub: int = Field(6, ge=0, le=13)
    saga_timeout_seconds: float = Field(30.0, gt=0)
    timeout_scan_seconds: float = Field(1.0, gt=0)
    app_id: str = "nahnetz-orders"

    def booking_rules(self) -> BookingRules:
        return BookingRules(horizon_days=self.booking_horizon_days, cutoff=self.cutoff,
                            delivery_fee_cents=self.delivery_fee_cents, latest_collection=self.latest_collection,
                            max_days_in_hub=self.max_days_in_hub)
