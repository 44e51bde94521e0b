"""Runtime settings, read once from the environment (``ATRISK_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where data come from and where builds go.

    ``mirror`` is a local folder laid out like the official sources (``../shared/data`` here);
    when it is unset, sources are downloaded from their official URLs into ``cache_dir``.
    """

    model_config = SettingsConfigDict(env_prefix="ATRISK_", extra="ignore")

    mirror: Path | None = Field(default=None, description="Local mirror of the public datasets.")
    build_dir: Path = Field(default=Path("build"), description="Where builds and runs are written.")
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "atrisk", description="Download cache without a mirror."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the application store (default: SQLite in build_dir).",
    )

    vendor_dir: Path = Field(
        default=Path(__file__).resolve().parents[2] / "node_modules",
        description="npm packages the dashboard serves itself (installed by `make install`).",
    )

    @property
    def database(self) -> str:
        """The store's URL: ``ATRISK_DATABASE_URL`` or a SQLite file beside the builds."""
        return self.database_url or f"sqlite:///{(self.build_dir / 'atrisk.db').resolve()}"

    @property
    def data_dir(self) -> Path:
        """The current good data build (swapped in atomically)."""
        return self.build_dir / "data"


def get_settings() -> Settings:
    return Settings()
