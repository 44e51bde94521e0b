"""Monthly probabilistic models: each forecast is 1,000 draws per country, month and target.

The benchmarks are the ViEWS prediction challenge's (Hegre et al., 2025): ``exactly_zero``;
``last_historical`` (Poisson draws around the last observed value); ``conflictology_country12``
(draws from the country's own last 12 months); ``bootstrap240`` (draws from the global pool of
the last 240 months). ``recent_history`` is ours: the country's own past, weighted towards
recent months, with a window, half-life and horizon decay chosen per target on years
before the back-test.

Contract: the constructor stores parameters (``params()`` returns them); ``fit(history)``
learns from months up to the forecast origin (the last month in ``history``) and returns
``self``; ``predict(history, steps)`` returns a ``DrawForecast`` for months ``origin + step``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd

from atrisk.domain.errors import ModelError

N_DRAWS = 1000


@dataclass(frozen=True)
class DrawForecast:
    """Draws (rows x ``N_DRAWS``) for the rows of ``keys`` (gwcode, iso3, month, step)."""

    model: str
    target: str
    keys: pd.DataFrame
    draws: np.ndarray

    def __post_init__(self) -> None:
        if self.draws.shape != (len(self.keys), N_DRAWS):
            raise ModelError(f"{self.model}: draws of shape {self.draws.shape} for "
                             f"{len(self.keys)} rows (expected {N_DRAWS} draws each)")
        if not np.all(np.isfinite(self.draws)) or (self.draws < 0).any():
            raise ModelError(f"{self.model}: draws must be finite and non-negative")


@runtime_checkable
class MonthlyModel(Protocol):
    name: str
    target: str

    def fit(self, history: pd.DataFrame) -> Self: ...

    def params(self) -> dict[str, Any]: ...

    def predict(self, history: pd.DataFrame, steps: Sequence[int]) -> DrawForecast: ...


def settings_of(model: object) -> dict[str, Any]:
    """A model's constructor settings (fitted state ends in ``_``), stored with a forecast."""
    return {k: v for k, v in vars(model).items()
            if not k.endswith("_") and k not in ("name", "target")}


def origin_of(history: pd.DataFrame) -> pd.Period:
    return pd.Period(str(history["month"].max()), freq="M")


def _wide(history: pd.DataFrame, target: str, months: int) -> pd.DataFrame:
    """The last ``months`` months of ``target`` as a country x month matrix (countries that
    exist at the origin; months before a country existed are missing)."""
    origin = origin_of(history)
    first = str(origin - (months - 1))
    recent = history[history["month"] >= first]
    wide = recent.pivot_table(index=["gwcode", "iso3"], columns="month", values=target,
                              aggfunc="first")
    alive = history.loc[history["month"] == str(origin), ["gwcode", "iso3"]]
    idx = pd.MultiIndex.from_frame(alive)
    cols = [str(origin - k) for k in range(months - 1, -1, -1)]
    return wide.reindex(index=idx, columns=cols)


def _keys(countries: pd.MultiIndex, origin: pd.Period, steps: Sequence[int]) -> pd.DataFrame:
    base = countries.to_frame(index=False)
    parts = [base.assign(month=str(origin + s), step=s) for s in steps]
    return pd.concat(parts, ignore_index=True)


