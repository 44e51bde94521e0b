"""What the pages and the API read from the current data build (not the store): a country's
violence by month, its past episodes and its key indicators, the evidence base, the panel.
Loaded once per build and kept in memory."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atrisk.domain.errors import BuildError
from atrisk.panels.countries import EPISODE_LOCATION
from atrisk.panels.country_month import data_through
from atrisk.settings import Settings

#: Indicators shown on a country page: panel column -> (label, format).
INDICATORS: dict[str, tuple[str, str]] = {
    "wdi_pop": ("Population", "{:,.0f}"),
    "wdi_gdppc": ("GDP per capita (constant US$)", "{:,.0f}"),
    "wdi_gdppc_growth": ("GDP per capita growth (%)", "{:.1f}"),
    "un_imr": ("Infant mortality (per 1,000 births)", "{:.1f}"),
    "v2x_polyarchy": ("Electoral democracy (V-Dem, 0-1)", "{:.2f}"),
    "v2x_clphy": ("Physical integrity rights (V-Dem, 0-1)", "{:.2f}"),
    "v2xcs_ccsi": ("Core civil society (V-Dem, 0-1)", "{:.2f}"),
    "discrimpop": ("Share of population discriminated (EPR)", "{:.2f}"),
    "coup_try_5yr": ("Coup attempt in the last 5 years", "{:.0f}"),
    "ucdp_sb_deaths": ("State-based conflict deaths (UCDP)", "{:,.0f}"),
    "ucdp_os_deaths": ("One-sided violence deaths (UCDP)", "{:,.0f}"),
    "mk_ongoing_count": ("Ongoing mass killings", "{:.0f}"),
}


#: Panel columns the toolkit's success conditions read (besides the indicators).
CONDITION_COLUMNS = ("efindex", "ucdp_os_govt_deaths", "ucdp_os_nsgroup_deaths")


@dataclass(frozen=True)
class BuildData:
    build_id: str
    data_date: str
    country_month: pd.DataFrame
    episodes: pd.DataFrame
    panel: pd.DataFrame
    evidence: pd.DataFrame
    #: The USHMM review's findings on each tool's average effect (``ushmm.tool_findings``).
    findings: pd.DataFrame
    month_check: pd.DataFrame
    #: One row per UCDP vintage the country-months come from (status, first and last month).
    vintages: pd.DataFrame
    #: Candidate counts against final ones (2021), and the civilian estimator's error.
    revisions: pd.DataFrame
    estimator_check: pd.DataFrame

    def months(self, iso3: str, last: int = 48) -> list[dict[str, Any]]:
        """The country's last ``last`` months of civilian deaths and fatalities (None where
        unknown, so charts leave a gap)."""
        rows = self.country_month[self.country_month["iso3"] == iso3].tail(last)
        rows = rows[["month", "civilian_deaths", "fatalities", "status"]].astype(object)
        return rows.where(rows.notna(), None).to_dict(orient="records")

    def month_checks(self) -> list[dict[str, Any]]:
        """Where the country-months and UCDP's country-year totals disagree, per country and
        what the build did: the years, and the latest such year's deaths both ways."""
        out: list[dict[str, Any]] = []
        for (iso3, action), rows in self.month_check.groupby(["iso3", "action"], sort=True):
            latest = rows.sort_values("year").iloc[-1]
            out.append({"iso3": iso3, "action": action, "years": len(rows),
                        "first": int(rows["year"].min()), "last": int(latest["year"]),
                        "months": latest["fatalities"], "ucdp": latest["ucdp_all_deaths"]})
        return out

    def episodes_of(self, ccode: int) -> list[dict[str, Any]]:
        """The country's mass-killing episodes (EWP list), newest first."""
        rows = self.episodes[self.episodes["location"] == ccode]
        rows = rows.sort_values("start_year", ascending=False)
        return [{"name": r.name, "start": int(r.start_year),
                 "end": None if pd.isna(r.end_year) else int(r.end_year),
                 "perpetrator": "state-led" if r.state_led else "non-state-led",
                 "summary": r.summary} for r in rows.itertuples(index=False)]

    def indicators(self, gwcode: int) -> list[dict[str, Any]]:
        """Each key indicator's latest known value, the value five years before, and where
        it stands among all countries that year (percentile)."""
        rows = self.panel[self.panel["gwcode"] == gwcode].set_index("year").sort_index()
        out: list[dict[str, Any]] = []
        for column, (label, fmt) in INDICATORS.items():
            known = rows[column].dropna()
            if known.empty:
                out.append({"label": label, "value": "no data", "year": None,
                            "before": "", "percentile": None})
                continue
            year, value = int(known.index[-1]), float(known.iloc[-1])
            before = known.get(year - 5)
            world = self.panel.loc[self.panel["year"] == year, column].dropna()
            out.append({"label": label, "value": fmt.format(value), "year": year,
                        "before": "" if before is None else fmt.format(float(before)),
                        "percentile": round(100 * float((world < value).mean()))})
        return out


def current_id(settings: Settings) -> str:
    """The current build's folder name: one readlink, cheap enough for every request (a
    cache key, so a new build shows at once)."""
    return os.path.basename(os.path.realpath(settings.data_dir))


def load(settings: Settings) -> BuildData:
    """The current build's tables for the pages (cached until the build changes)."""
    try:
        target = settings.data_dir.resolve(strict=True)
    except FileNotFoundError as exc:
        raise BuildError(f"{settings.data_dir} not found: run `atrisk data build` first") from exc
    return _load(target)


@lru_cache(maxsize=2)
def _load(target: Path) -> BuildData:
    missing = [name for name in ("episodes", "panel", "country_month", "country_month_check",
                                 "prevention_evidence", "prevention_findings", "data_vintages",
                                 "candidate_revisions", "civilian_estimator_check")
               if not (target / f"{name}.parquet").is_file()]
    if missing:
        raise BuildError(f"the data build in {target} has no {', '.join(missing)}: it was "
                         "made by an older atrisk; run `atrisk data build`")
    episodes = pd.read_parquet(target / "episodes.parquet")
    episodes["location"] = episodes["ccode"].map(lambda c: EPISODE_LOCATION.get(c, c))
    panel = pd.read_parquet(target / "panel.parquet")
    keep = ["gwcode", "year", *INDICATORS, *CONDITION_COLUMNS]
    country_month = pd.read_parquet(target / "country_month.parquet")
    last_month = data_through(country_month) if len(country_month) else ""
    return BuildData(build_id=target.name, data_date=last_month,
                     country_month=country_month.sort_values(["iso3", "month"]),
                     episodes=episodes, panel=panel[keep].replace([np.inf, -np.inf], np.nan)
                     .astype({c: float for c in (*INDICATORS, *CONDITION_COLUMNS)}),
                     evidence=pd.read_parquet(target / "prevention_evidence.parquet"),
                     findings=pd.read_parquet(target / "prevention_findings.parquet"),
                     month_check=pd.read_parquet(target / "country_month_check.parquet"),
                     vintages=pd.read_parquet(target / "data_vintages.parquet"),
                     revisions=pd.read_parquet(target / "candidate_revisions.parquet"),
                     estimator_check=pd.read_parquet(target / "civilian_estimator_check.parquet"))
