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
take 3 fits per target); inside ``stored_fits(directory)`` fits are also kept on disk under
the hash of their training data, settings, code and LightGBM version, so a run whose inputs
did not change (every ``make run`` after the first, a back-test run again) reads them back
instead of refitting (a fit is 13 weighted quantile boosts, one to two minutes). Settings
(the weight, 100 rounds at rate 0.1, refits every 36 months) were chosen on 1995-2017 rolling
origins (benchmarks/monthly_learned.py).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any, Literal, Self

import lightgbm as lgb
import numpy as np
import pandas as pd
from pandas.api.indexers import BaseIndexer

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
_FITS: OrderedDict[str, list[lgb.Booster]] = OrderedDict()
_KEEP_FITS = 8
#: Fits kept on disk (``stored_fits``), newest first; older ones are removed.
_KEEP_STORED = 32
_STORE: list[Path] = []
#: Seconds after which a half-written fit is a killed run's leftover (writing takes < 1 s).
_PART_AGE = 600


@contextmanager
def stored_fits(directory: Path) -> Iterator[None]:
    """Within the block, fits are read from and written to ``directory`` (see the module
    docstring); a stored fit predicts exactly as the fit it was written from."""
    _STORE.append(directory)
    try:
        yield
    finally:
        _STORE.pop()


def path_features(own: np.ndarray, other: np.ndarray) -> dict[str, np.ndarray]:
    """Features of every country (rows) at every month (columns) from the months up to it:
    ``own`` and ``other`` are raw deaths, NaN where unknown. Each array has ``own``'s shape;
    a feature at month t uses no month after t."""
    logs = np.log1p(own)
    seen = ~np.isnan(own)
    nonzero = np.where(seen, own > 0, False)
    since = np.full(own.shape, 999.0)
    last = np.full(own.shape[0], -10_000)
    for t in range(own.shape[1]):
        last = np.where(nonzero[:, t], t, last)
        since[:, t] = t - last
    other_logs = np.log1p(other)
    return {
        "lag0": logs,
        "lag1": _shift(logs, 1),
        "lag2": _shift(logs, 2),
        "mean3": rolling(logs, 3, "mean"),
        "mean6": rolling(logs, 6, "mean"),
        "mean12": rolling(logs, 12, "mean"),
        "mean36": rolling(logs, 36, "mean"),
        "max12": rolling(logs, 12, "max"),
        "level3": np.log1p(rolling(own, 3, "mean")),
        "level12": np.log1p(rolling(own, 12, "mean")),
        "share12": rolling(nonzero.astype(float), 12, "mean"),
        "since": np.minimum(since, 120.0),
        "other3": rolling(other_logs, 3, "mean"),
        "other12": rolling(other_logs, 12, "mean"),
    }


