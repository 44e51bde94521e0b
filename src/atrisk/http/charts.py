"""Vega-Lite specifications of the dashboard's charts. Each takes rows (plain or typed
records) and returns a spec; the pages embed it with vega-embed (served by us), the brief
draws it to SVG (``svg``). Every value charted is also in a table or sentence beside it, so
nothing depends on colour or on the chart drawing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from atrisk.domain.reports import CalibrationBin, IntervalCoverage, RocPoint

Spec = dict[str, Any]
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
RISK = "#c2410c"
EPISODE = "#7f1d1d"


def svg(spec: Spec, width: int = 620) -> str:
    """The chart drawn to SVG without a browser (vl-convert runs Vega-Lite in an embedded
    JavaScript engine, offline); a chart as wide as its container gets ``width``."""
    import vl_convert

    fixed = {**spec, "width": width} if spec.get("width") == "container" else spec
    drawn: str = vl_convert.vegalite_to_svg(fixed, vl_version="6.4")
    return drawn


def rank_range(rank: int, low: int, high: int, countries: int) -> Spec:
    """The rank (dot) and the ranks kept in 80% of the bootstrap refits (bar), first place
    on the left."""
    row = {"rank": rank, "low": low, "high": high}
    scale = {"domain": [1, max(countries, high)], "nice": False}
    return {
        "$schema": SCHEMA, "width": "container", "height": 40,
        "data": {"values": [row]},
        "layer": [
            {"mark": {"type": "rule", "strokeWidth": 6, "color": "#fdba74"},
             "encoding": {"x": {"field": "low", "type": "quantitative", "scale": scale,
                                "title": "rank among all countries (1 = highest risk)"},
                          "x2": {"field": "high"}}},
            {"mark": {"type": "point", "filled": True, "size": 90, "color": RISK},
             "encoding": {"x": {"field": "rank", "type": "quantitative", "scale": scale}}},
        ],
    }


def world_map(values: list[dict[str, Any]]) -> Spec:
    """Choropleth: world-atlas shapes, coloured by risk; grey where no forecast."""
    shapes = {"url": "/static/geo/countries-110m.json",
              "format": {"type": "topojson", "feature": "countries"}}
    return {
        "$schema": SCHEMA, "width": "container", "height": 420,
        "projection": {"type": "equalEarth"},
        "layer": [
            {"data": shapes,
             "mark": {"type": "geoshape", "fill": "#e5e5e5", "stroke": "#ffffff",
                      "strokeWidth": 0.5}},
            {"data": shapes,
             "transform": [
                 {"calculate": "datum.id ? datum.id : datum.properties.name", "as": "key"},
                 {"lookup": "key", "from": {"data": {"values": values}, "key": "key",
                                            "fields": ["name", "risk", "rank", "iso3"]}},
                 {"filter": "isValid(datum.risk)"},
                 {"calculate": "'/countries/' + datum.iso3", "as": "url"}],
             "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.5,
                      "cursor": "pointer"},
             "encoding": {
                 "color": {"field": "risk", "type": "quantitative",
                           "title": "2-year risk (%)",
                           "scale": {"scheme": "orangered", "type": "sqrt"}},
                 "href": {"field": "url"},
                 "tooltip": [{"field": "name", "title": "Country"},
                             {"field": "risk", "title": "Risk (%)", "format": ".1f"},
                             {"field": "rank", "title": "Rank"}]}},
        ],
    }


def risk_history(backtest: list[dict[str, Any]], published: list[dict[str, Any]],
                 episodes: list[dict[str, Any]]) -> Spec:
    """Past forecasts of the 2-year risk (out-of-sample back-test and published runs) by the
    first year they cover, with the start of each mass-killing episode as a vertical rule."""
    layers: list[Spec] = [
        {"data": {"values": backtest},
         "mark": {"type": "line", "point": True, "color": RISK},
         "encoding": {
             "x": {"field": "year", "type": "quantitative", "title": "First year covered",
                   "axis": {"format": "d"}},
             "y": {"field": "risk", "type": "quantitative", "title": "2-year risk (%)"},
             "tooltip": [{"field": "year", "title": "Covers from"},
                         {"field": "risk", "title": "Risk (%)", "format": ".1f"}]}},
    ]
    if published:
        layers.append({
            "data": {"values": published},
            "mark": {"type": "point", "shape": "diamond", "size": 120, "filled": True,
                     "color": "#1d4ed8"},
            "encoding": {"x": {"field": "year", "type": "quantitative"},
                         "y": {"field": "risk", "type": "quantitative"},
                         "tooltip": [{"field": "label", "title": "Published"},
                                     {"field": "risk", "title": "Risk (%)", "format": ".1f"}]}})
    if episodes:
        layers.append({
            "data": {"values": episodes},
            "mark": {"type": "rule", "color": EPISODE, "strokeDash": [4, 3], "strokeWidth": 2},
            "encoding": {"x": {"field": "start", "type": "quantitative"},
                         "tooltip": [{"field": "name", "title": "Episode began"},
                                     {"field": "start", "title": "Year"}]}})
    return {"$schema": SCHEMA, "width": "container", "height": 240, "layer": layers}


def drivers(rows: list[dict[str, Any]]) -> Spec:
    """The drivers of the current risk: each feature's push on the log-odds."""
    return {
        "$schema": SCHEMA, "width": "container", "height": {"step": 26},
        "data": {"values": rows},
        "mark": {"type": "bar", "color": RISK},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "contribution", "type": "quantitative",
                  "title": "Push on the log-odds of the risk"},
            "tooltip": [{"field": "label", "title": "Driver"},
                        {"field": "contribution", "format": "+.2f"}]},
    }


