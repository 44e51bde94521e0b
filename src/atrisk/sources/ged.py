"""UCDP Georeferenced Event Dataset (GED): one row per event of organized violence.

Sundberg, R. & Melander, E. (2013). Introducing the UCDP Georeferenced Event Dataset. Journal
of Peace Research 50(4). Licence CC BY 4.0. Reads the real 49-column release format from CSV,
gzip, zip or GeoJSON, validates it, and aggregates it to country-months.

UCDP publishes two streams: the annual GED (final; 25.1 covers 1989-2024, here as UCDP's
events aggregated to country-months) and monthly **Candidate** releases (provisional, about a
month behind, revised when the next GED is final; Hegre et al. 2020, Research & Politics,
doi:10.1177/2053168020935257). Each ``Release`` says which months it covers in full and carries
the vintage label that every month built from it keeps.

Uncertainty bounds: real releases contain thousands of rows where ``low <= best <= high`` does
not hold. ``best`` is UCDP's estimate and the only value our targets use, so such rows are
kept; their bounds are widened to include ``best`` (``low = min(low, best)``,
``high = max(high, best)``) and the number repaired is reported.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from atrisk.domain.errors import SourceError
from atrisk.settings import Settings, get_settings
from atrisk.sources.base import (
    Schema,
    Source,
    check_period,
    locate,
    parse_file,
    read,
    validate,
)

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

FINAL_VINTAGE = "ged-25.1"
#: GED begins in 1989; earlier months in the aggregated file are zero-filled, not observed.
GED_FIRST_MONTH = "1989-01"
#: The last month GED 25.1 covers: a row dated later is an error, not news.
FINAL_LAST_MONTH = "2024-12"
_MONTH_COUNTS = ("ucdp_event_count", "ucdp_fatalities_best", "ucdp_civilian_deaths",
                 "ucdp_one_sided_events")

#: GED 25.1 aggregated to ISO3 x month (a third party's aggregation of UCDP's events; spot
#: checks agree with UCDP). Final: the vintage every month through 2024-12 carries.
COUNTRY_MONTH = Source(
    name="ged_country_month",
    path="conflict/ucdp/ged251_country_month_1985_2024.csv.gz",
    url="https://ucdp.uu.se/downloads/ged/ged251-csv.zip",
    version="GED 25.1 aggregated to ISO3 x month, 1985-01..2024-12 (third-party aggregation)",
    licence="CC BY 4.0",
    citation="Sundberg & Melander (2013), JPR 50(4); UCDP GED 25.1",
    producer="Uppsala Conflict Data Program (aggregated by a third party)",
    schema=Schema(columns={"country_iso3": "str", "year_month": "str",
                           **{c: "float" for c in _MONTH_COUNTS}},
                  key=("country_iso3", "year_month"), ranges={c: (0, 2e6) for c in _MONTH_COUNTS},
                  min_rows=50000),
    period=("year_month", FINAL_LAST_MONTH),
)


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
#: The 49-column release format (columns atrisk does not compute with are kept as text).
SCHEMA = Schema(
    columns={**{c: "str" for c in COLUMNS},
             "id": "int", "type_of_violence": "int", "country_id": "int", "latitude": "float",
             "longitude": "float", "where_prec": "int", "date_prec": "int",
             **{c: "int" for c in _COUNTS}},
    key=("id",),
    ranges={"type_of_violence": (1, 3), "latitude": (-90, 90), "longitude": (-180, 180),
            "country_id": (2, 999), **{c: (0, 1e6) for c in _COUNTS}},
)
#: The 7-column Candidate compilation: country names, no civilian split, no coordinates.
SLIM_SCHEMA = Schema(
    columns={"id": "int", "conflict_new_id": "int", "conflict_name": "str", "country": "str",
             "best": "int", "type_of_violence": "int", "date": "str"},
    key=("id",), ranges={"type_of_violence": (1, 3), "best": (0, 1e6)},
)


@dataclass(frozen=True)
class Release:
    """One UCDP Candidate release (or a compilation of several): where it is, its vintage,
    and the months it covers in full. Events it holds for earlier months are late-coded
    additions; a month only such events reach is partly known."""

    source: Source
    vintage: str
    months: tuple[str, ...]

    #: The 7-column compilation: country names, no civilian split, no coordinates.
    slim: bool = False

    @property
    def last_month(self) -> str:
        return max(self.months)


def _release(name: str, file: str, official: str, version: str, vintage: str,
             first: str, last: str, min_events: int, slim: bool = False) -> Release:
    """A Candidate release: its file must hold at least ``min_events`` events (a release's
    size is known when it is registered; a file cut at a line end is well-formed otherwise)
    and none dated after its last month (which would stretch the panel past the data)."""
    schema = SLIM_SCHEMA if slim else SCHEMA
    source = Source(
        name=name, path=f"conflict/ucdp/events/{file}", url=CANDIDATE_URL + official,
        version=version, licence="CC BY 4.0", citation=_CITE,
        producer="Uppsala Conflict Data Program", schema=replace(schema, min_rows=min_events),
        period=("date" if slim else "date_start", last))
    months = tuple(str(m) for m in pd.period_range(first, last, freq="M"))
    return Release(source, vintage, months, slim)


CANDIDATE_URL = "https://ucdp.uu.se/downloads/candidateged/"
CANDIDATE_2021 = _release("ged_candidate_2021", "GEDEvent_v21_01_21_12.csv.zip",
                          "GEDEvent_v21_01_21_12.csv",
                          "Candidate 21.0.1-21.0.12 (all of 2021, compiled)",
                          "candidate-21.0.x", "2021-01", "2021-12", min_events=15000)
CANDIDATE_2025 = _release("ged_candidate_2025", "ged_candidate_2025_slim.csv",
                          "GEDEvent_v25_0_12.csv",
                          "Candidate 25.0.1-25.0.12 (all of 2025, compiled; 7 columns)",
                          "candidate-25.0.x", "2025-01", "2025-12", min_events=25000, slim=True)
CANDIDATE_2026_02 = _release("ged_candidate_2026_02", "GEDEvent_v26_0_2.csv.gz",
                             "GEDEvent_v26_0_2.csv", "Candidate 26.0.2 (February 2026)",
                             "candidate-26.0.2", "2026-02", "2026-02", min_events=1000)
#: The releases after GED's final months registered with their sizes, oldest first (a newer
#: release wins where two cover a month); ``candidate_releases`` adds the monthly files found.
CANDIDATE_RELEASES: tuple[Release, ...] = (CANDIDATE_2025, CANDIDATE_2026_02)
#: Where event files (histories, Candidate releases) sit in the mirror and the download cache.
EVENTS_FOLDER = "conflict/ucdp/events"
#: UCDP's name of a monthly Candidate release: GEDEvent_v26_0_2.csv holds February 2026.
MONTHLY_FILE = re.compile(r"^GEDEvent_v(\d{2})_0_(\d{1,2})\.csv(?:\.gz|\.zip)?$")
#: A monthly release holds 1,000-2,500 events worldwide (1,298 in February 2026); a file with
#: fewer than this was cut short.
MONTHLY_MIN_EVENTS = 500


def candidate_releases(settings: Settings | None = None) -> tuple[Release, ...]:
    """The releases the panels are built from: the registered ones, then every monthly
    release in the events folder of the mirror (or of the download cache) under UCDP's own
    name for a month after GED's final ones and not already registered: a new month needs
    the file, not code. Oldest first; the slim compilation before the monthly releases with
    places and civilian counts, which replace its months."""
    settings = settings or get_settings()
    root = Path(settings.mirror if settings.mirror is not None else settings.cache_dir)
    folder = root / EVENTS_FOLDER
    known = {m for r in CANDIDATE_RELEASES if not r.slim for m in r.months}
    found: dict[str, Release] = {}
    for path in sorted(folder.glob("GEDEvent_v*")) if folder.is_dir() else ():
        match = MONTHLY_FILE.match(path.name)
        if match is None or not 1 <= int(match[2]) <= 12:
            continue
        year, number = int(match[1]), int(match[2])
        month = f"20{year:02d}-{number:02d}"
        if month <= FINAL_LAST_MONTH or month in known or month in found:
            continue
        found[month] = _release(
            f"ged_candidate_{year:02d}_0_{number}", path.name,
            f"GEDEvent_v{year:02d}_0_{number}.csv", f"Candidate {year}.0.{number} ({month})",
            f"candidate-{year}.0.{number}", month, month, min_events=MONTHLY_MIN_EVENTS)
    return tuple(sorted((*CANDIDATE_RELEASES, *found.values()),
                        key=lambda r: (not r.slim, r.last_month)))


@dataclass(frozen=True)
class EventHistory:
    """Every GED event of some countries through ``last_month``: what the sub-national panels
    need (the country-month aggregate and the Candidate releases hold no complete record of
    where). ``countries`` (ISO3) is None for the full global release."""

    source: Source
    vintage: str
    last_month: str
    countries: tuple[str, ...] | None = None


def _history(name: str, file: str, version: str, vintage: str, last: str, iso3: str,
             min_events: int) -> EventHistory:
    source = Source(
        name=name, path=f"conflict/ucdp/events/{file}",
        url="https://ucdp.uu.se/downloads/ged/ged" + vintage.split("-")[1].replace(".", "")
        + "-csv.zip", version=version, licence="CC BY 4.0", citation=_CITE,
        producer="Uppsala Conflict Data Program",
        schema=replace(SCHEMA, min_rows=min_events), period=("date_start", last))
    return EventHistory(source, vintage, last, (iso3,))


#: Complete event histories of single countries in the mirror (extracts of a GED release:
#: the official download is the whole release, from which the country's rows are taken).
HISTORY_CAF = EventHistory(replace(GED_CAR, schema=replace(SCHEMA, min_rows=1500),
                                   period=("date_start", "2022-12")),
                           "ged-23.1", "2022-12", ("CAF",))
HISTORY_MEX = _history("ged_mexico", "ged241_mexico.csv.gz",
                       "24.1 (every event in Mexico)", "ged-24.1", "2023-12", "MEX", 18000)
HISTORY_MMR = _history("ged_myanmar", "ged241_myanmar.csv.gz",
                       "24.1 (every event in Myanmar)", "ged-24.1", "2023-12", "MMR", 7000)
#: The single-country histories the build reads; the full release, where a mirror or the
#: download cache holds it, covers every country and takes precedence (``full_history``).
EVENT_HISTORIES: tuple[EventHistory, ...] = (HISTORY_CAF, HISTORY_MEX, HISTORY_MMR)
FULL_HISTORY = EventHistory(replace(GED_FULL, schema=replace(SCHEMA, min_rows=250000),
                                    period=("date_start", FINAL_LAST_MONTH)),
                            FINAL_VINTAGE, FINAL_LAST_MONTH)


def full_history(settings: Settings) -> EventHistory | None:
    """The full global GED when a copy is at hand (the mirror's, or one already downloaded
    into the cache: 250 MB is not fetched unasked); None otherwise."""
    root = settings.mirror if settings.mirror is not None else settings.cache_dir
    return FULL_HISTORY if (Path(root) / GED_FULL.path).is_file() else None


def history_events(history: EventHistory, settings: Settings | None = None) -> pd.DataFrame:
    """A history's events, validated as any GED file, none dated after its last month and,
    for a single-country extract, none elsewhere."""
    path = locate(history.source, settings)
    if path.suffix.lower() == ".geojson":
        frame = read_events(path).table
        check_period(frame, history.source, str(path))
        if len(frame) < (history.source.schema.min_rows if history.source.schema else 1):
            raise SourceError(str(path), f"only {len(frame)} events (truncated?)")
    else:
        frame = _checked_events(read(history.source, settings), str(path)).table
    if history.countries is not None:
        ids = set(frame["country_id"].unique())
        expected = {HISTORY_GW[iso3] for iso3 in history.countries}
        if not ids <= expected:
            raise SourceError(str(path), f"events in countries {sorted(ids - expected)} "
                              f"(expected only {', '.join(history.countries)})")
    return frame


#: GW codes of the countries with single-country histories (GED's ``country_id``).
HISTORY_GW = {"CAF": 482, "MEX": 70, "MMR": 775}


@dataclass(frozen=True)
class Events:
    """Validated GED events and what validation had to repair."""

    table: pd.DataFrame
    bounds_repaired: int


def read_events(path: Path) -> Events:
    """Read and validate GED events from any .csv, .csv.gz, .zip or .geojson file (samples,
    extracts); registered releases are read with ``release_events``."""
    name = str(path)
    try:
        raw = _read_geojson(path) if path.suffix.lower() == ".geojson" else parse_file(path)
    except (OSError, ValueError, KeyError) as exc:
        raise SourceError(name, f"not a readable GED file ({type(exc).__name__}: {exc})") from exc
    return _checked_events(validate(raw, SCHEMA, name), name)


def events(source: Source, settings: Settings | None = None) -> Events:
    """GED events of a file that is not a registered release (mirror or official download)."""
    return read_events(locate(source, settings))


def release_events(release: Release, settings: Settings | None = None) -> pd.DataFrame:
    """A release's events, checked against its declaration (``base.read``) and, for the full
    format, the event-level rules of ``read_events``. The slim compilation's ``date`` becomes
    ``date_start`` and its ``deaths_civilians`` is missing (it has no civilian split)."""
    frame = read(release.source, settings)
    name = str(locate(release.source, settings))
    if not release.slim:
        return _checked_events(frame, name).table
    frame["date_start"] = _dates(frame["date"], "date", name)
    frame["deaths_civilians"] = np.nan
    return frame.drop(columns="date")


def _checked_events(frame: pd.DataFrame, name: str) -> Events:
    """Dates parsed and in order; ``low <= best <= high`` repaired where UCDP's bounds miss."""
    for col in ("date_start", "date_end"):
        frame[col] = _dates(frame[col], col, name)
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


