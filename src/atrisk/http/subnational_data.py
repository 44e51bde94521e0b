"""The latest sub-national forecast of a country, for its page, brief and API: read from the
run folders ``atrisk forecast subnational`` writes (kept in memory per run: runs never
change once written)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import shapely

from atrisk.domain.errors import NotFoundError
from atrisk.domain.reports import SubnationalRunMeta
from atrisk.panels.subnational import Level, history_for
from atrisk.settings import Settings
from atrisk.sources import geo


@dataclass(frozen=True)
class SubnationalView:
    """One run's places, most expected civilian deaths first: each unit's expected deaths
    over the outlook's months, the chance of at least 25, the last 12 months and (cells)
    where it is."""

    meta: SubnationalRunMeta
    places: pd.DataFrame


@dataclass(frozen=True)
class Places:
    """What a country page shows under "Where in the country": the latest cell and region
    runs (either may be missing), why there are none, and the map's spec."""

    cells: SubnationalView | None
    regions: SubnationalView | None
    why: str
    specs: dict[str, dict[str, Any]]


def outline(settings: Settings, iso3: str) -> dict[str, Any] | None:
    """The country's outline as GeoJSON (Natural Earth 1:50m, simplified to ~2 km for the
    page), or None where the map has no such country."""
    import pycountry

    found = pycountry.countries.get(alpha_3=iso3.upper())
    if found is None:
        return None
    if iso3 not in _OUTLINES:
        shape = geo.country_outline(geo.world_50m(settings), str(int(found.numeric)))
        _OUTLINES[iso3] = shapely.geometry.mapping(shape.simplify(0.02))
    return _OUTLINES[iso3]


_OUTLINES: dict[str, dict[str, Any]] = {}


def latest(settings: Settings, iso3: str, level: Level) -> SubnationalView:
    """The newest sub-national run of ``iso3`` at ``level``; NotFoundError says why there is
    none (no complete event history, or not run yet)."""
    iso3 = iso3.upper()
    runs = sorted((settings.build_dir / "forecasts").glob(f"subnational-{iso3}-{level}-*"))
    runs = [r for r in runs if (r / "run.json").is_file()]
    if not runs:
        history_for(iso3, settings)  # raises with the reason when there is no history
        raise NotFoundError(f"no sub-national forecast for {iso3} yet: run `atrisk forecast "
                            f"subnational --country {iso3} --level {level} --out ...`")
    return _read(runs[-1])


_KEPT: dict[Path, SubnationalView] = {}


def _read(run_dir: Path) -> SubnationalView:
    if run_dir not in _KEPT:
        meta = SubnationalRunMeta.model_validate_json((run_dir / "run.json").read_text())
        outlook = pd.read_parquet(run_dir / "outlook.parquet")
        units = pd.read_parquet(run_dir / "units.parquet")
        units["unit"] = units["unit"].astype(str)
        places = outlook.merge(units, on="unit", how="left")
        while len(_KEPT) >= 16:
            _KEPT.pop(next(iter(_KEPT)))
        _KEPT[run_dir] = SubnationalView(meta, places)
    return _KEPT[run_dir]
