"""ICEWS coded event data: machine-coded events from news (Lockheed Martin for DARPA, then the
US government), daily, 1995-2023, CAMEO-coded like GDELT but with country names and sector
lists instead of codes. Boschee et al. (2015), doi:10.7910/DVN/28075 (CC0 on Harvard
Dataverse); its successor is POLECAT (PLOVER codes).

This module knows the 20-column ``.tab`` layout and checks the first lines (columns, dates,
country names) before the event pipeline reads the whole file on DuckDB or Spark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pycountry

from atrisk.domain.errors import SourceError
from atrisk.sources.base import Source

COLUMNS: tuple[str, ...] = (
    "Event ID", "Event Date", "Source Name", "Source Sectors", "Source Country", "Event Text",
    "CAMEO Code", "Intensity", "Target Name", "Target Sectors", "Target Country", "Story ID",
    "Sentence Number", "Publisher", "City", "District", "Province", "Country", "Latitude",
    "Longitude")
SAMPLE = Source(
    name="icews_sample", path="events/icews/events.2018.sample.tab",
    url="https://dataverse.harvard.edu/dataverse/icews", version="2018 (sample: 2018-06-01..02)",
    licence="CC0 1.0", citation="Boschee et al. (2015), ICEWS Coded Event Data, Harvard "
    "Dataverse, doi:10.7910/DVN/28075", producer="Lockheed Martin / Harvard Dataverse")
#: ICEWS' country names that ISO 3166 (pycountry) spells otherwise.
NAMES = {"Cote d'Ivoire": "CIV", "Democratic Republic of Congo": "COD", "Holy See": "VAT",
         "Occupied Palestinian Territory": "PSE", "Turkey": "TUR",
         "the former Yugoslav Republic of Macedonia": "MKD", "Kosovo": "XKX",
         "Congo": "COG", "Swaziland": "SWZ", "Cape Verde": "CPV", "Micronesia": "FSM"}
#: Target sectors that make a violent event atrocity-type: civilians, refugees, ethnic and
#: religious groups.
TARGETED = ("Civilian", "Refugee", "Ethnic", "Religious", "Religion")


def iso3(name: str) -> str | None:
    """An ICEWS country name as ISO 3166 alpha-3 (None if neither table knows it)."""
    if name in NAMES:
        return NAMES[name]
    try:
        return str(pycountry.countries.lookup(name).alpha_3)
    except LookupError:
        return None


@dataclass(frozen=True)
class Layout:
    path: Path


def layout(path: Path) -> Layout:
    """Check the header and the first lines (dates, country names) of an ICEWS file."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = [line.rstrip("\r\n") for _, line in zip(range(200), fh, strict=False)]
    except FileNotFoundError as exc:
        raise SourceError(str(path), "file not found") from exc
    except UnicodeDecodeError as exc:
        raise SourceError(str(path), "file is not UTF-8 text (another encoding?)") from exc
    if not lines:
        raise SourceError(str(path), "file is empty")
    header = tuple(lines[0].split("\t"))
    if header != COLUMNS:
        raise SourceError(str(path), f"the header has {len(header)} columns; an ICEWS file has "
                          f"these {len(COLUMNS)}: {', '.join(COLUMNS[:4])}, …")
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != len(COLUMNS):
            raise SourceError(str(path), f"line {number} has {len(fields)} tab-separated "
                              f"columns, not {len(COLUMNS)}")
        row = dict(zip(COLUMNS, fields, strict=True))
        if not re.fullmatch(r"(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])",
                            row["Event Date"]):
            raise SourceError(str(path), f"line {number}: Event Date {row['Event Date']!r} is "
                              "not a date (YYYY-MM-DD)")
        if row["Country"] and iso3(row["Country"]) is None:
            raise SourceError(str(path), f"line {number}: Country {row['Country']!r} is not a "
                              "country atrisk knows")
    return Layout(path)
