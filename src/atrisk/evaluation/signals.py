"""Do escalation signals lead surges of civilian deaths? Each way of raising an alarm (a news
signal, the HDX rule, the monthly model's probability) is scored against the same surges:

- a **surge** begins in a month with at least ``SURGE`` civilian deaths (UCDP GED, final) whose
  ``CALM`` previous months were all known and below it;
- a surge is **hit** when an alarm was raised in the ``HORIZON`` days before its month began
  (strictly before: an alarm in the month itself is news, not warning), and the **lead time**
  is from the first such alarm to the month's first day;
- a surge is **seen** when an alarm was raised before it or within ``SEEN`` days of its
  month's first day (what a monitor offers: the surge known weeks before the month's data);
- alarms of a country less than ``GAP`` days apart form one **episode**; an episode with no
  surge beginning in the ``HORIZON`` days after its first alarm is a **false alarm**, counted
  per country-year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from atrisk.events.signals import Z_MEDIUM, hdx_fatalities, share_zscores
from atrisk.events.ucdp_daily import spread_months
from atrisk.panels.build import read_table
from atrisk.settings import Settings
from atrisk.sources.gdelt import WEEKLY_19_ISO3, weekly_19

SURGE = 100.0
CALM = 3
HORIZON = pd.Timedelta(days=90)
GAP = pd.Timedelta(days=35)
SEEN = pd.Timedelta(days=30)
#: UCDP's Candidate data for a month appear about a month after it ends (Hegre et al. 2020):
#: an alarm computed from a month's deaths is known only then. News-coded events are known
#: the day they are coded.
UCDP_LAG = pd.Timedelta(days=30)


def surge_onsets(country_month: pd.DataFrame, threshold: float = SURGE, calm: int = CALM
                 ) -> pd.DataFrame:
    """``iso3, month, start`` of every surge (``country_month``: ``iso3, month,
    civilian_deaths``, months as YYYY-MM, NaN where unknown)."""
    rows = []
    for iso3, months in country_month.sort_values("month").groupby("iso3", sort=False):
        deaths = months.set_index("month")["civilian_deaths"]
        deaths.index = pd.PeriodIndex(deaths.index, freq="M")
        deaths = deaths.reindex(pd.period_range(deaths.index.min(), deaths.index.max(),
                                                freq="M"))
        before = pd.concat([deaths.shift(k) for k in range(1, calm + 1)], axis=1)
        calm_before = before.notna().all(axis=1) & (before < threshold).all(axis=1)
        onset = (deaths >= threshold) & calm_before
        for month in deaths.index[onset.to_numpy()]:
            rows.append((iso3, str(month), month.start_time))
    return pd.DataFrame(rows, columns=["iso3", "month", "start"])


@dataclass(frozen=True)
class AlarmScore:
    """How one way of raising alarms did against the surges of one period."""

    name: str
    surges: int
    hits: int
    seen: int
    episodes: int
    false_alarms: int
    country_years: float
    median_lead_days: float | None

    @property
    def hit_rate(self) -> float:
        return self.hits / self.surges if self.surges else float("nan")

    @property
    def false_per_country_year(self) -> float:
        return self.false_alarms / self.country_years


def score_alarms(name: str, alarms: pd.DataFrame, onsets: pd.DataFrame, countries: list[str],
                 first: pd.Timestamp, last: pd.Timestamp) -> AlarmScore:
    """Score ``alarms`` (``iso3, at``: when each alarm was known) against ``onsets``
    (``iso3, start``) for surges beginning in [``first``, ``last``] in ``countries``; alarms
    count from ``HORIZON`` before ``first``."""
    alarms = alarms[alarms["iso3"].isin(countries)
                    & alarms["at"].between(first - HORIZON, last)]
    onsets = onsets[onsets["iso3"].isin(countries) & onsets["start"].between(first, last)]
    hits, seen, leads = 0, 0, []
    for onset in onsets.itertuples(index=False):
        mine = alarms[(alarms["iso3"] == onset.iso3) & (alarms["at"] >= onset.start - HORIZON)]
        before = mine[mine["at"] < onset.start]
        if len(before):
            hits += 1
            leads.append((onset.start - before["at"].min()).days)
        seen += int((mine["at"] <= onset.start + SEEN).any())
    episodes = false = 0
    for iso3, times in alarms.sort_values("at").groupby("iso3"):
        at = times["at"].reset_index(drop=True)
        starts = at[at.diff().isna() | (at.diff() > GAP)]
        starts = starts[starts >= first]  # episodes that begin inside the period
        mine = onsets.loc[onsets["iso3"] == iso3, "start"]
        for start in starts:
            episodes += 1
            if not ((mine > start) & (mine <= start + HORIZON)).any():
                false += 1
    years = (last - first).days / 365.25 * len(countries)
    return AlarmScore(name, len(onsets), hits, seen, episodes, false, years,
                      float(np.median(leads)) if leads else None)


def table(scores: list[AlarmScore]) -> pd.DataFrame:
    """One row per way of raising alarms."""
    return pd.DataFrame([{
        "alarm": s.name, "surges": s.surges, "hits": s.hits,
        "hit_rate": round(s.hit_rate, 3), "seen_by_day_30": s.seen,
        "alarm_episodes": s.episodes,
        "false_alarms": s.false_alarms,
        "false_per_country_year": round(s.false_per_country_year, 3),
        "median_lead_days": s.median_lead_days} for s in scores])


# --- the ways of raising alarms, on the 19-country weekly panel -----------------------------

COUNTRIES = sorted(WEEKLY_19_ISO3.values())
#: Periods of surge onsets scored: every year the weekly panel can signal (it starts in 2014
#: and its baseline needs a year), and the years the monthly model's rolling back-test covers.
PERIODS = {"2015-2024": ("2015-01-01", "2024-12-01"), "2018-2024": ("2018-01-01", "2024-12-01")}


def gdelt_alarms(weekly: pd.DataFrame, z: float = Z_MEDIUM) -> pd.DataFrame:
    """The weekly twin of ``gdelt_violent_share``: the material-conflict share of the last 4
    weeks against the earlier 4-week windows of the 52 weeks before; an alarm at the end of
    each week whose z-score reaches ``z``."""
    scored = share_zscores(weekly, "material_conflict", window=4, baseline=52,
                           min_baseline=13, freq="W-MON")
    raised = scored[scored["z"] >= z]
    return pd.DataFrame({"iso3": raised["iso3"].to_numpy(),
                         "at": (raised["day"] + pd.Timedelta(days=6)).to_numpy()})


def hdx_alarms(country_month: pd.DataFrame, high_only: bool = False) -> pd.DataFrame:
    """HDX Signals' rule on each month's UCDP fatalities (all types of violence), known
    ``UCDP_LAG`` after the month's end: the month's deaths spread evenly over its days."""
    spread = spread_months(country_month[country_month["iso3"].isin(COUNTRIES)
                                         & (country_month["status"] == "final")])
    rows = []
    for end in pd.period_range("2014-10", spread["day"].max().strftime("%Y-%m"), freq="M"):
        day = end.end_time.normalize()
        found = hdx_fatalities(spread, day.date())
        levels = ["high"] if high_only else ["medium", "high"]
        rows += [(iso3, day + UCDP_LAG)
                 for iso3 in found.loc[found["level"].isin(levels), "iso3"]]
    return pd.DataFrame(rows, columns=["iso3", "at"])


def model_alarms(scores: pd.DataFrame, model: str, threshold: float) -> pd.DataFrame:
    """From a rolling back-test's scores: an alarm ``UCDP_LAG`` after each origin month (when
    its data exist) where the model gave P(>= 100 civilian deaths) of at least ``threshold``
    for one of the next 3 months (P read back from the Brier score: (p - y)^2, y known)."""
    civ = scores[(scores["target"] == "civilian_deaths") & scores["iso3"].isin(COUNTRIES)
                 & scores["step"].between(1, 3) & (scores["model"] == model)]
    y = (civ["actual"] >= SURGE).to_numpy()
    root = np.sqrt(civ["brier_100"].to_numpy())
    best = civ.assign(p=np.where(y, 1.0 - root, root)).groupby(
        ["iso3", "origin"])["p"].max().reset_index()
    raised = best[best["p"] >= threshold]
    at = pd.PeriodIndex(raised["origin"], freq="M").end_time.normalize() + UCDP_LAG
    return pd.DataFrame({"iso3": raised["iso3"].to_numpy(), "at": at})


def evaluate(settings: Settings, scores: pd.DataFrame | None = None,
             model: str | None = None) -> pd.DataFrame:
    """Every way of raising alarms scored in each of ``PERIODS`` (the model, from a rolling
    back-test's ``scores``, only in the years they cover): one row per (period, alarm)."""
    country_month = read_table(settings, "country_month")
    onsets = surge_onsets(country_month[country_month["iso3"].isin(COUNTRIES)
                                        & (country_month["status"] == "final")])
    weekly = weekly_19(settings)
    ways = {"GDELT share, z >= 3 (medium)": gdelt_alarms(weekly),
            "GDELT share, z >= 5 (high)": gdelt_alarms(weekly, z=5.0),
            "HDX rule, medium or high": hdx_alarms(country_month),
            "HDX rule, high": hdx_alarms(country_month, high_only=True)}
    modelled = set()
    if scores is not None and model is not None:
        for threshold in (0.5, 0.3):
            name = f"{model}: P(>= 100) >= {threshold}"
            ways[name] = model_alarms(scores, model, threshold)
            modelled.add(name)
    frames = []
    for label, (first, last) in PERIODS.items():
        rows = [score_alarms(name, alarms, onsets, COUNTRIES, pd.Timestamp(first),
                             pd.Timestamp(last))
                for name, alarms in ways.items()
                if label == "2018-2024" or name not in modelled]
        frames.append(table(rows).assign(period=label))
    out = pd.concat(frames, ignore_index=True)
    return out[["period", *[c for c in out.columns if c != "period"]]]
