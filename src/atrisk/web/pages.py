"""The dashboard's pages: the overview (map and ranked table), a page per country, the track
record of both forecasts, and methods and data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycountry
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from atrisk.domain.errors import NotFoundError
from atrisk.domain.reports import (
    CrpsChange,
    MonthlyBacktestReport,
    RollingBacktestReport,
    StructuralBacktestReport,
)
from atrisk.forecasting.structural import MAX_AUC_LOSS, MAX_TOP30_LOSS
from atrisk.http import build_data, charts, lives_data, subnational_data, watch_data
from atrisk.http.auth import current_user, reader, shared_page
from atrisk.http.country_charts import country_charts
from atrisk.http.deps import CacheDep, SettingsDep, country_or_404
from atrisk.models.monthly_registry import MONTHLY_MODELS
from atrisk.models.registry import MODELS
from atrisk.panels.build import LAST_OBSERVED, read_manifest
from atrisk.response import assessments
from atrisk.settings import Settings
from atrisk.sources import geo
from atrisk.store import queries
from atrisk.store.accounts import allows
from atrisk.store.db import session
from atrisk.store.schema import ForecastRun
from atrisk.web.render import TEMPLATES

#: The only files served from the npm packages (UMD builds).
VENDOR = {
    "vega.min.js": "vega/build/vega.min.js",
    "vega-lite.min.js": "vega-lite/build/vega-lite.min.js",
    "vega-embed.min.js": "vega-embed/build/vega-embed.min.js",
    "swagger-ui-bundle.js": "swagger-ui-dist/swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js": "swagger-ui-dist/swagger-ui-standalone-preset.js",
    "swagger-ui.css": "swagger-ui-dist/swagger-ui.css",
}
#: Our own scripts (no inline script anywhere, so the Content-Security-Policy can forbid it).
APP_SCRIPTS = Path(__file__).parent / "static"

#: world-atlas leaves a few places without an ISO numeric id; they are matched by name.
NO_NUMERIC = {"XKX": "Kosovo"}


def map_key(iso3: str) -> str | None:
    """The world-atlas feature key of a country: ISO numeric code, else its map name."""
    if iso3 in NO_NUMERIC:
        return NO_NUMERIC[iso3]
    found = pycountry.countries.get(alpha_3=iso3)
    return str(found.numeric) if found else None


router = APIRouter(include_in_schema=False)
#: How many risers and fallers the overview lists.
MOVERS = 5
readers = [Depends(reader)]


@router.get("/", response_class=HTMLResponse, dependencies=readers)
async def overview(request: Request, cache: CacheDep, settings: SettingsDep) -> Response:
    key = ("overview", await cache.latest("structural"), await cache.latest("monthly"))
    return await shared_page(request, key, lambda: _overview(request, settings))


def _overview(request: Request, settings: Settings) -> Response:
    with session(settings.database) as s:
        run = queries.latest_run(s, "structural")
        rows = queries.structural_rows(s, run.id)[1] if run else []
        runs = queries.runs(s, "structural")
        previous = ({r.iso3: r.rank for r in queries.structural_rows(s, runs[1].id)[1]}
                    if len(runs) > 1 else {})
        moved = queries.structural_moves(s, runs[0], runs[1]) if len(runs) > 1 else []
        movers = {"up": [m for m in moved if m.points >= 0.05][:MOVERS],
                  "down": [m for m in moved if m.points <= -0.05][:MOVERS]}
        monthly = queries.latest_run(s, "monthly")
        outlook = queries.outlook(s, monthly.id) if monthly else {}
        region = {c.iso3: c.region for c in queries.countries(s)}
        table = [{
            "rank": r.rank, "iso3": r.iso3, "name": r.name,
            "region": region.get(r.iso3) or "",
            "probability": r.probability, "low": r.low_80, "high": r.high_80,
            "top10": r.p_top10, "top30": r.p_top30, "rank_low": r.rank_low,
            "rank_high": r.rank_high,
            "change": (previous[r.iso3] - r.rank) if r.iso3 in previous else None,
            "outlook": outlook.get(r.iso3),
            "driver": r.drivers[0]["label"] if r.drivers else "",
            "key": map_key(r.iso3),
        } for r in rows]
        values = [{"key": map_key(r.iso3), "name": r.name, "iso3": r.iso3,
                   "risk": round(100 * r.probability, 2), "rank": r.rank}
                  for r in rows if map_key(r.iso3)]
    return TEMPLATES.TemplateResponse(request, "overview.html", {
        "run": run, "rows": table, "spec": json.dumps(charts.world_map(values)),
        "monthly": monthly, "movers": movers, "since": runs[1] if len(runs) > 1 else None,
        "regions": sorted({t["region"] for t in table if t["region"]})})


@router.get("/countries/{iso3}", response_class=HTMLResponse, dependencies=readers)
async def country(request: Request, iso3: str, cache: CacheDep,
                  settings: SettingsDep) -> Response:
    """Anonymous readers share one rendering per country and set of runs (the page
    analysts open most); signed-in users see their team's assessment, rendered for them."""
    key = ("country", iso3.upper(), await cache.latest("structural"),
           await cache.latest("monthly"), await cache.latest("backtest_structural"),
           build_data.current_id(settings), watch_data.stamp(settings))
    return await shared_page(request, key, lambda: _country(request, settings, iso3))


