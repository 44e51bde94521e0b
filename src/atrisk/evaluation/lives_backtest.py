"""How well the expected toll ranked the countries that then lost the most civilians.

For each year Y, from what was known at the end of Y-1: the civilians already being killed
(UCDP one-sided deaths in Y-1, carried forward: the monthly model's back-test draws cover
only 2018-2023, so the same simple stand-in is used for every year) plus the chance of a new
episode in Y (from the annual back-test's out-of-sample 2-year risk made with data of Y-1,
as a one-year chance ``1 - sqrt(1 - p)``) times the toll model fitted on the episodes known
by then. Scored against UCDP one-sided deaths in Y: the rank correlation over countries and
how many of the year's 10 deadliest countries for civilians were in the method's top 20, and
what share of the year's civilian deaths happened in that top 20; beside the deaths carried
forward alone and the risk alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from atrisk.models.toll import fit_toll

TOP_ACTUAL, TOP_FLAGGED = 10, 20
METHODS = ("expected toll", "deaths carried forward", "risk alone")


def backtest_lives(panel: pd.DataFrame, forecasts: pd.DataFrame, model: str,
                   first: int = 2000, last: int = 2024) -> pd.DataFrame:
    """One row per year and method: ``year, method, countries, spearman, top10_in_top20,
    deaths_in_top20``.
    ``forecasts`` is the annual back-test's long table (``ccode, data_year, model,
    probability``)."""
    rows = []
    mine = forecasts[forecasts["model"] == model]
    for year in range(first, last + 1):
        known = panel[panel["year"] == year - 1].set_index("ccode")
        actual = panel[panel["year"] == year].set_index("ccode")["ucdp_os_deaths"]
        risk = mine[mine["data_year"] == year - 1].set_index("ccode")["probability"]
        common = known.index.intersection(actual.dropna().index).intersection(risk.index)
        if len(common) < TOP_FLAGGED:
            continue
        known, actual, risk = known.loc[common], actual.loc[common], risk.loc[common]
        toll = fit_toll(panel[panel["year"] <= year - 1], years=1, last_year=year - 1)
        carried = known["ucdp_os_deaths"].fillna(0.0)
        one_year = 1 - np.sqrt(1 - risk.clip(0, 1))
        scores = {"expected toll": carried + one_year * toll.expected(known.reset_index()),
                  "deaths carried forward": carried, "risk alone": risk}
        deadliest = set(actual.sort_values(ascending=False).index[:TOP_ACTUAL])
        for method in METHODS:
            score = pd.Series(np.asarray(scores[method], dtype=float), index=common)
            flagged = set(score.sort_values(ascending=False, kind="stable")
                          .index[:TOP_FLAGGED])
            rho = spearmanr(score.to_numpy(), actual.to_numpy()).statistic
            rows.append({"year": year, "method": method, "countries": len(common),
                         "spearman": float(rho),
                         "top10_in_top20": len(deadliest & flagged),
                         "deaths_in_top20": float(actual.loc[list(flagged)].sum()
                                                  / max(actual.sum(), 1.0))})
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per method, over the years: the mean rank correlation, the share of each year's 10
    deadliest countries found in the top 20, and the mean share of civilian deaths there."""
    grouped = table.groupby("method", sort=False)
    return pd.DataFrame({
        "years": grouped["year"].count(),
        "mean_spearman": grouped["spearman"].mean().round(3),
        "deadliest_found": (grouped["top10_in_top20"].sum()
                            / (TOP_ACTUAL * grouped["year"].count())).round(3),
        "deaths_in_top20": grouped["deaths_in_top20"].mean().round(3),
    }).reset_index()