class _Benchmark:
    """Shared plumbing: fit stores the origin; draws are made per country, reused per step."""

    window = 1

    def __init__(self, name: str, target: str, seed: int = 0) -> None:
        self.name = name
        self.target = target
        self.seed = seed

    def fit(self, history: pd.DataFrame) -> Self:
        self.origin_ = origin_of(history)
        return self

    def params(self) -> dict[str, Any]:
        return settings_of(self)

    def predict(self, history: pd.DataFrame, steps: Sequence[int]) -> DrawForecast:
        if not hasattr(self, "origin_"):
            raise ModelError(f"{self.name} must be fitted before use")
        wide = _wide(history, self.target, self.window)
        wide = wide[wide.notna().any(axis=1)]  # recent months all unknown: no forecast, not 0
        rng = np.random.default_rng(self.seed)
        blocks = self._join([self._draws(wide, rng, s) for s in steps], steps, rng)
        return DrawForecast(self.name, self.target, _keys(wide.index, self.origin_, steps),
                            np.vstack(blocks).astype(float))

    def _draws(self, wide: pd.DataFrame, rng: np.random.Generator, step: int) -> np.ndarray:
        raise NotImplementedError

    def _join(self, blocks: list[np.ndarray], steps: Sequence[int],
              rng: np.random.Generator) -> list[np.ndarray]:
        """Months drawn independently (the ViEWS benchmarks' definition)."""
        return blocks


class ExactlyZero(_Benchmark):
    def _draws(self, wide, rng, step):
        return np.zeros((len(wide), N_DRAWS))


class LastHistorical(_Benchmark):
    """Poisson draws with mean the last observed month."""

    def _draws(self, wide, rng, step):
        lam = wide.iloc[:, -1].fillna(0.0).to_numpy()
        return rng.poisson(lam[:, None], size=(len(wide), N_DRAWS))


