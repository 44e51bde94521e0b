"""Country-system lists: Gleditsch–Ward states and their capitals. (EWP's COW-style codes
come with EWP's own files; ``atrisk.panels.countries`` maps them.)

Gleditsch, K. S. & Ward, M. D. (1999). Interstate System Membership: A Revised List of the
Independent States since 1816. International Interactions 25: 393–413.
"""

from __future__ import annotations

import pandas as pd

from atrisk.settings import Settings
from atrisk.sources.base import Schema, Source, read

GW_STATES = Source(
    name="gw_states",
    path="crosswalk/gw_states.csv",
    url="http://ksgleditsch.com/data/iisystem.dat",
    version="2017-12 (list through 2017-12-31; later years assume no change)",
    licence="Public research data (cite Gleditsch & Ward 1999)",
    citation="Gleditsch & Ward (1999), International Interactions 25: 393-413",
    producer="Kristian S. Gleditsch and Michael D. Ward",
    schema=Schema(
        columns={"gwcode": "int", "stateabb": "str", "statename": "str", "startdate": "str",
                 "enddate": "str"},
        key=("gwcode", "startdate"), ranges={"gwcode": (2, 999)}, min_rows=150),
    period=("enddate", "2017-12-31"),
)


def gw_states(settings: Settings | None = None) -> pd.DataFrame:
    """Spells of independent states: ``gwcode, abbrev, name, start, end`` (dates)."""
    frame = read(GW_STATES, settings)
    out = pd.DataFrame({
        "gwcode": frame["gwcode"].astype(int),
        "abbrev": frame["stateabb"],
        "name": frame["statename"],
        "start": pd.to_datetime(frame["startdate"], errors="coerce"),
        "end": pd.to_datetime(frame["enddate"], errors="coerce"),
    })
    _require_dates(out, GW_STATES)
    return out


def _require_dates(frame: pd.DataFrame, source: Source) -> None:
    from atrisk.domain.errors import SourceError

    bad = frame["start"].isna() | frame["end"].isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise SourceError(source.path, f"line {i + 2}: start or end date is not a YYYY-MM-DD date")


GW_CAPITALS = Source(
    name="gw_capitals",
    path="crosswalk/gw_capitals.csv",
    url="http://ksgleditsch.com/data/capitals.csv",
    version="2024 (as distributed with the R package states)",
    licence="Public research data (cite Gleditsch & Ward 1999)",
    citation="Gleditsch & Ward (1999); capital coordinates as in the R package 'states'",
    producer="Kristian S. Gleditsch and Andreas Beger",
    schema=Schema(columns={"gwcode": "int", "capital": "str", "stdate": "str", "enddate": "str",
                           "lat": "float", "lng": "float"},
                  key=("gwcode", "stdate"), ranges={"lat": (-90, 90), "lng": (-180, 180)},
                  min_rows=150),
    period=("enddate", "2024-12-31"),
)


def gw_capitals(settings: Settings | None = None) -> pd.DataFrame:
    """Capital coordinates per GW code (the most recent capital of each state)."""
    frame = read(GW_CAPITALS, settings)
    frame = frame.sort_values(["gwcode", "stdate"]).drop_duplicates("gwcode", keep="last")
    return frame[["gwcode", "capital", "lat", "lng"]].reset_index(drop=True)