def _read_geojson(path: Path) -> pd.DataFrame:
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


#: Deaths by UCDP's type of violence: state-based, non-state, one-sided.
VIOLENCE_TYPES = {1: "deaths_state_based", 2: "deaths_non_state", 3: "deaths_one_sided"}


def to_country_month(events: pd.DataFrame, by: str = "country_id") -> pd.DataFrame:
    """Sum events by country (``by``: GW code, or another key such as ``adm_1`` or
    ``priogrid_gid`` beside it) and month of ``date_start``.

    ``civilian_deaths`` sums ``deaths_civilians`` (missing where the release has no civilian
    split); ``fatalities`` sums ``best``, also split by type of violence. An event spanning
    months counts in its first month (UCDP gives no split).
    """
    month = events["date_start"].dt.strftime("%Y-%m")
    frame = events.assign(month=month)
    for code, col in VIOLENCE_TYPES.items():
        frame[col] = frame["best"].where(frame["type_of_violence"] == code, 0)
    keys = [by, "month"] if by == "country_id" else ["country_id", by, "month"]
    out = frame.groupby(keys, dropna=False).agg(  # an event with no adm_1 still counts
        events=("id", "size"), fatalities=("best", "sum"),
        civilian_deaths=("deaths_civilians", lambda s: s.sum(min_count=len(s))),
        one_sided_events=("type_of_violence", lambda s: int((s == 3).sum())),
        **{col: (col, "sum") for col in VIOLENCE_TYPES.values()})
    return out.reset_index().rename(columns={"country_id": "gwcode"})


def country_month(settings: Settings | None = None) -> pd.DataFrame:
    """GED 25.1 deaths by ISO3 country and month (final): civilian deaths, all fatalities."""
    frame = read(COUNTRY_MONTH, settings)
    month = frame["year_month"]
    bad = ~month.str.fullmatch(r"\d{4}-\d{2}")
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise SourceError(COUNTRY_MONTH.path, f"column 'year_month', line {i + 2}: "
                          f"{month.iloc[i]!r} is not a month YYYY-MM")
    frame = frame[frame["year_month"] >= GED_FIRST_MONTH]
    return frame.rename(columns={"country_iso3": "iso3", "year_month": "month",
                                 "ucdp_civilian_deaths": "civilian_deaths",
                                 "ucdp_fatalities_best": "fatalities",
                                 "ucdp_event_count": "events"})[
        ["iso3", "month", "civilian_deaths", "fatalities", "events"]].reset_index(drop=True)
