"""The FastAPI application: ``create_app(settings)`` builds it; ``atrisk serve`` runs it."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Route

from atrisk import __version__
from atrisk.api import response_routes, schemas
from atrisk.api.deps import Id, Offset, SessionDep, country_or_404
from atrisk.api.guards import BodyLimit, SecurityHeaders
from atrisk.domain.errors import AtriskError
from atrisk.panels.country_month import TARGETS
from atrisk.settings import Settings, get_settings
from atrisk.store import accounts, queries
from atrisk.store.db import migrate, session
from atrisk.store.schema import ForecastRun, MonthlyForecast, User
from atrisk.web.auth import reader, require
from atrisk.web.cache import Body, RunCache


def create_app_from_env() -> FastAPI:
    """The app over the settings in the environment (``atrisk serve``'s worker factory)."""
    return create_app(get_settings())


def create_app(settings: Settings) -> FastAPI:
    """The API over the store at ``settings.database`` (migrated on start)."""
    settings.check_production()
    url = settings.database
    migrate(url)
    app = FastAPI(title="atrisk", version=__version__,
                  description="Mass-atrocity early warning: published forecasts and countries.",
                  responses=ERRORS,
                  docs_url=None, redoc_url=None)  # /docs is served locally by the pages
    app.state.database_url = url
    app.state.public_forecasts = settings.public_forecasts
    app.add_middleware(SessionMiddleware, secret_key=settings.secret_key,
                       session_cookie="atrisk_session", max_age=SESSION_SECONDS,
                       same_site="lax", https_only=settings.environment == "production")
    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders, production=settings.environment == "production")
    # The pages share the app, its store and settings.
    from atrisk.web import account_pages, pages, response_pages

    app.include_router(pages.router(settings))
    app.include_router(account_pages.router())
    app.include_router(response_pages.router(settings))
    app.include_router(response_routes.router(settings))
    readers = [Depends(reader)]
    app.state.cache = RunCache(url)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 401 and _wants_page(request):
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not only the first route's
            headers["Allow"] = ", ".join(_allowed(app, request.url.path))
        return _error(exc.status_code, str(exc.detail), headers)

    @app.exception_handler(AtriskError)
    async def _atrisk_error(_: Request, exc: AtriskError) -> JSONResponse:
        return _error(exc.status, str(exc))  # each error class carries its status

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, f"{where}: {first.get('msg', 'invalid request')}")

    @app.get("/healthz", response_model=schemas.Health, operation_id="health")
    async def health() -> schemas.Health:
        """The store answers (checked at most once a second, however many ask)."""
        cache: RunCache = app.state.cache
        try:
            found = await cache.health()
        except SQLAlchemyError as exc:
            raise HTTPException(503, f"the store does not answer ({type(exc).__name__})"
                                ) from exc
        return schemas.Health(ok=True, database=found.database,
                              structural_run=found.structural_run,
                              monthly_run=found.monthly_run)

    @app.get("/api/me", response_model=schemas.Me, operation_id="whoami")
    def whoami(user: Annotated[User, Depends(require("viewer"))]) -> schemas.Me:
        return schemas.Me(email=user.email, name=user.name, role=user.role)

    @app.get("/api/countries", response_model=list[schemas.Country],
             operation_id="list_countries", dependencies=readers)
    def list_countries(s: SessionDep) -> list[schemas.Country]:
        return [schemas.Country.model_validate(c, from_attributes=True)
                for c in queries.countries(s)]

    @app.get("/api/countries/{iso3}", response_model=schemas.CountryDetail,
             operation_id="get_country", dependencies=readers)
    async def get_country(request: Request, iso3: str) -> Response:
        """Rendered once per country and pair of latest runs (the same for every reader)."""
        cache: RunCache = app.state.cache
        key = ("api-country", iso3.upper(), await cache.latest("structural"),
               await cache.latest("monthly"))
        body = await cache.body(key, lambda: _country_body(iso3))
        return body.response(request)

    def _country_body(iso3: str) -> Body:
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

    @app.get("/api/countries/{iso3}/history", response_model=schemas.CountryHistory,
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

    @app.get("/api/backtests/{kind}/latest", response_model=schemas.Backtest,
             operation_id="latest_backtest", dependencies=readers)
    def latest_backtest(kind: Literal["structural", "monthly"],
                        s: SessionDep) -> schemas.Backtest:
        run = queries.latest_run(s, f"backtest_{kind}")
        if run is None:
            raise HTTPException(404, f"no {kind} back-test published yet: run "
                                f"`atrisk backtest {kind}`")
        return schemas.Backtest(run=_run(run))

    @app.get("/api/forecasts/structural/latest", response_model=schemas.StructuralPage,
             operation_id="latest_structural_forecast", dependencies=readers,
             responses={200: {"content": {"text/csv": {}}}})
    async def latest_structural(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=500)] = 500,
        offset: Offset = 0,
        q: Annotated[str | None, Query(description="Filter by name or ISO3.")] = None,
        format: Annotated[Literal["json", "csv"], Query()] = "json",
    ) -> schemas.StructuralPage | Response:
        cache: RunCache = app.state.cache
        run_id = await cache.latest("structural")
        if run_id is None:
            raise HTTPException(404, "no structural forecast published yet: run "
                                "`atrisk forecast structural`")
        key = (run_id, limit, offset, q, format)
        page = await cache.body(key, lambda: _render_page(app, key))
        return page.response(request)

    @app.get("/api/forecasts/structural/runs", response_model=list[schemas.Run],
             operation_id="list_structural_runs", dependencies=readers)
    def structural_runs(s: SessionDep) -> list[schemas.Run]:
        return [_run(r) for r in queries.runs(s, "structural")]

    @app.get("/api/forecasts/structural/runs/{run_id}", response_model=schemas.StructuralPage,
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
            raise HTTPException(404, f"no structural forecast run {run_id}")
        return _render_page(app, (run_id, limit, offset, q, format)).response(request)

    @app.get("/api/forecasts/monthly/runs", response_model=list[schemas.Run],
             operation_id="list_monthly_runs", dependencies=readers)
    def monthly_runs(s: SessionDep) -> list[schemas.Run]:
        return [_run(r) for r in queries.runs(s, "monthly")]

    @app.get("/api/forecasts/monthly/runs/{run_id}", response_model=schemas.MonthlyPage,
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
            raise HTTPException(404, f"no monthly forecast run {run_id}")
        return _monthly_page(s, run, iso3, target, format)

    @app.get("/api/forecasts/monthly/latest", response_model=schemas.MonthlyPage,
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
            raise HTTPException(404, "no monthly forecast published yet: run "
                                "`atrisk forecast monthly`")
        return _monthly_page(s, run, iso3, target, format)

    return app


def _render_page(app: FastAPI, key: tuple[int, int, int, str | None, str]) -> Body:
    """A page of a structural run as JSON or CSV (callers cache it: runs never change)."""
    run_id, limit, offset, q, fmt = key
    with session(app.state.database_url) as s:
        run = queries.run_by_id(s, run_id)
        if run is None:
            raise HTTPException(404, f"no structural forecast run {run_id}")
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
                     "probability_1yr", "drivers"],
                    [[i.rank, i.iso3, i.gwcode, i.name, i.probability, i.interval[0],
                      i.interval[1], i.probability_1yr, "; ".join(d.label for d in i.drivers)]
                     for i in items])
    return schemas.StructuralPage(run=_run(run), total=total, limit=limit, offset=offset,
                                  items=items)


def _monthly_page(s: Session, run: ForecastRun, iso3: str | None, target: str | None,
                  fmt: str) -> schemas.MonthlyPage | Response:
    rows = queries.monthly_rows(s, run.id, iso3.upper() if iso3 else None, target)
    items = [_month(m) for m in rows]
    if fmt == "csv":
        return _csv(list(schemas.MonthlyItem.model_fields),
                    [list(i.model_dump().values()) for i in items])
    return schemas.MonthlyPage(run=_run(run), items=items)


def _csv(header: list[str], rows: list[list[object]]) -> Response:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(buf.getvalue(), media_type="text/csv")


def _run(run: ForecastRun) -> schemas.Run:
    return schemas.Run(id=run.id, kind=run.kind, model=run.model, period=run.period,
                       created_at=run.created_at, meta=run.meta, data_note=run.data_note)


def _month(row: MonthlyForecast) -> schemas.MonthlyItem:
    return schemas.MonthlyItem.model_validate(row, from_attributes=True)


#: How long a signed-in session lasts without signing in again (seconds).
SESSION_SECONDS = int(accounts.SESSION_LENGTH.total_seconds())


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (sent to the login form) rather than a program (JSON)."""
    path = request.url.path
    return (not path.startswith(("/api/", "/healthz", "/openapi", "/docs"))
            and "text/html" in request.headers.get("accept", ""))


def _allowed(app: FastAPI, path: str) -> list[str]:
    """The methods the routes at ``path`` answer (HEAD goes with GET; not listed)."""
    methods: set[str] = set()
    for route in app.routes:
        if isinstance(route, APIRoute | Route) and route.path_regex.match(path):
            methods |= set(route.methods or ())
    return sorted(methods - {"HEAD"})


def _error(status: int, message: str, headers: Mapping[str, str] | None = None
           ) -> JSONResponse:
    """The one error shape (a 405 keeps its ``Allow`` header)."""
    return JSONResponse(schemas.Error(error=message, status=status).model_dump(),
                        status_code=status, headers=dict(headers or {}))


#: What any operation may answer besides its success, all in the one error shape.
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": schemas.Error, "description": why} for status, why in (
        (400, "The body is not valid JSON"),
        (401, "Not signed in (no session or API token)"),
        (403, "Signed in, but the role does not allow it"),
        (404, "No such country, run or record"),
        (405, "Method not allowed (the Allow header lists those that are)"),
        (413, "Request body over the size limit"),
        (422, "Invalid input: the message names the field"),
        (429, "Too many attempts from this client; try again later"),
        (503, "The store does not answer, or no data build yet"))}
