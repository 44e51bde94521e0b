"""EWP's 'fully out-of-sample' structural back-test, for any set of models.

For each last training year L, every model is fitted on country-years <= L (from 1960) and
forecasts from the data of year L+2. Scoring is separate (``metrics``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from atrisk.domain.horizon import StructuralWindow
from atrisk.evaluation.metrics import (
    calibration,
    onset_years,
    records,
    restrict_to_common,
    roc_points,
    scoreboard,
)
from atrisk.models.base import Forecast
from atrisk.models.ensemble import LogOddsEnsemble
from atrisk.models.registry import TARGETS, ModelSpec

FIRST_TRAIN_YEAR = 1960

COLUMNS = ["ccode", "gwcode", "iso3", "data_year", "last_train_year", "model", "probability",
           "onset_next2"]


def backtest(specs: Sequence[ModelSpec], panels: Mapping[str, pd.DataFrame],
             outcomes: pd.DataFrame, windows: Sequence[StructuralWindow],
             progress: Callable[[str], None] = lambda _: None) -> pd.DataFrame:
    """Long table of out-of-sample forecasts, one row per model, window and country.

    ``outcomes`` carries the truth by ``ccode, year`` (``onset_next2``, missing where unknown).
    """
    parts = []
    by_name = {s.name: s for s in specs}
    for window in windows:
        made: dict[str, Forecast] = {}
        # Members first, so an ensemble reuses their fits instead of refitting them.
        for spec in sorted(specs, key=lambda s: bool(s.members)):
            progress(f"{spec.name} L={window.last_train_year}")
            if spec.members and all(m in made for m in spec.members):
                made[spec.name] = LogOddsEnsemble.combine(
                    spec.name, [made[m] for m in spec.members])
            else:
                panel = panels[spec.dataset]
                train = panel[(panel["year"] <= window.last_train_year)
                              & (panel["year"] >= FIRST_TRAIN_YEAR)]
                test = panel[panel["year"] == window.data_year]
                model = spec.build(TARGETS[spec.dataset]["onset_next2"]).fit(train)
                made[spec.name] = model.predict(test)
        for name in by_name:
            frame = made[name].to_frame()
            frame["data_year"] = window.data_year
            frame["last_train_year"] = window.last_train_year
            parts.append(frame.drop(columns="year"))
    out = pd.concat(parts, ignore_index=True)
    truth = outcomes[["ccode", "year", "onset_next2"]].rename(columns={"year": "data_year"})
    out = out.merge(truth, on=["ccode", "data_year"], how="left")
    return out[COLUMNS]


def report(forecasts: pd.DataFrame, onsets: pd.DataFrame, last_observed: int
           ) -> dict[str, list[dict[str, object]]]:
    """The scores a back-test is published with (JSON-ready): the side-by-side table on
    common country-years, its strict variant, calibration and ROC curves."""
    common = restrict_to_common(forecasts)
    return {
        "last_observed": last_observed,  # type: ignore[dict-item]
        "scores": records(scoreboard(common, onsets, last_observed=last_observed)),
        "scores_strict": records(scoreboard(common, onsets, strict=True,
                                            last_observed=last_observed)),
        "calibration": records(calibration(common)),
        "roc": records(roc_points(onset_years(common, onsets, last_observed=last_observed))),
    }
