"""An equal-weight ensemble on the log-odds scale: averaging diverse models is the most
reliable gain in forecasting tournaments, and needs no weights tuned on scored years.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from atrisk.models.base import KEYS, Forecast, StructuralModel


class LogOddsEnsemble:
    """Mean of the members' log-odds; drivers are the mean of their contributions."""

    def __init__(self, name: str, members: Sequence[StructuralModel],
                 target: str = "onset_next2") -> None:
        self.name = name
        self.members = tuple(members)
        self.target = target
        #: Every member's inputs, in order, each once.
        self.features = tuple(dict.fromkeys(
            f for m in self.members for f in getattr(m, "features", ())))

    def fit(self, panel: pd.DataFrame) -> Self:
        for member in self.members:
            member.fit(panel)
        return self

    def predict(self, panel: pd.DataFrame) -> Forecast:
        return self.combine(self.name, [m.predict(panel) for m in self.members])

    @staticmethod
    def combine(name: str, members: Sequence[Forecast]) -> Forecast:
        """The ensemble of already-made member forecasts (rows all members cover)."""
        forecasts = [f.to_frame() for f in members]
        merged = forecasts[0][list(KEYS)].copy()
        lo = []
        for i, f in enumerate(forecasts):
            merged = merged.merge(f[["gwcode", "year", "probability"]].rename(
                columns={"probability": f"p{i}"}), on=["gwcode", "year"], how="inner")
            lo.append(f"p{i}")
        eps = 1e-6
        z = logit(np.clip(merged[lo].to_numpy(), eps, 1 - eps)).mean(axis=1)
        return Forecast(name, merged[list(KEYS)], expit(z))

    def contributions(self, panel: pd.DataFrame) -> pd.DataFrame:
        parts = [m.contributions(panel) for m in self.members]
        total = parts[0] * 0.0
        for part in parts:
            total = total.add(part, fill_value=0.0)
        return total / len(parts)