def fan(history: list[dict[str, Any]], forecast: list[dict[str, Any]]) -> Spec:
    """Civilian deaths by month: what happened, then the forecast's median and 80% band."""
    x = {"field": "month", "type": "temporal", "title": None}
    y_title = "Civilian deaths per month"
    return {
        "$schema": SCHEMA, "width": "container", "height": 240,
        "layer": [
            {"data": {"values": forecast},
             "mark": {"type": "area", "opacity": 0.3, "color": RISK},
             "encoding": {"x": x,
                          "y": {"field": "q10", "type": "quantitative", "title": y_title,
                                "scale": {"type": "symlog"}},
                          "y2": {"field": "q90"}}},
            {"data": {"values": forecast},
             "mark": {"type": "line", "strokeDash": [5, 3], "color": RISK},
             "encoding": {"x": x, "y": {"field": "median", "type": "quantitative"},
                          "tooltip": [{"field": "month", "type": "temporal",
                                       "format": "%Y-%m"},
                                      {"field": "median", "title": "Median"},
                                      {"field": "q10", "title": "10%"},
                                      {"field": "q90", "title": "90%"}]}},
            {"data": {"values": history},
             "mark": {"type": "line", "point": True, "color": "#1a1a1a"},
             "encoding": {"x": x, "y": {"field": "civilian_deaths", "type": "quantitative"},
                          "tooltip": [{"field": "month", "type": "temporal",
                                       "format": "%Y-%m"},
                                      {"field": "civilian_deaths", "title": "Deaths"},
                                      {"field": "status", "title": "Data"}]}},
        ],
    }


def roc(points: Sequence[RocPoint]) -> Spec:
    """ROC curves of the structural back-test, one line per model, with the diagonal."""
    return {
        "$schema": SCHEMA, "width": 320, "height": 320,
        "layer": [
            {"data": {"values": [{"x": 0, "y": 0}, {"x": 1, "y": 1}]},
             "mark": {"type": "line", "color": "#999", "strokeDash": [3, 3]},
             "encoding": {"x": {"field": "x", "type": "quantitative"},
                          "y": {"field": "y", "type": "quantitative"}}},
            {"data": {"values": [p.model_dump() for p in points]},
             "mark": {"type": "line", "interpolate": "step-after"},
             "encoding": {
                 "x": {"field": "fpr", "type": "quantitative", "title": "False-positive rate"},
                 "y": {"field": "tpr", "type": "quantitative", "title": "True-positive rate"},
                 "color": {"field": "model", "type": "nominal"},
                 "strokeDash": {"field": "model", "type": "nominal"}}},
        ],
    }


def calibration(bins: Sequence[CalibrationBin]) -> Spec:
    """Reliability: mean forecast against observed rate per bin, one line per model."""
    return {
        "$schema": SCHEMA, "width": 320, "height": 320,
        "layer": [
            {"data": {"values": [{"x": 0, "y": 0}, {"x": 0.5, "y": 0.5}]},
             "mark": {"type": "line", "color": "#999", "strokeDash": [3, 3]},
             "encoding": {"x": {"field": "x", "type": "quantitative"},
                          "y": {"field": "y", "type": "quantitative"}}},
            {"data": {"values": [b.model_dump() for b in bins]},
             "mark": {"type": "line", "point": True},
             "encoding": {
                 "x": {"field": "mean_forecast", "type": "quantitative",
                       "title": "Mean forecast (2-year)", "scale": {"type": "sqrt"}},
                 "y": {"field": "observed", "type": "quantitative",
                       "title": "Observed onset rate", "scale": {"type": "sqrt"}},
                 "color": {"field": "model", "type": "nominal"},
                 "shape": {"field": "model", "type": "nominal"},
                 "tooltip": [{"field": "model"}, {"field": "bin"}, {"field": "n"},
                             {"field": "onsets"}]}},
        ],
    }


