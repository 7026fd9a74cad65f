"""Settings of the catalog service beyond the shared ones (env prefix CATALOG_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from nahnetz.kit.service_settings import load_service_settings


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
    return load_service_settings(CatalogSettings)
