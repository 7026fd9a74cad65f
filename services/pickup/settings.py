"""Settings of the pick-up service (environment variables PICKUP_*), besides the
shared ones of `nahnetz.kit.settings`.

| variable | meaning |
|---|---|
| PICKUP_APP_ID | the worker's consumer group ("nahnetz-pickup"; a new one re-reads every topic) |
| PICKUP_EXPIRY_DAYS | default hold days of a point registered without them (3) |
| PICKUP_EXPIRY_SECONDS | if set, every parcel expires this many seconds after deposit (tests, demos) |
| PICKUP_EXPIRY_SCAN_SECONDS | how often the worker looks for due parcels (30) |
| PICKUP_CODE_SECRET | key of the pick-up code hashes (required in prod, at least 32 characters) |
| PICKUP_CODE_KEY_ID | id of that key, recorded with each hash so keys can be rotated ("1") |
| PICKUP_MAX_FAILED_ATTEMPTS | wrong codes of the resident's side before the code locks; of anyone else before that caller is locked out of the parcel (5) |
| PICKUP_MAX_STRANGER_FAILURES | wrong codes of all other callers together before the code locks (20) |
| PICKUP_PARCEL_ATTEMPTS_PER_WINDOW | code attempts of one caller at one parcel per window (3) |
| PICKUP_CALLER_ATTEMPTS_PER_WINDOW | code attempts of one caller (token subject) per window (10) |
| PICKUP_ATTEMPT_WINDOW_SECONDS | the rate-limit window (60) |
| PICKUP_MAX_CODE_REISSUES | new codes a resident may ask for per parcel (3; operators are not limited) |
| PICKUP_OPERATOR_RECIPIENT | recipient id of operator alerts ("operator-desk") |
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from nahnetz.kit.service_settings import load_service_settings
from nahnetz.kit.settings import Settings, SettingsError

DEV_CODE_SECRET = "nahnetz-pickup-dev-code-secret-change-me"
MIN_CODE_SECRET_LENGTH = 32


class PickupSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PICKUP_", case_sensitive=False, extra="ignore")

    app_id: str = "nahnetz-pickup"
    expiry_days: int = Field(3, ge=1)
    expiry_seconds: int | None = Field(None, gt=0)
    expiry_scan_seconds: float = Field(30.0, gt=0)
    code_secret: str = DEV_CODE_SECRET
    code_key_id: str = "1"
    max_failed_attempts: int = Field(5, ge=1)
    max_stranger_failures: int = Field(20, ge=1)
    parcel_attempts_per_window: int = Field(3, ge=1)
    caller_attempts_per_window: int = Field(10, ge=1)
    max_code_reissues: int = Field(3, ge=0)
    attempt_window_seconds: int = Field(60, ge=1)
    operator_recipient: str = "operator-desk"

    @property
    def code_key(self) -> bytes:
        return self.code_secret.encode()


def load_pickup_settings(settings: Settings, **overrides) -> PickupSettings:
    """Read PICKUP_*; exit naming the problem, like `load_settings`."""
    pickup = load_service_settings(PickupSettings, **overrides)
    if settings.env == "prod" and (pickup.code_secret == DEV_CODE_SECRET
                                   or len(pickup.code_secret) < MIN_CODE_SECRET_LENGTH):
        raise SettingsError("nahnetz: PICKUP_CODE_SECRET must be set in production "
                            f"(at least {MIN_CODE_SECRET_LENGTH} characters)")
    return pickup
