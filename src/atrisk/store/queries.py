"""Reading the store: the latest runs, a run's forecasts, a country's record."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atrisk.domain.reports import StructuralRunMeta
from atrisk.forecasting.movers import Move, RunRow, moves
from atrisk.store.schema import (
    BacktestForecast,
    Country,
    ForecastRun,
    MonthlyForecast,
    MonthlyOutlook,
    StructuralForecast,
)


def latest_run(s: Session, kind: str) -> ForecastRun | None:
    return s.scalars(select(ForecastRun).where(ForecastRun.kind == kind)
                     .order_by(ForecastRun.id.desc()).limit(1)).first()


def latest_run_id(s: Session, kind: str) -> int | None:
    """The newest run's id only (cheap: the API checks it on every request)."""
    found = s.scalar(select(func.max(ForecastRun.id)).where(ForecastRun.kind == kind))
    return int(found) if found is not None else None


def runs(s: Session, kind: str) -> list[ForecastRun]:
    return list(s.scalars(select(ForecastRun).where(ForecastRun.kind == kind)
                          .order_by(ForecastRun.id.desc())))


def run_by_id(s: Session, run_id: int) -> ForecastRun | None:
    return s.get(ForecastRun, run_id)


def structural_rows(s: Session, run_id: int, search: str | None = None, limit: int = 500,
                    offset: int = 0) -> tuple[int, list[StructuralForecast]]:
    query = select(StructuralForecast).where(StructuralForecast.run_id == run_id)
    if search:
        like = f"%{search.lower()}%"
        query = query.where(func.lower(StructuralForecast.name).like(like)
                            | func.lower(StructuralForecast.iso3).like(like))
    total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = s.scalars(query.order_by(StructuralForecast.rank, StructuralForecast.iso3)
                     .limit(limit).offset(offset))
    return int(total), list(rows)


def structural_for(s: Session, run_id: int, iso3: str) -> StructuralForecast | None:
    return s.scalars(select(StructuralForecast).where(
        StructuralForecast.run_id == run_id, StructuralForecast.iso3 == iso3)).first()


def monthly_rows(s: Session, run_id: int, iso3: str | None = None,
                 target: str | None = None) -> list[MonthlyForecast]:
    query = select(MonthlyForecast).where(MonthlyForecast.run_id == run_id)
    if iso3:
        query = query.where(MonthlyForecast.iso3 == iso3)
    if target:
        query = query.where(MonthlyForecast.target == target)
    return list(s.scalars(query.order_by(MonthlyForecast.iso3, MonthlyForecast.target,
                                         MonthlyForecast.month)))


def country(s: Session, iso3: str) -> Country | None:
    return s.scalars(select(Country).where(Country.iso3 == iso3)
                     .order_by(Country.last_year.desc()).limit(1)).first()


def countries(s: Session) -> list[Country]:
    return list(s.scalars(select(Country).order_by(Country.name)))


def backtest_for(s: Session, run_id: int, iso3: str, model: str) -> list[BacktestForecast]:
    """One country's out-of-sample back-test forecasts by one model, oldest first."""
    return list(s.scalars(select(BacktestForecast).where(
        BacktestForecast.run_id == run_id, BacktestForecast.iso3 == iso3,
        BacktestForecast.model == model).order_by(BacktestForecast.data_year)))


def structural_history(s: Session, iso3: str) -> list[tuple[ForecastRun, StructuralForecast]]:
    """Every published structural forecast of one country, with its run, oldest first."""
    rows = s.execute(select(ForecastRun, StructuralForecast)
                     .join(StructuralForecast, StructuralForecast.run_id == ForecastRun.id)
                     .where(StructuralForecast.iso3 == iso3)
                     .order_by(ForecastRun.id))
    return [(run, row) for run, row in rows]


def structural_moves(s: Session, after: ForecastRun, before: ForecastRun) -> list[Move]:
    """Each country's change in risk and rank from run ``before`` to run ``after``, with
    the predictors that moved it (largest change first)."""
    def rows(run: ForecastRun) -> list[RunRow]:
        return [RunRow(r.iso3, r.name, r.rank, r.probability, r.contributions,
                       r.probability_year_before)
                for r in structural_rows(s, run.id)[1]]

    before_year, after_year = (run.report.data_year if isinstance(run.report, StructuralRunMeta)
                               else 0 for run in (before, after))
    return moves(rows(before), rows(after), before.id, after.id,
                 years=(before_year, after_year))


def previous_structural(s: Session, run: ForecastRun) -> ForecastRun | None:
    """The structural run published before ``run``."""
    return s.scalars(select(ForecastRun).where(ForecastRun.kind == "structural",
                                               ForecastRun.id < run.id)
                     .order_by(ForecastRun.id.desc()).limit(1)).first()


def outlooks(s: Session, run_id: int, iso3: str | None = None,
             target: str = "civilian_deaths") -> dict[str, MonthlyOutlook]:
    """A monthly run's outlook per country (chance of a month with >= 100 deaths, expected
    total, over its first months), as published with the run."""
    query = select(MonthlyOutlook).where(MonthlyOutlook.run_id == run_id,
                                         MonthlyOutlook.target == target)
    if iso3:
        query = query.where(MonthlyOutlook.iso3 == iso3)
    return {o.iso3: o for o in s.scalars(query)}


def outlook(s: Session, run_id: int, iso3: str | None = None) -> dict[str, float]:
    """P(>= 100 civilian deaths in at least one of the run's outlook months), per country."""
    return {k: o.p_month_ge_100 for k, o in outlooks(s, run_id, iso3).items()}
