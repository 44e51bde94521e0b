"""How many civilians a new mass-killing episode takes in its first years: a log-normal
regression of UCDP one-sided deaths in the first year (or two) of every episode that began
since 1989, on what is known the year before it begins (population, electoral democracy) and
on who leads the killing (EWP's state-led or non-state episodes; the fitted shift says which
kind UCDP counted more deaths for in the first years). Who will lead an episode that has not
begun is not known, so its chance is learned too, from the same episodes and inputs (a
logistic regression), and a country's expected toll mixes the two kinds by it. Used for the
lives at stake (``forecasting.lives``) and their back-test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.linear_model import LogisticRegression

#: What predicts an episode's toll, known the year before it begins.
SEVERITY = ("popsize_log2", "v2x_polyarchy")
#: UCDP's one-sided violence starts in 1989.
FIRST_ONSET = 1989


@dataclass(frozen=True)
class TollModel:
    """log(1 + civilian deaths of an episode's first ``years`` years) ~ normal(x'b + s·state,
    sigma), and P(state-led | x) = expit(x'g)."""

    years: int
    #: Intercept, the ``SEVERITY`` inputs, then the state-led shift.
    coef: tuple[float, ...]
    sigma: float
    episodes: int
    #: Intercept and the ``SEVERITY`` inputs of the chance that an episode is state-led.
    state_coef: tuple[float, ...]
    state_led: int

    def log_mean(self, rows: pd.DataFrame, state_led: bool) -> np.ndarray:
        x = _design(rows)
        coef = np.asarray(self.coef)
        return np.asarray(x @ coef[:-1] + coef[-1] * float(state_led))

    def state_probability(self, rows: pd.DataFrame) -> np.ndarray:
        """The chance that an episode beginning next year is led by the state."""
        return np.asarray(expit(_design(rows) @ np.asarray(self.state_coef)))

    def expected(self, rows: pd.DataFrame) -> np.ndarray:
        """Mean toll of an episode beginning next year: each kind's log-normal mean, mixed by
        the chance of each."""
        p = self.state_probability(rows)
        state, other = (np.expm1(self.log_mean(rows, kind) + self.sigma**2 / 2)
                        for kind in (True, False))
        return np.asarray(p * state + (1 - p) * other)


def fit_toll(panel: pd.DataFrame, years: int, last_year: int) -> TollModel:
    """The toll model from episodes whose first ``years`` years ended by ``last_year`` (so a
    back-test fits it on the past only). An onset year with a state-led episode counts as
    state-led."""
    panel = panel.sort_values(["gwcode", "year"])
    deaths = panel.groupby("gwcode")["ucdp_os_deaths"]
    toll = sum(deaths.shift(-k).fillna(0.0) for k in range(years))
    before = panel.groupby("gwcode")[list(SEVERITY)].shift(1)  # known the year before
    rows = before.assign(toll=toll, year=panel["year"], onset=panel["mk_onset"],
                         state=panel["mk_onset_state"].fillna(0).astype(float))
    rows = rows[(rows["onset"] == 1) & (rows["year"] >= FIRST_ONSET)
                & (rows["year"] + years - 1 <= last_year)].dropna(subset=list(SEVERITY))
    if len(rows) < len(SEVERITY) + 5:
        raise ValueError(f"only {len(rows)} episodes to learn a toll from")
    x = _design(rows)
    state = rows["state"].to_numpy(dtype=float)
    design = np.column_stack([x, state])
    y = np.log1p(rows["toll"].to_numpy(dtype=float))
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    sigma = float(np.sqrt(residual @ residual / (len(y) - design.shape[1])))
    return TollModel(years, tuple(float(c) for c in coef), sigma, len(rows),
                     _state_coef(x, state), int(state.sum()))


def _state_coef(x: np.ndarray, state: np.ndarray) -> tuple[float, ...]:
    """A ridge logit (scikit-learn's default penalty, on standardised inputs: a few dozen
    episodes) of state leadership, as coefficients on the raw inputs."""
    if state.min() == state.max():  # one kind only so far: its share, as a constant
        share = float(np.clip(state.mean(), 0.01, 0.99))
        return (float(np.log(share / (1 - share))), *([0.0] * (x.shape[1] - 1)))
    mean, scale = x[:, 1:].mean(axis=0), x[:, 1:].std(axis=0)
    scale[scale == 0] = 1.0
    fit = LogisticRegression().fit((x[:, 1:] - mean) / scale, state)
    slopes = fit.coef_[0] / scale
    return (float(fit.intercept_[0] - slopes @ mean), *(float(b) for b in slopes))


def _design(rows: pd.DataFrame) -> np.ndarray:
    values = rows[list(SEVERITY)].astype(float)
    return np.column_stack([np.ones(len(rows)), values.fillna(values.mean()).to_numpy()])
