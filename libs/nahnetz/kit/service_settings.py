"""A service's own settings (`<SERVICE>_*` variables), read the way `load_settings`
reads the shared ones: a wrong or missing value stops the process with a message
naming the variable."""

from __future__ import annotations

from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from .settings import SettingsError

S = TypeVar("S", bound=BaseSettings)


def load_service_settings(settings_class: type[S], **overrides) -> S:
    """Read `settings_class` from the environment; exit naming each problem with
    the class's prefix (`HUB_MAX_DAYS_IN_HUB: ...`)."""
    prefix = settings_class.model_config.get("env_prefix") or ""
    try:
        return settings_class(**overrides)
    except ValidationError as exc:
        problems = "\n".join(f"  {prefix}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"nahnetz: the environment is incomplete or wrong:\n{problems}") from None
