"""Settings from the environment, checked when a process starts.

Every process reads the same variables; a missing required one stops the
process at once with a message naming it, instead of failing on first use.

| variable | meaning |
|---|---|
| KAFKA_BOOTSTRAP | broker bootstrap servers, e.g. 127.0.0.1:9092 (required) |
| REDIS_URL | Redis URL, e.g. redis://127.0.0.1:6379/0 (required) |
| NAHNETZ_ENV | dev, test or prod (default dev) |
| NAHNETZ_SERVICE | the service's folder name (set by the launcher) |
| NAHNETZ_HTTP_HOST | address the API and a worker's health/metrics port listen on (default 127.0.0.1; 0.0.0.0 in a container) |
| NAHNETZ_HTTP_PORT | port of the API process |
| NAHNETZ_WORKER_PORT | port of the worker's health/metrics web server |
| NAHNETZ_JWT_SECRET | HMAC secret for bearer tokens (required in prod, at least 32 characters) |
| NAHNETZ_KAFKA_IDEMPOTENCE | idempotent producer on/off (Tansu lacks it: off by default) |
| NAHNETZ_LOG_LEVEL | debug, info, warning, error |
| NAHNETZ_CLOCK_FILE | a simulated clock's offset file (`nahnetz.clock`; dev and test only, refused in prod) |
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "nahnetz-dev-secret-change-me-in-production"
# HS256 wants a key of at least 256 bits (RFC 7518, 3.2).
MIN_JWT_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    kafka_bootstrap: str = Field(validation_alias="KAFKA_BOOTSTRAP")
    redis_url: str = Field(validation_alias="REDIS_URL")
    env: Literal["dev", "test", "prod"] = Field("dev", validation_alias="NAHNETZ_ENV")
    service: str = Field("nahnetz", validation_alias="NAHNETZ_SERVICE")
    http_host: str = Field("127.0.0.1", validation_alias="NAHNETZ_HTTP_HOST")
    http_port: int = Field(8000, validation_alias="NAHNETZ_HTTP_PORT")
    worker_port: int = Field(6066, validation_alias="NAHNETZ_WORKER_PORT")
    jwt_secret: str = Field(DEV_JWT_SECRET, validation_alias="NAHNETZ_JWT_SECRET")
    kafka_idempotence: bool = Field(False, validation_alias="NAHNETZ_KAFKA_IDEMPOTENCE")
    # How long a worker's fetch may wait on the broker when nothing is new; unset: the
    # worker's own choice (nahnetz.messaging.faust_app).
    kafka_fetch_wait_ms: int | None = Field(None, ge=1, le=1500, validation_alias="NAHNETZ_KAFKA_FETCH_WAIT_MS")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", validation_alias="NAHNETZ_LOG_LEVEL")
    clock_file: str | None = Field(None, validation_alias="NAHNETZ_CLOCK_FILE")

    @model_validator(mode="after")
    def _production_needs_a_real_secret(self) -> "Settings":
        if self.env == "prod" and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError("NAHNETZ_JWT_SECRET must be set in production")
        if self.env == "prod" and len(self.jwt_secret) < MIN_JWT_SECRET_LENGTH:
            raise ValueError(f"NAHNETZ_JWT_SECRET must have at least {MIN_JWT_SECRET_LENGTH} characters in production")
        if self.env == "prod" and self.clock_file:
            raise ValueError("NAHNETZ_CLOCK_FILE (a simulated clock) is for development and simulation, never production")
        return self

    @property
    def short_group_timeouts(self) -> bool:
        """Short consumer-group timeouts outside production (a group's first
        join takes about half the session timeout)."""
        return self.env != "prod"


class SettingsError(SystemExit):
    """Raised (and exits the process) when the environment is incomplete."""


def load_settings(**overrides) -> Settings:
    """Read the environment; exit with a clear message naming what is missing.

    The message is the SystemExit's argument, so an uncaught error prints it
    once to stderr and exits with status 1."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = [_problem(err) for err in exc.errors()]
        message = "nahnetz: the environment is incomplete or wrong:\n" + "\n".join(problems)
        raise SettingsError(message) from None


def _problem(err) -> str:
    where = ".".join(str(p) for p in err["loc"])
    if not where:  # a rule across variables; its message names them
        return "  " + str(err["msg"]).removeprefix("Value error, ")
    name = _ENV_NAMES.get(where, where)
    return f"  {name}: {'missing' if err['type'] == 'missing' else err['msg']}"


_ENV_NAMES = {
    name: (field.validation_alias or name).upper()
    for name, field in Settings.model_fields.items()
}
_ENV_NAMES.update({str(f.validation_alias): str(f.validation_alias) for f in Settings.model_fields.values()})
