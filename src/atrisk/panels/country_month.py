"""The country-month panel: every country of the canonical table in every month of its
existence from GED's first month, with GED deaths (zero where GED has no event).

Targets: ``civilian_deaths`` (GED ``deaths_civilians`` summed) and ``fatalities`` (GED
``best`` summed). A state exists in a month when it is independent at the month's end.

The months are checked against UCDP's own country-year totals (Organized Violence 25.1, the
same events summed by UCDP). A country-year whose months hold fewer deaths than UCDP records
is unknown, not zero: its months are left missing, so no model learns or is scored on a false
calm. (The aggregated GED file in the mirror has no rows for Niger: its events are counted
under Nigeria, every year.) Months holding more deaths than UCDP records are kept and
reported.
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


def build_country_month(settings: Settings | None = None, last: str | None = None
                        ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The panel, the GED rows that found no state-month (with the reason), and the
    country-years that disagree with UCDP's country-year totals (with what was done)."""
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
    panel, check = reconcile(panel, ucdp.organized_violence(settings))
    return panel, report, check


#: Panel target -> UCDP country-year column holding the same deaths summed by UCDP.
YEARLY_TOTALS = {"fatalities": "ucdp_all_deaths", "civilian_deaths": "ucdp_civilian_deaths"}


def reconcile(panel: pd.DataFrame, yearly: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blank the months of country-years that miss deaths UCDP records; report every
    complete year whose months and UCDP's total differ (``action`` says what was done)."""
    p = panel.assign(year=panel["month"].str[:4].astype(int))
    sums = p.groupby(["gwcode", "iso3", "year"])[list(YEARLY_TOTALS)].sum().reset_index()
    last = pd.Period(str(p["month"].max()), freq="M")
    last_full_year = last.year if last.month == 12 else last.year - 1
    complete = sums[sums["year"] <= last_full_year]
    both = complete.merge(yearly[["gwcode", "year", *YEARLY_TOTALS.values()]],
                          on=["gwcode", "year"], how="inner")
    short = pd.Series(False, index=both.index)
    over = pd.Series(False, index=both.index)
    for target, total in YEARLY_TOTALS.items():
        short |= both[target] < both[total]
        over |= both[target] > both[total]
    both["action"] = None
    both.loc[over, "action"] = "kept: months hold more deaths than UCDP's country-year total"
    both.loc[short, "action"] = ("unknown: months miss deaths UCDP's country-year total "
                                 "records; left missing")
    check = both[short | over].reset_index(drop=True)
    blank = check.loc[check["action"].str.startswith("unknown"), ["gwcode", "year"]]
    hit = p.set_index(["gwcode", "year"]).index.isin(pd.MultiIndex.from_frame(blank))
    out = panel.copy()
    out.loc[hit, [*YEARLY_TOTALS, "events"]] = float("nan")
    return out, check
