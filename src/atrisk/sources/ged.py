"""UCDP Georeferenced Event Dataset (GED): one row per event of organized violence.

Sundberg, R. & Melander, E. (2013). Introducing the UCDP Georeferenced Event Dataset. Journal
of Peace Research 50(4). Licence CC BY 4.0. Reads the real 49-column release format from CSV,
gzip, zip or GeoJSON, validates it, and aggregates it to country-months.

Uncertainty bounds: real releases contain thousands of rows where ``low <= best <= high`` does
not hold. ``best`` is UCDP's estimate and the only value our targets use, so such rows are
kept; their bounds are widened to include ``best`` (``low = min(low, best)``,
``high = max(high, best)``) and the number repaired is reported.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from atrisk.domain.errors import SourceError
from atrisk.settings import Settings
from atrisk.sources.base import Schema, Source, locate, validate

log = logging.getLogger(__name__)

_CITE = ("Sundberg & Melander (2013), JPR 50(4); Davies, Pettersson & Oberg (2025), "
         "Organized violence 1989-2024, JPR 62(4)")


def _src(name: str, path: str, url: str, version: str) -> Source:
    return Source(name=name, path=path, url=url, version=version, licence="CC BY 4.0",
                  citation=_CITE, producer="Uppsala Conflict Data Program")


#: The full release (not in the offline mirror; downloaded from UCDP when no mirror is set).
GED_FULL = _src("ged", "conflict/ucdp/events/ged251-csv.zip",
                "https://ucdp.uu.se/downloads/ged/ged251-csv.zip", "25.1")
GED_SAMPLE = _src("ged_sample", "conflict/ucdp/events/ged231_sample1000.csv",
                  "https://ucdp.uu.se/downloads/ged/ged231-csv.zip", "23.1 (1,000-event sample)")
GED_CAR = _src("ged_car", "conflict/ucdp/events/GEDEvent_v23_1_CAR482.geojson",
               "https://ucdp.uu.se/downloads/ged/ged231-csv.zip",
               "23.1 (Central African Republic)")

COLUMNS: tuple[str, ...] = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence",
    "conflict_dset_id", "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id",
    "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id",
    "side_b_new_id", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt",
    "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec",
    "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown",
    "best", "high", "low", "gwnoa", "gwnob",
)
_COUNTS = ("deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown", "best", "high", "low")
SCHEMA = Schema(
    columns={"id": "int", "type_of_violence": "int", "country_id": "int", "latitude": "float",
             "longitude": "float", "where_prec": "int", "date_prec": "int",
             **{c: "int" for c in _COUNTS}},
    key=("id",),
    ranges={"type_of_violence": (1, 3), "latitude": (-90, 90), "longitude": (-180, 180),
            "country_id": (2, 999), **{c: (0, 1e6) for c in _COUNTS}},
)


@dataclass(frozen=True)
class Events:
    """Validated GED events and what validation had to repair."""

    table: pd.DataFrame
    bounds_repaired: int


def read_events(path: Path) -> Events:
    """Read and validate GED events from a .csv, .csv.gz, .zip or .geojson file."""
    name = str(path)
    try:
        raw = _read_raw(path)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise SourceError(name, f"not a readable GED file ({type(exc).__name__}: {exc})") from exc
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise SourceError(name, f"missing GED column(s) {missing} (expected the 49-column "
                          "release format)")
    frame = validate(raw, SCHEMA, name)
    for col in ("date_start", "date_end"):
        frame[col] = _dates(raw[col], col, name)
    backwards = frame["date_end"] < frame["date_start"]
    if backwards.any():
        i = int(np.flatnonzero(backwards.to_numpy())[0])
        raise SourceError(name, f"line {i + 2}: date_end is before date_start")
    wrong = (frame["low"] > frame["best"]) | (frame["best"] > frame["high"])
    repaired = int(wrong.sum())
    if repaired:
        log.info("%s: widened low/high to include best on %d event(s)", name, repaired)
        frame["low"] = np.minimum(frame["low"], frame["best"])
        frame["high"] = np.maximum(frame["high"], frame["best"])
    return Events(frame, repaired)


def events(source: Source, settings: Settings | None = None) -> Events:
    """GED events of a registered source (mirror or official download)."""
    return read_events(locate(source, settings))


def _read_raw(path: Path) -> pd.DataFrame:
    suffixes = "".join(path.suffixes[-2:]).lower()
    if path.suffix.lower() == ".geojson":
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        rows = []
        for feature in doc["features"]:
            row = dict(feature["properties"])
            lon, lat = (feature.get("geometry") or {}).get("coordinates", (None, None))[:2]
            row.setdefault("longitude", lon)
            row.setdefault("latitude", lat)
            row.setdefault("geom_wkt", f"POINT ({lon} {lat})" if lon is not None else None)
            rows.append(row)
        return pd.DataFrame(rows)
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            inner = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if not inner:
                raise ValueError("the zip archive holds no .csv file")
            data = archive.read(inner[0])
        return pd.read_csv(io.BytesIO(data), low_memory=False)
    if suffixes.endswith(".csv.gz") or path.suffix.lower() == ".csv":
        return pd.read_csv(path, low_memory=False)
    raise ValueError(f"unsupported file type {path.suffix!r}")


def _dates(values: pd.Series, col: str, file: str) -> pd.Series:
    """GED dates come as ISO text or, in some extracts, as epoch seconds."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        parsed = pd.to_datetime(numeric, unit="s", errors="coerce")
    else:
        parsed = pd.to_datetime(values.astype("string").str.slice(0, 10), format="%Y-%m-%d",
                                errors="coerce")
    bad = parsed.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SourceError(file, f"column {col!r}, line {i + 2}: {values.iloc[i]!r} is not a "
                          "date (YYYY-MM-DD or epoch seconds)")
    return parsed


def to_country_month(events: pd.DataFrame) -> pd.DataFrame:
    """Sum events by country (GW code) and month of ``date_start``.

    ``civilian_deaths`` sums ``deaths_civilians``; ``fatalities`` sums ``best``. An event
    spanning months counts in its first month (UCDP gives no split).
    """
    month = events["date_start"].dt.to_period("M").astype(str)
    grouped = events.assign(month=month).groupby(["country_id", "month"])
    out = grouped.agg(events=("id", "size"), fatalities=("best", "sum"),
                      civilian_deaths=("deaths_civilians", "sum"),
                      one_sided_events=("type_of_violence", lambda s: int((s == 3).sum())))
    return out.reset_index().rename(columns={"country_id": "gwcode"})
