"""GDELT event exports: news-coded events, every 15 minutes, worldwide.

The GDELT Project (https://www.gdeltproject.org; free for any use with citation). GDELT 2.0
publishes a tab-separated export of 61 columns every 15 minutes (the newest is named in
``lastupdate.txt``, every one in ``masterfilelist.txt``; zipped, no header despite the
``.CSV`` name); GDELT 1.0 published daily files of 57 columns (58 from April 2013, with the
source URL). Places are coded in FIPS 10-4, not ISO: ``SU`` is Sudan, ``OD`` South Sudan,
``UP`` Ukraine; ``fips_table`` converts them.

This module knows the files and their layout, and checks what can be checked on the first
lines (column count, header, dates, FIPS codes) before the event pipeline
(``atrisk.events``) reads the whole file on DuckDB or Spark, which checks every row again.
"""

from __future__ import annotations

import gzip
import io
import re
import shutil
import zipfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import pandas as pd

from atrisk.domain.errors import SourceError
from atrisk.settings import Settings
from atrisk.sources.base import Schema, Source, locate, read

LASTUPDATE_URL = "http://data.gdeltproject.org/gdeltv2/lastupdate.txt"
MASTER_LIST_URL = "http://data.gdeltproject.org/gdeltv2/masterfilelist.txt"
_CITE = "The GDELT Project (Leetaru & Schrodt 2013), https://www.gdeltproject.org"

GDELT2_COLUMNS: tuple[str, ...] = (
    "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate",
    "Actor1Code", "Actor1Name", "Actor1CountryCode", "Actor1KnownGroupCode",
    "Actor1EthnicCode", "Actor1Religion1Code", "Actor1Religion2Code", "Actor1Type1Code",
    "Actor1Type2Code", "Actor1Type3Code",
    "Actor2Code", "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode",
    "Actor2EthnicCode", "Actor2Religion1Code", "Actor2Religion2Code", "Actor2Type1Code",
    "Actor2Type2Code", "Actor2Type3Code",
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
    "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone",
    "Actor1Geo_Type", "Actor1Geo_FullName", "Actor1Geo_CountryCode", "Actor1Geo_ADM1Code",
    "Actor1Geo_ADM2Code", "Actor1Geo_Lat", "Actor1Geo_Long", "Actor1Geo_FeatureID",
    "Actor2Geo_Type", "Actor2Geo_FullName", "Actor2Geo_CountryCode", "Actor2Geo_ADM1Code",
    "Actor2Geo_ADM2Code", "Actor2Geo_Lat", "Actor2Geo_Long", "Actor2Geo_FeatureID",
    "ActionGeo_Type", "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code",
    "ActionGeo_ADM2Code", "ActionGeo_Lat", "ActionGeo_Long", "ActionGeo_FeatureID",
    "DATEADDED", "SOURCEURL",
)
#: GDELT 1.0 lacks the ADM2 codes; its DATEADDED is a day (YYYYMMDD); the 58th column, the
#: source URL, exists from April 2013 (a file may mix both lengths).
GDELT1_COLUMNS: tuple[str, ...] = tuple(
    c for c in GDELT2_COLUMNS if not c.endswith("_ADM2Code"))
Version = Literal[1, 2]


def _src(name: str, path: str, version: str) -> Source:
    return Source(name=name, path=path, url=MASTER_LIST_URL, version=version,
                  licence="free for any use with citation (The GDELT Project)",
                  citation=_CITE, producer="The GDELT Project")


#: Weekly GDELT aggregates for 19 countries (GitHub CameronPeltz/transcend-conflict-forecasting,
#: c0efa66, MIT licence): dense from 2014 to 2025-11-24, for evaluating signals over years.
WEEKLY_19 = Source(
    name="gdelt_weekly_19", path="events/gdelt/gdelt_country_week_19countries_2005_2025.csv",
    url="https://github.com/CameronPeltz/transcend-conflict-forecasting",
    version="c0efa66 (19 countries, weekly, 2005-2025-11-24)",
    licence="MIT (aggregates); GDELT: free for any use with citation", citation=_CITE,
    producer="C. Peltz, from The GDELT Project",
    schema=Schema(columns={"country": "str", "week": "str", "n_events": "int",
                           "n_material_conflict": "int"},
                  key=("country", "week"), min_rows=12_000,
                  ranges={"n_events": (0, 1e7), "n_material_conflict": (0, 1e7)}),
    period=("week", "2025-11-30"))
