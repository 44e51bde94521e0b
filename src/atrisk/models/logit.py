"""Logistic regressions: EWP's elastic net (glmnet's cv lambda.min), its 2-variable
baseline, and our ridge logit with imputation on our own panel.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Self

import numpy as np
import pandas as pd
from scipy.special import expit, log_expit
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from atrisk.models.base import KEYS, Forecast, check_fitted, training_rows
from atrisk.models.elastic_net import CrossValidatedPath, cross_validate

#: glmnet's defaults for n > p: 100 lambdas down to 1e-4 of the largest.
N_LAMBDAS = 100
LAMBDA_MIN_RATIO = 1e-4
#: Cross-validate the first 45 lambdas; the rest of the path is fitted only when the held-out
#: deviance is still falling within the last ``PAST_MINIMUM`` of them.
FIRST_LAMBDAS = 45
PAST_MINIMUM = 10
SEED = 90035  # EWP's seed (R's RNG differs, so folds are not identical to theirs)


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
    """

    def __init__(self, name: str, features: Sequence[str], target: str = "onset_next2",
                 folds: int = 5) -> None:
        self.name = name
        self.features = tuple(features)
        self.target = target
        self.folds = folds

    def fit(self, panel: pd.DataFrame) -> Self:
        rows = training_rows(panel, self.target)
        x = rows[list(self.features)].astype(float)
        self.pipeline_ = make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            StandardScaler(),
            LogisticRegressionCV(Cs=np.logspace(-3, 0, 7), cv=StratifiedKFold(
                self.folds, shuffle=True, random_state=SEED), scoring=_neg_log_loss,
                solver="newton-cholesky", max_iter=200),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.pipeline_.fit(x.to_numpy(), rows[self.target].astype(int).to_numpy())
        return self

    def predict(self, panel: pd.DataFrame) -> Forecast:
        check_fitted(self, "pipeline_")
        x = panel[list(self.features)].astype(float).to_numpy()
        p = self.pipeline_.predict_proba(x)[:, 1] if len(panel) else np.array([])
        return Forecast(self.name, panel[list(KEYS)], p)

    def contributions(self, panel: pd.DataFrame) -> pd.DataFrame:
        """Coefficient x standardised deviation from the training mean (log-odds)."""
        check_fitted(self, "pipeline_")
        imputer, scaler, logit = (self.pipeline_[i] for i in range(3))
        z = scaler.transform(imputer.transform(panel[list(self.features)].astype(float)
                                               .to_numpy()))
        contrib = z * logit.coef_[0]
        names = list(self.features)
        frame = pd.DataFrame(contrib[:, : len(names)], columns=names, index=panel.index)
        # Fold each missing-value flag into its feature so drivers name real variables.
        for j, feature_index in enumerate(imputer.indicator_.features_):
            frame[names[feature_index]] += contrib[:, len(names) + j]
        return frame


def _neg_log_loss(model: LogisticRegression, x: np.ndarray, y: np.ndarray) -> float:
    """The held-out mean log-likelihood by which ``RidgeLogit`` picks its penalty: sklearn's
    ``neg_log_loss`` without its input checks (35 scorings per fit; a quarter of the fit's
    time under cProfile, a few percent of the back-test's wall time without it); the same
    value to rounding, and the same forecasts to the last bit on the 31 back-test windows."""
    z = x @ np.ravel(model.coef_) + np.ravel(model.intercept_)[0]
    return float(np.mean(y * log_expit(z) + (1 - y) * log_expit(-z)))
