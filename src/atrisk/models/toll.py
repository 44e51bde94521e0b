"""How many civilians a new mass-killing episode takes in its first years: a log-normal
regression of UCDP one-sided deaths in the first year (or two) of every episode that began
since 1989, on what is known the year before it begins (population, electoral democracy).
Used for the lives at stake (``forecasting.lives``) and their back-test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: What predicts an episode's toll, known the year before it begins.
SEVERITY = ("popsize_log2", "v2x_polyarchy")
#: UCDP's one-sided violence starts in 1989.
FIRST_ONSET = 1989


@dataclass(frozen=True)
class TollModel:
    """log(1 + civilian deaths of an episode's first ``years`` years) ~ normal(x'b, sigma)."""

    years: int
    coef: tuple[float, ...]
    sigma: float
    episodes: int

    def log_mean(self, rows: pd.DataFrame) -> np.ndarray:
        x = _design(rows)
        return np.asarray(x @ np.asarray(self.coef))

    def expected(self, rows: pd.DataFrame) -> np.ndarray:
        """Mean toll of an episode beginning next year (the log-normal's mean)."""
        return np.asarray(np.expm1(self.log_mean(rows) + self.sigma**2 / 2))


def fit_toll(panel: pd.DataFrame, years: int, last_year: int) -> TollModel:
    """The toll model from episodes whose first ``years`` years ended by ``last_year`` (so a
    back-test fits it on the past only)."""
    panel = panel.sort_values(["gwcode", "year"])
    deaths = panel.groupby("gwcode")["ucdp_os_deaths"]
    toll = sum(deaths.shift(-k).fillna(0.0) for k in range(years))
    before = panel.groupby("gwcode")[list(SEVERITY)].shift(1)  # known the year before
    rows = before.assign(toll=toll, year=panel["year"], onset=panel["mk_onset"])
    rows = rows[(rows["onset"] == 1) & (rows["year"] >= FIRST_ONSET)
                & (rows["year"] + years - 1 <= last_year)].dropna(subset=list(SEVERITY))
    if len(rows) < len(SEVERITY) + 5:
        raise ValueError(f"only {len(rows)} episodes to learn a toll from")
    x = _design(rows)
    y = np.log1p(rows["toll"].to_numpy(dtype=float))
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ coef
    sigma = float(np.sqrt(residual @ residual / (len(y) - x.shape[1])))
    return TollModel(years, tuple(float(c) for c in coef), sigma, len(rows))


def _design(rows: pd.DataFrame) -> np.ndarray:
    values = rows[list(SEVERITY)].astype(float)
    return np.column_stack([np.ones(len(rows)), values.fillna(values.mean()).to_numpy()])
