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
from atrisk.panels.provisional import carried_rows

FIRST_TRAIN_YEAR = 1960

COLUMNS = ["ccode", "gwcode", "iso3", "data_year", "last_train_year", "model", "probability",
           "onset_next2"]


#: The suffix of a model's forecasts made from carried-forward rows (``carry_forward``).
CARRIED = "+carried"


def backtest(specs: Sequence[ModelSpec], panels: Mapping[str, pd.DataFrame],
             outcomes: pd.DataFrame, windows: Sequence[StructuralWindow],
             progress: Callable[[str], None] = lambda _: None,
             carry_forward: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long table of out-of-sample forecasts, one row per model, window and country.

    ``outcomes`` carries the truth by ``ccode, year`` (``onset_next2``, missing where unknown).
    With ``carry_forward`` (the capitals, for neighbours), every model on our own panel also
    forecasts, as ``<name>+carried``, from the data year's rows made as a provisional year
    is made (``panels.provisional``): the cost of forecasting a year early.
    """
    parts = []
    by_name = {s.name: s for s in specs}
    for window in windows:
        made: dict[str, Forecast] = {}
        carried = (carried_rows(panels["atrisk"], window.data_year, carry_forward)
                   if carry_forward is not None and "atrisk" in panels else None)
        # Members first, so an ensemble reuses their fits instead of refitting them.
        for spec in sorted(specs, key=lambda s: bool(s.members)):
            progress(f"{spec.name} L={window.last_train_year}")
            variants = [spec.name] + ([spec.name + CARRIED]
                                      if carried is not None and spec.dataset == "atrisk" else [])
            if spec.members and all(m in made for m in spec.members):
                for name in variants:
                    suffix = name.removeprefix(spec.name)
                    made[name] = LogOddsEnsemble.combine(
                        name, [made[m + suffix] for m in spec.members])
            else:
                panel = panels[spec.dataset]
                train = panel[(panel["year"] <= window.last_train_year)
                              & (panel["year"] >= FIRST_TRAIN_YEAR)]
                test = panel[panel["year"] == window.data_year]
                model = spec.build(TARGETS[spec.dataset]["onset_next2"]).fit(train)
                made[spec.name] = model.predict(test)
                if carried is not None and spec.dataset == "atrisk":
                    made[spec.name + CARRIED] = model.predict(carried)
        for name in (n for base in by_name for n in (base, base + CARRIED) if n in made):
            frame = made[name].to_frame()
            frame["model"] = name
            frame["data_year"] = window.data_year
            frame["last_train_year"] = window.last_train_year
            parts.append(frame.drop(columns="year"))
    out = pd.concat(parts, ignore_index=True)
    truth = outcomes[["ccode", "year", "onset_next2"]].rename(columns={"year": "data_year"})
    out = out.merge(truth, on=["ccode", "data_year"], how="left")
    return out[COLUMNS]


def carry_forward_cost(forecasts: pd.DataFrame, onsets: pd.DataFrame, last_observed: int
                       ) -> pd.DataFrame:
    """Each model against its ``+carried`` twin on the country-years both forecast: AUC and
    top-30 with full data and with the data year carried forward, and the loss (full minus
    carried; positive is worse)."""
    rows = []
    for carried in sorted(m for m in forecasts["model"].unique() if m.endswith(CARRIED)):
        full = carried.removesuffix(CARRIED)
        pair = restrict_to_common(forecasts[forecasts["model"].isin([full, carried])])
        board = scoreboard(pair, onsets, last_observed=last_observed).set_index("model")
        rows.append({"model": full, "n": int(board.loc[full, "n"]),
                     "onsets": int(board.loc[full, "onsets"]),
                     "auc_full": float(board.loc[full, "auc"]),
                     "auc_carried": float(board.loc[carried, "auc"]),
                     "top30_full": float(board.loc[full, "top30"]),
                     "top30_carried": float(board.loc[carried, "top30"])})
    table = pd.DataFrame(rows, columns=["model", "n", "onsets", "auc_full", "auc_carried",
                                        "top30_full", "top30_carried"])
    table["auc_loss"] = table["auc_full"] - table["auc_carried"]
    table["top30_loss"] = table["top30_full"] - table["top30_carried"]
    return table


def report(forecasts: pd.DataFrame, onsets: pd.DataFrame, last_observed: int
           ) -> dict[str, list[dict[str, object]]]:
    """The scores a back-test is published with (JSON-ready): the side-by-side table on
    common country-years, its strict variant, calibration and ROC curves, and (when the
    back-test carried data forward) what forecasting a year early costs."""
    cost = carry_forward_cost(forecasts, onsets, last_observed)
    forecasts = forecasts[~forecasts["model"].str.endswith(CARRIED)]
    common = restrict_to_common(forecasts)
    return {
        "last_observed": last_observed,  # type: ignore[dict-item]
        "scores": records(scoreboard(common, onsets, last_observed=last_observed)),
        "scores_strict": records(scoreboard(common, onsets, strict=True,
                                            last_observed=last_observed)),
        "calibration": records(calibration(common)),
        "roc": records(roc_points(onset_years(common, onsets, last_observed=last_observed))),
        "carry_forward_cost": records(cost),
    }
