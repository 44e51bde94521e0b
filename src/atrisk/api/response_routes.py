"""The API of the response half: assessments, suggested tools, plans, coverage, alerts and
the audit log. Nothing here is public: reads need a viewer; writes an analyst, except one's
own alert rules and acknowledgements (a viewer); sessions also send ``X-CSRF-Token``; the
audit log needs an admin."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from atrisk.api import schemas
from atrisk.domain.errors import NotFoundError
from atrisk.domain.fields import Text
from atrisk.http import build_data
from atrisk.http.auth import require, writer
from atrisk.http.deps import Id, SessionDep, SettingsDep, country_or_404
from atrisk.response import alerts, assessments, outbound, plans
from atrisk.response.coverage import coverage
from atrisk.response.suggest import suggest
from atrisk.response.toolkit import country_conditions, refresh
from atrisk.store import audit, queries
from atrisk.store.schema import Alert, Plan, User

Viewer = Annotated[User, Depends(require("viewer"))]
Analyst = Annotated[User, Depends(writer("analyst"))]


class Comment(BaseModel):
    text: Text = Field(min_length=1, max_length=10_000)


router = APIRouter(prefix="/api")


@router.get("/countries/{iso3}/assessments", response_model=list[schemas.AssessmentOut],
            operation_id="list_assessments")
def list_assessments(iso3: str, s: SessionDep, _: Viewer,
                     history: Annotated[bool, Query(
                         description="Every version, not only the latest.")] = False,
                     ) -> list[schemas.AssessmentOut]:
    found = country_or_404(s, iso3)
    rows = (assessments.history(s, found.iso3) if history
            else sorted(assessments.latest(s, found.iso3).values(),
                        key=lambda a: a.factor_id))
    return [schemas.AssessmentOut.model_validate(a, from_attributes=True) for a in rows]


@router.post("/countries/{iso3}/assessments", response_model=schemas.AssessmentOut,
             status_code=201, operation_id="add_assessment")
def add_assessment(iso3: str, entry: assessments.AssessmentIn, s: SessionDep,
                   user: Analyst) -> schemas.AssessmentOut:
    row = assessments.record(s, user, country_or_404(s, iso3).iso3, entry)
    return schemas.AssessmentOut.model_validate(row, from_attributes=True)


@router.get("/countries/{iso3}/suggestions", response_model=list[schemas.SuggestionOut],
            operation_id="suggest_tools")
def suggestions(iso3: str, s: SessionDep, settings: SettingsDep,
                _: Viewer) -> list[schemas.SuggestionOut]:
    found = country_or_404(s, iso3)
    data = build_data.load(settings)
    run = queries.latest_run(s, "structural")
    current = queries.structural_for(s, run.id, found.iso3) if run else None
    assessed = assessments.latest(s, found.iso3)
    kit = refresh(s)
    ranked = suggest(current.drivers if current else [], assessed, data.evidence,
                     country_conditions(data.panel, found.gwcode, assessed, kit), kit)
    return [schemas.SuggestionOut(
        tool=x.tool.key, name=x.tool.name, family=x.tool.family, score=x.score,
        reasons=x.reasons, factors=x.tool.factors, partners=x.tool.partners,
        lead_time_months=x.tool.lead_time_months,
        evidence=[schemas.EvidenceOut(
            factor=r.factor, kind=r.kind, direction=r.direction, greater=int(r.greater),
            lesser=int(r.lesser), no_mixed=int(r.no_mixed),
            present=None if pd.isna(r.present) else bool(r.present))
            for r in x.evidence.itertuples(index=False)])
        for x in ranked]


@router.get("/plans", response_model=list[schemas.PlanOut], operation_id="list_plans")
def list_plans(s: SessionDep, _: Viewer,
               iso3: Annotated[str | None, Query()] = None) -> list[schemas.PlanOut]:
    return [_plan(s, p) for p in plans.plans_of(s, iso3.upper() if iso3 else None)]


@router.post("/countries/{iso3}/plans", response_model=schemas.PlanOut, status_code=201,
             operation_id="start_plan")
def start_plan(iso3: str, entry: plans.PlanIn, s: SessionDep,
               user: Analyst) -> schemas.PlanOut:
    return _plan(s, plans.create(s, user, country_or_404(s, iso3).iso3, entry))


@router.post("/plans/{plan_id}/actions", response_model=schemas.PlanOut, status_code=201,
             operation_id="add_plan_action")
def add_action(plan_id: Id, entry: plans.ActionIn, s: SessionDep,
               user: Analyst) -> schemas.PlanOut:
    plan = _plan_or_404(s, plan_id)
    plans.add_action(s, user, plan, entry)
    return _plan(s, plan)


@router.patch("/plans/{plan_id}/actions/{action_id}", response_model=schemas.PlanOut,
              operation_id="change_plan_action")
def change_action(plan_id: Id, action_id: Id, change: plans.ActionChange,
                  s: SessionDep, user: Analyst) -> schemas.PlanOut:
    plan = _plan_or_404(s, plan_id)
    plans.change_action(s, user, plan, action_id, change)
    return _plan(s, plan)


@router.post("/plans/{plan_id}/comments", response_model=schemas.PlanOut, status_code=201,
             operation_id="comment_plan")
def comment(plan_id: Id, entry: Comment, s: SessionDep, user: Analyst
            ) -> schemas.PlanOut:
    plan = _plan_or_404(s, plan_id)
    plans.comment(s, user, plan, entry.text)
    return _plan(s, plan)


@router.get("/coverage", response_model=schemas.CoverageOut, operation_id="coverage")
def get_coverage(s: SessionDep, settings: SettingsDep, _: Viewer,
                 min_risk: Annotated[float, Query(ge=0, le=1)] = 0.05
                 ) -> schemas.CoverageOut:
    c = coverage(s, min_risk, build_data.load(settings).country_month, date.today())
    return schemas.CoverageOut(
        min_risk=c.min_risk, covered=c.covered,
        uncovered=[schemas.structural_item(r) for r in c.uncovered],
        overdue=[schemas.ActionOut.model_validate(a, from_attributes=True)
                 for _, a in c.overdue],
        progress=[schemas.PlanProgressOut(
            plan_id=p.plan.id, iso3=p.plan.iso3, risk_at_start=p.plan.risk_at_start,
            risk_now=p.risk_now, deaths_before=p.deaths_before,
            deaths_since=p.deaths_since, months_since=p.months_since)
            for p in c.progress],
        data_to=c.data_to)


@router.get("/alerts", response_model=list[schemas.AlertOut], operation_id="list_alerts")
def list_alerts(s: SessionDep, user: Viewer,
                open_only: Annotated[bool, Query(alias="open")] = False
                ) -> list[schemas.AlertOut]:
    found = alerts.alerts_of(s, user, open_only)
    return _alerts_out(s, found)


@router.post("/alerts/{alert_id}/ack", response_model=schemas.AlertOut,
             operation_id="acknowledge_alert")
def acknowledge(alert_id: Id, s: SessionDep,
                user: Annotated[User, Depends(writer("viewer"))]) -> schemas.AlertOut:
    if not alerts.acknowledge(s, user, alert_id):
        raise NotFoundError(f"you have no open alert {alert_id}")
    return _alerts_out(s, [s.get_one(Alert, alert_id)])[0]


@router.get("/alert-rules", response_model=list[schemas.RuleOut], operation_id="list_rules")
def list_rules(s: SessionDep, user: Viewer) -> list[schemas.RuleOut]:
    return [schemas.RuleOut.model_validate(r, from_attributes=True)
            for r in alerts.rules_of(s, user)]


@router.post("/alert-rules", response_model=schemas.RuleCreated, status_code=201,
             operation_id="add_rule")
def add_rule(entry: alerts.RuleIn, s: SessionDep, settings: SettingsDep,
             user: Annotated[User, Depends(writer("viewer"))]) -> schemas.RuleCreated:
    rule = alerts.add_rule(s, user, entry,
                           outbound.networks(settings.webhook_allowed_networks))
    out = schemas.RuleCreated.model_validate(rule, from_attributes=True)
    out.webhook_secret = rule.webhook_secret
    return out


@router.get("/audit", response_model=list[schemas.AuditOut], operation_id="list_audit")
def list_audit(s: SessionDep, _: Annotated[User, Depends(require("admin"))],
               entity: Annotated[str | None, Query()] = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[schemas.AuditOut]:
    return [schemas.AuditOut.model_validate(e, from_attributes=True)
            for e in audit.entries(s, entity, limit)]


def _plan_or_404(s: Session, plan_id: int) -> Plan:
    plan = s.get(Plan, plan_id)
    if plan is None:
        raise NotFoundError(f"no plan {plan_id}")
    return plan


def _plan(s: Session, plan: Plan) -> schemas.PlanOut:
    out = schemas.PlanOut.model_validate(plan, from_attributes=True)
    out.actions = [schemas.ActionOut.model_validate(a, from_attributes=True)
                   for a in plans.actions(s, plan.id)]
    out.history = [schemas.PlanEventOut.model_validate(e, from_attributes=True)
                   for e in plans.events(s, plan.id)]
    return out


def _alerts_out(s: Session, found: list[Alert]) -> list[schemas.AlertOut]:
    who = alerts.acknowledgers(s, found)
    return [schemas.AlertOut.model_validate(a, from_attributes=True).model_copy(
        update={"acknowledged_by": who.get(a.id)}) for a in found]
