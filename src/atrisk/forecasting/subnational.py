"""The sub-national forecast: the latest national monthly forecast of a country, shared among
its PRIO-GRID cells (or first-level regions) by ``national_shares``.

How many: the national run's draws (data through its last month, Candidate releases
included). Where: the country's complete GED history (through 2022-12 for the Central African
Republic, 2023-12 for Mexico and Myanmar here; 2024-12 everywhere with the full GED), then the
Candidate releases with coordinates (here February 2026). A country's cells add up, draw by
draw, to its national forecast, so the map and the national figures never disagree.

Where the units' months are known in each of the 12 months to the national run's last month
(the complete history, then a Candidate release with coordinates for every later month), half
the draws are instead each unit's own ``recent_history`` (``history_and_shares``, better on
the back-test's validation and test years, where histories were complete): more data, no
other code. Those draws need not add up to the national ones. With a gap in those months
(here 2024-2025: the 2025 compilation has no coordinates) the per-unit half would read one
or two scattered months, which the back-test never tried, so the forecast stays
``national_shares``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from atrisk.domain.errors import NotFoundError
from atrisk.domain.reports import MonthlyRunMeta, SubnationalRunMeta
from atrisk.evaluation.monthly_metrics import exceedance
from atrisk.forecasting.structural import code_version
from atrisk.models.monthly import N_DRAWS
from atrisk.models.subnational import (
    CURRENT,
    DEFAULT,
    deal_out,
    subnational_models,
    unit_history,
)
from atrisk.panels.build import read_table
from atrisk.panels.subnational import Level, unit_panel
from atrisk.settings import Settings

TARGETS = ("civilian_deaths", "fatalities")
#: The map and the region table look this many months ahead.
OUTLOOK_MONTHS = 6
#: The threshold of the region table's chance (civilian deaths in the outlook's months).
SERIOUS = 25
#: What stands in the unit's place in the draws and tables, by level.
UNIT_COLUMN = {"cell": "priogrid_gid", "region": "adm1"}


@dataclass(frozen=True)
class SubnationalRun:
    """Per unit: each month's summary (``summary``), the outlook (``outlook``: expected
    civilian deaths over the next ``OUTLOOK_MONTHS`` months, the chance of at least
    ``SERIOUS``, the last 12 months), and the run's record."""

    summary: pd.DataFrame
    outlook: pd.DataFrame
    units: pd.DataFrame
    path: Path
    meta: SubnationalRunMeta


def latest_monthly_run(settings: Settings) -> MonthlyRunMeta:
    """The newest national monthly run made from this build (its draws must still be there)."""
    runs = []
    for record in (settings.build_dir / "forecasts").glob("monthly-*/run.json"):
        meta = MonthlyRunMeta.model_validate_json(record.read_text())
        if Path(meta.draws_file).is_file():
            runs.append(meta)
    if not runs:
        raise NotFoundError("no national monthly forecast to share out: run "
                            "`atrisk forecast monthly --out build/forecast_monthly.parquet` first")
    return max(runs, key=lambda meta: meta.created)


