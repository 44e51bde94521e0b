"""Provisional months from UCDP Candidate releases: their country-month counts, how much such
counts move when GED makes them final, and civilian deaths where a release lacks them.

Candidate counts are revised when the next GED is final (Hegre et al. 2020). ``revisions``
measures it on the one year the mirror has in both forms (2021: Candidate vs GED 25.1), and
the forecast carries what it finds: a provisional month is drawn with the spread of the
log-ratio final / Candidate, so a forecast from provisional months is no more confident than
the revisions allow.

The 2025 compilation has no ``deaths_civilians``. ``CivilianShares`` estimates them: one-sided
deaths are civilians by definition (UCDP), and the civilian share of state-based and
non-state deaths is learned per country from the years UCDP's country-year data give both,
shrunk towards the world's share where a country has few deaths.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from atrisk.domain.errors import SourceError
from atrisk.settings import Settings
from atrisk.sources import ged
from atrisk.sources.base import locate

#: The two targets of the country-month panel.
TARGETS: tuple[str, ...] = ("civilian_deaths", "fatalities")


def coded_events(release: ged.Release, ids: Mapping[str, int],
                 settings: Settings | None = None) -> pd.DataFrame:
    """A release's validated events, each with its GW code in ``country_id``: the compilation
    names countries, and ``ids`` (UCDP's names to GW codes) gives their codes."""
    events = ged.release_events(release, settings)
    if release.slim:
        codes = events["country"].map(ids)
        if codes.isna().any():
            name = str(events.loc[codes.isna(), "country"].iloc[0])
            raise SourceError(str(locate(release.source, settings)),
                              f"country {name!r} is not a UCDP country name")
        events = events.assign(country_id=codes.astype(int))
    return events


def release_months(release: ged.Release, ids: Mapping[str, int],
                   settings: Settings | None = None) -> pd.DataFrame:
    """A release's events summed to ``gwcode, month`` (deaths by type of violence too)."""
    return ged.to_country_month(coded_events(release, ids, settings)).assign(
        vintage=release.vintage)


# --- how Candidate counts change when they become final -------------------------------------

@dataclass(frozen=True)
class Revision:
    """What becoming final did to one target's Candidate country-months."""

    target: str
    months: int  # country-months with deaths in either version
    candidate_total: float
    final_total: float
    both_non_zero: int
    log_ratio_sd: float  # sd of log(final / Candidate) where both have deaths
    log_ratio_q05: float
    log_ratio_median: float
    log_ratio_q95: float
    became_non_zero: int  # Candidate said no deaths, final found some
    became_zero: int  # Candidate's deaths moved elsewhere or were dropped


def revisions(candidate: pd.DataFrame, final: pd.DataFrame) -> list[Revision]:
    """Compare Candidate and final counts per ``gwcode, month`` for every target."""
    both = candidate.merge(final, on=["gwcode", "month"], how="outer",
                           suffixes=("_candidate", "_final"))
    out = []
    for target in TARGETS:
        c = both[f"{target}_candidate"].fillna(0.0).to_numpy()
        f = both[f"{target}_final"].fillna(0.0).to_numpy()
        seen = (c > 0) | (f > 0)
        pos = (c > 0) & (f > 0)
        lr = np.log(f[pos] / c[pos])
        q05, q50, q95 = np.quantile(lr, [0.05, 0.5, 0.95])
        out.append(Revision(
            target=target, months=int(seen.sum()), candidate_total=float(c.sum()),
            final_total=float(f.sum()), both_non_zero=int(pos.sum()),
            log_ratio_sd=float(lr.std(ddof=1)), log_ratio_q05=float(q05),
            log_ratio_median=float(q50), log_ratio_q95=float(q95),
            became_non_zero=int(((c == 0) & (f > 0)).sum()),
            became_zero=int(((c > 0) & (f == 0)).sum())))
    return out


def revisions_by_type(candidate: pd.DataFrame, yearly: pd.DataFrame, year: int
                      ) -> pd.DataFrame:
    """Candidate and final deaths by type of violence over the year (UCDP's country-year
    data hold the final split by type; the country-month aggregate does not)."""
    final_cols = {"deaths_state_based": "ucdp_sb_deaths", "deaths_non_state": "ucdp_ns_deaths",
                  "deaths_one_sided": "ucdp_os_deaths"}
    fin = yearly[yearly["year"] == year]
    rows = []
    for col, total in final_cols.items():
        cand, final = float(candidate[col].sum()), float(fin[total].sum())
        rows.append({"type": col.removeprefix("deaths_").replace("_", "-"),
                     "candidate_total": cand, "final_total": final,
                     "final_over_candidate": final / cand if cand else float("nan")})
    return pd.DataFrame(rows)


# --- civilian deaths where a release lacks them ---------------------------------------------

#: Years of UCDP's country-year data a country's civilian shares are learned from, and the
#: weight (in deaths) of the world's share a country is shrunk towards. Chosen on country-years
#: 1995-2017 (each year estimated from its deaths by type with shares learned before it) from
#: 1, 3, 5, 10, 20 years x 10-1,000 deaths: the latest year, shrunk by 100 deaths, had the
#: lowest mean absolute error (benchmarks/candidates.py).
SHARE_YEARS = 1
SHARE_PRIOR = 100.0


@dataclass
class CivilianShares:
    """Estimate civilian deaths from deaths by type: one-sided deaths, plus each country's
    learned civilian share of its state-based and non-state deaths."""

    years: int = SHARE_YEARS
    prior: float = SHARE_PRIOR

    def fit(self, yearly: pd.DataFrame, through: int) -> CivilianShares:
        """Learn shares from ``yearly`` (``organized_violence`` with the civilian columns)
        over the ``years`` up to ``through``."""
        window = yearly[yearly["year"].between(through - self.years + 1, through)]
        self.shares_: dict[str, pd.Series] = {}
        self.world_: dict[str, float] = {}
        for kind, (civ, total) in _SHARE_COLUMNS.items():
            sums = window.groupby("gwcode")[[civ, total]].sum()
            world = float(sums[civ].sum() / sums[total].sum())
            self.world_[kind] = world
            self.shares_[kind] = (sums[civ] + self.prior * world) / (sums[total] + self.prior)
        return self

    def predict(self, months: pd.DataFrame) -> np.ndarray:
        """Estimated civilian deaths for rows with ``gwcode`` and deaths by type."""
        estimate = months["deaths_one_sided"].to_numpy(dtype=float)
        for kind, col in (("state_based", "deaths_state_based"),
                          ("non_state", "deaths_non_state")):
            share = months["gwcode"].map(self.shares_[kind]).fillna(self.world_[kind])
            estimate = estimate + share.to_numpy(dtype=float) * months[col].to_numpy(float)
        return estimate


_SHARE_COLUMNS = {"state_based": ("ucdp_sb_civilian_deaths", "ucdp_sb_deaths"),
                  "non_state": ("ucdp_ns_civilian_deaths", "ucdp_ns_deaths")}


@dataclass(frozen=True)
class EstimatorCheck:
    """The civilian-death estimator against months whose truth is known."""

    check: str  # which months
    shares_through: int  # the last year the shares were learned from
    months: int  # country-months with civilian deaths either reported or estimated
    true_total: float
    estimated_total: float
    mean_absolute_error: float
    median_absolute_error: float
    world_share_mae: float  # the same error for one world share per type (the baseline)
    log_ratio_sd: float  # sd of log((1 + true) / (1 + estimate)): the spread carried


def check_estimator(months: pd.DataFrame, truth: pd.Series, yearly: pd.DataFrame,
                    through: int, label: str) -> EstimatorCheck:
    """Estimate ``months`` (deaths by type) with shares learned through ``through`` and
    compare with ``truth`` (civilian deaths of the same rows)."""
    est = CivilianShares().fit(yearly, through).predict(months)
    world = CivilianShares(prior=1e12).fit(yearly, through).predict(months)
    true = truth.to_numpy(dtype=float)
    seen = (true > 0) | (est >= 0.5)
    err = np.abs(est[seen] - true[seen])
    return EstimatorCheck(
        check=label, shares_through=through, months=int(seen.sum()),
        true_total=float(true.sum()), estimated_total=float(est.sum()),
        mean_absolute_error=float(err.mean()), median_absolute_error=float(np.median(err)),
        world_share_mae=float(np.abs(world[seen] - true[seen]).mean()),
        log_ratio_sd=float(np.std(np.log1p(true[seen]) - np.log1p(est[seen]), ddof=1)))


def as_table(rows: list[Revision] | list[EstimatorCheck]) -> pd.DataFrame:
    return pd.DataFrame([vars(r) for r in rows])
