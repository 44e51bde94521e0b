"""Who is working on which high-risk country: countries above a chosen risk with no active
plan, actions overdue, and for each active plan how the country's risk and violence moved
since it began."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from atrisk.panels.country_month import data_through, known
from atrisk.response import plans
from atrisk.store import queries
from atrisk.store.schema import Plan, PlanAction, StructuralForecast


@dataclass(frozen=True)
class PlanProgress:
    plan: Plan
    risk_now: float | None
    rank_now: int | None
    deaths_before: float | None  # civilian deaths in the 6 months before the plan began
    deaths_since: float | None  # ... and in the months since, as far as data reach
    months_since: int


@dataclass(frozen=True)
class Coverage:
    min_risk: float
    uncovered: list[StructuralForecast]
    covered: int
    overdue: list[tuple[Plan, PlanAction]]
    progress: list[PlanProgress]
    data_to: str


def coverage(s: Session, min_risk: float, country_month: pd.DataFrame, today: date
             ) -> Coverage:
    run = queries.latest_run(s, "structural")
    rows = queries.structural_rows(s, run.id)[1] if run else []
    active = [p for p in plans.plans_of(s) if p.status == "active"]
    planned = {p.iso3 for p in active}
    above = [r for r in rows if r.probability >= min_risk]
    now = {r.iso3: r for r in rows}
    country_month = known(country_month)  # a partly known month is not a count
    data_to = data_through(country_month) if len(country_month) else ""
    progress = []
    for p in active:
        start = pd.Period(p.created_at.strftime("%Y-%m"), freq="M")
        mine = country_month[country_month["iso3"] == p.iso3].set_index("month")
        before = [str(start - k) for k in range(6, 0, -1)]
        since = [m for m in mine.index if m >= str(start)]
        known_before = [m for m in before if m in mine.index]
        progress.append(PlanProgress(
            plan=p, risk_now=now[p.iso3].probability if p.iso3 in now else None,
            rank_now=now[p.iso3].rank if p.iso3 in now else None,
            deaths_before=(float(mine.loc[known_before, "civilian_deaths"].sum())
                           if known_before else None),
            deaths_since=float(mine.loc[since, "civilian_deaths"].sum()) if since else None,
            months_since=len(since)))
    return Coverage(min_risk, [r for r in above if r.iso3 not in planned],
                    len([r for r in above if r.iso3 in planned]), plans.overdue(s, today),
                    progress, data_to)
