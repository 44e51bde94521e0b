"""Logistic regressions: EWP's elastic net (glmnet's cv lambda.min), its 2-variable
baseline, and our ridge logit with imputation on our own panel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from atrisk.models.base import KEYS, Forecast, check_fitted, training_rows
from atrisk.models.elastic_net import (
    CrossValidatedPath,
    cross_validate,
    ridge_cross_validate,
)

#: glmnet's defaults for n > p: 100 lambdas down to 1e-4 of the largest.
N_LAMBDAS = 100
LAMBDA_MIN_RATIO = 1e-4
#: Cross-validate the first 45 lambdas; the rest of the path is fitted only when the held-out
#: deviance is still falling within the last ``PAST_MINIMUM`` of them.
FIRST_LAMBDAS = 45
PAST_MINIMUM = 10
SEED = 90035  # EWP's seed (R's RNG differs, so folds are not identical to theirs)
#: The ridge logit's candidate inverse penalties (scikit-learn's ``C``), weakest last.
CS = np.logspace(-3, 0, 7)


class ElasticNetLogit:
    """Elastic-net logit, lambda by 10-fold CV minimising deviance (glmnet ``lambda.min``),
    on complete cases as EWP fits it (imputation is ``RidgeLogit``'s job)."""

    def __init__(self, name: str, features: Sequence[str], target: str = "onset_next2",
                 alpha: float = 0.5, folds: int = 10) -> None:
        self.name = name
        self.features = tuple(features)
        self.target = target
        self.alpha = alpha
        self.folds = folds

    def fit(self, panel: pd.DataFrame) -> Self:
        rows = training_rows(panel, self.target).dropna(subset=list(self.features))
        x = rows[list(self.features)].astype(float).to_numpy()
        y = rows[self.target].astype(float).to_numpy()
        fold = np.empty(len(y), dtype=int)
        for k, (_, held_out) in enumerate(KFold(self.folds, shuffle=True,
                                                 random_state=SEED).split(x)):
            fold[held_out] = k
        path = lambda_path(x, y, self.alpha)
        # Held-out deviance bottoms out a few dozen lambdas into glmnet's path; fitting the
        # tail only to see it keep rising was most of the cost. The path goes on (same warm
        # starts, so the same lambda and coefficients) only if the minimum lies near the cut.
        self.path_: CrossValidatedPath = cross_validate(
            x, y, fold, path[:FIRST_LAMBDAS], self.alpha, extend=path[FIRST_LAMBDAS:],
            past_minimum=PAST_MINIMUM)
        self.means_ = x.mean(axis=0)
        return self

    def _complete(self, panel: pd.DataFrame) -> pd.DataFrame:
        return panel.dropna(subset=list(self.features))

    def predict(self, panel: pd.DataFrame) -> Forecast:
        check_fitted(self, "path_")
        rows = self._complete(panel)
        x = rows[list(self.features)].astype(float).to_numpy()
        p = expit(self.path_.intercept + x @ self.path_.coef)
        return Forecast(self.name, rows[list(KEYS)], p)

    def contributions(self, panel: pd.DataFrame) -> pd.DataFrame:
        """Coefficient x deviation from the training mean, on the log-odds scale."""
        check_fitted(self, "path_")
        rows = self._complete(panel)
        x = rows[list(self.features)].astype(float).to_numpy()
        return pd.DataFrame((x - self.means_) * self.path_.coef, columns=self.features,
                            index=rows.index)


def lambda_path(x: np.ndarray, y: np.ndarray, l1_ratio: float) -> np.ndarray:
    """glmnet's penalty path: from the smallest lambda that keeps every
    standardised coefficient at zero, ``N_LAMBDAS`` steps down to ``LAMBDA_MIN_RATIO`` of it."""
    spread = x.std(axis=0)
    z = (x - x.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    largest = float(np.max(np.abs(z.T @ (y - y.mean())) / len(y)) / l1_ratio)
    return np.logspace(np.log(largest), np.log(largest * LAMBDA_MIN_RATIO), N_LAMBDAS,
                       base=np.e)


class PlainLogit:
    """Unpenalised logistic regression on a few variables (EWP's 2-variable baseline)."""

    def __init__(self, name: str, features: Sequence[str], target: str = "onset_next2") -> None:
        self.name = name
        self.features = tuple(features)
        self.target = target

    def fit(self, panel: pd.DataFrame) -> Self:
        rows = training_rows(panel, self.target).dropna(subset=list(self.features))
        x = rows[list(self.features)].astype(float).to_numpy()
        self.means_ = x.mean(axis=0)
        self.model_ = LogisticRegression(C=np.inf, max_iter=1000).fit(
            x, rows[self.target].astype(int).to_numpy())
        return self

    def predict(self, panel: pd.DataFrame) -> Forecast:
        check_fitted(self, "model_")
        rows = panel.dropna(subset=list(self.features))
        x = rows[list(self.features)].astype(float).to_numpy()
        p = self.model_.predict_proba(x)[:, 1] if len(rows) else np.array([])
        return Forecast(self.name, rows[list(KEYS)], p)

    def contributions(self, panel: pd.DataFrame) -> pd.DataFrame:
        check_fitted(self, "model_")
        rows = panel.dropna(subset=list(self.features))
        x = rows[list(self.features)].astype(float).to_numpy()
        return pd.DataFrame((x - self.means_) * self.model_.coef_[0], columns=self.features,
                            index=rows.index)


class RidgeLogit:
    """L2-penalised logit on our panel: median imputation with missing-value flags,
    standardised inputs, penalty chosen by 5-fold CV on log loss within the training years.

    The model is scikit-learn's ``LogisticRegressionCV`` (``Cs``, stratified folds, held-out
    log-likelihood); it is solved with every fold at once (``ridge_cross_validate``) in about
    a third of the library's time (the 31 back-test windows: 33 s to 9-12 s on one core).
    """

    def __init__(self, name: str, features: Sequence[str], target: str = "onset_next2",
                 folds: int = 5) -> None:
        self.name = name
        self.features = tuple(features)
        self.target = target
        self.folds = folds

    def fit(self, panel: pd.DataFrame) -> Self:
        rows = training_rows(panel, self.target)
        y = rows[self.target].astype(int).to_numpy()
        self.imputer_ = SimpleImputer(strategy=_median, add_indicator=True,
                                      keep_empty_features=True)
        self.scaler_ = StandardScaler()
        z = self.scaler_.fit_transform(self.imputer_.fit_transform(
            rows[list(self.features)].astype(float).to_numpy()))
        fold = np.empty(len(y), dtype=int)
        for k, (_, held_out) in enumerate(StratifiedKFold(
                self.folds, shuffle=True, random_state=SEED).split(z, y)):
            fold[held_out] = k
        self.path_: CrossValidatedPath = ridge_cross_validate(z, y, fold, CS)
        return self

    def _standardised(self, panel: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.scaler_.transform(self.imputer_.transform(
            panel[list(self.features)].astype(float).to_numpy())))

    def predict(self, panel: pd.DataFrame) -> Forecast:
        check_fitted(self, "path_")
        p = (expit(self.path_.intercept + self._standardised(panel) @ self.path_.coef)
             if len(panel) else np.array([]))
        return Forecast(self.name, panel[list(KEYS)], p)

    def contributions(self, panel: pd.DataFrame) -> pd.DataFrame:
        """Coefficient x standardised deviation from the training mean (log-odds)."""
        check_fitted(self, "path_")
        contrib = self._standardised(panel) * self.path_.coef
        names = list(self.features)
        frame = pd.DataFrame(contrib[:, : len(names)], columns=names, index=panel.index)
        # Fold each missing-value flag into its feature so drivers name real variables.
        for j, feature_index in enumerate(self.imputer_.indicator_.features_):
            frame[names[feature_index]] += contrib[:, len(names) + j]
        return frame


def _median(values: np.ndarray) -> float:
    """A column's median for imputation, 0 where it has no value (``keep_empty_features``):
    the library's own ``"median"`` goes through masked arrays, a tenth of this model's fit."""
    return float(np.median(values)) if len(values) else 0.0
