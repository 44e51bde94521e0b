"""The one model contract every structural model follows (STYLE.md §2).

The constructor stores parameters only; ``fit(panel)`` learns from the rows whose target is
known and returns ``self``; fitted state ends in ``_``; ``predict(panel)`` returns a
``Forecast``; ``contributions(panel)`` says how each feature moved each country's risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Self, runtime_checkable

import numpy as np
import pandas as pd

from atrisk.domain.errors import ModelError

#: Columns that identify a country-year in every panel a model sees.
KEYS: tuple[str, ...] = ("gwcode", "ccode", "iso3", "year")


@dataclass(frozen=True)
class Forecast:
    """Probabilities for country-years, one per row of ``keys``."""

    model: str
    keys: pd.DataFrame
    probability: np.ndarray

    def __post_init__(self) -> None:
        p = np.asarray(self.probability, dtype=float)
        if p.ndim != 1 or len(p) != len(self.keys):
            raise ModelError(f"{self.model}: {len(p)} probabilities for {len(self.keys)} rows")
        if not np.all(np.isfinite(p)) or p.min(initial=0) < 0 or p.max(initial=0) > 1:
            raise ModelError(f"{self.model}: probabilities must be finite and within [0, 1]")
        missing = [k for k in KEYS if k not in self.keys.columns]
        if missing:
            raise ModelError(f"{self.model}: forecast keys lack {missing}")

    def to_frame(self) -> pd.DataFrame:
        out = self.keys[list(KEYS)].reset_index(drop=True).copy()
        out["model"] = self.model
        out["probability"] = self.probability
        return out


@runtime_checkable
class StructuralModel(Protocol):
    """What the back-test and the forecaster need of a model."""

    name: str
    target: str

    def fit(self, panel: pd.DataFrame) -> Self: ...

    def predict(self, panel: pd.DataFrame) -> Forecast: ...

    def contributions(self, panel: pd.DataFrame) -> pd.DataFrame: ...


def training_rows(panel: pd.DataFrame, target: str) -> pd.DataFrame:
    """Rows whose target is observed (a missing future is never treated as 0)."""
    if target not in panel.columns:
        raise ModelError(f"panel has no target column {target!r}")
    return panel[panel[target].notna()]


def check_fitted(model: object, attribute: str) -> None:
    if not hasattr(model, attribute):
        raise ModelError(f"{type(model).__name__} must be fitted before use")