def forecast_subnational(settings: Settings, iso3: str, out: Path,
                         level: Level = "cell") -> SubnationalRun:
    """Draws for every unit of ``iso3`` and month of the latest national monthly forecast,
    written to ``out`` (Parquet, long format: the unit in place of ``iso3``)."""
    iso3 = iso3.upper()
    countries = read_table(settings, "countries").set_index("iso3")
    if iso3 not in countries.index:
        raise NotFoundError(f"no country {iso3}")
    national_run = latest_monthly_run(settings)
    panel = unit_panel(iso3, level, settings, int(countries.loc[iso3, "gwcode"]))
    origin = national_run.last_data_month
    current = panel.complete_through(origin)
    name = CURRENT if current else DEFAULT
    # forecast from the national run's origin, as its draws are (when the units reach it)
    history = unit_history(panel.table[panel.table["month"] <= origin], iso3)
    recent = origin if current else panel.recent_through()
    national = pd.read_parquet(national_run.draws_file, filters=[("iso3", "==", iso3)],
                               columns=["month", "target", "draw", "value"])
    if national.empty:
        raise NotFoundError(f"the national monthly run has no forecast for {iso3}")
    column = UNIT_COLUMN[level]
    schema = pa.schema([(column, pa.string()), ("iso3", pa.string()), ("month", pa.string()),
                        ("target", pa.string()), ("model", pa.string()),
                        ("draw", pa.int16()), ("value", pa.float32())])
    summaries, outlooks = [], []
    out.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(out, schema) as writer:
        for target in TARGETS:
            wide = (national[national["target"].astype(str) == target]
                    .assign(month=lambda f: f["month"].astype(str))
                    .pivot_table(index="month", columns="draw", values="value"))
            months = list(wide.index)
            model = subnational_models()[name](target).fit(history)
            steps = list(range(1, len(months) + 1))
            fc = deal_out(model, history, steps, wide.to_numpy(dtype=float))
            units = fc.keys["gwcode"].astype(str).to_numpy()
            labels = np.repeat(np.asarray(months), len(units) // len(months))
            rows = len(units) * N_DRAWS
            writer.write_table(pa.table({
                column: np.repeat(units, N_DRAWS), "iso3": pa.repeat(iso3, rows),
                "month": np.repeat(labels, N_DRAWS), "target": pa.repeat(target, rows),
                "model": pa.repeat(name, rows),
                "draw": np.tile(np.arange(N_DRAWS, dtype=np.int16), len(units)),
                "value": fc.draws.astype(np.float32).ravel()}, schema=schema))
            summary = pd.DataFrame({"unit": units, "month": labels, "target": target,
                                    "mean": fc.draws.mean(axis=1),
                                    "q10": np.quantile(fc.draws, 0.1, axis=1),
                                    "q90": np.quantile(fc.draws, 0.9, axis=1),
                                    "p_ge_1": exceedance(fc.draws, 1),
                                    "p_ge_25": exceedance(fc.draws, 25)})
            summaries.append(summary)
            if target == "civilian_deaths":
                outlooks.append(_outlook(fc.draws, units, labels, months, panel.table,
                                         recent))
    summary = pd.concat(summaries, ignore_index=True)
    outlook = outlooks[0]
    meta = SubnationalRunMeta(
        created=datetime.now(UTC).isoformat(timespec="seconds"), iso3=iso3, level=level,
        model=name, settings=subnational_models()[name]("civilian_deaths").params(),
        national_model=national_run.model,
        national_last_data_month=national_run.last_data_month, months=months,
        history=panel.history.source.version, history_vintage=panel.history.vintage,
        history_last_month=panel.last_month,
        candidate_vintages=panel.provisional_vintages(),
        candidate_months=[m for m in panel.known_months() if m > panel.last_month],
        last_12_through=recent, units=len(panel.units), draws=N_DRAWS,
        code_version=code_version(), draws_file=str(out), outlook_months=OUTLOOK_MONTHS)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    run_dir = settings.build_dir / "forecasts" / f"subnational-{iso3}-{level}-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)
    summary.to_parquet(run_dir / "summary.parquet", index=False)
    outlook.to_parquet(run_dir / "outlook.parquet", index=False)
    panel.units.to_parquet(run_dir / "units.parquet", index=False)
    (run_dir / "run.json").write_text(meta.model_dump_json(indent=2))
    return SubnationalRun(summary, outlook, panel.units, run_dir, meta)


def _outlook(draws: np.ndarray, units: np.ndarray, labels: np.ndarray, months: list[str],
             table: pd.DataFrame, through: str) -> pd.DataFrame:
    """Per unit: civilian deaths expected over the first ``OUTLOOK_MONTHS`` months, the
    chance of at least ``SERIOUS`` in them (draw j of every month is one path), and the 12
    months to ``through`` (the latest 12 known months in a row)."""
    first = np.isin(labels, months[:OUTLOOK_MONTHS])
    paths = pd.DataFrame(draws[first]).groupby(units[first]).sum()
    recent = table[(table["month"] > str(pd.Period(through, "M") - 12))
                   & (table["month"] <= through)]
    last12 = recent.groupby(recent["unit"].astype(str))["civilian_deaths"].sum()
    out = pd.DataFrame({"unit": paths.index, "expected": paths.mean(axis=1).to_numpy(),
                        "p_ge_serious": (paths >= SERIOUS).mean(axis=1).to_numpy()})
    out["last_12_months"] = out["unit"].map(last12).fillna(0.0).to_numpy()
    return out.sort_values("expected", ascending=False).reset_index(drop=True)

