"""Gradient boosting (LightGBM) on our own panel: missing values handled natively, monotone
where theory is clear, SHAP values as drivers.

Hyper-parameters are fixed a priori (small trees, strong shrinkage, subsampling) and never
tuned on back-test years; the number of rounds scales with the training size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Self

import lightgbm as lgb
import numpy as np
import pandas as pd

from atrisk.models.base import KEYS, Forecast, check_fitted, training_rows

PARAMS: dict[str, object] = {
    "objective": "binary",
    "learning_rate": 0.02,
    "num_leaves": 7,
    "max_depth": 3,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.6,
    "bagging_fraction": 0.7,
    "bagging_freq": 1,
    "lambda_l2": 10.0,
    "verbose": -1,
    "num_threads": 0,  # OpenMP's default: every core, or a parallel worker's share
    "seed": 20251124,
    "deterministic": True,
    "force_row_wise": True,
}
ROUNDS = 400


class GradientBoosting:
    """LightGBM binary classifier with optional monotone constraints."""

    def __init__(self, name: str, features: Sequence[str], target: str = "onset_next2",
                 monotone: Mapping[str, int] | None = None, rounds: int = ROUNDS,
                 seed: int = 20251124) -> None:
        self.name = name
        self.features = tuple(features)
        self.target = target
        self.monotone = dict(monotone or {})
        self.rounds = rounds
        self.seed = seed

    def fit(self, panel: pd.DataFrame) -> Self:
        rows = training_rows(panel, self.target)
        params = {**PARAMS, "seed": self.seed,
                  "monotone_constraints": [self.monotone.get(f, 0) for f in self.features]}
        data = lgb.Dataset(rows[list(self.features)].astype(float).to_numpy(),
                           label=rows[self.target].astype(float).to_numpy(),
                           feature_name=[f.replace(".", "_") for f in self.features],
                           free_raw_data=True)
        self.booster_ = lgb.train(params, data, num_boost_round=self.rounds)
        return self

    def predict(self, panel: pd.DataFrame) -> Forecast:
        check_fitted(self, "booster_")
        x = panel[list(self.features)].astype(float).to_numpy()
        p = self.booster_.predict(x) if len(panel) else np.array([])
        return Forecast(self.name, panel[list(KEYS)], np.asarray(p, dtype=float))

    def contributions(self, panel: pd.DataFrame) -> pd.DataFrame:
        """SHAP values (log-odds), from LightGBM's exact TreeSHAP."""
        check_fitted(self, "booster_")
        x = panel[list(self.features)].astype(float).to_numpy()
        shap = np.asarray(self.booster_.predict(x, pred_contrib=True))[:, :-1]
        return pd.DataFrame(shap, columns=self.features, index=panel.index)
