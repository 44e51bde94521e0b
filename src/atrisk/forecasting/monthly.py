"""The monthly forecast: for every country and each of the next 12 months, 1,000 draws of
civilian deaths and of all fatalities, with the chance of passing 1, 25, 100 and 1,000."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atrisk.domain.errors import ConfigError
from atrisk.domain.reports import MonthlyRunMeta
from atrisk.evaluation.monthly_backtest import LONG_SCHEMA, long_table
from atrisk.evaluation.monthly_metrics import THRESHOLDS, exceedance
from atrisk.forecasting.structural import code_version
from atrisk.models.monthly import N_DRAWS
from atrisk.models.monthly_learned import stored_fits
from atrisk.models.monthly_registry import DEFAULT, MONTHLY_MODELS
from atrisk.panels.build import read_manifest, read_table
from atrisk.panels.country_month import TARGETS, basis, data_through, known
from atrisk.settings import Settings

STEPS = tuple(range(1, 13))
OUTLOOK_MONTHS = 6  # the outlook: P(a month with >= 100 deaths) within the next 6 months


@dataclass(frozen=True)
class MonthlyRun:
    summary: pd.DataFrame
    outlook: pd.DataFrame
    path: Path
    meta: MonthlyRunMeta


#: How far back a forecast's history reaches (``recent_history``'s window): the months whose
#: vintages a run names.
HISTORY_MONTHS = 36


def forecast_monthly(settings: Settings, last_data: str | None, out: Path,
                     model: str | None = None) -> MonthlyRun:
    """Forecast the 12 months after ``last_data`` (YYYY-MM; None: the latest month with data,
    final or provisional) with ``model`` (None: the default); draws go to ``out`` (Parquet)."""
    model = model or DEFAULT
    if model not in MONTHLY_MODELS:
        raise ConfigError(f"unknown monthly model {model!r}; choose from {sorted(MONTHLY_MODELS)}")
    panel = known(read_table(settings, "country_month"))
    latest = data_through(panel)
    try:
        origin = pd.Period(last_data or latest, freq="M")
    except ValueError as exc:
        raise ConfigError(f"--last-data must be YYYY-MM, not {last_data!r}") from exc
    if str(origin) > latest:
        raise ConfigError(f"no data after {latest}: --last-data {last_data} is in the future")
    history = panel[panel["month"] <= str(origin)]
    stands_on = basis(read_table(settings, "country_month"), str(origin),
                      since=str(origin - (HISTORY_MONTHS - 1)))
    names = read_table(settings, "countries").set_index("gwcode")["name"]
    summaries, outlooks, params = [], [], {}
    schema = pa.schema([f for f in LONG_SCHEMA if f.name != "actual"])
    writer = pq.ParquetWriter(out, schema)
    try:
        for target in TARGETS:
            with stored_fits(settings.fits_dir / "monthly"):
                fitted = MONTHLY_MODELS[model](target).fit(history)
            params[target] = fitted.params()
            fc = fitted.predict(history, STEPS)
            keys = fc.keys.assign(last_data_month=str(origin), target=target, model=model)
            writer.write_table(long_table(keys, fc.draws, schema))
            summary = keys.copy()
            summary["mean"] = fc.draws.mean(axis=1)
            summary["median"] = np.median(fc.draws, axis=1)
            summary["q10"], summary["q90"] = np.quantile(fc.draws, [0.1, 0.9], axis=1)
            for k in THRESHOLDS:
                summary[f"p_ge_{k}"] = exceedance(fc.draws, k)
            summaries.append(summary)
            outlooks.append(outlook_of(keys, fc.draws).assign(target=target))
    finally:
        writer.close()
    summary = pd.concat(summaries, ignore_index=True)
    outlook = pd.concat(outlooks, ignore_index=True)
    outlook["name"] = outlook["gwcode"].map(names)
    outlook["months"] = OUTLOOK_MONTHS
    manifest = read_manifest(settings)
    meta = MonthlyRunMeta.model_validate({
        "created": datetime.now(UTC).isoformat(timespec="seconds"), "model": model,
        "last_data_month": str(origin), "months": [str(origin + s) for s in STEPS],
        "draws": N_DRAWS, "code_version": code_version(), "inputs": manifest["inputs"],
        "build_created": manifest["created"], "draws_file": str(out),
        "outlook_months": OUTLOOK_MONTHS, "settings": params, "data": stands_on})
    run_dir = settings.build_dir / "forecasts" / (
        f"monthly-{origin}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}")
    run_dir.mkdir(parents=True, exist_ok=True)
    summary.to_parquet(run_dir / "summary.parquet", index=False)
    outlook.to_parquet(run_dir / "outlook.parquet", index=False)
    (run_dir / "run.json").write_text(meta.model_dump_json(indent=2))
    return MonthlyRun(summary, outlook, run_dir, meta)


def outlook_of(keys: pd.DataFrame, draws: np.ndarray, months: int = OUTLOOK_MONTHS
               ) -> pd.DataFrame:
    """Per country over its first ``months`` steps: the expected total and the chance that
    at least one month reaches 100 deaths. Draw j of every month is one path, so both are
    read draw by draw."""
    first = (keys["step"] <= months).to_numpy()
    by = pd.DataFrame(draws[first]).groupby([keys.loc[first, "gwcode"].to_numpy(),
                                             keys.loc[first, "iso3"].to_numpy()])
    total, peak = by.sum(), by.max()
    return pd.DataFrame({
        "gwcode": total.index.get_level_values(0), "iso3": total.index.get_level_values(1),
        "expected_total": total.mean(axis=1).to_numpy(),
        "p_month_ge_100": (peak >= 100).mean(axis=1).to_numpy()})
