"""Settings of the web front (environment variables WEB_*), besides the shared ones
of `nahnetz.kit.settings`.

| variable | meaning |
|---|---|
| WEB_COOKIE_SECURE | send the session cookie only over HTTPS (default: on in production, off otherwise) |
| WEB_SESSION_HOURS | a session ends this long after its last use (12) |
| WEB_TOKEN_SECONDS | lifetime of the token minted for each call to an API (120) |
| WEB_SIGN_IN_ATTEMPTS | failed sign-ins per caller (address and account) per window before 429 (5) |
| WEB_SIGN_IN_WINDOW_S | that window, seconds (900) |
| WEB_FIGURES_CACHE_S | how long the municipality's pages keep an insights answer, seconds (60; 0: never) |
| WEB_TILE_URL | a map tile URL template where one may be used (unset: the map draws only the region's own data) |
| WEB_TILE_ATTRIBUTION | the attribution the tile provider asks for |
| WEB_REGION | region pack the map and the village lists come from (NAHNETZ_REGION, else "kreis_hoexter") |
| NAHNETZ_URL_<SERVICE> | each API's base URL (set by `nahnetz up` for every process) |
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from nahnetz.kit.service_settings import load_service_settings
from nahnetz.kit.settings import Settings

# The APIs the pages use; each must be configured (NAHNETZ_URL_<SERVICE>).
BACKENDS = ("catalog", "orders", "pickup", "notify", "hub", "routing", "dispatch", "freight", "insights")


def _urls_from_environment() -> dict[str, str]:
    prefix = "NAHNETZ_URL_"
    return {name[len(prefix):].lower(): value.rstrip("/") for name, value in os.environ.items()
            if name.startswith(prefix) and value}


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WEB_", case_sensitive=False, extra="ignore")

    cookie_secure: bool | None = None
    session_hours: float = Field(12.0, gt=0, le=24 * 30)
    token_seconds: int = Field(120, ge=10, le=3600)
    sign_in_attempts: int = Field(5, ge=1, le=100)
    sign_in_window_s: int = Field(900, ge=10)
    figures_cache_s: float = Field(60.0, ge=0, le=3600)
    tile_url: str | None = None
    tile_attribution: str = ""
    region: str = Field(default_factory=lambda: os.environ.get("NAHNETZ_REGION") or "kreis_hoexter")
    services: dict[str, str] = Field(default_factory=_urls_from_environment)

    @field_validator("tile_url")
    @classmethod
    def _tiles_over_http(cls, value: str | None) -> str | None:
        if value and urlsplit(value.replace("{", "").replace("}", "")).scheme not in ("http", "https"):
            raise ValueError("a tile URL template starts with http:// or https://")
        return value or None

    def secure_cookies(self, settings: Settings) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else settings.env == "prod"

    @property
    def tile_origin(self) -> str | None:
        """The tile server's origin, for the Content-Security-Policy."""
        if not self.tile_url:
            return None
        parts = urlsplit(self.tile_url.replace("{s}", "a"))
        return f"{parts.scheme}://{parts.netloc.replace('{', '').replace('}', '')}"

    def missing_backends(self) -> list[str]:
        return [name for name in BACKENDS if name not in self.services]


def load_web_settings(settings: Settings | None = None, **overrides) -> WebSettings:
    """Read WEB_*; exit naming the problem, like `load_settings`."""
    return load_service_settings(WebSettings, **overrides)