def _country(request: Request, settings: Settings, iso3: str) -> HTMLResponse:
    data = build_data.load(settings)
    with session(settings.database) as s:
        found = country_or_404(s, iso3)
        run = queries.latest_run(s, "structural")
        current = queries.structural_for(s, run.id, found.iso3) if run else None
        before = queries.previous_structural(s, run) if run else None
        move = next((m for m in queries.structural_moves(s, run, before)
                     if m.iso3 == found.iso3), None) if run and before else None
        monthly = queries.latest_run(s, "monthly")
        outlook = (queries.outlook(s, monthly.id, found.iso3).get(found.iso3)
                   if monthly else None)
        drawn = country_charts(settings, s, found, current, monthly)
        at_stake = lives_data.lives_of(settings, s, found.iso3)
        places = _places(settings, found.iso3)
        user = current_user(request)
        factors = (assessments.compare(current.drivers if current else [],
                                       assessments.latest(s, found.iso3))
                   if user is not None else [])
    watch = watch_data.load(settings) if watch_data.stamp(settings) is not None else None
    return TEMPLATES.TemplateResponse(request, "country.html", {
        "country": found, "run": run, "current": current, "drivers": drawn.drivers,
        "move": move, "at_stake": at_stake, "episodes": drawn.episodes,
        "indicators": data.indicators(found.gwcode),
        "history": drawn.history, "forecast": drawn.forecast, "monthly": monthly,
        "backtest_run": drawn.backtest_run, "backtest": drawn.backtest,
        "published": drawn.published, "outlook": outlook,
        "watch": watch.of(found.iso3) if watch else None,
        "watch_as_of": watch.as_of if watch else None,
        "factors": factors, "levels": assessments.LEVELS,
        "can_assess": user is not None and allows(user.role, "analyst"),
        "cells": places.cells, "regions": places.regions, "places_why": places.why,
        "specs": {name: json.dumps(spec) for name, spec in
                  {**drawn.specs(), **places.specs}.items()}})


def _places(settings: Settings, iso3: str) -> subnational_data.Places:
    """The sub-national section: the cell map and the regions, or why there are none."""
    cells = regions = None
    why = ""
    try:
        cells = subnational_data.latest(settings, iso3, "cell")
        regions = subnational_data.latest(settings, iso3, "region")
    except NotFoundError as exc:
        why = str(exc)
    specs = ({"cells": charts.cell_map(cells.places.to_dict("records"),
                                       subnational_data.outline(settings, iso3))}
             if cells is not None else {})
    return subnational_data.Places(cells, regions, why, specs)


@router.get("/track-record", response_class=HTMLResponse, dependencies=readers)
async def track_record(request: Request, cache: CacheDep, settings: SettingsDep) -> Response:
    key = ("track-record", await cache.latest("structural"),
           await cache.latest("backtest_structural"), await cache.latest("backtest_monthly"),
           await cache.latest("backtest_rolling"),
           build_data.current_id(settings))
    return await shared_page(request, key, lambda: _track_record(request, settings))


def _track_record(request: Request, settings: Settings) -> HTMLResponse:
    data = build_data.load(settings)
    with session(settings.database) as s:
        structural = queries.latest_run(s, "backtest_structural")
        monthly = queries.latest_run(s, "backtest_monthly")
        rolling_run = queries.latest_run(s, "backtest_rolling")
        record = _record(queries.runs(s, "structural"), s, data)
    report = structural.report if structural else None
    monthly_report = monthly.report if monthly else None
    assert report is None or isinstance(report, StructuralBacktestReport)
    assert monthly_report is None or isinstance(monthly_report, MonthlyBacktestReport)
    calibration = report.calibration if report else []
    return TEMPLATES.TemplateResponse(request, "track_record.html", {
        "structural": structural, "monthly": monthly, "record": record,
        "rolling": _rolling(rolling_run) if rolling_run else None,
        "scores": report.scores if report else [],
        "scores_strict": report.scores_strict if report else [],
        "calibration": calibration,
        "monthly_scores": monthly_report.scores if monthly_report else [],
        "monthly_by_actuals": monthly_report.scores_by_actuals if monthly_report else [],
        "monthly_changes": [c for c in monthly_report.crps_change
                            if c.model == monthly_report.model] if monthly_report else [],
        "specs": {"roc": json.dumps(charts.roc(report.roc if report else [])),
                  "calibration": json.dumps(charts.calibration(calibration))}})


@router.get("/methods", response_class=HTMLResponse, dependencies=readers)
async def methods(request: Request, cache: CacheDep, settings: SettingsDep) -> Response:
    key = ("methods", await cache.latest("backtest_structural"),
           await cache.latest("backtest_rolling"), build_data.current_id(settings),
           watch_data.evaluation_stamp(settings))
    return await shared_page(request, key, lambda: _methods(request, settings))