def interval_reliability(rows: Sequence[IntervalCoverage]) -> Spec:
    """Observed coverage of each central interval against its nominal level on months with
    deaths, one line per model and target (dashed: calibrated)."""
    return {
        "$schema": SCHEMA, "width": 320, "height": 320,
        "layer": [
            {"data": {"values": [{"x": 0.5, "y": 0.5}, {"x": 1, "y": 1}]},
             "mark": {"type": "line", "color": "#999", "strokeDash": [3, 3]},
             "encoding": {"x": {"field": "x", "type": "quantitative"},
                          "y": {"field": "y", "type": "quantitative"}}},
            {"data": {"values": [r.model_dump() for r in rows]},
             "mark": {"type": "line", "point": True},
             "encoding": {
                 "x": {"field": "level", "type": "quantitative", "title": "Interval (nominal)",
                       "scale": {"domain": [0.5, 1]}, "axis": {"format": "%"}},
                 "y": {"field": "observed", "type": "quantitative",
                       "title": "Actual inside it (months with deaths)",
                       "scale": {"domain": [0, 1]}, "axis": {"format": "%"}},
                 "color": {"field": "model", "type": "nominal"},
                 "strokeDash": {"field": "target", "type": "nominal"},
                 "tooltip": [{"field": "model"}, {"field": "target"}, {"field": "level"},
                             {"field": "observed", "format": ".3f"}, {"field": "months"}]}},
        ],
    }


def watch_days(days: list[dict[str, Any]], recent: int = 7) -> Spec:
    """A country's daily share of violent events in all news-coded events, with its mean over
    the days before the last ``recent`` (the baseline the signal compares against) as a
    dashed rule and the last ``recent`` days shaded."""
    shares = [d["share"] for d in days[:-recent] if d["share"] is not None]
    baseline = sum(shares) / len(shares) if shares else None
    layers: list[Spec] = []
    if len(days) > recent:
        layers.append({"data": {"values": [{"from": days[-recent]["day"],
                                            "to": days[-1]["day"]}]},
                       "mark": {"type": "rect", "color": "#fde68a", "opacity": 0.5},
                       "encoding": {"x": {"field": "from", "type": "temporal"},
                                    "x2": {"field": "to"}}})
    layers.append({"data": {"values": days},
                   "mark": {"type": "line", "point": True, "color": RISK},
                   "encoding": {
                       "x": {"field": "day", "type": "temporal", "title": "Day"},
                       "y": {"field": "share", "type": "quantitative",
                             "title": "Violent share of events", "axis": {"format": "%"}},
                       "tooltip": [{"field": "day", "type": "temporal"},
                                   {"field": "violent", "title": "Violent events"},
                                   {"field": "events", "title": "All events"},
                                   {"field": "share", "format": ".1%"}]}})
    if baseline is not None:
        layers.append({"data": {"values": [{"baseline": baseline}]},
                       "mark": {"type": "rule", "strokeDash": [4, 4], "color": "#525252"},
                       "encoding": {"y": {"field": "baseline", "type": "quantitative"}}})
    return {"$schema": SCHEMA, "width": "container", "height": 160, "layer": layers}


def cell_map(cells: list[dict[str, Any]], outline: dict[str, Any] | None) -> Spec:
    """A country's PRIO-GRID cells as squares (from each cell's bounds), coloured by the
    civilian deaths expected in the coming months, over the country's outline."""
    features = [{"type": "Feature",  # clockwise: d3's spherical polygons read the
                 "geometry": {"type": "Polygon", "coordinates": [[  # other way as the globe
                     [c["west"], c["south"]], [c["west"], c["north"]],
                     [c["east"], c["north"]], [c["east"], c["south"]],
                     [c["west"], c["south"]]]]},
                 "properties": {"cell": c["unit"], "region": c.get("region") or "",
                                "expected": round(float(c["expected"]), 2),
                                "p": round(100 * float(c["p_ge_serious"]), 1)}}
                for c in cells]
    layers: list[Spec] = []
    if outline is not None:
        layers.append({"data": {"values": [{"type": "Feature", "geometry": outline,
                                            "properties": {}}]},
                       "mark": {"type": "geoshape", "fill": "#f3f4f6", "stroke": "#6b7280",
                                "strokeWidth": 0.8}})
    layers.append({
        "data": {"values": features},
        "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.3},
        "encoding": {
            "color": {"field": "properties.expected", "type": "quantitative",
                      "title": "Expected civilian deaths",
                      "scale": {"scheme": "orangered", "type": "sqrt"}},
            "tooltip": [{"field": "properties.cell", "title": "Cell (PRIO-GRID)"},
                        {"field": "properties.region", "title": "Region"},
                        {"field": "properties.expected", "title": "Expected deaths",
                         "format": ".1f"},
                        {"field": "properties.p", "title": "P(≥ 25) %"}]}})
    return {"$schema": SCHEMA, "width": "container", "height": 380,
            "projection": {"type": "mercator"}, "layer": layers}
