"""A mixture of monthly models' draws: a forecast that is a share of one model's draws and
the rest of another's is the mixture of their distributions.

The CRPS is convex in the forecast distribution, so a mixture scores at most the average
of its parts and can beat both when they err differently: ``recent_history`` is sharp on a
country's level but too narrow when deaths occur; ``quantile_boost`` is wider and knows how
surges of that shape ended elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from atrisk.models.monthly import N_DRAWS, DrawForecast, MonthlyModel


class Mixture:
    """Draws ``0 … share·N`` from ``first``, the rest from ``second``, each draw keeping its
    index (so each part's paths across months stay paths). Rows only ``first`` forecasts
    keep all of its draws."""

    def __init__(self, name: str, target: str, first: MonthlyModel, second: MonthlyModel,
                 share: float = 0.5) -> None:
        if not 0.0 < share < 1.0:
            raise ValueError(f"share must lie strictly between 0 and 1, not {share}")
        self.name = name
        self.target = target
        self.first = first
        self.second = second
        self.share = share

    def params(self) -> dict[str, Any]:
        return {"share": self.share,
                self.first.name: self.first.params(), self.second.name: self.second.params()}

    def fit(self, history: pd.DataFrame) -> Self:
        self.first.fit(history)
        self.second.fit(history)
        return self

    def predict(self, history: pd.DataFrame, steps: Sequence[int]) -> DrawForecast:
        return mix(self.name, self.first.predict(history, steps),
                   self.second.predict(history, steps), self.share)


def mix(name: str, a: DrawForecast, b: DrawForecast, share: float) -> DrawForecast:
    """Draws ``0 … share·N`` of ``a``, the rest of ``b`` where ``b`` forecasts the same row
    (unit and month); rows only ``a`` forecasts keep all of its draws."""
    where = pd.Series(np.arange(len(b.keys)),
                      index=pd.MultiIndex.from_frame(b.keys[["gwcode", "month"]]))
    rows = where.reindex(pd.MultiIndex.from_frame(a.keys[["gwcode", "month"]])).to_numpy()
    both = ~np.isnan(rows)
    k = int(round(share * N_DRAWS))
    draws = a.draws.copy()
    draws[both, k:] = b.draws[rows[both].astype(int), k:]
    return DrawForecast(name, a.target, a.keys, draws)
