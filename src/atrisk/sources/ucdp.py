"""Uppsala Conflict Data Program: country-year organized violence (state-based, non-state,
one-sided). Licence CC BY 4.0.

Davies, S., Pettersson, T. & Oberg, M. (2025). Organized violence 1989-2024, and the challenges
of identifying civilian victims. Journal of Peace Research 62(4).
"""

from __future__ import annotations

import pandas as pd

from atrisk.settings import Settings
from atrisk.sources.base import Schema, Source, read_csv

ORGANIZED_VIOLENCE = Source(
    name="ucdp_organized_violence",
    path="conflict/ucdp/yearly/organizedviolencecy_v25_1.csv",
    url="https://ucdp.uu.se/downloads/organizedviolencecy/organizedviolencecy_v25_1.csv",
    version="25.1 (1989-2024)",
    licence="CC BY 4.0",
    citation="Davies, Pettersson & Oberg (2025). Organized violence 1989-2024. JPR 62(4).",
    producer="Uppsala Conflict Data Program",
)

_DEATHS = {
    "sb_total_deaths_best_cy": "ucdp_sb_deaths",
    "ns_total_deaths_best_cy": "ucdp_ns_deaths",
    "os_total_deaths_best_cy": "ucdp_os_deaths",
    "os_any_govt_killings_best_cy": "ucdp_os_govt_deaths",
    "os_nsgroup_killings_best_cy": "ucdp_os_nsgroup_deaths",
    # All organized violence: what GED's events sum to for the country and year.
    "cumulative_total_deaths_in_orgvio_best_cy": "ucdp_all_deaths",
    "cumulative_total_deaths_civilians_in_orgvio_cy": "ucdp_civilian_deaths",
}


def organized_violence(settings: Settings | None = None) -> pd.DataFrame:
    """Deaths by type of violence, by Gleditsch–Ward code and year (1989 on)."""
    cols: dict = {c: "float" for c in _DEATHS}
    cols.update({"country_id_cy": "int", "year_cy": "int"})
    frame = read_csv(
        ORGANIZED_VIOLENCE,
        Schema(columns=cols, key=("country_id_cy", "year_cy"),
               ranges={"year_cy": (1989, 2100), **{c: (0, 2e6) for c in _DEATHS}},
               min_rows=5000),
        settings,
    )
    frame = frame.rename(columns={"country_id_cy": "gwcode", "year_cy": "year", **_DEATHS})
    return frame[["gwcode", "year", *_DEATHS.values()]]


COUNTRY_MONTH = Source(
    name="ged_country_month",
    path="conflict/ucdp/ged251_country_month_1985_2023.csv.gz",
    url="https://ucdp.uu.se/downloads/ged/ged251-csv.zip",
    version="GED 25.1 aggregated to ISO3 x month, 1985-01..2023-12 (third-party aggregation)",
    licence="CC BY 4.0",
    citation="Sundberg & Melander (2013), JPR 50(4); UCDP GED 25.1",
    producer="Uppsala Conflict Data Program (aggregated by a third party)",
)
#: GED begins in 1989; earlier months in the aggregated file are zero-filled, not observed.
GED_FIRST_MONTH = "1989-01"


def country_month(settings: Settings | None = None) -> pd.DataFrame:
    """GED 25.1 deaths by ISO3 country and month: civilian deaths and all fatalities."""
    counts = ["ucdp_event_count", "ucdp_fatalities_best", "ucdp_civilian_deaths",
              "ucdp_one_sided_events"]
    frame = read_csv(
        COUNTRY_MONTH,
        Schema(columns={"country_iso3": "str", "year_month": "str",
                        **{c: "float" for c in counts}},
               key=("country_iso3", "year_month"), ranges={c: (0, 2e6) for c in counts},
               min_rows=10000),
        settings,
    )
    bad = ~frame["year_month"].str.fullmatch(r"\d{4}-\d{2}")
    if bad.any():
        from atrisk.domain.errors import SourceError

        i = int(bad.to_numpy().nonzero()[0][0])
        raise SourceError(COUNTRY_MONTH.path, f"column 'year_month', line {i + 2}: "
                          f"{frame['year_month'].iloc[i]!r} is not YYYY-MM")
    frame = frame[frame["year_month"] >= GED_FIRST_MONTH]
    return frame.rename(columns={"country_iso3": "iso3", "year_month": "month",
                                 "ucdp_civilian_deaths": "civilian_deaths",
                                 "ucdp_fatalities_best": "fatalities",
                                 "ucdp_event_count": "events"})[
        ["iso3", "month", "civilian_deaths", "fatalities", "events"]].reset_index(drop=True)
