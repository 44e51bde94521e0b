"""Publishing forecast runs into the store, each in one transaction."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from atrisk.domain.fields import optional_float, optional_int
from atrisk.domain.reports import (
    MonthlyBacktestReport,
    MonthlyRunMeta,
    RollingBacktestReport,
    RunMeta,
    StructuralBacktestReport,
    StructuralRunMeta,
)
from atrisk.store import audit
from atrisk.store.db import migrate, session
from atrisk.store.schema import (
    BacktestForecast,
    Country,
    ForecastRun,
    MonthlyForecast,
    MonthlyOutlook,
    StructuralForecast,
)


def publish_countries(url: str, countries: pd.DataFrame) -> None:
    """Replace the country table with the build's."""
    migrate(url)
    with session(url) as s:
        audit.record(s, None, "countries.replace", "countries", "all", rows=len(countries))
        s.execute(delete(Country))
        s.add_all(Country(gwcode=int(r.gwcode), iso3=str(r.iso3), ccode=int(r.ccode),
                          name=str(r.name), first_year=int(r.first_year),
                          last_year=int(r.last_year),
                          region=None if pd.isna(r.region) else str(r.region))
                  for r in countries.itertuples(index=False))


def publish_structural(url: str, table: pd.DataFrame, meta: StructuralRunMeta) -> int:
    """Store a structural forecast run; returns its id."""
    migrate(url)
    with session(url) as s:
        run = _new_run(s, "structural", str(meta.forecast_year), meta)
        s.add_all(StructuralForecast(
            run_id=run.id, gwcode=int(r.gwcode), iso3=str(r.iso3), name=str(r.name),
            rank=int(r.rank), probability=float(r.risk_2yr), low_80=optional_float(r.low_80),
            high_80=optional_float(r.high_80), p_top10=optional_float(r.p_top10),
            p_top30=optional_float(r.p_top30),
            rank_low=optional_int(r.rank_low), rank_high=optional_int(r.rank_high),
            probability_1yr=float(r.risk_1yr),
            drivers=json.loads(str(r.drivers_json)),
            contributions=json.loads(str(r.contributions_json))
            if "contributions_json" in table.columns else None,
            probability_year_before=optional_float(getattr(r, "risk_2yr_year_before", None)))
            for r in table.itertuples(index=False))
        return int(run.id)


def publish_monthly(url: str, summary: pd.DataFrame, outlook: pd.DataFrame,
                    meta: MonthlyRunMeta) -> int:
    """Store a monthly forecast run's per-country-month summaries and its outlook; returns
    its id."""
    migrate(url)
    with session(url) as s:
        run = _new_run(s, "monthly", meta.last_data_month, meta)
        s.add_all(MonthlyForecast(
            run_id=run.id, gwcode=int(r.gwcode), target=str(r.target), month=str(r.month),
            iso3=str(r.iso3), step=int(r.step), mean=float(r.mean), median=float(r.median),
            q10=float(r.q10), q90=float(r.q90), p_ge_1=float(r.p_ge_1),
            p_ge_25=float(r.p_ge_25), p_ge_100=float(r.p_ge_100),
            p_ge_1000=float(r.p_ge_1000))
            for r in summary.itertuples(index=False))
        s.add_all(MonthlyOutlook(
            run_id=run.id, gwcode=int(r.gwcode), target=str(r.target), iso3=str(r.iso3),
            months=int(r.months), expected_total=float(r.expected_total),
            p_month_ge_100=float(r.p_month_ge_100))
            for r in outlook.itertuples(index=False))
        return int(run.id)


def publish_structural_backtest(url: str, forecasts: pd.DataFrame,
                                meta: StructuralBacktestReport) -> int:
    """Store a structural back-test: every out-of-sample forecast, its scores in ``meta``."""
    migrate(url)
    known = forecasts.dropna(subset=["gwcode", "iso3"])
    with session(url) as s:
        run = _new_run(s, "backtest_structural", f"{meta.first}-{meta.last}", meta)
        # Tens of thousands of rows: one bulk insert, not an ORM object each (10x faster).
        s.execute(insert(BacktestForecast), [
            {"run_id": run.id, "model": str(r.model), "gwcode": int(r.gwcode),
             "data_year": int(r.data_year), "iso3": str(r.iso3),
             "probability": float(r.probability), "onset_next2": optional_float(r.onset_next2)}
            for r in known.itertuples(index=False)])
        return int(run.id)


def publish_monthly_backtest(url: str, meta: MonthlyBacktestReport) -> int:
    """Store a monthly back-test's score tables (in ``meta``; the draws stay in Parquet)."""
    migrate(url)
    with session(url) as s:
        return int(_new_run(s, "backtest_monthly", f"{meta.first}-{meta.last}", meta).id)


def publish_rolling_backtest(url: str, meta: RollingBacktestReport) -> int:
    """Store a rolling-origin back-test's score tables (the scores stay in Parquet)."""
    migrate(url)
    with session(url) as s:
        period = f"{meta.first_origin}/{meta.last_origin}"
        return int(_new_run(s, "backtest_rolling", period, meta).id)


def _new_run(s: Session, kind: str, period: str, meta: RunMeta) -> ForecastRun:
    """Add the run's record (its id is assigned at once, for the rows that follow)."""
    run = ForecastRun(kind=kind, created_at=datetime.fromisoformat(meta.created),
                      model=meta.model, period=period, meta=meta.model_dump(mode="json"))
    s.add(run)
    s.flush()
    audit.record(s, None, "run.publish", "forecast_run", run.id, kind=kind, period=period,
                 model=run.model)
    return run

