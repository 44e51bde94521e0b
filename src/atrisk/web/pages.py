"""The dashboard's pages. The overview: a world map of the 2-year risk and the ranked table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pycountry
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates

from atrisk.settings import Settings
from atrisk.sources import geo
from atrisk.store import queries
from atrisk.store.db import session

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

#: The only files served from the npm packages (UMD builds).
VENDOR = {
    "vega.min.js": "vega/build/vega.min.js",
    "vega-lite.min.js": "vega-lite/build/vega-lite.min.js",
    "vega-embed.min.js": "vega-embed/build/vega-embed.min.js",
}

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

    @pages.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        with session(url) as s:
            run = queries.latest_run(s, "structural")
            rows = queries.structural_rows(s, run.id)[1] if run else []
            runs = queries.runs(s, "structural")
            previous = ({r.iso3: r.rank for r in queries.structural_rows(s, runs[1].id)[1]}
                        if len(runs) > 1 else {})
            monthly = queries.latest_run(s, "monthly")
            outlook = _outlook(queries.monthly_rows(s, monthly.id, target="civilian_deaths")
                               if monthly else [])
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
            values = [{"key": map_key(r.iso3), "name": r.name,
                       "risk": round(100 * r.probability, 2), "rank": r.rank}
                      for r in rows if map_key(r.iso3)]
        return TEMPLATES.TemplateResponse(request, "overview.html", {
            "run": run, "rows": table, "spec": json.dumps(_map_spec(values)),
            "monthly": monthly,
            "regions": sorted({t["region"] for t in table if t["region"]})})

    @pages.get("/static/vendor/{name}")
    def vendor(name: str) -> FileResponse:
        if name not in VENDOR:
            raise HTTPException(404, f"no vendored file {name!r}")
        path = settings.vendor_dir / VENDOR[name]
        if not path.is_file():
            raise HTTPException(404, f"{path} is missing: run `make install` (npm ci)")
        return FileResponse(path, media_type="text/javascript")

    @pages.get("/static/geo/countries-110m.json")
    def world() -> JSONResponse:
        return JSONResponse(geo.world_110m(settings))

    return pages


def _outlook(rows: list[Any]) -> dict[str, float]:
    """P(>= 100 civilian deaths in at least one of the next 6 months), per country, from the
    monthly draws' per-month exceedance (the model's months are drawn independently)."""
    out: dict[str, float] = {}
    for r in rows:
        if r.step <= 6:
            out[r.iso3] = 1 - (1 - out.get(r.iso3, 0.0)) * (1 - r.p_ge_100)
    return out


def _map_spec(values: list[dict[str, Any]]) -> dict[str, Any]:
    """Vega-Lite choropleth: world-atlas shapes, coloured by risk; grey where no forecast."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "width": "container", "height": 420,
        "projection": {"type": "equalEarth"},
        "layer": [
            {"data": {"url": "/static/geo/countries-110m.json",
                      "format": {"type": "topojson", "feature": "countries"}},
             "mark": {"type": "geoshape", "fill": "#e5e5e5", "stroke": "#ffffff",
                      "strokeWidth": 0.5}},
            {"data": {"url": "/static/geo/countries-110m.json",
                      "format": {"type": "topojson", "feature": "countries"}},
             "transform": [
                 {"calculate": "datum.id ? datum.id : datum.properties.name", "as": "key"},
                 {"lookup": "key", "from": {"data": {"values": values}, "key": "key",
                                            "fields": ["name", "risk", "rank"]}},
                 {"filter": "isValid(datum.risk)"}],
             "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.5},
             "encoding": {
                 "color": {"field": "risk", "type": "quantitative",
                           "title": "2-year risk (%)",
                           "scale": {"scheme": "orangered", "type": "sqrt"}},
                 "tooltip": [{"field": "name", "title": "Country"},
                             {"field": "risk", "title": "Risk (%)", "format": ".1f"},
                             {"field": "rank", "title": "Rank"}]}},
        ],
    }
