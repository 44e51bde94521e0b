"""Reported deaths per country and day, for the HDX Signals rule: UCDP Candidate events where a
release gives their dates (2025 on), and before that GED's final country-months spread evenly
over their days (the mirror holds GED's final months aggregated, not its events; a month's
total is then every 30-day window's share of it, which is what a 1- or 3-year maximum of
30-day totals compares against). A final month the panel leaves unknown (its country-year
disagrees with UCDP's totals) counts as none here: it can only make a rise look larger, and
the rule's threshold of 100 deaths still holds."""

from __future__ import annotations

import pandas as pd

from atrisk.panels.build import read_table
from atrisk.panels.candidates import coded_events
from atrisk.settings import Settings
from atrisk.sources import ged, ucdp


def spread_months(months: pd.DataFrame) -> pd.DataFrame:
    """``iso3, day, deaths``: each country-month's ``fatalities`` spread evenly over its days
    (an unknown month counts none)."""
    starts = pd.PeriodIndex(months["month"], freq="M")
    spread = months.assign(days=starts.days_in_month.to_numpy(), start=starts.start_time)
    spread = spread.loc[spread.index.repeat(spread["days"])]
    return spread.assign(
        day=spread["start"] + pd.to_timedelta(spread.groupby(level=0).cumcount(), unit="D"),
        deaths=(spread["fatalities"] / spread["days"]).fillna(0.0))[["iso3", "day", "deaths"]]


def daily_deaths(settings: Settings, first_month: str = "2021-01") -> pd.DataFrame:
    """``iso3, day, deaths`` (UCDP ``best``, every type of violence) for every country of the
    panel on every day from ``first_month`` to the last day a Candidate release covers."""
    panel = read_table(settings, "country_month")
    iso = panel.drop_duplicates("gwcode").set_index("gwcode")["iso3"]
    spread = spread_months(panel[(panel["status"] == "final")
                                 & (panel["month"] >= first_month)])
    ids = ucdp.country_ids(settings)
    daily = []
    releases = ged.candidate_releases(settings)
    for release in releases:
        events = coded_events(release, ids, settings)
        inside = events[events["date_start"].dt.strftime("%Y-%m").isin(release.months)]
        daily.append(pd.DataFrame({"iso3": inside["country_id"].map(iso),
                                   "day": inside["date_start"].dt.normalize(),
                                   "deaths": inside["best"].astype(float)}))
    candidate = pd.concat(daily).dropna(subset=["iso3"])
    candidate = candidate.groupby(["iso3", "day"], as_index=False)["deaths"].sum()
    covered = pd.concat([pd.Series(pd.date_range(pd.Period(m).start_time,
                                                 pd.Period(m).end_time.normalize()))
                         for r in releases for m in r.months])
    days = pd.DatetimeIndex(sorted(set(spread["day"]) | set(covered)))
    grid = pd.MultiIndex.from_product([sorted(iso.dropna().unique()), days],
                                      names=["iso3", "day"])
    both = pd.concat([spread[~spread["day"].isin(covered)], candidate])
    return (both.groupby(["iso3", "day"])["deaths"].sum().reindex(grid, fill_value=0.0)
            .reset_index())
