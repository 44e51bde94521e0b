"""Shared fixtures: the real data mirror beside the checkout, and isolated build folders."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from atrisk.settings import Settings

MIRROR = Path(os.environ.get("ATRISK_MIRROR", Path(__file__).parents[2] / "shared" / "data"))


@pytest.fixture(scope="session")
def mirror() -> Path:
    if not (MIRROR / "MANIFEST.tsv").is_file():
        pytest.fail(f"the data mirror is missing at {MIRROR}; set ATRISK_MIRROR")
    return MIRROR


@pytest.fixture
def settings(mirror: Path, tmp_path: Path) -> Settings:
    return Settings(mirror=mirror, build_dir=tmp_path / "build", cache_dir=tmp_path / "cache")


@pytest.fixture(scope="session")
def built(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One real data build shared by the tests that only read it."""
    from atrisk.panels.build import build

    settings = Settings(mirror=mirror, build_dir=tmp_path_factory.mktemp("build"))
    build(settings)
    return settings


@pytest.fixture(scope="session")
def panel(built: Settings) -> pd.DataFrame:
    from atrisk.panels.build import read_table

    return read_table(built, "panel")


@pytest.fixture(scope="session")
def forecasts(built: Settings, tmp_path_factory) -> dict[str, object]:
    """A real (fast) structural and monthly forecast from the shared build."""
    from atrisk.forecasting.monthly import forecast_monthly
    from atrisk.forecasting.structural import forecast
    from atrisk.panels.build import read_table

    structural = forecast(built, 2025, model="simple", bootstrap=0)
    monthly = forecast_monthly(built, "2023-12", tmp_path_factory.mktemp("m") / "d.parquet",
                               model="conflictology_country12")
    return {"countries": read_table(built, "countries"), "structural": structural,
            "monthly": monthly}
