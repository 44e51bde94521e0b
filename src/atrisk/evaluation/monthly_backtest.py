"""Back-tests of monthly draw forecasts: the ViEWS protocol (for each test year, fit on data
through October of the year before, forecast January-December) and rolling origins (an
origin at every month, forecasting the next twelve); each forecast scored against what
happened."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atrisk.domain.horizon import VIEWS_STEPS, MonthlyWindow, RollingOrigin
from atrisk.domain.reports import MonthlyBacktestReport, RollingBacktestReport
from atrisk.evaluation.metrics import records
from atrisk.evaluation.monthly_metrics import (
    change_interval,
    interval_calibration,
    score_rows,
    summarise,
)
from atrisk.models.monthly import N_DRAWS, MonthlyModel
from atrisk.models.parallel import map_processes

ModelFactory = Callable[[str], MonthlyModel]

#: The benchmark every model is measured against (it beat every entry of the ViEWS 2023/24
#: challenge on CRPS at the country level).
REFERENCE = "conflictology_country12"

_TEXT = pa.dictionary(pa.int32(), pa.string())
LONG_SCHEMA = pa.schema([
    ("iso3", _TEXT), ("gwcode", pa.int16()), ("month", _TEXT), ("last_data_month", _TEXT),
    ("target", _TEXT), ("model", _TEXT), ("draw", pa.int16()), ("value", pa.float32()),
    ("actual", pa.float32()),
])


def run(panel: pd.DataFrame, models: Mapping[str, ModelFactory], targets: Sequence[str],
        windows: Sequence[MonthlyWindow | RollingOrigin], draws_out: Path | None = None,
        progress: Callable[[str], None] = lambda _: None, jobs: int = 1) -> pd.DataFrame:
    """Scores per forecast row (keys, actual, CRPS, IGN, MIS, Briers); optionally every draw
    written to ``draws_out`` (Parquet, long format). Without draws to write, ``jobs``
    processes share the targets (each target's fits stay in one process, so none is made
    twice); the rows come in the same order either way."""
    if jobs > 1 and draws_out is None and len(targets) > 1:
        return _side_by_side(panel, models, targets, windows, progress, jobs)
    writer = pq.ParquetWriter(draws_out, LONG_SCHEMA) if draws_out is not None else None
    scored = []
    truths = {target: _truth(panel, target) for target in targets}
    try:
        for window in windows:
            for target in targets:
                scored += _window_scores(panel, models, target, truths[target], window,
                                         progress, writer)
    finally:
        if writer is not None:
            writer.close()
    return pd.concat(scored, ignore_index=True)


def _window_scores(panel: pd.DataFrame, models: Mapping[str, ModelFactory], target: str,
                   truth: pd.Series, window: MonthlyWindow | RollingOrigin,
                   progress: Callable[[str], None], writer: pq.ParquetWriter | None = None
                   ) -> list[pd.DataFrame]:
    """Every model's scored rows for one target (``truth``: its actuals) and window."""
    history = panel[panel["month"] <= window.last_data_month]
    scored = []
    for name, factory in models.items():
        progress(f"{window.label} {target} {name}")
        model = factory(target).fit(history)
        for steps in window.step_groups:
            forecast = model.predict(history, steps)
            actual = truth.reindex(pd.MultiIndex.from_frame(
                forecast.keys[["gwcode", "month"]])).to_numpy(dtype=float)
            keep = ~np.isnan(actual)
            rows = forecast.keys[keep].reset_index(drop=True)
            draws = forecast.draws[keep]
            scores = score_rows(actual[keep], draws)
            meta = rows.assign(last_data_month=window.last_data_month, target=target,
                               model=name, actual=actual[keep])
            scored.append(pd.concat([meta, scores], axis=1))
            if writer is not None:
                writer.write_table(long_table(meta, draws))
    return scored


def _truth(panel: pd.DataFrame, target: str) -> pd.Series:
    """``target`` by ``gwcode, month``: what each forecast row is scored against."""
    return panel.set_index(["gwcode", "month"])[target]


def _side_by_side(panel: pd.DataFrame, models: Mapping[str, ModelFactory],
                  targets: Sequence[str], windows: Sequence[MonthlyWindow | RollingOrigin],
                  progress: Callable[[str], None], jobs: int) -> pd.DataFrame:
    """``run`` with one process per target; the workers' steps are relayed to ``progress``."""
    with multiprocessing.Manager() as manager:
        said = manager.Queue()

        def relay() -> None:
            while (label := said.get()) is not None:
                progress(label)

        listener = threading.Thread(target=relay, daemon=True)
        listener.start()
        try:
            parts = list(map_processes(
                partial(_target_scores, panel, models, windows, said.put), list(targets),
                jobs))
        finally:
            said.put(None)
            listener.join()
    scored = pd.concat(parts, ignore_index=True)
    window = scored["last_data_month"].map({w.last_data_month: i for i, w in enumerate(windows)})
    target = scored["target"].map({t: i for i, t in enumerate(targets)})
    key = window.to_numpy() * len(targets) + target.to_numpy()
    order = np.argsort(key, kind="stable")  # window, then target, as ``run``
    return scored.iloc[order].reset_index(drop=True)


