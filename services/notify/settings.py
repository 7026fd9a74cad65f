"""Settings of the notify service (env prefix NOTIFY_); providers in handlers/providers.py.

| variable | default | meaning |
|---|---|---|
| NOTIFY_PROVIDERS | console,file | providers to use, comma-separated: console, file, sms, email |
| NOTIFY_FILE_PATH | $NAHNETZ_RUN_DIR/notify/messages.jsonl | the file sink (JSON lines) |
| NOTIFY_MANUAL_PATH | $NAHNETZ_RUN_DIR/notify/manual.jsonl | letters to post and calls to make, for assistants |
| NOTIFY_SMS_URL, NOTIFY_SMS_TOKEN, NOTIFY_SMS_SENDER | - | the SMS gateway (needed for `sms`) |
| NOTIFY_SMTP_HOST, NOTIFY_SMTP_PORT, NOTIFY_SMTP_FROM, NOTIFY_SMTP_USER, NOTIFY_SMTP_PASSWORD, NOTIFY_SMTP_STARTTLS | -, 587 | the mail server (needed for `email`) |
| NOTIFY_SEND_ATTEMPTS | 3 | attempts per provider when an error is retryable |
| NOTIFY_RETRY_DELAY_SECONDS | 0.5 | wait after the first failed attempt (doubles) |
| NOTIFY_APP_ID | nahnetz-notify | the worker's consumer group |
| NOTIFY_TRUSTED_PROXIES | - | the API: besides loopback, the proxies (IPs or CIDRs, comma-separated; e.g. the web front's network) whose X-Forwarded-For names the caller that sign-in's limits bind |
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

KNOWN_PROVIDERS = ("console", "file", "sms", "email")


def _run_dir() -> Path:
    return Path(os.environ.get("NAHNETZ_RUN_DIR", ".nahnetz"))


class NotifySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", case_sensitive=False, extra="ignore")

    providers: str = "console,file"
    file_path: Path = Field(default_factory=lambda: _run_dir() / "notify" / "messages.jsonl")
    manual_path: Path = Field(default_factory=lambda: _run_dir() / "notify" / "manual.jsonl")
    sms_url: str | None = None
    sms_token: str | None = None
    sms_sender: str = "Nahnetz"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_from: str = "nahnetz@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    send_attempts: int = Field(3, ge=1, le=10)
    retry_delay_seconds: float = Field(0.5, ge=0)
    app_id: str = "nahnetz-notify"
    trusted_proxies: str = ""

    @field_validator("providers")
    @classmethod
    def _known(cls, value: str) -> str:
        names = [n.strip().lower() for n in value.split(",") if n.strip()]
        unknown = sorted(set(names) - set(KNOWN_PROVIDERS))
        if unknown:
            raise ValueError(f"unknown provider(s) {unknown}; known: {', '.join(KNOWN_PROVIDERS)}")
        return ",".join(names)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in (p.strip() for p in value.split(",")):
            if part:
                try:
                    ipaddress.ip_network(part, strict=False)
                except ValueError:
                    raise ValueError(f"{part!r} is no IP address or network") from None
        return value

    @model_validator(mode="after")
    def _configured(self) -> "NotifySettings":
        if "sms" in self.provider_names and not self.sms_url:
            raise ValueError("NOTIFY_PROVIDERS has sms but NOTIFY_SMS_URL is not set")
        if "email" in self.provider_names and not self.smtp_host:
            raise ValueError("NOTIFY_PROVIDERS has email but NOTIFY_SMTP_HOST is not set")
        return self

    @property
    def provider_names(self) -> list[str]:
        return [n for n in self.providers.split(",") if n]
