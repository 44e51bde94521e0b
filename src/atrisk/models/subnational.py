"""Sub-national monthly models: draws for every cell (or region) of a country and month.

A unit history is a country's unit panel in the monthly models' layout: ``gwcode`` holds the
unit (a PRIO-GRID id or a region name), ``iso3`` the country, so the ViEWS benchmarks of
``models.monthly`` (exactly zero, last historical, conflictology per unit, bootstrap) run at
unit level unchanged, as the ViEWS grid challenge defines them.

``national_shares`` is ours, top-down: the country's total for each month and draw (by
default the national ``recent_history`` model on the country's own months; for the live
forecast, the published national forecast) is shared among the units. Unit ``u``'s share
mixes where deaths fell recently (months weighted by ``0.5 ** (age / half_life)``), in the
cells around it (cells only: violence spreads to neighbours), where they fell over the whole
history, and an even spread (violence where there was none before), with weights
``1 : neighbours : long_run : even``. Each draw's total is dealt out by a Dirichlet-
multinomial with total concentration ``concentration``: deaths come in clusters (a massacre
is one place), so a draw's deaths fall in fewer cells than an even multinomial would put them.
The units of each draw add up to the national draw exactly, so the sub-national forecast
never contradicts the national one.

The defaults were chosen on validation years 2005-2011 of the Central African Republic and
Myanmar cells (docs/benchmarks.md, "Where in the country"): a half-life of 24 months,
neighbours and long run at half the recent weight each, 5% even, concentration 0.1 (a draw's
deaths in a few cells).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from atrisk.domain import priogrid
from atrisk.domain.errors import ModelError
from atrisk.models.monthly import (
    N_DRAWS,
    RECENT_HISTORY_SETTINGS,
    DrawForecast,
    MonthlyModel,
    RecentHistory,
    _keys,
    _wide,
    origin_of,
    settings_of,
)
from atrisk.models.monthly_mixture import Mixture, mix
from atrisk.models.monthly_registry import MONTHLY_MODELS

#: The ViEWS benchmarks, at unit level.
BENCHMARKS: tuple[str, ...] = ("exactly_zero", "last_historical", "conflictology_country12",
                               "bootstrap240")


def unit_history(table: pd.DataFrame, iso3: str) -> pd.DataFrame:
    """A unit panel (``unit``, ``month``, targets) in the monthly models' layout."""
    return table.rename(columns={"unit": "gwcode"}).assign(iso3=iso3)


def national_history(history: pd.DataFrame) -> pd.DataFrame:
    """The country's own months: the sum of its units (one row per month; missing where
    the units' month is unknown)."""
    targets = [c for c in ("civilian_deaths", "fatalities") if c in history]
    total = history.groupby("month", as_index=False)[targets].sum(min_count=1)
    return total.assign(gwcode=0, iso3=history["iso3"].iloc[0])