#: Its countries by the names it uses.
WEEKLY_19_ISO3 = {
    "Afghanistan": "AFG", "Bolivia": "BOL", "Colombia": "COL", "Ecuador": "ECU",
    "Eritrea": "ERI", "Ethiopia": "ETH", "Haiti": "HTI", "Kenya": "KEN", "Kyrgyzstan": "KGZ",
    "Myanmar": "MMR", "Nicaragua": "NIC", "Pakistan": "PAK", "Peru": "PER", "Somalia": "SOM",
    "South Sudan": "SSD", "Sudan": "SDN", "Tajikistan": "TJK", "Uzbekistan": "UZB",
    "Venezuela": "VEN"}


def weekly_19(settings: Settings | None = None) -> pd.DataFrame:
    """``iso3, day`` (the week's Monday), ``events``, ``material_conflict`` from 2014 on, every
    country in every week (the file's few weeks dated 1919-1920 are GDELT date artefacts, and
    it is sparse before 2014)."""
    frame = read(WEEKLY_19, settings)
    file = str(locate(WEEKLY_19, settings))
    unknown = sorted(set(frame["country"]) - set(WEEKLY_19_ISO3))
    if unknown:
        raise SourceError(file, f"unknown country name(s) {unknown[:3]}")
    days = pd.to_datetime(frame["week"], format="%Y-%m-%d", errors="coerce")
    if days.isna().any():
        raise SourceError(file, f"week {frame.loc[days.isna(), 'week'].iloc[0]!r} is not a "
                          "date (YYYY-MM-DD)")
    out = pd.DataFrame({"iso3": frame["country"].map(WEEKLY_19_ISO3), "day": days,
                        "events": frame["n_events"].astype(int),
                        "material_conflict": frame["n_material_conflict"].astype(int)})
    out = out[out["day"] >= "2014-01-01"]
    weeks = pd.date_range(out["day"].min(), out["day"].max(), freq="W-MON")
    grid = pd.MultiIndex.from_product([sorted(out["iso3"].unique()), weeks],
                                      names=["iso3", "day"])
    return (out.set_index(["iso3", "day"]).reindex(grid, fill_value=0).reset_index())


#: One real month of GDELT 2.0 (2025-05-15 … 06-14, ~40% of the 15-minute batches).
GDELT2_MONTH = _src("gdelt2_month", "events/gdelt/gdelt2_events_20250515_20250614_sample.tsv.gz",
                    "2.0 (1,184 of the month's 15-minute exports)")
GDELT1_DAY = _src("gdelt1_day", "events/gdelt/gdelt1_events_sample_20160728.tsv",
                  "1.0 (sample of 2016-07-28)")


@dataclass(frozen=True)
class ExportLayout:
    """What the first lines of an export say about the whole file."""

    path: Path
    version: Version
    header: bool
    columns: tuple[str, ...]


