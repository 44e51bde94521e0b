"""Time the structural back-test side by side: one process fitting one window after another
(as before), the fits shared among processes, and a re-run that reads back the fits whose
inputs, settings and model code did not change; with the scores each produced, which must
be the same. The replica is also timed with glum's cross-validation (how it was fitted before
``atrisk.models.elastic_net``), in the same process.

Run: ``uv run python benchmarks/backtest_speed.py`` (the data build in ``build/data``).
EWP's own R script (``model_3Sep2025.R``, cv.glmnet on the same 31 windows) takes 45-55 s on
this kind of machine, as measured when the issue was filed; R is not installable here (CRAN
is not reachable), so that figure is quoted, not re-measured.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Self

import numpy as np
import pandas as pd
from glum import GeneralizedLinearRegressorCV
from sklearn.model_selection import KFold

from atrisk.domain.horizon import structural_windows
from atrisk.evaluation.backtest import CARRIED, backtest
from atrisk.evaluation.metrics import scoreboard
from atrisk.models.base import training_rows
from atrisk.models.elastic_net import CrossValidatedPath
from atrisk.models.logit import (
    FIRST_LAMBDAS,
    PAST_MINIMUM,
    SEED,
    ElasticNetLogit,
    lambda_path,
)
from atrisk.models.registry import MODELS
from atrisk.panels.build import LAST_OBSERVED, read_table
from atrisk.settings import get_settings
from atrisk.sources import crosswalk
from atrisk.sources.ewp import PREPARED_PREDICTORS


class GlumElasticNetLogit(ElasticNetLogit):
    """The replica as fitted before: glum's ``GeneralizedLinearRegressorCV`` on the same
    folds and the same short path (the whole path when the minimum lies near its end)."""

    def fit(self, panel: pd.DataFrame) -> Self:
        rows = training_rows(panel, self.target).dropna(subset=list(self.features))
        x = rows[list(self.features)].astype(float).to_numpy()
        y = rows[self.target].astype(float).to_numpy()
        path = lambda_path(x, y, self.alpha)
        model = self._glum(x, y, path[:FIRST_LAMBDAS])
        if int(np.argmin(model.deviance_path_.mean(axis=0))) >= FIRST_LAMBDAS - PAST_MINIMUM:
            model = self._glum(x, y, path)
        best = int(np.argmin(model.deviance_path_.mean(axis=0)))
        self.path_ = CrossValidatedPath(model.alphas_, model.deviance_path_[:, 0, :], best,
                                        float(model.intercept_), np.asarray(model.coef_))
        self.means_ = x.mean(axis=0)
        return self

    def _glum(self, x: np.ndarray, y: np.ndarray, lambdas: np.ndarray
              ) -> GeneralizedLinearRegressorCV:
        model = GeneralizedLinearRegressorCV(
            family="binomial", l1_ratio=self.alpha, alphas=lambdas, scale_predictors=True,
            cv=KFold(self.folds, shuffle=True, random_state=SEED))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(x, y)
        return model


GLUM = replace(MODELS["ewp_replica"], build=lambda target: GlumElasticNetLogit(
    "ewp_replica", PREPARED_PREDICTORS, target=target))


def main() -> None:
    settings = get_settings()
    panel = read_table(settings, "panel")
    panels = {"atrisk": panel, "ewp": read_table(settings, "ewp_prepared")}
    capitals = crosswalk.gw_capitals(settings)
    onsets = panel[["ccode", "year", "mk_onset"]]
    jobs = os.cpu_count() or 1
    rows = []
    started = time.perf_counter()
    every = backtest([GLUM], panels, panel, structural_windows(), jobs=1)
    seconds = time.perf_counter() - started
    board = scoreboard(every, onsets, last_observed=LAST_OBSERVED).set_index("model")
    rows.append({"back-test": "EWP replica (FOOS, 31 windows)", "how": "one process, glum",
                 "seconds": round(seconds, 1), "model": "ewp_replica",
                 "auc": round(float(board.loc["ewp_replica", "auc"]), 4),
                 "top30": int(board.loc["ewp_replica", "top30"]),
                 "n": int(board.loc["ewp_replica", "n"])})
    with tempfile.TemporaryDirectory() as tmp:
        for label, names, carry in (("EWP replica (FOOS, 31 windows)", ["ewp_replica"], None),
                                    ("five models (+ our three carried forward)",
                                     list(MODELS), capitals)):
            cache = Path(tmp) / label.split()[0]
            for mode, n, cached in (("one process", 1, None), (f"{jobs} processes", jobs, cache),
                                    ("re-run, inputs unchanged", jobs, cache)):
                started = time.perf_counter()
                every = backtest([MODELS[m] for m in names], panels, panel,
                                 structural_windows(), carry_forward=carry, jobs=n,
                                 cache=cached)
                seconds = time.perf_counter() - started
                board = scoreboard(every[~every["model"].str.endswith(CARRIED)], onsets,
                                   last_observed=LAST_OBSERVED).set_index("model")
                first = board.loc[names[0]]
                rows.append({"back-test": label, "how": mode, "seconds": round(seconds, 1),
                             "model": names[0], "auc": round(float(first["auc"]), 4),
                             "top30": int(first["top30"]), "n": int(first["n"])})
    table = pd.DataFrame(rows)
    print(f"{jobs} cores\n")
    print("| " + " | ".join(table.columns) + " |\n|" + "---|" * len(table.columns))
    for r in table.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in r) + " |")


if __name__ == "__main__":
    main()