class NationalShares:
    """The national total shared among units (see the module docstring)."""

    def __init__(self, name: str, target: str, half_life: float = 24.0, window: int = 60,
                 neighbours: float = 0.5, long_run: float = 0.5, even: float = 0.05,
                 concentration: float = 0.1, seed: int = 0) -> None:
        self.name = name
        self.target = target
        self.half_life = half_life
        self.window = window
        self.neighbours = neighbours
        self.long_run = long_run
        self.even = even
        self.concentration = concentration
        self.seed = seed

    def params(self) -> dict[str, Any]:
        return settings_of(self)

    def fit(self, history: pd.DataFrame) -> Self:
        self.origin_ = origin_of(history)
        self.national_ = RecentHistory("recent_history", self.target,
                                       **RECENT_HISTORY_SETTINGS[self.target])
        self.national_.fit(national_history(history))
        return self

    def shares(self, history: pd.DataFrame) -> pd.Series:
        """Each unit's expected share of the country's deaths in the coming months."""
        wide = _wide(history, self.target, self.window).fillna(0.0)
        units = wide.index.get_level_values("gwcode")
        ages = np.arange(wide.shape[1] - 1, -1, -1)
        recent = wide.to_numpy() @ (0.5 ** (ages / self.half_life))
        whole = (history.groupby("gwcode")[self.target].sum()
                 .reindex(units).fillna(0.0).to_numpy())
        parts = [(1.0, recent), (self.long_run, whole),
                 (self.even, np.ones(len(units)))]
        if self.neighbours > 0 and np.issubdtype(np.asarray(units).dtype, np.integer):
            parts.append((self.neighbours, _around(np.asarray(units, dtype=np.int64), recent)))
        mix = sum(w * part / part.sum() for w, part in parts if part.sum() > 0)
        share = np.asarray(mix, dtype=float)
        return pd.Series(share / share.sum(), index=wide.index)

    def predict(self, history: pd.DataFrame, steps: Sequence[int],
                national: np.ndarray | None = None) -> DrawForecast:
        """Unit draws for ``steps``; ``national`` (steps x draws) replaces the national
        model's draws of the country's totals (the published national forecast)."""
        if not hasattr(self, "origin_"):
            raise ModelError(f"{self.name} must be fitted before use")
        if national is None:
            fc = self.national_.predict(national_history(history), steps)
            national = fc.draws
        if national.shape != (len(steps), N_DRAWS):
            raise ModelError(f"{self.name}: national draws of shape {national.shape} for "
                             f"{len(steps)} months")
        share = self.shares(history)
        rng = np.random.default_rng(self.seed)
        blocks = [self._deal(np.round(national[i]).astype(np.int64), share.to_numpy(), rng)
                  for i in range(len(steps))]
        return DrawForecast(self.name, self.target, _keys(share.index, self.origin_, steps),
                            np.vstack(blocks).astype(float))

    def _deal(self, totals: np.ndarray, share: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
        """Units x draws: each draw's total dealt out by a Dirichlet-multinomial."""
        alpha = np.maximum(self.concentration * share, 1e-9)
        weights = rng.gamma(alpha, size=(len(totals), len(share)))
        sums = weights.sum(axis=1, keepdims=True)
        weights = np.where(sums > 0, weights / np.where(sums > 0, sums, 1.0), share)
        weights /= weights.sum(axis=1, keepdims=True)
        return rng.multinomial(totals, weights).T


def _around(cells: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each cell's mean of ``values`` over its eight neighbours within the country."""
    position = {int(c): i for i, c in enumerate(cells)}
    around = priogrid.neighbours(cells)
    index = np.vectorize(lambda c: position.get(int(c), -1))(around)
    padded = np.append(values, 0.0)
    return padded[index].mean(axis=1)


def deal_out(model: Any, history: pd.DataFrame, steps: Sequence[int],
             national: np.ndarray) -> DrawForecast:
    """A fitted model's draws, ``national_shares`` (alone or as a mixture's first part, as in
    ``history_and_shares``) dealing out ``national`` (steps x draws): the live forecast's
    published national run, or the back-test's national forecast from the same origin."""
    if isinstance(model, NationalShares):
        return model.predict(history, steps, national=national)
    if isinstance(model, Mixture) and isinstance(model.first, NationalShares):
        return mix(model.name, model.first.predict(history, steps, national=national),
                   model.second.predict(history, steps), model.share)
    return model.predict(history, steps)


def subnational_models() -> dict[str, Any]:
    """Every sub-national model by name: the four benchmarks, ``recent_history`` per unit
    (bottom-up), ``national_shares`` (top-down) and ``history_and_shares``, half the draws of
    each of the last two."""
    models: dict[str, Any] = {name: MONTHLY_MODELS[name] for name in BENCHMARKS}
    models["recent_history"] = MONTHLY_MODELS["recent_history"]
    models["national_shares"] = lambda target: NationalShares("national_shares", target)
    models[CURRENT] = lambda target: Mixture(
        CURRENT, target, NationalShares("national_shares", target),
        MONTHLY_MODELS["recent_history"](target), share=SHARE)
    return models


#: The live forecast's model: ``CURRENT`` (better on the back-test's validation years) where
#: the units' own history reaches the national forecast's origin, as its per-unit half
#: forecasts from the units' last months; ``DEFAULT`` where the history ends before it.
DEFAULT = "national_shares"
CURRENT = "history_and_shares"
#: ``CURRENT``'s share of draws from ``national_shares``.
SHARE = 0.5
__all__ = ["BENCHMARKS", "CURRENT", "DEFAULT", "MonthlyModel", "NationalShares", "deal_out",
           "national_history", "subnational_models", "unit_history"]
