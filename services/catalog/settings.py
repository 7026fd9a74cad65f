"""Settings of the catalog service beyond the shared ones (env prefix CATALOG_)."""

from __future__ import annotations

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from nahnetz.kit.settings import SettingsError


class CatalogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", case_sensitive=False, extra="ignore")

    # CATALOG_APP_ID: the worker's consumer group (a new one re-reads every topic from the
    # start; tests run their own worker in a group of their own), as <SERVICE>_APP_ID everywhere.
    app_id: str = Field("nahnetz-catalog")
    # How long the worker remembers the products of an order (to release them):
    # longer than an order lives from placement to collection or expiry.
    order_products_ttl_days: int = Field(60, ge=1)
    import_max_rows: int = Field(5000, ge=1)
    import_max_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    search_max_results: int = Field(100, ge=1)
    search_max_radius_km: float = Field(100.0, gt=0)


def load_catalog_settings() -> CatalogSettings:
    """Read CATALOG_* from the environment; exit naming what is wrong, as load_settings does."""
    try:
        return CatalogSettings()
    except ValidationError as exc:
        problems = [f"  CATALOG_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()]
        raise SettingsError("nahnetz: the catalog's environment is wrong:\n" + "\n".join(problems)) from None
