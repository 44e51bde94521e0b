"""A country's charts, the same on its page (drawn by vega-embed in the browser) and in its
brief (drawn to SVG without a browser): the risk history against the episodes, the drivers,
the monthly fan chart, the rank range and, where there is one, the map of grid cells."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from atrisk.domain.errors import NotFoundError
from atrisk.http import build_data, charts, subnational_data
from atrisk.settings import Settings
from atrisk.store import queries
from atrisk.store.schema import Country, ForecastRun, StructuralForecast


@dataclass(frozen=True)
class CountryCharts:
    """What the charts draw (each also shown as a table or text where the chart appears)."""

    backtest_run: ForecastRun | None
    backtest: list[dict[str, Any]]
    published: list[dict[str, Any]]
    episodes: list[Any]
    history: list[dict[str, Any]]
    forecast: list[dict[str, Any]]
    drivers: list[dict[str, Any]]
    rank: dict[str, int] | None = field(default=None)

    def specs(self) -> dict[str, charts.Spec]:
        out = {"history": charts.risk_history(self.backtest, self.published, self.episodes),
               "drivers": charts.drivers(self.drivers),
               "fan": charts.fan(self.history, self.forecast)}
        if self.rank is not None:
            out["rank"] = charts.rank_range(**self.rank)
        return out

    def svgs(self) -> dict[str, str]:
        """Every chart drawn to SVG (for the brief)."""
        return {name: charts.svg(spec) for name, spec in self.specs().items()}


def country_charts(settings: Settings, s: Session, found: Country,
                   current: StructuralForecast | None,
                   monthly: ForecastRun | None) -> CountryCharts:
    data = build_data.load(settings)
    published = [{"year": int(r.period), "risk": round(100 * f.probability, 2),
                  "label": f"run {r.id} ({r.period}-{int(r.period) + 1})"}
                 for r, f in queries.structural_history(s, found.iso3)]
    backtest_run = queries.latest_run(s, "backtest_structural")
    backtest = ([{"year": b.data_year + 1, "risk": round(100 * b.probability, 2)}
                 for b in queries.backtest_for(s, backtest_run.id, found.iso3,
                                               backtest_run.model)]
                if backtest_run else [])
    months = (queries.monthly_rows(s, monthly.id, found.iso3, "civilian_deaths")
              if monthly else [])
    forecast = [{"month": m.month, "median": m.median, "q10": m.q10, "q90": m.q90,
                 "p_ge_1": m.p_ge_1, "p_ge_25": m.p_ge_25, "p_ge_100": m.p_ge_100,
                 "p_ge_1000": m.p_ge_1000} for m in months]
    rank = None
    if current is not None and current.rank_low is not None and current.rank_high is not None:
        structural = queries.latest_run(s, "structural")
        countries = len(queries.structural_rows(s, structural.id)[1]) if structural else 0
        rank = {"rank": current.rank, "low": current.rank_low, "high": current.rank_high,
                "countries": countries}
    return CountryCharts(backtest_run, backtest, published, data.episodes_of(found.ccode),
                         data.months(found.iso3), forecast,
                         current.drivers if current else [], rank)


def brief_charts(settings: Settings, s: Session, iso3: str) -> dict[str, str]:
    """The country's charts as SVG for its brief (none for a country with no forecast)."""
    found = queries.country(s, iso3.upper())
    run = queries.latest_run(s, "structural")
    if found is None or run is None:
        return {}
    current = queries.structural_for(s, run.id, found.iso3)
    drawn = country_charts(settings, s, found, current, queries.latest_run(s, "monthly")).svgs()
    try:
        cells = subnational_data.latest(settings, found.iso3, "cell")
    except NotFoundError:  # no complete event history, or not run: the brief has no map
        return drawn
    return {**drawn, "cells": charts.svg(charts.cell_map(
        cells.places.to_dict("records"), subnational_data.outline(settings, found.iso3)))}