class _WithinRows(BaseIndexer):
    """Trailing windows of ``window_size`` that stay within each row of a flattened
    countries x months matrix (``months`` values per row)."""

    months: int

    def get_window_bounds(self, num_values: int = 0, min_periods: int | None = None,
                          center: bool | None = None, closed: str | None = None,
                          step: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        i = np.arange(num_values, dtype=np.int64)
        start = np.maximum(i - self.window_size + 1, i - i % self.months)
        return start, i + 1


def rolling(values: np.ndarray, months: int, how: Literal["mean", "max"]) -> np.ndarray:
    """Each row's trailing ``months``-month mean or max (NaN ignored, at least one value):
    pandas' rolling along each row, run as one pass over the rows laid end to end, which
    gives the same numbers to the last bit (pandas restarts its running sum wherever a
    window does not overlap the one before) at a fraction of the per-column cost."""
    flat = pd.Series(np.ascontiguousarray(values, dtype=float).ravel())
    window = flat.rolling(_WithinRows(window_size=months, months=values.shape[1]),
                          min_periods=1)
    out = window.mean() if how == "mean" else window.max()
    return out.to_numpy().reshape(values.shape)


def _shift(values: np.ndarray, months: int) -> np.ndarray:
    out = np.full(values.shape, np.nan)
    out[:, months:] = values[:, :-months]
    return out


def wide_all(history: pd.DataFrame, column: str) -> pd.DataFrame:
    """Countries x every month of ``column`` (NaN where the panel has no row)."""
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

    def _inputs(self, history: pd.DataFrame) -> tuple[pd.MultiIndex, list[str], np.ndarray,
                                                       dict[str, np.ndarray]]:
        """Countries x months of the target (NaN where unknown) and of every feature of
        ``features()`` but the step (a variant adds its own here)."""
        own = wide_all(history, self.target)
        column = _OTHER[self.target]  # a panel without it: the features are unknown
        other = (wide_all(history, column).reindex_like(own) if column in history
                 else pd.DataFrame(np.nan, index=own.index, columns=own.columns))
        values = own.to_numpy(dtype=float)
        feats = path_features(values, other.to_numpy(dtype=float))
        return own.index, [str(m) for m in own.columns], values, feats

    def features(self) -> tuple[str, ...]:
        """The design matrix's columns, the step first."""
        return FEATURES

    def _active(self, values: np.ndarray) -> np.ndarray:
        nonzero = (np.nan_to_num(values) > 0).astype(float)
        return rolling(nonzero, self.active_months, "max") > 0

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
        key = self._key(train, cutoff)
        boosters = _FITS.get(key) or _read(key)
        if boosters is None:
            boosters = self._boost(train, cutoff)
            _write(key, boosters)
        _FITS[key] = self.boosters_ = boosters
        _FITS.move_to_end(key)
        while len(_FITS) > _KEEP_FITS:
            _FITS.popitem(last=False)
        return self

    def _key(self, train: pd.DataFrame, cutoff: pd.Period) -> str:
        """What a fit depends on: the training months of both targets, the settings and
        features, this module's code and LightGBM's version."""
        columns = ["gwcode", "month", *(c for c in (self.target, _OTHER[self.target])
                                          if c in train)]
        digest = hashlib.blake2b(digest_size=20)
        for part in (self.target, repr(sorted(self.params().items())), str(cutoff),
                     repr(self.features()),
                     repr(sorted(PARAMS.items())), repr(LEVELS), _code_digest(),
                     ",".join(columns)):
            digest.update(part.encode() + b"\0")
        digest.update(pd.util.hash_pandas_object(train[columns].astype({"month": str}),
                                                 index=False).to_numpy().tobytes())
        return f"{self.target}-{cutoff}-{digest.hexdigest()}"

    def _boost(self, train: pd.DataFrame, cutoff: pd.Period) -> list[lgb.Booster]:
        _, _, values, feats = self._inputs(train)
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
            return list(pool.map(fit_level, LEVELS))

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

    def _design(self, feats: dict[str, np.ndarray], rows: np.ndarray, step: int
                ) -> np.ndarray:
        columns = [np.full(int(rows.sum()), float(step))]
        columns += [feats[name][rows] for name in self.features()[1:]]
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

    def latest(self, history: pd.DataFrame) -> tuple[pd.MultiIndex, np.ndarray, np.ndarray]:
        """The countries that exist at the origin, their features there (one row each, in
        ``FEATURES`` order but for the step) and whether each had deaths recently enough to
        be forecast. The features roll through every month of the history, as in training:
        a window's mean is a running sum, so a shorter history could move it by a rounding
        error, enough to send a country down another branch of a tree."""
        index, months, values, feats = self._inputs(history)
        if months[-1] != str(self.origin_):
            raise ModelError(f"{self.name}: no data for the origin {self.origin_}")
        seen = ~np.isnan(values[:, -1])
        now = np.column_stack([feats[name][seen, -1] for name in self.features()[1:]])
        return index[seen], now, self._active(values)[seen, -1]

    def predict(self, history: pd.DataFrame, steps: Sequence[int]) -> DrawForecast:
        if not hasattr(self, "boosters_"):
            raise ModelError(f"{self.name} must be fitted before use")
        countries, now, active = self.latest(history)
        rng = np.random.default_rng(self.seed)
        X = np.vstack([np.column_stack([np.full(len(countries), float(step)), now])
                       for step in steps])
        logs = self._quantile_draws(X)
        draws = np.round(np.expm1(logs))
        draws[~np.tile(active, len(steps))] = 0.0
        blocks = np.split(draws, len(steps))
        if len(steps) > 1:
            blocks = as_paths(blocks, steps, self.paths, rng)
        else:  # no paths to join: still in quantile order, which a mixture must not take
            blocks = [rng.permuted(blocks[0], axis=1)]
        return DrawForecast(self.name, self.target, _keys(countries, self.origin_, steps),
                            np.vstack(blocks))


@cache
def _code_digest() -> str:
    """This module's code and LightGBM's version: a change to either refits."""
    return hashlib.blake2b(Path(__file__).read_bytes() + lgb.__version__.encode(),
                           digest_size=16).hexdigest()


def _read(key: str) -> list[lgb.Booster] | None:
    if not _STORE or not (path := _STORE[-1] / f"{key}.txt").is_file():
        return None
    models = path.read_text().split(_SEPARATOR)
    if len(models) != len(LEVELS):  # not written by this code: fit again
        return None
    path.touch()  # kept longest when used most recently
    return [lgb.Booster(model_str=m) for m in models]


def _write(key: str, boosters: list[lgb.Booster]) -> None:
    if not _STORE:
        return
    directory = _STORE[-1]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{key}.txt"
    part = path.with_suffix(f".{os.getpid()}.part")
    part.write_text(_SEPARATOR.join(b.model_to_string() for b in boosters))
    part.replace(path)
    stored = sorted(directory.glob("*.txt"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in stored[_KEEP_STORED:]:
        old.unlink(missing_ok=True)
    for left in directory.glob("*.part"):  # a killed run's half-written fit
        with suppress(FileNotFoundError):
            if time.time() - left.stat().st_mtime > _PART_AGE:
                left.unlink()


_SEPARATOR = "\n#--- next quantile ---\n"
