"""Pages and forms through which analysts act on a warning: risk-factor assessments, the
suggested tools with their evidence, and the country's prevention plan. Reading needs a
viewer, writing an analyst; every form carries its CSRF token; every write is one
transaction with its history and audit entries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import pandas as pd
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from atrisk.domain.errors import ConfigError, NotFoundError
from atrisk.forecasting import what_if
from atrisk.http import build_data, lives_data
from atrisk.http.auth import check_csrf, require
from atrisk.http.country_charts import brief_charts
from atrisk.http.deps import SettingsDep, country_or_404
from atrisk.http.scenarios import what_if_kit
from atrisk.panels.labels import label
from atrisk.response import alerts, assessments, brief, outbound, plans, priorities
from atrisk.response.coverage import coverage
from atrisk.response.suggest import suggest
from atrisk.response.toolkit import (
    average_effects,
    country_conditions,
    current_text,
    refresh,
    save,
    versions,
)
from atrisk.store import accounts, queries
from atrisk.store.accounts import allows
from atrisk.store.db import session
from atrisk.store.schema import Plan, User
from atrisk.web.render import TEMPLATES

Csrf = Annotated[str, Form()]
M = TypeVar("M", bound=BaseModel)
Analyst = Annotated[User, Depends(require("analyst"))]


router = APIRouter(include_in_schema=False)


@router.post("/countries/{iso3}/assessments")
def assess(request: Request, iso3: str, csrf: Csrf, user: Analyst,
           factor: Annotated[int, Form()], level: Annotated[int, Form()],
           trend: Annotated[str, Form()], confidence: Annotated[str, Form()],
           evidence: Annotated[str, Form()], source_title: Annotated[str, Form()] = "",
           source_url: Annotated[str, Form()] = "") -> RedirectResponse:
    check_csrf(request, csrf)
    sources = ([{"title": source_title or source_url, "url": source_url}]
               if source_url else [])
    entry = _valid(assessments.AssessmentIn, factor=factor, level=level, trend=trend,
                   confidence=confidence, evidence=evidence, sources=sources)
    with session(request.app.state.database_url) as s:
        found = country_or_404(s, iso3)
        assessments.record(s, user, found.iso3, entry)
    return RedirectResponse(f"/countries/{found.iso3}#assessment", status_code=303)


@router.get("/countries/{iso3}/plan", response_class=HTMLResponse)
def plan_page(request: Request, iso3: str, settings: SettingsDep,
              user: Annotated[User, Depends(require("viewer"))]) -> HTMLResponse:
    data = build_data.load(settings)
    with session(request.app.state.database_url) as s:
        found = country_or_404(s, iso3)
        run = queries.latest_run(s, "structural")
        current = queries.structural_for(s, run.id, found.iso3) if run else None
        assessed = assessments.latest(s, found.iso3)
        kit = refresh(s)
        conditions = country_conditions(data.panel, found.gwcode, assessed, kit)
        suggestions = suggest(current.drivers if current else [], assessed,
                              data.evidence, conditions, kit)
        mine = plans.plans_of(s, found.iso3)
        details = [{"plan": p, "actions": plans.actions(s, p.id),
                    "events": plans.events(s, p.id)} for p in mine]
    return TEMPLATES.TemplateResponse(request, "plan.html", {
        "country": found, "current": current, "suggestions": suggestions,
        "conditions": conditions, "plans": details, "tools": kit,
        "can_write": allows(user.role, "analyst"), "today": date.today()})


@router.get("/countries/{iso3}/brief.{ext}", response_model=None)
def country_brief(request: Request, iso3: str, ext: str, settings: SettingsDep,
                  _: Annotated[User, Depends(require("viewer"))]) -> Response:
    if ext not in ("html", "pdf"):
        raise NotFoundError("a brief is .html or .pdf")
    with session(request.app.state.database_url) as s:
        country_or_404(s, iso3)
        html = brief.render_html(brief.context(
            s, iso3, charts=brief_charts(settings, s, iso3),
            at_stake=lives_data.lives_of(settings, s, iso3.upper())))
    if ext == "html":
        return HTMLResponse(html)
    name = f"atrisk-brief-{iso3.upper()}-{date.today():%Y-%m-%d}.pdf"
    return Response(brief.render_pdf(html), media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{name}"'})


@router.get("/countries/{iso3}/what-if", response_class=HTMLResponse)
def what_if_page(request: Request, iso3: str, settings: SettingsDep, user: Analyst,
                 preset: Annotated[list[str] | None, Query()] = None,
                 feature: str = "", value: float | None = None) -> HTMLResponse:
    """The published model's answer for this country with the chosen changes; each answer
    can be saved to one of the country's plans (as a comment on it)."""
    with session(request.app.state.database_url) as s:
        found = country_or_404(s, iso3)
        run = queries.latest_run(s, "structural")
        if run is None:
            raise NotFoundError("no structural forecast published yet")
        kit = what_if_kit(settings.build_dir, run)
        inputs = {feature: value} if feature and value is not None else {}
        outcome = (what_if.run(kit, found.iso3, preset or [], inputs)
                   if preset or inputs else None)
        country_plans = [p for p in plans.plans_of(s, found.iso3) if p.status == "active"]
    row = kit.current.set_index("iso3").loc[found.iso3] if found.iso3 in set(
        kit.current["iso3"]) else None
    inputs_table = [{"feature": f, "label": label(f),
                     "value": None if row is None or pd.isna(row.get(f)) else float(row[f]),
                     "low": float(kit.ranges.loc[f, "low"]),
                     "high": float(kit.ranges.loc[f, "high"])} for f in kit.features]
    return TEMPLATES.TemplateResponse(request, "what_if.html", {
        "country": found, "run": run, "presets": what_if.PRESETS, "chosen": preset or [],
        "feature": feature, "value": value, "inputs": inputs_table, "outcome": outcome,
        "plans": country_plans})


