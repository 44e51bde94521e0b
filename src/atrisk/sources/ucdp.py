"""Uppsala Conflict Data Program: country-year organized violence (state-based, non-state,
one-sided). Licence CC BY 4.0.

Davies, S., Pettersson, T. & Oberg, M. (2025). Organized violence 1989-2024, and the challenges
of identifying civilian victims. Journal of Peace Research 62(4).
"""

from __future__ import annotations

import pandas as pd

from atrisk.settings import Settings
from atrisk.sources.base import Schema, Source, read

_DEATHS = {
    "sb_total_deaths_best_cy": "ucdp_sb_deaths",
    "ns_total_deaths_best_cy": "ucdp_ns_deaths",
    "os_total_deaths_best_cy": "ucdp_os_deaths",
    "os_any_govt_killings_best_cy": "ucdp_os_govt_deaths",
    "os_nsgroup_killings_best_cy": "ucdp_os_nsgroup_deaths",
    # Civilians among state-based and non-state deaths (one-sided deaths are all civilians).
    "sb_deaths_civilians_cy": "ucdp_sb_civilian_deaths",
    "ns_deaths_civilians_cy": "ucdp_ns_civilian_deaths",
    # All organized violence: what GED's events sum to for the country and year.
    "cumulative_total_deaths_in_orgvio_best_cy": "ucdp_all_deaths",
    "cumulative_total_deaths_civilians_in_orgvio_cy": "ucdp_civilian_deaths",
}


ORGANIZED_VIOLENCE = Source(
    name="ucdp_organized_violence",
    path="conflict/ucdp/yearly/organizedviolencecy_v25_1.csv",
    url="https://ucdp.uu.se/downloads/organizedviolencecy/organizedviolencecy_v25_1.csv",
    version="25.1 (1989-2024)",
    licence="CC BY 4.0",
    citation="Davies, Pettersson & Oberg (2025). Organized violence 1989-2024. JPR 62(4).",
    producer="Uppsala Conflict Data Program",
    schema=Schema(
        columns={**{c: "float" for c in _DEATHS}, "country_cy": "str", "country_id_cy": "int",
                 "year_cy": "int"},
        key=("country_id_cy", "year_cy"),
        ranges={"year_cy": (1989, 2100), **{c: (0, 2e6) for c in _DEATHS}}, min_rows=5000),
    period=("year_cy", 2024),
)


def organized_violence(settings: Settings | None = None) -> pd.DataFrame:
    """Deaths by type of violence, by Gleditsch–Ward code and year (1989 on)."""
    frame = read(ORGANIZED_VIOLENCE, settings)
    frame = frame.rename(columns={"country_id_cy": "gwcode", "year_cy": "year", **_DEATHS})
    return frame[["gwcode", "year", *_DEATHS.values()]]


def country_ids(settings: Settings | None = None) -> dict[str, int]:
    """UCDP's country names (``Myanmar (Burma)``, ``DR Congo (Zaire)``, …) and their GW codes,
    for releases that name the country but give no code."""
    frame = read(ORGANIZED_VIOLENCE, settings)
    pairs = frame[["country_cy", "country_id_cy"]].drop_duplicates()
    return {str(k): int(v) for k, v in zip(pairs["country_cy"], pairs["country_id_cy"],
                                            strict=True)}
