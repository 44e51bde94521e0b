"""The API's change route: what moved each country's risk between two structural runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from atrisk.api import schemas
from atrisk.domain.errors import NotFoundError
from atrisk.forecasting.movers import Move
from atrisk.http.auth import reader
from atrisk.http.deps import LARGEST, SessionDep
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
        refit=move.refit, new_year=move.new_year, sentence=move.sentence())