def _target_scores(panel: pd.DataFrame, models: Mapping[str, ModelFactory],
                   windows: Sequence[MonthlyWindow | RollingOrigin],
                   progress: Callable[[str], None], target: str) -> pd.DataFrame:
    truth = _truth(panel, target)
    return pd.concat([part for window in windows for part in _window_scores(
        panel, models, target, truth, window, progress)], ignore_index=True)


def long_table(meta: pd.DataFrame, draws: np.ndarray, schema: pa.Schema = LONG_SCHEMA
               ) -> pa.Table:
    """One row per draw; text columns dictionary-encoded (millions of rows write fast)."""
    n = len(meta)
    rep = np.repeat(np.arange(n), N_DRAWS)
    columns: dict[str, pa.Array] = {}
    for field in schema:
        name = field.name
        if name == "draw":
            columns[name] = pa.array(np.tile(np.arange(N_DRAWS, dtype=np.int16), n))
        elif name == "value":
            columns[name] = pa.array(draws.astype(np.float32).ravel())
        elif pa.types.is_dictionary(field.type):
            codes, uniques = pd.factorize(meta[name].astype(str))
            columns[name] = pa.DictionaryArray.from_arrays(
                pa.array(codes[rep].astype(np.int32)), pa.array(uniques.astype(str)))
        else:
            columns[name] = pa.array(meta[name].to_numpy()[rep].astype(
                field.type.to_pandas_dtype()))
    return pa.table(columns, schema=schema)



def report_rolling(scored: pd.DataFrame, *, model: str, models: Sequence[str],
                   origins: Sequence[RollingOrigin], out: Path) -> RollingBacktestReport:
    """What a rolling-origin back-test is published with: every score pooled over origins
    and steps, by step, by year of the month forecast, on months with and without deaths,
    and each model's CRPS change against the reference (all months; the last year's)."""
    scored = scored.assign(year=scored["month"].str[:4].astype(int),
                           actuals=scored["actual"].gt(0).map({True: "non-zero",
                                                               False: "zero"}))
    last_year = scored[scored["year"] == scored["year"].max()]
    return RollingBacktestReport.model_validate({
        "model": model, "models": list(models), "first_origin": origins[0].last_data_month,
        "last_origin": origins[-1].last_data_month, "origins": len(origins),
        "created": datetime.now(UTC).isoformat(), "out": str(out),
        "scores": records(summarise(scored, ["target", "model"])),
        "scores_by_step": records(summarise(scored, ["target", "model", "step"])),
        "scores_by_year": records(summarise(scored, ["target", "model", "year"])),
        "scores_by_actuals": records(summarise(scored, ["target", "actuals", "model"])),
        "crps_change": records(changes(scored)),
        "crps_change_last_year": records(changes(last_year)),
        "calibration_nonzero": records(interval_calibration(
            scored[scored["actual"] > 0], ["target", "model"])),
    })


def changes(scored: pd.DataFrame, reference: str = REFERENCE) -> pd.DataFrame:
    """Each model's CRPS change against ``reference``, with a 95% interval from resampling
    countries (empty when ``reference`` was not run)."""
    models = [m for m in scored["model"].unique() if m != reference]
    if reference not in set(scored["model"]) or not models:
        return pd.DataFrame(columns=["target", "model", "reference", "countries", "change",
                                     "low", "high"])
    return pd.concat([change_interval(scored, m, reference) for m in models],
                     ignore_index=True)


def views_rows(scored: pd.DataFrame) -> pd.DataFrame:
    """The rows the ViEWS protocol scores (steps 3-14): every headline figure."""
    return scored[scored["step"].isin(VIEWS_STEPS)]


def report(scored: pd.DataFrame, *, model: str, models: Sequence[str], first: int, last: int,
           out: Path) -> MonthlyBacktestReport:
    """What a monthly back-test is published with: scores by target and model, on months
    with and without deaths and each model's CRPS change against the reference benchmark with
    its interval (all on the ViEWS steps 3-14), and by step 1-14."""
    by_step = summarise(scored, ["target", "model", "step"])
    scored = views_rows(scored)
    scored = scored.assign(actuals=scored["actual"].gt(0).map(
        {True: "non-zero", False: "zero"}))
    return MonthlyBacktestReport.model_validate({
        "model": model, "models": list(models), "first": first, "last": last,
        "created": datetime.now(UTC).isoformat(), "out": str(out),
        "scores": records(summarise(scored, ["target", "model"])),
        "scores_by_actuals": records(summarise(scored, ["target", "actuals", "model"])),
        "scores_by_step": records(by_step),
        "crps_change": records(changes(scored)),
    })
