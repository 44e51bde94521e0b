"""The country-month panel: every country of the canonical table in every month of its
existence from GED's first month, with GED deaths (zero where GED has no event).

Targets: ``civilian_deaths`` (GED ``deaths_civilians`` summed) and ``fatalities`` (GED
``best`` summed). A state exists in a month when it is independent at the month's end.
"""

from __future__ import annotations

import pandas as pd

from atrisk.panels.countries import GW_LIST_END, iso3_by_gwcode
from atrisk.settings import Settings
from atrisk.sources import crosswalk, ucdp

TARGETS: tuple[str, ...] = ("civilian_deaths", "fatalities")


def month_grid(first: str, last: str, settings: Settings | None = None) -> pd.DataFrame:
    """``gwcode, iso3, month`` for every state-month from ``first`` to ``last`` (YYYY-MM)."""
    states = crosswalk.gw_states(settings)
    iso = iso3_by_gwcode(settings)
    months = pd.period_range(first, last, freq="M")
    ends = months.to_timestamp(how="end").normalize()
    rows = []
    last_day = pd.Timestamp(ends[-1])
    for spell in states.itertuples(index=False):
        end = last_day if spell.end >= GW_LIST_END else spell.end
        alive = (ends >= spell.start) & (ends <= end)
        for m in months[alive]:
            rows.append((spell.gwcode, str(m)))
    grid = pd.DataFrame(rows, columns=["gwcode", "month"]).drop_duplicates()
    grid["iso3"] = grid["gwcode"].map(iso)
    return grid[["gwcode", "iso3", "month"]]


def build_country_month(settings: Settings | None = None,
                        last: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The panel and the GED rows that found no state-month (with the reason)."""
    ged = ucdp.country_month(settings)
    last = last or str(ged["month"].max())
    grid = month_grid(ucdp.GED_FIRST_MONTH, last, settings)
    merged = grid.merge(ged, on=["iso3", "month"], how="left")
    for col in (*TARGETS, "events"):
        merged[col] = merged[col].fillna(0.0)
    probe = ged.merge(grid[["iso3", "month"]], on=["iso3", "month"], how="left", indicator=True)
    missed = probe[(probe["_merge"] == "left_only") & (probe["fatalities"] > 0)]
    report = (missed.groupby("iso3")
              .agg(first_month=("month", "min"), last_month=("month", "max"),
                   rows=("month", "size"), fatalities=("fatalities", "sum"))
              .reset_index())
    report["reason"] = "explained: deaths in a month the state was not independent on its last day"
    panel = merged.sort_values(["gwcode", "month"]).reset_index(drop=True)
    return panel, report
