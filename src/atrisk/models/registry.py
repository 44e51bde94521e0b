"""The named structural models, each with the panel it is trained on.

``ewp_replica`` and ``simple`` use EWP's prepared table exactly as EWP does (complete cases);
our models use our own panel rebuilt from the sources, with missing values kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from atrisk.models.base import StructuralModel
from atrisk.models.boosting import GradientBoosting
from atrisk.models.ensemble import LogOddsEnsemble
from atrisk.models.logit import ElasticNetLogit, PlainLogit, RidgeLogit
from atrisk.panels.country_year import FEATURES
from atrisk.sources.ewp import PREPARED_PREDICTORS

Dataset = Literal["ewp", "atrisk"]

#: Directions theory and the record agree on (risk rises with violence and repression).
MONOTONE: dict[str, int] = {
    "mk_ongoing_count_log2": 1, "ucdp_os_deaths_log2": 1, "ucdp_os_deaths_log2_3yr": 1,
    "ucdp_sb_deaths_log2_3yr": 1, "battledeaths_log2": 1, "imr_sqrt": 1, "v2x_clphy": -1,
}


@dataclass(frozen=True)
class ModelSpec:
    name: str
    dataset: Dataset
    description: str
    build: Callable[[str], StructuralModel]
    #: For an ensemble: the models it averages (a back-test reuses their fitted forecasts).
    members: tuple[str, ...] = ()


def _ensemble(target: str) -> StructuralModel:
    return LogOddsEnsemble("ensemble", [_logit(target), _lgbm(target)], target=target)


def _logit(target: str) -> StructuralModel:
    return RidgeLogit("logit", FEATURES, target=target)


def _lgbm(target: str) -> StructuralModel:
    return GradientBoosting("lgbm", FEATURES, target=target, monotone=MONOTONE)


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("ewp_replica", "ewp",
                  "EWP 2025: elastic-net logit (alpha 0.5, lambda.min by 10-fold CV) on its "
                  "38 predictors plus year, complete cases",
                  lambda target: ElasticNetLogit("ewp_replica", PREPARED_PREDICTORS,
                                                 target=target)),
        ModelSpec("simple", "ewp",
                  "EWP's 2-variable baseline: logit on infant mortality and ongoing episodes",
                  lambda target: PlainLogit("simple", ("un_imr_sqrt", "mk_ongoing_count_log2"),
                                            target=target)),
        ModelSpec("logit", "atrisk",
                  "Ridge logit on our panel (penalty by CV), median imputation with missing flags",
                  _logit),
        ModelSpec("lgbm", "atrisk",
                  "LightGBM on our panel, native missing values, monotone constraints", _lgbm),
        ModelSpec("ensemble", "atrisk", "Equal-weight log-odds mean of logit and lgbm",
                  _ensemble, members=("logit", "lgbm")),
    )
}

#: What each dataset calls the two-year and one-year targets.
TARGETS: dict[Dataset, dict[str, str]] = {
    "ewp": {"onset_next2": "mk_onset_1or2", "onset_next1": "mk_onset_1"},
    "atrisk": {"onset_next2": "onset_next2", "onset_next1": "onset_next1"},
}
