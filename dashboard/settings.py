"""The one settings class: DATABASE_URL and the DASHBOARD_* environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = PROJECT_ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DASHBOARD_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_DATA_DIR / 'dashboard.db'}",
        validation_alias=AliasChoices("DATABASE_URL", "DASHBOARD_DATABASE_URL"),
        description="SQLAlchemy URL; the default is a SQLite file under ./var/.",
    )
    database_read_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_READ_URL", "DASHBOARD_DATABASE_READ_URL"),
        description="Optional SQLAlchemy URL of a read replica for the pages' cached reads; writes, sign-in and the "
                    "data version check always use DATABASE_URL.",
    )
    language: Literal["zh", "en"] = Field(default="zh", description="Interface language at first visit.")
    auto_seed: bool = Field(
        default=True, description="Load the demo data when the app starts on an empty database."
    )
    cache_ttl_seconds: int = Field(default=300, ge=1, description="How long pages cache query results.")
    data_version_check: bool = Field(
        default=True, description="Check the data version on each rerun and drop stale cached results (a write by "
        "another app server, the command line or SQL shows at the next rerun).")
    min_cell_size: int = Field(default=5, ge=1, description="In meeting mode, hide aggregates over fewer people.")
    session_idle_minutes: int = Field(default=30, ge=1, description="Sign a session out after this many idle minutes.")
    login_free_attempts: int = Field(
        default=5, ge=1, description="Failed logins in a row before each further try must wait longer.")
    login_window_minutes: int = Field(default=15, ge=1, description="Failed logins older than this are forgotten.")
    login_max_delay_seconds: int = Field(default=300, ge=1, description="The longest wait between two tries.")
    demo_login: bool = Field(
        default=True, description="Until a real admin exists, open the dashboard as the read-only demo account.")
    oidc: bool = Field(
        default=False, description="Offer sign-in through the identity provider configured for st.login.")
    max_upload_mb: int = Field(default=50, ge=1, description="The largest spreadsheet an import accepts, in MB.")


@lru_cache
def get_settings() -> Settings:
    return Settings()