@router.get("/priorities", response_class=HTMLResponse)
def priorities_page(request: Request, settings: SettingsDep,
                    _: Annotated[User, Depends(require("viewer"))],
                    effectiveness: float = priorities.EFFECTIVENESS * 100,
                    cost: float = priorities.COST,
                    threshold: float = priorities.THRESHOLD) -> HTMLResponse:
    """Countries by the civilian lives at stake, with the coverage gap and the lives an
    effort could save under the analyst's assumptions (effectiveness in percent here)."""
    assume = _valid(priorities.Assumptions, effectiveness=effectiveness / 100, cost=cost,
                    threshold=threshold)
    findings = build_data.load(settings).findings
    with session(request.app.state.database_url) as s:
        run = queries.latest_run(s, "structural")
        monthly = queries.latest_run(s, "monthly")
        effects = average_effects(findings, refresh(s))
        table = priorities.priorities(
            queries.structural_rows(s, run.id)[1] if run else [], lives_data.lives(settings, s),
            {p.iso3 for p in plans.plans_of(s) if p.status == "active"}, assume)
    return TEMPLATES.TemplateResponse(request, "priorities.html", {
        "rows": table, "assume": assume, "run": run, "monthly": monthly, "effects": effects,
        "passing": priorities.passing(table),
        "worth": sum(p.worth_it for p in table),
        "uncovered": sum(p.worth_it and not p.covered for p in table)})


@router.get("/admin/toolkit", response_class=HTMLResponse)
def toolkit_page(request: Request, _: Annotated[User, Depends(require("admin"))]
                 ) -> HTMLResponse:
    with session(request.app.state.database_url) as s:
        kit, text, history = refresh(s), current_text(s), versions(s)
    return TEMPLATES.TemplateResponse(request, "admin_toolkit.html", {
        "text": text, "history": history, "kit": kit, "error": None})


@router.post("/admin/toolkit", response_model=None)
def save_toolkit(request: Request, csrf: Csrf, settings: SettingsDep,
                 admin: Annotated[User, Depends(require("admin"))],
                 content: Annotated[str, Form()]) -> Response:
    check_csrf(request, csrf)
    known = set(build_data.load(settings).evidence["tool"])
    try:
        with session(request.app.state.database_url) as s:
            save(s, admin, content, known)
    except ConfigError as exc:
        with session(request.app.state.database_url) as s:
            kit, history = refresh(s), versions(s)
        return TEMPLATES.TemplateResponse(request, "admin_toolkit.html", {
            "text": content, "history": history, "kit": kit, "error": str(exc)},
            status_code=422)
    return RedirectResponse("/admin/toolkit", status_code=303)


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, settings: SettingsDep,
                  _: Annotated[User, Depends(require("viewer"))],
                  min_risk: float = 5.0) -> HTMLResponse:
    """``min_risk`` in percent, as people read risks."""
    if not 0 <= min_risk <= 100:
        raise ConfigError("min_risk is a percentage between 0 and 100")
    data = build_data.load(settings)
    with session(request.app.state.database_url) as s:
        report = coverage(s, min_risk / 100, data.country_month, date.today())
        kit = refresh(s)
    return TEMPLATES.TemplateResponse(request, "coverage.html", {
        "c": report, "min_risk": min_risk, "tools": kit})


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, user: Annotated[User, Depends(require("viewer"))]
                ) -> HTMLResponse:
    with session(request.app.state.database_url) as s:
        mine = alerts.alerts_of(s, user)
        sent = {a.id: alerts.deliveries(s, a.id) for a in mine}
        who = alerts.acknowledgers(s, mine)
        rules = alerts.rules_of(s, user)
        teams = accounts.teams_of(s, user)
    return TEMPLATES.TemplateResponse(request, "alerts.html", {
        "alerts": mine, "deliveries": sent, "acknowledged_by": who, "rules": rules,
        "kinds": alerts.KINDS,
        "teams": teams, "team_names": {t.id: t.name for t in teams},
        "new_secret": request.session.pop("webhook_secret", None)})


