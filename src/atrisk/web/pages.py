"""The dashboard's pages: the overview (map and ranked table), a page per country, the track
record of both forecasts, and methods and data."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pycountry
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from atrisk.forecasting.structural import MAX_AUC_LOSS, MAX_TOP30_LOSS
from atrisk.models.monthly import MONTHLY_MODELS
from atrisk.models.registry import MODELS
from atrisk.panels.build import LAST_OBSERVED, read_manifest
from atrisk.response import assessments
from atrisk.settings import Settings
from atrisk.sources import geo
from atrisk.store import queries
from atrisk.store.accounts import allows
from atrisk.store.db import session
from atrisk.web import build_data, charts
from atrisk.web.auth import current_user, reader, signed_in
from atrisk.web.cache import Body, RunCache
from atrisk.web.lookup import country_or_404
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


def router(settings: Settings) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    url = settings.database
    readers = [Depends(reader)]

    @pages.get("/", response_class=HTMLResponse, dependencies=readers)
    async def overview(request: Request) -> Response:
        cache: RunCache = request.app.state.cache
        key = ("overview", await cache.latest("structural"), await cache.latest("monthly"))
        return await _shared(request, key, lambda: _overview(request))

    def _overview(request: Request) -> Response:
        with session(url) as s:
            run = queries.latest_run(s, "structural")
            rows = queries.structural_rows(s, run.id)[1] if run else []
            runs = queries.runs(s, "structural")
            previous = ({r.iso3: r.rank for r in queries.structural_rows(s, runs[1].id)[1]}
                        if len(runs) > 1 else {})
            monthly = queries.latest_run(s, "monthly")
            outlook = queries.outlook(s, monthly.id) if monthly else {}
            region = {c.iso3: c.region for c in queries.countries(s)}
            table = [{
                "rank": r.rank, "iso3": r.iso3, "name": r.name,
                "region": region.get(r.iso3) or "",
                "probability": r.probability, "low": r.low_80, "high": r.high_80,
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
            "monthly": monthly,
            "regions": sorted({t["region"] for t in table if t["region"]})})

    @pages.get("/countries/{iso3}", response_class=HTMLResponse, dependencies=readers)
    async def country(request: Request, iso3: str) -> Response:
        """Anonymous readers share one rendering per country and set of runs (the page
        analysts open most); signed-in users see their team's assessment, rendered for them."""
        cache: RunCache = request.app.state.cache
        key = ("country", iso3.upper(), await cache.latest("structural"),
               await cache.latest("monthly"), await cache.latest("backtest_structural"),
               build_data.current_id(settings))
        return await _shared(request, key, lambda: _country(request, iso3))

    def _country(request: Request, iso3: str) -> HTMLResponse:
        data = build_data.load(settings)
        with session(url) as s:
            found = country_or_404(s, iso3)
            run = queries.latest_run(s, "structural")
            current = queries.structural_for(s, run.id, found.iso3) if run else None
            published = [{"year": int(r.period), "risk": round(100 * f.probability, 2),
                          "label": f"run {r.id} ({r.period}-{int(r.period) + 1})"}
                         for r, f in queries.structural_history(s, found.iso3)]
            backtest_run = queries.latest_run(s, "backtest_structural")
            backtest = ([{"year": b.data_year + 1, "risk": round(100 * b.probability, 2)}
                         for b in queries.backtest_for(s, backtest_run.id, found.iso3,
                                                       backtest_run.model)]
                        if backtest_run else [])
            monthly = queries.latest_run(s, "monthly")
            months = (queries.monthly_rows(s, monthly.id, found.iso3, "civilian_deaths")
                      if monthly else [])
            outlook = (queries.outlook(s, monthly.id, found.iso3).get(found.iso3)
                       if monthly else None)
            forecast = [{"month": m.month, "median": m.median, "q10": m.q10, "q90": m.q90,
                         "p_ge_1": m.p_ge_1, "p_ge_25": m.p_ge_25, "p_ge_100": m.p_ge_100,
                         "p_ge_1000": m.p_ge_1000} for m in months]
            user = current_user(request)
            factors = (assessments.compare(current.drivers if current else [],
                                           assessments.latest(s, found.iso3))
                       if user is not None else [])
        episodes = data.episodes_of(found.ccode)
        history = data.months(found.iso3)
        drivers = current.drivers if current else []
        return TEMPLATES.TemplateResponse(request, "country.html", {
            "country": found, "run": run, "current": current, "drivers": drivers,
            "episodes": episodes, "indicators": data.indicators(found.gwcode),
            "history": history, "forecast": forecast, "monthly": monthly,
            "backtest_run": backtest_run, "backtest": backtest, "published": published,
            "outlook": outlook,
            "factors": factors, "levels": assessments.LEVELS,
            "can_assess": user is not None and allows(user.role, "analyst"),
            "specs": {
                "history": json.dumps(charts.risk_history(backtest, published, episodes)),
                "drivers": json.dumps(charts.drivers(drivers)),
                "fan": json.dumps(charts.fan(history, forecast)),
            }})

    @pages.get("/track-record", response_class=HTMLResponse, dependencies=readers)
    async def track_record(request: Request) -> Response:
        cache: RunCache = request.app.state.cache
        key = ("track-record", await cache.latest("structural"),
               await cache.latest("backtest_structural"), await cache.latest("backtest_monthly"),
               build_data.current_id(settings))
        return await _shared(request, key, lambda: _track_record(request))

    def _track_record(request: Request) -> HTMLResponse:
        data = build_data.load(settings)
        with session(url) as s:
            structural = queries.latest_run(s, "backtest_structural")
            monthly = queries.latest_run(s, "backtest_monthly")
            record = _record(queries.runs(s, "structural"), s, data)
        meta = structural.meta if structural else {}
        monthly_meta, headline = (monthly.meta, monthly.model) if monthly else ({}, None)
        return TEMPLATES.TemplateResponse(request, "track_record.html", {
            "structural": structural, "monthly": monthly, "record": record,
            "scores": meta.get("scores", []), "scores_strict": meta.get("scores_strict", []),
            "calibration": meta.get("calibration", []),
            "monthly_scores": monthly_meta.get("scores", []),
            "monthly_by_actuals": monthly_meta.get("scores_by_actuals", []),
            "monthly_changes": [c for c in monthly_meta.get("crps_change", [])
                                if c["model"] == headline],
            "specs": {"roc": json.dumps(charts.roc(meta.get("roc", []))),
                      "calibration": json.dumps(charts.calibration(
                          meta.get("calibration", [])))}})

    @pages.get("/methods", response_class=HTMLResponse, dependencies=readers)
    async def methods(request: Request) -> Response:
        cache: RunCache = request.app.state.cache
        key = ("methods", await cache.latest("backtest_structural"),
               build_data.current_id(settings))
        return await _shared(request, key, lambda: _methods(request))

    def _methods(request: Request) -> HTMLResponse:
        from atrisk.panels.build import SOURCES

        manifest = read_manifest(settings) if settings.data_dir.exists() else {}
        with session(settings.database) as s:
            backtest = queries.latest_run(s, "backtest_structural")
            cost = list(backtest.meta.get("carry_forward_cost", [])) if backtest else []
        return TEMPLATES.TemplateResponse(request, "methods.html", {
            "sources": [*SOURCES, geo.WORLD_110M], "manifest": manifest,
            "carry_forward_cost": cost, "max_auc_loss": MAX_AUC_LOSS,
            "max_top30_loss": MAX_TOP30_LOSS,
            "data": build_data.load(settings) if manifest else None,
            "models": MODELS, "monthly_models": MONTHLY_MODELS})

    @pages.get("/static/vendor/{name}")
    def vendor(name: str) -> FileResponse:
        if name not in VENDOR:
            raise HTTPException(404, f"no vendored file {name!r}")
        path = settings.vendor_dir / VENDOR[name]
        if not path.is_file():
            raise HTTPException(404, f"{path} is missing: run `make install` (npm ci)")
        return FileResponse(path, media_type="text/css" if name.endswith(".css")
                            else "text/javascript")

    @pages.get("/static/app/{name}")
    def app_script(name: str) -> FileResponse:
        path = APP_SCRIPTS / name
        if name not in {p.name for p in APP_SCRIPTS.glob("*.js")}:
            raise HTTPException(404, f"no script {name!r}")
        return FileResponse(path, media_type="text/javascript")

    @pages.get("/docs", response_class=HTMLResponse)
    def api_docs(request: Request) -> HTMLResponse:
        """Swagger UI over /openapi.json, served by atrisk itself (works offline)."""
        return TEMPLATES.TemplateResponse(request, "api_docs.html", {})

    @pages.get("/static/geo/countries-110m.json")
    def world() -> JSONResponse:
        return JSONResponse(geo.world_110m(settings))

    return pages


async def _shared(request: Request, key: tuple[Any, ...],
                  render: Callable[[], Response]) -> Response:
    """A page every anonymous reader sees alike is rendered once per ``key`` (the runs and
    build it shows) and served from memory; a signed-in user's page is rendered for them."""
    if signed_in(request) or "authorization" in request.headers:
        return await run_in_threadpool(render)
    cache: RunCache = request.app.state.cache
    body = await cache.body(key, lambda: Body.of(bytes(render().body),
                                                 "text/html; charset=utf-8"))
    return body.response(request)


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