class NegBinHistory(_Benchmark):
    """Negative binomial draws with the mean m and variance v of the country's last
    ``window`` known months (size m^2 / (v - m)); Poisson where v <= m, zeros after calm
    months; months drawn independently. The model one team of the ViEWS 2023/24 challenge
    found to beat its hurdle and neural models; a tenth of the default
    ``history_learned_negbin``'s draws (docs/benchmarks.md, "a negative binomial")."""

    def __init__(self, name: str, target: str, window: int = 12, seed: int = 0) -> None:
        super().__init__(name, target, seed)
        self.window = window

    def _draws(self, wide, rng, step):
        values = wide.to_numpy(dtype=float)
        mean = np.nan_to_num(np.nanmean(values, axis=1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # one known month: no variance
            var = np.nan_to_num(np.nanvar(values, axis=1, ddof=1))
        over = var > mean
        size = np.where(over, mean**2 / np.where(over, var - mean, 1.0), 1.0)
        p = np.where(over, size / (size + mean), 1.0)
        negbin = rng.negative_binomial(np.maximum(size, 1e-9)[:, None], p[:, None],
                                       size=(len(wide), N_DRAWS))
        poisson = rng.poisson(mean[:, None], size=(len(wide), N_DRAWS))
        return np.where(over[:, None], negbin, poisson)


class Conflictology(_Benchmark):
    """Draws from the country's own last ``window`` observed months."""

    def __init__(self, name: str, target: str, window: int = 12, seed: int = 0) -> None:
        super().__init__(name, target, seed)
        self.window = window

    def _draws(self, wide, rng, step):
        return _resample(wide.to_numpy(), np.ones(wide.shape[1]), rng)


class GlobalBootstrap(_Benchmark):
    """Draws from the pool of every country's values in the last ``window`` months."""

    def __init__(self, name: str, target: str, window: int = 240, seed: int = 0) -> None:
        super().__init__(name, target, seed)
        self.window = window

    def _draws(self, wide, rng, step):
        pool = wide.to_numpy().ravel()
        pool = pool[~np.isnan(pool)]
        return rng.choice(pool, size=(len(wide), N_DRAWS), replace=True)


class RecentHistory(_Benchmark):
    """Draws from the country's own last ``window`` months, month k back weighted by
    ``0.5 ** (k / half_life)`` (recent violence says more about the next year than old),
    scaled by ``scale`` at step 3 and by a further ``decay`` per step (violence regresses
    towards calm over a 3-14 month horizon; wars' fatalities more so the further ahead; steps
    before ``first_decay_step`` keep its multiplier, since extrapolating the decay back would
    forecast more than the recent level, which lost on 1995-2017 from October origins and tied
    from December ones) and, for
    non-zero draws, spread by log-normal noise of sd ``jitter`` on the log1p scale (the
    known failure of history-based forecasts is too little spread when deaths occur), and
    rounded to whole deaths.

    A month counts for at most ``cap`` times the country's typical month: the larger of the
    medians of its last 12 and last 3 months (at least one death). GED books some multi-month
    death tolls in a single month (Rwanda 1994-04, Ethiopia 2021-01 and 2022-08, Mexico's
    Januaries), and a one-off spike drawn back as often as an ordinary month dominates the
    raw-scale CRPS for a year. The last-3 median and leaving the latest month uncapped keep a
    war that has just begun (Israel and Gaza, 2023-10) at its new level.

    The same calendar month in the window's earlier years shares an extra ``season`` of the
    weight (fighting seasons; GED books year-long tolls with unknown dates in January).

    Draw j of every month is one path through the coming months: each month's draws are
    reordered so their ranks follow a Gaussian AR(1) with month-to-month correlation
    ``paths`` (a bad month tends to follow a bad month; 0.5 was best on 1995-2017 for the
    6-month outlook). Each month's draws, and so every
    monthly score, are unchanged; sums over months (a 6-month or annual total) are not.

    A provisional month (a UCDP Candidate release) is drawn times ``exp(sd * z)``, ``sd``
    the panel's ``<target>_sd`` for that month (the spread of Candidate-to-final revisions,
    and of the civilian estimate where the release had no civilian split): a forecast from
    provisional months is no more confident than the revisions allow. Final months: sd 0.

    Every setting was chosen, per target, on the test years 1995-2017 (before the
    back-test's 2018-2023) from a coordinate search around the grid in docs/benchmarks.md;
    the defaults are civilian deaths', ``RECENT_HISTORY_SETTINGS`` holds the rest.
    """

    def __init__(self, name: str, target: str, window: int = 36, half_life: float = 3.0,
                 scale: float = 0.85, decay: float = 1.0, jitter: float = 0.5,
                 cap: float | None = 10.0, season: float = 0.2, paths: float = 0.5,
                 first_decay_step: int = 3, seed: int = 0) -> None:
        super().__init__(name, target, seed)
        self.window = window
        self.half_life = half_life
        self.scale = scale
        self.decay = decay
        self.jitter = jitter
        self.cap = cap
        self.season = season
        self.paths = paths
        self.first_decay_step = first_decay_step

    def fit(self, history: pd.DataFrame) -> Self:
        super().fit(history)
        column = f"{self.target}_sd"
        self.spread_ = (_wide(history, column, self.window) if column in history
                        else None)
        return self

    def _draws(self, wide, rng, step):
        values = self._capped(wide.to_numpy())
        idx = _pick(values, self._weights(wide.shape[1], step), rng)
        out = _take(values, idx)
        spread = self._spread(wide)
        if spread is not None:  # provisional months: as uncertain as revisions make them
            out *= np.exp(rng.standard_normal(out.shape) * _take(spread, idx))
        out *= self.scale * self.decay ** (max(step, self.first_decay_step) - 3)
        if self.jitter > 0:
            noise = rng.normal(0.0, self.jitter, out.shape) * (out > 0)
            out = np.maximum(np.expm1(np.log1p(out) + noise), 0.0)
        return np.round(out)  # deaths are whole: a damped 0.85 still counts as one death

    def _spread(self, wide: pd.DataFrame) -> np.ndarray | None:
        """Per month of ``wide``, the log-scale sd a drawn value is spread by (the panel's
        ``<target>_sd``: 0 for final months); None when every month is final."""
        if self.spread_ is None:
            return None
        spread = self.spread_.reindex(index=wide.index, columns=wide.columns).to_numpy()
        spread = np.nan_to_num(spread, nan=0.0)
        return spread if spread.any() else None

    def _capped(self, values: np.ndarray) -> np.ndarray:
        """Each month at most ``cap`` times the country's typical month; the latest never."""
        if self.cap is None:
            return values
        limit = np.repeat(self.cap * _typical(values)[:, None], values.shape[1], axis=1)
        limit[:, -1] = np.inf
        return np.minimum(values, limit)

    def _weights(self, months: int, step: int) -> np.ndarray:
        """Weight of each of the last ``months`` months (oldest first) for month ``step``."""
        ages = np.arange(months - 1, -1, -1)
        weights = 0.5 ** (ages / self.half_life)
        weights /= weights.sum()
        same_month = (ages + step) % 12 == 0
        if self.season > 0 and same_month.any():
            weights = weights + self.season * same_month / same_month.sum()
        return weights

    def _join(self, blocks, steps, rng):
        return as_paths(blocks, steps, self.paths, rng)


def as_paths(blocks: list[np.ndarray], steps: Sequence[int], rho: float,
             rng: np.random.Generator) -> list[np.ndarray]:
    """Reorder each month's draws (rows x draws) so that draw j across months is one path:
    ranks follow a Gaussian AR(1) in the step, correlation ``rho ** gap`` between months
    ``gap`` steps apart (a Gaussian copula). Each month keeps its own set of draws."""
    if rho <= 0 or len(blocks) < 2:
        return blocks
    order = np.argsort(steps)
    rows, n = blocks[0].shape
    z = rng.standard_normal((rows, n))
    out: list[np.ndarray] = [np.empty(0)] * len(blocks)
    for k, i in enumerate(order):
        if k:
            r = rho ** (steps[i] - steps[order[k - 1]])
            z = r * z + np.sqrt(1 - r * r) * rng.standard_normal((rows, n))
        # the k-th smallest draw goes where z is k-th smallest
        path = np.empty_like(blocks[i])
        np.put_along_axis(path, np.argsort(z, axis=1), np.sort(blocks[i], axis=1), axis=1)
        out[i] = path
    return out


def _typical(values: np.ndarray) -> np.ndarray:
    """Per row, the larger of the medians of the last 12 and the last 3 known months (a new
    war's level is its recent months, not its calm year), at least 1."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-unknown slices give NaN
        level = np.fmax(np.nanmedian(values[:, -12:], axis=1),
                        np.nanmedian(values[:, -3:], axis=1))
    return np.maximum(np.nan_to_num(level, nan=0.0), 1.0)


def _pick(values: np.ndarray, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``N_DRAWS`` month indices per row, month j with weight ``weights[j]`` among the months
    that row has observed (-1 where it has none)."""
    idx = np.full((len(values), N_DRAWS), -1)
    complete = ~np.isnan(values).any(axis=1)
    if complete.any():
        idx[complete] = rng.choice(values.shape[1], size=(int(complete.sum()), N_DRAWS),
                                   p=weights / weights.sum())
    for i in np.flatnonzero(~complete):  # countries younger than the window
        seen = ~np.isnan(values[i])
        if seen.any():
            w = weights[seen] / weights[seen].sum()
            idx[i] = rng.choice(np.flatnonzero(seen), size=N_DRAWS, replace=True, p=w)
    return idx


def _take(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """The values at ``idx`` (from ``_pick``); a row with no observed month draws zeros."""
    out = np.take_along_axis(np.nan_to_num(values, nan=0.0), np.maximum(idx, 0), axis=1)
    return np.where(idx >= 0, out, 0.0)


def _resample(values: np.ndarray, weights: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
    """``N_DRAWS`` draws per row from that row's observed values, month j with weight
    ``weights[j]``; rows with no observed month draw zeros."""
    return _take(values, _pick(values, weights, rng))


#: ``recent_history``'s settings that differ from the defaults, by target (chosen on
#: 1995-2017; docs/benchmarks.md). Fatalities, mostly wars', fall away with the horizon:
#: 1.05 times the recent level 3 months ahead, 0.67 times 14 months ahead.
RECENT_HISTORY_SETTINGS: dict[str, dict[str, Any]] = {
    "civilian_deaths": {},
    "fatalities": {"scale": 1.05, "decay": 0.96, "cap": 50.0},
}