@router.post("/alerts/rules")
def add_rule(request: Request, csrf: Csrf, settings: SettingsDep,
             user: Annotated[User, Depends(require("viewer"))],
             name: Annotated[str, Form()], kind: Annotated[str, Form()],
             threshold: Annotated[float, Form()], iso3: Annotated[str, Form()] = "",
             webhook_url: Annotated[str, Form()] = "", email: Annotated[str, Form()] = "",
             team: Annotated[str, Form()] = "") -> RedirectResponse:
    check_csrf(request, csrf)
    entry = _valid(alerts.RuleIn, name=name, kind=kind, threshold=threshold,
                   iso3=iso3 or None, webhook_url=webhook_url or None, email=email or None,
                   team=team or None)
    with session(request.app.state.database_url) as s:
        rule = alerts.add_rule(s, user, entry, outbound.networks(
            settings.webhook_allowed_networks))
        if rule.webhook_secret:
            request.session["webhook_secret"] = rule.webhook_secret
    return RedirectResponse("/alerts", status_code=303)


@router.post("/alerts/{alert_id}/ack")
def ack(request: Request, alert_id: int, csrf: Csrf,
        user: Annotated[User, Depends(require("viewer"))]) -> RedirectResponse:
    check_csrf(request, csrf)
    with session(request.app.state.database_url) as s:
        if not alerts.acknowledge(s, user, alert_id):
            raise NotFoundError(f"you have no open alert {alert_id}")
    return RedirectResponse("/alerts", status_code=303)


@router.post("/countries/{iso3}/plans")
def start_plan(request: Request, iso3: str, csrf: Csrf, user: Analyst,
               title: Annotated[str, Form()]) -> RedirectResponse:
    check_csrf(request, csrf)
    entry = _valid(plans.PlanIn, title=title)
    with session(request.app.state.database_url) as s:
        found = country_or_404(s, iso3)
        plans.create(s, user, found.iso3, entry)
    return RedirectResponse(f"/countries/{found.iso3}/plan", status_code=303)


@router.post("/plans/{plan_id}/actions")
def add_action(request: Request, plan_id: int, csrf: Csrf, user: Analyst,
               tool: Annotated[str, Form()], owner: Annotated[str, Form()],
               partners: Annotated[str, Form()] = "", start: Annotated[str, Form()] = "",
               due: Annotated[str, Form()] = "",
               budget: Annotated[float | None, Form()] = None,
               notes: Annotated[str, Form()] = "") -> RedirectResponse:
    check_csrf(request, csrf)
    entry = _valid(plans.ActionIn, tool=tool, owner=owner,
                   partners=[p.strip() for p in partners.split(";") if p.strip()],
                   start=start or None, due=due or None, budget=budget,
                   notes=notes)
    return _on_plan(request, plan_id, lambda s, p: plans.add_action(s, user, p, entry))


@router.post("/plans/{plan_id}/actions/{action_id}")
def change_action(request: Request, plan_id: int, action_id: int, csrf: Csrf,
                  user: Analyst, status: Annotated[str, Form()]) -> RedirectResponse:
    check_csrf(request, csrf)
    change = _valid(plans.ActionChange, status=status)
    return _on_plan(request, plan_id,
                    lambda s, p: plans.change_action(s, user, p, action_id, change))


@router.post("/plans/{plan_id}/comments")
def comment(request: Request, plan_id: int, csrf: Csrf, user: Analyst,
            text: Annotated[str, Form()]) -> RedirectResponse:
    check_csrf(request, csrf)
    return _on_plan(request, plan_id, lambda s, p: plans.comment(s, user, p, text))


def _on_plan(request: Request, plan_id: int, change: Callable[[Session, Plan], Any]
             ) -> RedirectResponse:
    """Apply ``change`` to a plan in one transaction, then go back to the plan's page (an
    error is answered with the status its class carries)."""
    with session(request.app.state.database_url) as s:
        plan = s.get(Plan, plan_id)
        if plan is None:
            raise NotFoundError(f"no plan {plan_id}")
        change(s, plan)
        iso3 = plan.iso3
    return RedirectResponse(f"/countries/{iso3}/plan#plan-{plan_id}", status_code=303)


def _valid(model: type[M], **fields: Any) -> M:
    """Validate form fields with the same model the API uses (422 names the field)."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "form"
        raise ConfigError(f"{where}: {first['msg']}") from exc
