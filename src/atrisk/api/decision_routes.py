"""The API's decision routes: what moved each country's risk between two structural runs, and
what-if scenarios on the published model."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from atrisk.api import schemas
from atrisk.domain.errors import NotFoundError
from atrisk.forecasting import what_if
from atrisk.forecasting.movers import Move
from atrisk.http import build_data, lives_data
from atrisk.http.auth import reader, require
from atrisk.http.deps import LARGEST, SessionDep, SettingsDep
from atrisk.http.scenarios import what_if_kit
from atrisk.response import plans, priorities
from atrisk.response.toolkit import average_effects, refresh
from atrisk.store import queries
from atrisk.store.schema import ForecastRun

router = APIRouter()

RunId = Annotated[int | None, Query(ge=1, le=LARGEST)]


@router.get("/api/forecasts/structural/changes", response_model=schemas.Changes,
            operation_id="structural_changes", dependencies=[Depends(reader)])
def structural_changes(
    s: SessionDep, after: RunId = None, before: RunId = None,
    iso3: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> schemas.Changes:
    """Each country's change in risk and rank from run ``before`` (default: the run before
    ``after``) to run ``after`` (default: the latest), with the predictors that moved it."""
    later = _structural(s, after) if after else queries.latest_run(s, "structural")
    if later is None:
        raise NotFoundError("no structural forecast published yet: run "
                            "`atrisk forecast structural`")
    earlier = _structural(s, before) if before else queries.previous_structural(s, later)
    if earlier is None:
        raise NotFoundError(f"no structural run before run {later.id} to compare it with")
    found = queries.structural_moves(s, later, earlier)
    if iso3:
        found = [m for m in found if m.iso3 == iso3.upper()]
    return schemas.Changes(before=schemas.run_view(earlier), after=schemas.run_view(later),
                           items=[_change(m) for m in found[:limit]])


@router.post("/api/forecasts/structural/what-if", response_model=schemas.WhatIf,
             operation_id="structural_what_if", dependencies=[Depends(require("analyst"))])
def structural_what_if(entry: schemas.WhatIfIn, s: SessionDep,
                       settings: SettingsDep) -> schemas.WhatIf:
    """The latest run's risk, interval, rank and rank range for one country with some inputs
    changed (presets or any predictor), from the same model and bootstrap refits."""
    run = queries.latest_run(s, "structural")
    if run is None:
        raise NotFoundError("no structural forecast published yet: run "
                            "`atrisk forecast structural`")
    outcome = what_if.run(what_if_kit(settings.build_dir, run), entry.iso3, entry.presets,
                          entry.inputs)
    return schemas.WhatIf(
        run=schemas.run_view(run), iso3=outcome.iso3,
        changes=[schemas.WhatIfChange(feature=c.feature, label=c.label, before=c.before,
                                      after=c.after) for c in outcome.changes],
        risk_before=outcome.risk_before, risk=outcome.risk,
        interval=(outcome.low_80, outcome.high_80), rank_before=outcome.rank_before,
        rank=outcome.rank, rank_interval=(outcome.rank_low, outcome.rank_high),
        sentence=outcome.sentence())


@router.get("/api/priorities", response_model=schemas.Priorities,
            operation_id="priorities", dependencies=[Depends(require("viewer"))])
def list_priorities(
    s: SessionDep, settings: SettingsDep,
    effectiveness: Annotated[float, Query(ge=0, le=1)] = priorities.EFFECTIVENESS,
    cost: Annotated[float, Query(ge=0.001, le=1e6)] = priorities.COST,
    threshold: Annotated[float, Query(ge=0, le=1e9)] = priorities.THRESHOLD,
) -> schemas.Priorities:
    """Countries by the civilian lives at stake (12 and 24 months, with 80% intervals), with
    how sure their risk rank is, whether a plan is active, and the lives an effort could save
    under the given assumptions (the caller's, not findings)."""
    assume = priorities.Assumptions(effectiveness=effectiveness, cost=cost,
                                    threshold=threshold)
    run = queries.latest_run(s, "structural")
    rows = priorities.priorities(
        queries.structural_rows(s, run.id)[1] if run else [], lives_data.lives(settings, s),
        {p.iso3 for p in plans.plans_of(s) if p.status == "active"}, assume)
    effects = average_effects(build_data.load(settings).findings, refresh(s))
    return schemas.Priorities(
        effectiveness=effectiveness, cost=cost, threshold=threshold,
        tool_effects=[schemas.ToolEffects(**{**asdict(e), "review_tools": list(e.review_tools)})
                      for e in effects],
        items=[schemas.PriorityItem(
            iso3=p.iso3, name=p.name, risk=p.risk, rank=p.rank,
            rank_interval=(p.rank_low, p.rank_high), p_top10=p.p_top10,
            expected_12=p.expected_12, interval_12=(p.low_12, p.high_12),
            expected_24=p.expected_24, interval_24=(p.low_24, p.high_24),
            ongoing_12=p.ongoing_12, new_24=p.new_24, covered=p.covered,
            lives_saved=p.lives_saved, per_unit=p.per_unit, worth_it=p.worth_it,
            break_even=p.break_even)
            for p in rows],
        passing=[schemas.Passing(**asdict(level)) for level in priorities.passing(rows)])


def _structural(s: Session, run_id: int) -> ForecastRun:
    run = queries.run_by_id(s, run_id)
    if run is None or run.kind != "structural":
        raise NotFoundError(f"no structural forecast run {run_id}")
    return run


def _change(move: Move) -> schemas.Change:
    return schemas.Change(
        iso3=move.iso3, name=move.name, risk_before=move.risk_before,
        risk_after=move.risk_after, points=round(move.points, 4),
        rank_before=move.rank_before, rank_after=move.rank_after,
        drivers=[schemas.ChangeDriver(feature=d.feature, label=d.label, change=d.change)
                 for d in move.drivers],
        refit=move.refit, new_year=move.new_year, new_year_points=move.new_year_points,
        revision_points=move.revision_points, sentence=move.sentence())
