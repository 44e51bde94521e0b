"""A learned monthly model: gradient-boosted quantiles of next months' deaths, from every
country's recent path, trained on every past country-month.

History models (``recent_history``, ``conflictology_country12``) replay a country's own
months; they cannot know how surges of that shape ended elsewhere. ``quantile_boost`` learns
it: for each step ahead it predicts quantiles of ``log1p(deaths)`` from features of the
recent path (the last months, means over 3-36 months, the year's peak, how many months had
deaths, the months since the last, the other target's level), with LightGBM's pinball loss.
The pinball loss averaged over quantile levels is the CRPS of the quantile forecast
(Gneiting & Raftery, 2007), so the model is fitted for the score it is judged by; quantiles
are equivariant under ``log1p``, so fitting on the log scale changes the weighting, not what
is estimated. Crossed quantiles are sorted (Chernozhukov et al., 2010); 1,000 draws are read
off the interpolated quantile function and joined into paths as ``recent_history``'s are.

Countries with no deaths in the last ``active_months`` draw zeros (no model does better on
a month-to-month onset at the country level); the model learns on the others.

Training rows are every (country, month t, step s) with t + s at or before the training
cut-off, each weighted by ``(1 + the country's mean deaths of the last 3 months) **
weight_power``: the raw-scale CRPS the model is judged by weighs a large country-month's
error by its size, the log-scale pinball loss does not. The model retrains on the data through
every ``refit_months``-th December (every third: 2019-12, 2022-12, 2025-12); forecasts from
the origins in between use that fit and the latest months as features. A fit depends only on
data through its cut-off, so it is reused across origins (the rolling back-test's 84 origins
take 3 fits per target). Settings (the weight, 100 rounds at rate 0.1, refits every 36
months) were chosen on 1995-2017 rolling origins (benchmarks/monthly_learned.py).
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self

import lightgbm as lgb
import numpy as np
import pandas as pd

from atrisk.domain.errors import ModelError
from atrisk.models.monthly import (
    N_DRAWS,
    DrawForecast,
    _keys,
    as_paths,
    origin_of,
    settings_of,
)

#: Quantile levels fitted; draws between them are interpolated on the log1p scale.
LEVELS: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95,
                             0.98)
PARAMS: dict[str, Any] = {
    "objective": "quantile",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.5,
    "bagging_freq": 1,
    "verbose": -1,
    "num_threads": 0,
    "seed": 20261201,
    "deterministic": True,
    "force_row_wise": True,
}
FEATURES: tuple[str, ...] = ("step", "lag0", "lag1", "lag2", "mean3", "mean6", "mean12",
                             "mean36", "max12", "level3", "level12", "share12", "since",
                             "other3", "other12")
_OTHER = {"civilian_deaths": "fatalities", "fatalities": "civilian_deaths"}
_FITS: OrderedDict[tuple, list[lgb.Booster]] = OrderedDict()
_KEEP_FITS = 8


def path_features(own: np.ndarray, other: np.ndarray) -> dict[str, np.ndarray]:
    """Features of every country (rows) at every month (columns) from the months up to it:
    ``own`` and ``other`` are raw deaths, NaN where unknown. Each array has ``own``'s shape;
    a feature at month t uses no month after t."""
    logs = np.log1p(own)
    frame = pd.DataFrame(logs.T)
    raw = pd.DataFrame(own.T)

    def mean(values: pd.DataFrame, months: int) -> np.ndarray:
        return values.rolling(months, min_periods=1).mean().to_numpy().T

    seen = ~np.isnan(own)
    nonzero = np.where(seen, own > 0, False)
    since = np.full(own.shape, 999.0)
    last = np.full(own.shape[0], -10_000)
    for t in range(own.shape[1]):
        last = np.where(nonzero[:, t], t, last)
        since[:, t] = t - last
    other_logs = pd.DataFrame(np.log1p(other).T)
    return {
        "lag0": logs,
        "lag1": _shift(logs, 1),
        "lag2": _shift(logs, 2),
        "mean3": mean(frame, 3),
        "mean6": mean(frame, 6),
        "mean12": mean(frame, 12),
        "mean36": mean(frame, 36),
        "max12": frame.rolling(12, min_periods=1).max().to_numpy().T,
        "level3": np.log1p(mean(raw, 3)),
        "level12": np.log1p(mean(raw, 12)),
        "share12": pd.DataFrame(nonzero.T.astype(float)).rolling(12, min_periods=1)
        .mean().to_numpy().T,
        "since": np.minimum(since, 120.0),
        "other3": mean(other_logs, 3),
        "other12": mean(other_logs, 12),
    }


def _shift(values: np.ndarray, months: int) -> np.ndarray:
    out = np.full(values.shape, np.nan)
    out[:, months:] = values[:, :-months]
    return out


def _wide_all(history: pd.DataFrame, column: str) -> pd.DataFrame:
    return history.pivot_table(index=["gwcode", "iso3"], columns="month", values=column,
                               aggfunc="first").sort_index(axis=1)


class QuantileBoost:
    """Gradient-boosted quantiles of each coming month's deaths (see the module docstring)."""

    def __init__(self, name: str, target: str, rounds: int = 100, active_months: int = 36,
                 refit_months: int = 36, first_month: str = "1990-01", paths: float = 0.5,
                 learning_rate: float = 0.1, weight_power: float = 1.0,
                 seed: int = 0) -> None:
        self.name = name
        self.target = target
        self.rounds = rounds
        self.active_months = active_months
        self.refit_months = refit_months
        self.first_month = first_month
        self.paths = paths
        self.learning_rate = learning_rate
        self.weight_power = weight_power
        self.seed = seed

    def params(self) -> dict[str, Any]:
        return settings_of(self)

    def _matrices(self, history: pd.DataFrame) -> tuple[pd.MultiIndex, list[str],
                                                         dict[str, np.ndarray], np.ndarray]:
        own = _wide_all(history, self.target)
        column = _OTHER[self.target]  # a panel without it: the features are unknown
        other = (_wide_all(history, column).reindex_like(own) if column in history
                 else pd.DataFrame(np.nan, index=own.index, columns=own.columns))
        values = own.to_numpy(dtype=float)
        feats = path_features(values, other.to_numpy(dtype=float))
        return own.index, [str(m) for m in own.columns], feats, values

    def _active(self, values: np.ndarray) -> np.ndarray:
        nonzero = pd.DataFrame(np.nan_to_num(values).T > 0)
        return nonzero.rolling(self.active_months, min_periods=1).max().to_numpy().T > 0

    def cutoff(self, origin: pd.Period) -> pd.Period:
        """The last month of the training data of a forecast from ``origin``: the latest
        December whose months since year 0 are a multiple of ``refit_months`` past one."""
        index = origin.year * 12 + origin.month - 1  # a December is 11 mod 12
        return origin - ((index - 11) % self.refit_months)

    def fit(self, history: pd.DataFrame) -> Self:
        self.origin_ = origin_of(history)
        cutoff = self.cutoff(self.origin_)
        train = history[(history["month"] <= str(cutoff))
                        & (history["month"] >= self.first_month)]
        _, months, feats, values = self._matrices(train)
        key = (self.target, tuple(sorted(self.params().items())), str(cutoff),
               hashlib.blake2b(np.nan_to_num(values, nan=-1).tobytes()
                               + "|".join(months).encode()).hexdigest())
        if key in _FITS:
            _FITS.move_to_end(key)
            self.boosters_ = _FITS[key]
            return self
        X, y = self._training_rows(feats, values)
        if not len(y):
            raise ModelError(f"{self.name}: no country had deaths in the months through "
                             f"{cutoff} to learn from")
        level3 = X[:, FEATURES.index("level3")]
        weight = np.exp(self.weight_power * level3) if self.weight_power else None  # (1+x)^p
        params = {**PARAMS, "learning_rate": self.learning_rate, "num_threads": 1}

        def fit_level(level: float) -> lgb.Booster:  # one core each: quantiles side by side
            data = lgb.Dataset(X, y, weight=weight, params=params)
            return lgb.train({**params, "alpha": level}, data, num_boost_round=self.rounds)

        with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:  # LightGBM frees the GIL
            self.boosters_ = list(pool.map(fit_level, LEVELS))
        _FITS[key] = self.boosters_
        while len(_FITS) > _KEEP_FITS:
            _FITS.popitem(last=False)
        return self

    def _training_rows(self, feats: dict[str, np.ndarray], values: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        active = self._active(values) & ~np.isnan(values)
        blocks, targets = [], []
        for step in range(1, 13):
            future = np.full(values.shape, np.nan)
            future[:, :-step] = values[:, step:]
            rows = active & ~np.isnan(future)
            blocks.append(self._design(feats, rows, step))
            targets.append(np.log1p(future[rows]))
        return np.vstack(blocks), np.concatenate(targets)

    @staticmethod
    def _design(feats: dict[str, np.ndarray], rows: np.ndarray, step: int) -> np.ndarray:
        columns = [np.full(int(rows.sum()), float(step))]
        columns += [feats[name][rows] for name in FEATURES[1:]]
        return np.column_stack(columns)

    def _quantile_draws(self, X: np.ndarray) -> np.ndarray:
        """``N_DRAWS`` values of log1p(deaths) per row: the fitted quantiles, sorted where
        they cross, read at evenly spaced levels (held flat beyond the outer levels)."""
        q = np.sort(np.column_stack([b.predict(X) for b in self.boosters_]), axis=1)
        q = np.maximum(q, 0.0)
        u = (np.arange(N_DRAWS) + 0.5) / N_DRAWS
        upper = np.clip(np.searchsorted(LEVELS, u), 1, len(LEVELS) - 1)
        levels = np.asarray(LEVELS)
        share = np.clip((u - levels[upper - 1]) / (levels[upper] - levels[upper - 1]), 0, 1)
        return q[:, upper - 1] * (1 - share) + q[:, upper] * share

    def predict(self, history: pd.DataFrame, steps: Sequence[int]) -> DrawForecast:
        if not hasattr(self, "boosters_"):
            raise ModelError(f"{self.name} must be fitted before use")
        index, months, feats, values = self._matrices(history)
        if months[-1] != str(self.origin_):
            raise ModelError(f"{self.name}: no data for the origin {self.origin_}")
        last = len(months) - 1
        seen = ~np.isnan(values[:, last])  # countries that exist at the origin
        countries = index[seen]
        now = {name: feats[name][seen, last] for name in FEATURES[1:]}
        active = self._active(values)[seen, last]
        rng = np.random.default_rng(self.seed)
        X = np.vstack([np.column_stack([np.full(len(countries), float(step))]
                                       + [now[name] for name in FEATURES[1:]])
                       for step in steps])
        logs = self._quantile_draws(X)
        draws = np.round(np.expm1(logs))
        draws[~np.tile(active, len(steps))] = 0.0
        blocks = np.split(draws, len(steps))
        blocks = as_paths(blocks, steps, self.paths, rng)
        return DrawForecast(self.name, self.target, _keys(countries, self.origin_, steps),
                            np.vstack(blocks))
