"""The API's forecast routes: health, the signed-in user, countries, published forecasts and
back-tests. Every route reads the store; pages of a run are rendered once and cached."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from atrisk.api import schemas
from atrisk.domain.errors import NotFoundError
from atrisk.http.auth import reader, require
from atrisk.http.cache import Body
from atrisk.http.deps import CacheDep, Id, Offset, SessionDep, country_or_404
from atrisk.panels.country_month import TARGETS
from atrisk.store import queries
from atrisk.store.db import session
from atrisk.store.schema import ForecastRun, MonthlyForecast, User

router = APIRouter()
readers = [Depends(reader)]



@router.get("/healthz", response_model=schemas.Health, operation_id="health")
async def health(cache: CacheDep) -> schemas.Health:
    """The store answers (checked at most once a second, however many ask)."""
    try:
        found = await cache.health()
    except SQLAlchemyError as exc:
        raise HTTPException(503, f"the store does not answer ({type(exc).__name__})"
                            ) from exc
    return schemas.Health(ok=True, database=found.database,
                          structural_run=found.structural_run,
                          monthly_run=found.monthly_run)


@router.get("/api/me", response_model=schemas.Me, operation_id="whoami")
def whoami(user: Annotated[User, Depends(require("viewer"))]) -> schemas.Me:
    return schemas.Me(email=user.email, name=user.name, role=user.role)


@router.get("/api/countries", response_model=list[schemas.Country],
            operation_id="list_countries", dependencies=readers)
def list_countries(s: SessionDep) -> list[schemas.Country]:
    return [schemas.Country.model_validate(c, from_attributes=True)
            for c in queries.countries(s)]


@router.get("/api/countries/{iso3}", response_model=schemas.CountryDetail,
            operation_id="get_country", dependencies=readers)
async def get_country(request: Request, iso3: str, cache: CacheDep) -> Response:
    """Rendered once per country and pair of latest runs (the same for every reader)."""
    key = ("api-country", iso3.upper(), await cache.latest("structural"),
           await cache.latest("monthly"))
    url = request.app.state.database_url
    body = await cache.body(key, lambda: _country_body(url, iso3))
    return body.response(request)


def _country_body(url: str, iso3: str) -> Body:
    with session(url) as s:
        detail = _country_detail(s, iso3)
    return Body.of(detail.model_dump_json().encode(), "application/json")


def _country_detail(s: Session, iso3: str) -> schemas.CountryDetail:
    found = country_or_404(s, iso3)
    structural = queries.latest_run(s, "structural")
    monthly = queries.latest_run(s, "monthly")
    row = queries.structural_for(s, structural.id, found.iso3) if structural else None
    months = queries.monthly_rows(s, monthly.id, found.iso3) if monthly else []
    outlook = ([o for target in TARGETS
                for o in queries.outlooks(s, monthly.id, found.iso3, target).values()]
               if monthly else [])
    return schemas.CountryDetail(
        **schemas.Country.model_validate(found, from_attributes=True).model_dump(),
        structural=schemas.structural_item(row) if row else None,
        structural_data=structural.data_note if structural else None,
        monthly=[_month(m) for m in months],
        outlook=[schemas.OutlookItem.model_validate(o, from_attributes=True)
                 for o in outlook],
        monthly_data=monthly.data_note if monthly else None)


@router.get("/api/countries/{iso3}/history", response_model=schemas.CountryHistory,
            operation_id="get_country_history", dependencies=readers)
def country_history(iso3: str, s: SessionDep) -> schemas.CountryHistory:
    found = country_or_404(s, iso3)
    past = queries.latest_run(s, "backtest_structural")
    return schemas.CountryHistory(
        iso3=found.iso3,
        published=[schemas.PastForecast(
            run_id=run.id, forecast_year=int(run.period), probability=row.probability,
            interval=(row.low_80, row.high_80), rank=row.rank)
            for run, row in queries.structural_history(s, found.iso3)],
        backtest_run=past.id if past else None,
        backtest=[schemas.BacktestForecast.model_validate(b, from_attributes=True)
                  for b in (queries.backtest_for(s, past.id, found.iso3, past.model)
                            if past else [])])


@router.get("/api/backtests/{kind}/latest", response_model=schemas.Backtest,
            operation_id="latest_backtest", dependencies=readers)
def latest_backtest(kind: Literal["structural", "monthly", "rolling"],
                    s: SessionDep) -> schemas.Backtest:
    run = queries.latest_run(s, f"backtest_{kind}")
    if run is None:
        command = ("monthly --origins rolling --out build/backtest_rolling.parquet"
                   if kind == "rolling" else kind)
        raise NotFoundError(f"no {kind} back-test published yet: run "
                            f"`atrisk backtest {command}`")
    return schemas.Backtest(run=schemas.run_view(run))


@router.get("/api/forecasts/structural/latest", response_model=schemas.StructuralPage,
            operation_id="latest_structural_forecast", dependencies=readers,
            responses={200: {"content": {"text/csv": {}}}})
async def latest_structural(
    request: Request, cache: CacheDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
    offset: Offset = 0,
    q: Annotated[str | None, Query(description="Filter by name or ISO3.")] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> schemas.StructuralPage | Response:
    run_id = await cache.latest("structural")
    if run_id is None:
        raise NotFoundError("no structural forecast published yet: run "
                            "`atrisk forecast structural`")
    key = (run_id, limit, offset, q, format)
    url = request.app.state.database_url
    page = await cache.body(key, lambda: _render_page(url, key))
    return page.response(request)


@router.get("/api/forecasts/structural/runs", response_model=list[schemas.Run],
            operation_id="list_structural_runs", dependencies=readers)
def structural_runs(s: SessionDep) -> list[schemas.Run]:
    return [schemas.run_view(r) for r in queries.runs(s, "structural")]


@router.get("/api/forecasts/structural/runs/{run_id}", response_model=schemas.StructuralPage,
            operation_id="get_structural_run", dependencies=readers,
            responses={200: {"content": {"text/csv": {}}}})
def structural_run(
    run_id: Id, s: SessionDep, request: Request,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
    offset: Offset = 0,
    q: Annotated[str | None, Query()] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> schemas.StructuralPage | Response:
    run = queries.run_by_id(s, run_id)
    if run is None or run.kind != "structural":
        raise NotFoundError(f"no structural forecast run {run_id}")
    return _render_page(request.app.state.database_url,
                        (run_id, limit, offset, q, format)).response(request)


@router.get("/api/forecasts/monthly/runs", response_model=list[schemas.Run],
            operation_id="list_monthly_runs", dependencies=readers)
def monthly_runs(s: SessionDep) -> list[schemas.Run]:
    return [schemas.run_view(r) for r in queries.runs(s, "monthly")]


@router.get("/api/forecasts/monthly/runs/{run_id}", response_model=schemas.MonthlyPage,
            operation_id="get_monthly_run", dependencies=readers,
            responses={200: {"content": {"text/csv": {}}}})
def monthly_run(
    run_id: Id, s: SessionDep,
    iso3: Annotated[str | None, Query(description="One country (ISO3).")] = None,
    target: Annotated[Literal["civilian_deaths", "fatalities"] | None, Query()] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> schemas.MonthlyPage | Response:
    run = queries.run_by_id(s, run_id)
    if run is None or run.kind != "monthly":
        raise NotFoundError(f"no monthly forecast run {run_id}")
    return _monthly_page(s, run, iso3, target, format)


@router.get("/api/forecasts/monthly/latest", response_model=schemas.MonthlyPage,
            operation_id="latest_monthly_forecast", dependencies=readers,
            responses={200: {"content": {"text/csv": {}}}})
def latest_monthly(
    s: SessionDep,
    iso3: Annotated[str | None, Query(description="One country (ISO3).")] = None,
    target: Annotated[Literal["civilian_deaths", "fatalities"] | None, Query()] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> schemas.MonthlyPage | Response:
    run = queries.latest_run(s, "monthly")
    if run is None:
        raise NotFoundError("no monthly forecast published yet: run "
                            "`atrisk forecast monthly`")
    return _monthly_page(s, run, iso3, target, format)


def _render_page(url: str, key: tuple[int, int, int, str | None, str]) -> Body:
    """A page of a structural run as JSON or CSV (callers cache it: runs never change)."""
    run_id, limit, offset, q, fmt = key
    with session(url) as s:
        run = queries.run_by_id(s, run_id)
        if run is None:
            raise NotFoundError(f"no structural forecast run {run_id}")
        built = _structural_page(s, run, limit, offset, q, fmt)
    if isinstance(built, Response):
        return Body.of(bytes(built.body), "text/csv")
    return Body.of(built.model_dump_json().encode(), "application/json")


def _structural_page(s: Session, run: ForecastRun, limit: int, offset: int, q: str | None,
                     fmt: str) -> schemas.StructuralPage | Response:
    total, rows = queries.structural_rows(s, run.id, q, limit, offset)
    items = [schemas.structural_item(r) for r in rows]
    if fmt == "csv":
        return _csv(["rank", "iso3", "gwcode", "name", "probability", "low_80", "high_80",
                     "rank_low", "rank_high", "p_top10", "p_top30", "probability_1yr",
                     "drivers"],
                    [[i.rank, i.iso3, i.gwcode, i.name, i.probability, i.interval[0],
                      i.interval[1], i.rank_interval[0], i.rank_interval[1], i.p_top10,
                      i.p_top30, i.probability_1yr, "; ".join(d.label for d in i.drivers)]
                     for i in items])
    return schemas.StructuralPage(run=schemas.run_view(run), total=total, limit=limit,
                                  offset=offset, items=items)


def _monthly_page(s: Session, run: ForecastRun, iso3: str | None, target: str | None,
                  fmt: str) -> schemas.MonthlyPage | Response:
    rows = queries.monthly_rows(s, run.id, iso3.upper() if iso3 else None, target)
    items = [_month(m) for m in rows]
    if fmt == "csv":
        return _csv(list(schemas.MonthlyItem.model_fields),
                    [list(i.model_dump().values()) for i in items])
    return schemas.MonthlyPage(run=schemas.run_view(run), items=items)


def _csv(header: list[str], rows: list[list[object]]) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(buf.getvalue(), media_type="text/csv")


def _month(row: MonthlyForecast) -> schemas.MonthlyItem:
    return schemas.MonthlyItem.model_validate(row, from_attributes=True)