def layout(path: Path) -> ExportLayout:
    """Read the first lines of a GDELT export and say which version it is, refusing a file
    whose column count, dates or FIPS codes are not GDELT's (the message names the file)."""
    lines = _first_lines(path, 200)
    if not lines:
        raise SourceError(str(path), "file is empty")
    first = lines[0].split("\t")
    header = first[0].strip().upper() == "GLOBALEVENTID"
    rows = [line.split("\t") for line in (lines[1:] if header else lines)]
    widths = {len(first)} | {len(r) for r in rows}
    if widths <= {61}:
        version: Version = 2
    elif widths and widths <= {57, 58}:
        version = 1
    else:
        odd = next(len(r) for r in [first, *rows] if len(r) not in (57, 58, 61))
        raise SourceError(str(path), f"a line has {odd} tab-separated columns; a GDELT 2.0 "
                          "export has 61, a GDELT 1.0 file 57 or 58")
    columns = GDELT2_COLUMNS if version == 2 else GDELT1_COLUMNS
    if header and tuple(c.strip() for c in first[:len(columns)]) != columns[:len(first)]:
        raise SourceError(str(path), f"the header does not name GDELT {version}.0's columns "
                          f"(first: {first[:3]})")
    fips = fips_codes()
    for number, row in enumerate(rows, start=2 if header else 1):
        _check_row(row, columns, version, fips, str(path), number)
    return ExportLayout(path, version, header, columns)


def _check_row(row: list[str], columns: tuple[str, ...], version: Version,
               fips: frozenset[str], file: str, line: int) -> None:
    fields = dict(zip(columns, row, strict=False))
    day = fields["SQLDATE"]
    if not re.fullmatch(r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])", day):
        raise SourceError(file, f"line {line}: SQLDATE {day!r} is not a date (YYYYMMDD)")
    added = fields["DATEADDED"]
    if not re.fullmatch(r"\d{14}" if version == 2 else r"\d{8}", added):
        raise SourceError(file, f"line {line}: DATEADDED {added!r} is not a GDELT "
                          f"{version}.0 time stamp")
    code = fields["ActionGeo_CountryCode"]
    if code and code not in fips:
        raise SourceError(file, f"line {line}: ActionGeo_CountryCode {code!r} is not a FIPS "
                          "10-4 country code")


def _first_lines(path: Path, n: int) -> list[str]:
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                name = archive.namelist()[0]
                with archive.open(name) as raw:
                    text = io.TextIOWrapper(raw, encoding="utf-8")
                    return [line.rstrip("\r\n") for _, line in zip(range(n), text,
                                                                     strict=False)]
        opener = gzip.open if path.suffix.lower() == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as fh:
            return [line.rstrip("\r\n") for _, line in zip(range(n), fh, strict=False)]
    except FileNotFoundError as exc:
        raise SourceError(str(path), "file not found") from exc
    except UnicodeDecodeError as exc:
        raise SourceError(str(path), "file is not UTF-8 text (another encoding?)") from exc
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise SourceError(str(path), f"file is truncated or corrupt ({exc})") from exc


@cache
def fips_table() -> pd.DataFrame:
    """FIPS 10-4 country code -> ISO 3166 alpha-3 (``iso3`` empty for oceans and places no
    ISO code covers), with GDELT's own extra codes (``RB``, ``YI``, ``OC``). The table
    (``sources/data/fips10_4_iso3.csv``, 275 codes) is atrisk's own, written from the FIPS
    10-4 standard (a US government code list, public domain); a test checks that every code
    in the real month is in it."""
    text = resources.files("atrisk.sources").joinpath("data/fips10_4_iso3.csv").read_text()
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return table.assign(iso3=table["iso3"].replace("", None))


def fips_codes() -> frozenset[str]:
    return frozenset(fips_table()["fips"])


def unzipped(path: Path, staging: Path) -> Path:
    """An export the engines can read: a published ``.export.CSV.zip`` is extracted once into
    ``staging`` (neither DuckDB nor Spark reads zip archives); other files are used as they
    are."""
    if path.suffix.lower() != ".zip":
        return path
    out = staging / path.name.removesuffix(".zip").removesuffix(".ZIP")
    if out.is_file() and out.stat().st_mtime >= path.stat().st_mtime:
        return out
    staging.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if len(names) != 1:
                raise SourceError(str(path), f"expected one export in the archive, found "
                                  f"{len(names)}")
            tmp = out.with_name(out.name + ".part")
            with archive.open(names[0]) as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise SourceError(str(path), f"not a readable zip archive ({exc})") from exc
    tmp.replace(out)
    return out
