"""Prevention plans: a country's plan of actions (tool, owner, partners, dates, budget,
status, notes). Every change and comment is kept in the plan's history and the audit log,
in the same transaction as the change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from atrisk.domain.errors import ConfigError, ConflictError, NotFoundError
from atrisk.domain.fields import Day, Money, Text, printable
from atrisk.response.toolkit import refresh
from atrisk.store import audit, queries
from atrisk.store.schema import Plan, PlanAction, PlanEvent, User

ActionStatus = Literal["planned", "in progress", "done", "dropped"]
OPEN = ("planned", "in progress")


class PlanIn(BaseModel):
    title: Text = Field(min_length=1, max_length=200)


class ActionIn(BaseModel):
    tool: str = Field(description="Key of a tool of the prevention toolkit.")
    owner: Text = Field(min_length=1, max_length=200)
    partners: list[Annotated[Text, Field(max_length=200)]] = Field(default_factory=list,
                                                                   max_length=30)
    start: Day | None = None
    due: Day | None = None
    budget: Money | None = None
    status: ActionStatus = "planned"
    notes: Text = Field(default="", max_length=10_000)

    @model_validator(mode="after")
    def _valid(self) -> ActionIn:
        if self.start and self.due and self.due < self.start:
            raise ValueError("the due date is before the start")
        return self


class ActionChange(BaseModel):
    status: ActionStatus | None = None
    due: Day | None = None
    notes: Text | None = Field(default=None, max_length=10_000)


def create(s: Session, author: User, iso3: str, entry: PlanIn) -> Plan:
    """Start a plan; it remembers the country's risk in the latest forecast run."""
    run = queries.latest_run(s, "structural")
    row = queries.structural_for(s, run.id, iso3) if run else None
    plan = Plan(iso3=iso3, title=entry.title, status="active",
                risk_at_start=row.probability if row else None,
                run_at_start=run.id if run else None, created_by=author.id,
                created_at=datetime.now(UTC))
    s.add(plan)
    s.flush()
    _event(s, plan, author, "created", f"plan started: {entry.title}")
    audit.record(s, author, "plan.add", "plan", plan.id, iso3=iso3, title=entry.title)
    return plan


def add_action(s: Session, author: User, plan: Plan, entry: ActionIn) -> PlanAction:
    """Add an action; its tool must be in the toolkit in use (admins may have edited it)."""
    kit = refresh(s)
    if entry.tool not in {t.key for t in kit.tools}:
        raise NotFoundError(f"unknown tool {entry.tool!r}: not in the toolkit in use")
    action = PlanAction(plan_id=plan.id, **entry.model_dump())
    s.add(action)
    s.flush()
    name = kit.tool(entry.tool).name
    _event(s, plan, author, "action added", f"{name}, led by {entry.owner}", action.id)
    audit.record(s, author, "plan.action.add", "plan", plan.id, action_id=action.id,
                 tool=entry.tool)
    return action


def change_action(s: Session, author: User, plan: Plan, action_id: int,
                  change: ActionChange) -> PlanAction:
    action = s.get(PlanAction, action_id)
    if action is None or action.plan_id != plan.id:
        raise NotFoundError(f"plan {plan.id} has no action {action_id}")
    updates = change.model_dump(exclude_none=True)
    if change.due and action.start and change.due < action.start:
        raise ConflictError(f"the due date {change.due} is before the action's start "
                            f"{action.start}")
    before = {k: str(getattr(action, k)) for k in updates}
    for key, value in updates.items():
        setattr(action, key, value)
    text = ", ".join(f"{k}: {before[k]} → {v}" for k, v in updates.items())
    _event(s, plan, author, "action changed", text, action.id)
    audit.record(s, author, "plan.action.change", "plan", plan.id, action_id=action.id,
                 before=before, after=updates)
    return action


def comment(s: Session, author: User, plan: Plan, text: str) -> PlanEvent:
    if not text.strip():
        raise ConfigError("a comment cannot be empty")
    try:
        printable(text)
    except ValueError as exc:
        raise ConfigError(f"comment: {exc}") from exc
    event = _event(s, plan, author, "comment", text.strip())
    audit.record(s, author, "plan.comment", "plan", plan.id, event=event.id)
    return event


def set_status(s: Session, author: User, plan: Plan, status: Literal["active", "closed"]
               ) -> None:
    before, plan.status = plan.status, status
    _event(s, plan, author, "status changed", f"{before} → {status}")
    audit.record(s, author, "plan.status", "plan", plan.id, before=before, after=status)


def plans_of(s: Session, iso3: str | None = None) -> list[Plan]:
    query = select(Plan).order_by(Plan.id.desc())
    if iso3:
        query = query.where(Plan.iso3 == iso3)
    return list(s.scalars(query))


def actions(s: Session, plan_id: int) -> list[PlanAction]:
    return list(s.scalars(select(PlanAction).where(PlanAction.plan_id == plan_id)
                          .order_by(PlanAction.id)))


def events(s: Session, plan_id: int) -> list[PlanEvent]:
    return list(s.scalars(select(PlanEvent).where(PlanEvent.plan_id == plan_id)
                          .order_by(PlanEvent.id.desc())))


def overdue(s: Session, today: date) -> list[tuple[Plan, PlanAction]]:
    """Open actions of active plans whose due date has passed."""
    rows = s.execute(select(Plan, PlanAction).join(PlanAction, PlanAction.plan_id == Plan.id)
                     .where(Plan.status == "active", PlanAction.status.in_(OPEN),
                            PlanAction.due < today).order_by(PlanAction.due))
    return [(p, a) for p, a in rows]


def _event(s: Session, plan: Plan, author: User, kind: str, text: str,
           action_id: int | None = None) -> PlanEvent:
    event = PlanEvent(plan_id=plan.id, action_id=action_id, user_id=author.id,
                      at=datetime.now(UTC), kind=kind, text=text)
    s.add(event)
    s.flush()
    return event
