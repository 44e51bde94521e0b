"""EWP's 'fully out-of-sample' structural back-test, for any set of models.

For each last training year L, every model is fitted on country-years <= L (from 1960) and
forecasts from the data of year L+2. Scoring is separate (``metrics``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pandas as pd

from atrisk.domain.horizon import StructuralWindow
from atrisk.domain.reports import StructuralBacktestReport
from atrisk.evaluation.fit_cache import (
    FitTask,
    carried_digest,
    panel_digest,
    run_fits,
    stored_fits,
)
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
from atrisk.models.parallel import map_processes
from atrisk.models.registry import MODELS, ModelSpec
from atrisk.panels.provisional import carried_rows

FIRST_TRAIN_YEAR = 1960

COLUMNS = ["ccode", "gwcode", "iso3", "data_year", "last_train_year", "model", "probability",
           "onset_next2"]


#: The suffix of a model's forecasts made from carried-forward rows (``carry_forward``).
CARRIED = "+carried"


def backtest(specs: Sequence[ModelSpec], panels: Mapping[str, pd.DataFrame],
             outcomes: pd.DataFrame, windows: Sequence[StructuralWindow],
             progress: Callable[[str], None] = lambda _: None,
             carry_forward: pd.DataFrame | None = None, jobs: int = 1,
             cache: Path | None = None) -> pd.DataFrame:
    """Long table of out-of-sample forecasts, one row per model, window and country.

    ``outcomes`` carries the truth by ``ccode, year`` (``onset_next2``, missing where unknown).
    With ``carry_forward`` (the capitals, for neighbours), every model on our own panel also
    forecasts, as ``<name>+carried``, from the data year's rows made as a provisional year
    is made (``panels.provisional``): the cost of forecasting a year early.

    Each (window, model) fit is independent: ``jobs`` processes share them, and with
    ``cache`` a fit whose inputs, settings and model code are unchanged is read back instead
    of refitted (``fit_cache``). An ensemble combines its members' forecasts, never refits.
    """
    fitted = fitted_specs(specs)
    digests = {name: panel_digest(panel) for name, panel in panels.items()}
    carry = (carried_digest(carry_forward)
             if carry_forward is not None and "atrisk" in panels else None)
    tasks = []
    for window in windows:
        # Each dataset's slices once per window (the models on one dataset share them).
        cuts = {name: (panel[(panel["year"] <= window.last_train_year)
                             & (panel["year"] >= FIRST_TRAIN_YEAR)],
                       panel[panel["year"] == window.data_year])
                for name, panel in panels.items()}
        for spec in fitted:
            train, test = cuts[spec.dataset]
            tasks.append(FitTask(spec, window, train, test, digests[spec.dataset],
                                 carry if spec.dataset == "atrisk" else None))
    results = stored_fits(tasks, cache, progress)
    todo = [i for i, result in enumerate(results) if result is None]
    # The carried-forward rows only of the windows that have something to fit.
    years = sorted({tasks[i].window.data_year for i in todo if tasks[i].carry is not None})
    if years and carry_forward is not None:
        rows = dict(zip(years, map_processes(
            partial(carried_rows, panels["atrisk"], capitals=carry_forward), years, jobs),
            strict=True))
        for i in todo:
            if tasks[i].carry is not None:
                tasks[i] = replace(tasks[i], carried=rows[tasks[i].window.data_year])
    for i, made_now in zip(todo, run_fits([tasks[i] for i in todo], jobs, cache, progress),
                         strict=True):
        results[i] = made_now
    made: dict[tuple[int, str], Forecast] = {}
    for task, result in zip(tasks, results, strict=True):
        if result is None:  # not stored, so fitted just above
            continue
        year = task.window.last_train_year
        made[year, task.spec.name] = result.plain
        if result.carried is not None:
            made[year, task.spec.name + CARRIED] = result.carried
    parts = []
    for window in windows:
        by_name = {name: forecast for (year, name), forecast in made.items()
                   if year == window.last_train_year}
        for spec in specs:
            if spec.members:
                for suffix in ("", CARRIED):
                    if all(m + suffix in by_name for m in spec.members):
                        by_name[spec.name + suffix] = LogOddsEnsemble.combine(
                            spec.name + suffix, [by_name[m + suffix] for m in spec.members])
        for name in (n for spec in specs for n in (spec.name, spec.name + CARRIED)
                     if n in by_name):
            frame = by_name[name].to_frame()
            frame["model"] = name
            frame["data_year"] = window.data_year
            frame["last_train_year"] = window.last_train_year
            parts.append(frame.drop(columns="year"))
    out = pd.concat(parts, ignore_index=True)
    truth = outcomes[["ccode", "year", "onset_next2"]].rename(columns={"year": "data_year"})
    out = out.merge(truth, on=["ccode", "data_year"], how="left")
    return out[COLUMNS]


def fitted_specs(specs: Sequence[ModelSpec]) -> list[ModelSpec]:
    """The models a back-test fits: every model that is not an ensemble, and each ensemble's
    members (once, even if asked for by name too)."""
    out: dict[str, ModelSpec] = {}
    for spec in specs:
        for name in spec.members or (spec.name,):
            out.setdefault(name, MODELS[name] if spec.members else spec)
    return list(out.values())


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


def report(forecasts: pd.DataFrame, onsets: pd.DataFrame, last_observed: int, *,
           model: str, models: Sequence[str], first: int, last: int,
           out: Path) -> StructuralBacktestReport:
    """What a back-test is published with: the side-by-side table on common country-years,
    its strict variant, calibration and ROC curves, and (when the back-test carried data
    forward) what forecasting a year early costs."""
    cost = carry_forward_cost(forecasts, onsets, last_observed)
    forecasts = forecasts[~forecasts["model"].str.endswith(CARRIED)]
    common = restrict_to_common(forecasts)
    return StructuralBacktestReport.model_validate({
        "model": model, "models": list(models), "first": first, "last": last,
        "created": datetime.now(UTC).isoformat(), "out": str(out),
        "last_observed": last_observed,
        "scores": records(scoreboard(common, onsets, last_observed=last_observed)),
        "scores_strict": records(scoreboard(common, onsets, strict=True,
                                            last_observed=last_observed)),
        "calibration": records(calibration(common)),
        "roc": records(roc_points(onset_years(common, onsets, last_observed=last_observed))),
        "carry_forward_cost": records(cost),
    })
