"""Lives at stake: the civilians each country may lose in the next 12 and 24 months.

Two parts, added draw by draw so the interval covers both:

- **What is already happening**: the monthly model's draws of civilian deaths, summed over
  its 12 months (the 24-month figure adds 12 more months at each draw's twelfth month: the
  monthly model does not look further, so the last month it sees is assumed to persist).
- **What a new episode would take**: the chance of a new mass-killing episode (the annual
  model's 1-year and 2-year risks) times the civilian toll such an episode takes in its first
  year (two years), learned from every episode that began since UCDP's records start (1989):
  UCDP one-sided deaths in the onset year (and the year after), by what predicts severity that
  is known before an onset, the country's population and its electoral democracy (V-Dem), in
  a log-normal regression (``TollModel``). Drawn as: an onset with the risk's probability, and
  if so a toll from the log-normal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atrisk.models.toll import TollModel

QUANTILES = (0.1, 0.9)
SEED = 2024


def lives_at_stake(draws: pd.DataFrame, risks: pd.DataFrame, tolls: tuple[TollModel, TollModel],
                   seed: int = SEED) -> pd.DataFrame:
    """Per country: expected civilian deaths in the next 12 and 24 months with their 80%
    intervals, and each part's expectation.

    ``draws``: the monthly model's civilian-death draws (``iso3, month, draw, value``);
    ``risks``: per ``iso3`` the annual ``risk_1yr`` and ``risk_2yr`` and the ``SEVERITY``
    inputs of the data year; ``tolls``: the one-year and the two-year ``TollModel``."""
    rng = np.random.default_rng(seed)
    wide = draws.pivot_table(index=["iso3", "draw"], columns="month", values="value",
                             aggfunc="sum").sort_index(axis=1)
    months = wide.to_numpy()
    ongoing_12 = pd.Series(months.sum(axis=1), index=wide.index)
    ongoing_24 = ongoing_12 + 12 * pd.Series(months[:, -1], index=wide.index)
    rows = risks.set_index("iso3")
    out = []
    for iso3, one in ongoing_12.groupby(level="iso3"):
        if iso3 not in rows.index:
            continue
        row = rows.loc[[iso3]]
        n = len(one)
        totals = {}
        news = {}
        for horizon, ongoing, risk, toll in ((12, one, "risk_1yr", tolls[0]),
                                             (24, ongoing_24.loc[iso3], "risk_2yr", tolls[1])):
            p = float(row[risk].iloc[0])
            onset = rng.random(n) < p
            size = np.expm1(rng.normal(toll.log_mean(row)[0], toll.sigma, n))
            totals[horizon] = np.asarray(ongoing).ravel() + onset * size
            news[horizon] = p * float(toll.expected(row)[0])
        out.append({
            "iso3": iso3,
            "ongoing_12": float(np.mean(np.asarray(one))),
            "ongoing_24": float(np.mean(np.asarray(ongoing_24.loc[iso3]))),
            "new_12": news[12], "new_24": news[24],
            "expected_12": float(np.mean(np.asarray(one))) + news[12],
            "expected_24": float(np.mean(np.asarray(ongoing_24.loc[iso3]))) + news[24],
            **{f"{'low' if q < 0.5 else 'high'}_{h}": float(np.quantile(totals[h], q))
               for h in (12, 24) for q in QUANTILES},
        })
    table = pd.DataFrame(out)
    return table.sort_values("expected_12", ascending=False).reset_index(drop=True)
