"""The lives-at-stake table of the latest structural and monthly runs, for the priorities
page and its API (computed once per pair of runs and build, then kept in memory)."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from atrisk.domain.errors import NotFoundError
from atrisk.domain.reports import MonthlyRunMeta, StructuralRunMeta
from atrisk.forecasting.lives import lives_at_stake
from atrisk.http import build_data
from atrisk.models.toll import SEVERITY, fit_toll
from atrisk.panels.build import read_table
from atrisk.settings import Settings
from atrisk.store import queries


def lives(settings: Settings, s: Session) -> dict[str, dict[str, float]]:
    """Per ISO3: expected civilian deaths in 12 and 24 months, their 80% intervals and parts."""
    structural = queries.latest_run(s, "structural")
    monthly = queries.latest_run(s, "monthly")
    if structural is None or monthly is None:
        raise NotFoundError("lives at stake need a structural and a monthly forecast: run "
                            "`atrisk refresh`")
    report, months = structural.report, monthly.report
    assert isinstance(report, StructuralRunMeta) and isinstance(months, MonthlyRunMeta)
    risks = pd.DataFrame([(r.iso3, r.probability_1yr, r.probability)
                          for r in queries.structural_rows(s, structural.id)[1]],
                         columns=["iso3", "risk_1yr", "risk_2yr"])
    key = (settings.database, build_data.current_id(settings), structural.id, monthly.id)
    with _COMPUTING:  # requests that arrive together compute the table once
        if key not in _KEPT:
            while len(_KEPT) >= 4:
                _KEPT.pop(next(iter(_KEPT)))
            _KEPT[key] = _lives(settings, months.draws_file, report.data_year, risks)
        return _KEPT[key]


def lives_of(settings: Settings, s: Session, iso3: str) -> dict[str, float] | None:
    """One country's lives at stake, or None when they cannot be computed yet (no monthly
    run or its draws; the page says so instead of failing)."""
    try:
        return lives(settings, s).get(iso3)
    except NotFoundError:
        return None


#: Tables by (store, build, structural run, monthly run): runs never change once published.
_KEPT: dict[tuple[str, str, int, int], dict[str, dict[str, float]]] = {}
_COMPUTING = threading.Lock()


def _lives(settings: Settings, draws_file: str, data_year: int, risks: pd.DataFrame
           ) -> dict[str, dict[str, float]]:
    panel = read_table(settings, "panel")
    path = Path(draws_file)
    if not path.is_file():
        raise NotFoundError(f"the monthly run's draws are not at {draws_file}: run "
                            "`atrisk forecast monthly`")
    draws = pd.read_parquet(path, filters=[("target", "==", "civilian_deaths")],
                            columns=["iso3", "month", "draw", "value"])
    year = min(data_year, int(panel["year"].max()))
    severity = panel.loc[panel["year"] == year, ["iso3", *SEVERITY]]
    table = risks.merge(severity, on="iso3", how="left")
    last = int(panel["year"].max())
    tolls = (fit_toll(panel, years=1, last_year=last), fit_toll(panel, years=2, last_year=last))
    out = lives_at_stake(draws, table, tolls)
    return {str(r["iso3"]): {k: float(v) for k, v in r.items() if k != "iso3"}
            for r in out.to_dict("records")}
