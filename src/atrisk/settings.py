"""Runtime settings, read once from the environment (``ATRISK_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from atrisk.domain.errors import ConfigError

#: The development secret; ``check_production`` refuses it.
DEFAULT_SECRET = "atrisk-development-secret-not-for-production"


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

    secret_key: str = Field(
        default=DEFAULT_SECRET,
        description="Signs session cookies; a production start refuses the default.",
    )
    environment: Literal["development", "production"] = Field(
        default="development",
        description="`production` refuses default secrets and sends cookies over HTTPS only.",
    )
    public_forecasts: bool = Field(
        default=True,
        description="Published forecasts readable without signing in (else viewers and up).",
    )

    smtp_host: str | None = Field(default=None,
                                  description="SMTP server for alert e-mails (none: no e-mail).")
    smtp_port: int = Field(default=25, description="SMTP port.")
    smtp_from: str = Field(default="atrisk@localhost", description="Sender of alert e-mails.")
    smtp_user: str | None = Field(default=None, description="SMTP login, if the server needs one.")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(default=False, description="Upgrade SMTP with STARTTLS.")

    webhook_allowed_networks: str = Field(
        default="",
        description="Addresses or networks (comma-separated, CIDR) alert webhooks may reach "
                    "although not public, e.g. an on-premises receiver; default none.",
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

    @property
    def fits_dir(self) -> Path:
        """Fitted models kept between runs, under the hash of what they were fitted on."""
        return self.build_dir / "cache" / "fits"

    @field_validator("mirror", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``ATRISK_MIRROR=`` (empty) means no mirror, not the current folder."""
        return None if isinstance(value, str) and not value.strip() else value

    def check_production(self) -> None:
        """A production start must not run on defaults anyone can read in the source."""
        if self.environment != "production":
            return
        if self.secret_key == DEFAULT_SECRET or len(self.secret_key) < 32:
            raise ConfigError("ATRISK_SECRET_KEY must be set to a random value of at least 32 "
                              "characters in production (e.g. `python -c \"import secrets; "
                              "print(secrets.token_urlsafe(48))\"`)")
        if self.database_url and ":atrisk@" in self.database_url:
            raise ConfigError("ATRISK_DATABASE_URL uses the test password 'atrisk': set a "
                              "real one in production")


def get_settings() -> Settings:
    return Settings()