def _methods(request: Request, settings: Settings) -> HTMLResponse:
    from atrisk.panels.build import sources

    manifest = read_manifest(settings) if settings.data_dir.exists() else {}
    with session(settings.database) as s:
        backtest = queries.latest_run(s, "backtest_structural")
        report = backtest.report if backtest else None
        rolling_run = queries.latest_run(s, "backtest_rolling")
    cost = report.carry_forward_cost if isinstance(report, StructuralBacktestReport) else []
    return TEMPLATES.TemplateResponse(request, "methods.html", {
        "sources": [*sources(settings), geo.WORLD_110M], "manifest": manifest,
        "carry_forward_cost": cost, "max_auc_loss": MAX_AUC_LOSS,
        "rolling": _rolling(rolling_run) if rolling_run else None,
        "max_top30_loss": MAX_TOP30_LOSS,
        "data": build_data.load(settings) if manifest else None,
        "signal_evaluation": watch_data.evaluation(settings),
        "models": MODELS, "monthly_models": MONTHLY_MODELS})


@router.get("/static/vendor/{name}")
def vendor(name: str, settings: SettingsDep) -> FileResponse:
    if name not in VENDOR:
        raise NotFoundError(f"no vendored file {name!r}")
    path = settings.vendor_dir / VENDOR[name]
    if not path.is_file():
        raise NotFoundError(f"{path} is missing: run `make install` (npm ci)")
    return FileResponse(path, media_type="text/css" if name.endswith(".css")
                        else "text/javascript")


@router.get("/static/app/{name}")
def app_script(name: str) -> FileResponse:
    path = APP_SCRIPTS / name
    if name not in {p.name for p in APP_SCRIPTS.glob("*.js")}:
        raise NotFoundError(f"no script {name!r}")
    return FileResponse(path, media_type="text/javascript")


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over /openapi.json, served by atrisk itself (works offline)."""
    return TEMPLATES.TemplateResponse(request, "api_docs.html", {})


@router.get("/static/geo/countries-110m.json")
def world(settings: SettingsDep) -> JSONResponse:
    return JSONResponse(geo.world_110m(settings))


@dataclass(frozen=True)
class _Rolling:
    """A rolling back-test as the page shows it: CRPS by (target, model) and step."""

    run: ForecastRun
    report: RollingBacktestReport
    steps: list[int]
    by_step: dict[tuple[str, str], dict[int, float | None]]
    #: The headline model's CRPS change against the reference: all months, the last year.
    changes: list[CrpsChange]
    changes_last_year: list[CrpsChange]
    #: Observed coverage on months with deaths, by (target, model) and interval level.
    coverage: dict[tuple[str, str], dict[float, float]]
    levels: list[float]
    spec: str


def _rolling(run: ForecastRun) -> _Rolling:
    report = run.report
    assert isinstance(report, RollingBacktestReport)
    by_step: dict[tuple[str, str], dict[int, float | None]] = {}
    for r in report.scores_by_step:
        by_step.setdefault((r.target, r.model), {})[int(r.step or 0)] = r.crps
    steps = sorted({int(r.step or 0) for r in report.scores_by_step})
    coverage: dict[tuple[str, str], dict[float, float]] = {}
    for c in report.calibration_nonzero:
        coverage.setdefault((c.target, c.model), {})[c.level] = c.observed
    return _Rolling(run, report, steps, by_step,
                    [c for c in report.crps_change if c.model == report.model],
                    [c for c in report.crps_change_last_year if c.model == report.model],
                    coverage, sorted({c.level for c in report.calibration_nonzero}),
                    json.dumps(charts.interval_reliability(report.calibration_nonzero)))


def _record(runs: list[Any], s: Any, data: build_data.BuildData) -> list[dict[str, Any]]:
    """For each published structural run: its ten riskiest countries and the episodes that
    began in the two years it covers, as far as the episode list has been observed."""
    last_observed = int(data.episodes["start_year"].max()) if len(data.episodes) else 0
    last_observed = max(last_observed, LAST_OBSERVED)
    out = []
    for run in runs:
        year = int(run.period)
        top = queries.structural_rows(s, run.id, limit=10)[1]
        began = data.episodes[data.episodes["start_year"].between(year, year + 1)]
        onsets = set(began["location"])
        status = ("observed" if year + 1 <= last_observed else
                  "partly observed" if year <= last_observed else "not yet observed")
        out.append({"run": run, "year": year, "status": status,
                    "top": [{"iso3": t.iso3, "name": t.name, "rank": t.rank,
                             "probability": t.probability} for t in top],
                    "onsets": [{"name": e.country, "episode": e.name,
                                "start": int(e.start_year)}
                               for e in began.itertuples(index=False)],
                    "caught": sum(1 for t in top if _ccode(s, t.iso3) in onsets)})
    return out


def _ccode(s: Any, iso3: str) -> int | None:
    found = queries.country(s, iso3)
    return found.ccode if found else None
