"""Alerts: users' rules, evaluated after every forecast run, raise alerts that are stored
(in-app), deduplicated, acknowledgeable, and delivered by webhook (an HMAC-SHA256-signed JSON
body) and e-mail (SMTP), every attempt logged.

Rules, each for one country or all:
- ``risk_threshold``: the 2-year risk crosses the threshold (0-1) upwards;
- ``rank_climb``: the country climbs at least ``threshold`` ranks since the previous run;
- ``monthly_p100``: P(>= 100 civilian deaths in at least one of the next 6 months) crosses
  the threshold (0-1) upwards;
- ``deaths_above_forecast``: civilian deaths in the latest month with data exceed
  ``threshold`` times the 90th percentile a published forecast gave for that month (and at
  least 25);
- ``signal_level``: a news or reported-deaths signal (``atrisk events``) reaches level
  ``threshold`` (1 medium, 2 high) on the latest day of the event tables, from below it a
  week before.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import smtplib
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Literal

import pandas as pd
from pydantic import BaseModel, EmailStr, Field, HttpUrl
from sqlalchemy import select
from sqlalchemy.orm import Session

from atrisk.domain.errors import ConfigError, ForbiddenError, NotFoundError
from atrisk.domain.fields import Text
from atrisk.events.watch import recent_signals
from atrisk.panels.country_month import data_through, known
from atrisk.response import outbound
from atrisk.settings import Settings
from atrisk.store import accounts, audit, queries
from atrisk.store.db import migrate, session
from atrisk.store.schema import (
    Alert,
    AlertDelivery,
    AlertRule,
    ForecastRun,
    MonthlyForecast,
    User,
)

Kind = Literal["risk_threshold", "rank_climb", "monthly_p100", "deaths_above_forecast",
               "signal_level"]
KINDS: tuple[str, ...] = ("risk_threshold", "rank_climb", "monthly_p100",
                          "deaths_above_forecast", "signal_level")
#: Signal levels a ``signal_level`` rule's threshold names.
SIGNAL_LEVELS = {1.0: "medium", 2.0: "high"}
SIGNATURE_HEADER = "X-Atrisk-Signature"
MIN_DEATHS = 25


class RuleIn(BaseModel):
    name: Text = Field(min_length=1, max_length=200)
    kind: Kind
    threshold: float = Field(gt=0, le=1e6, allow_inf_nan=False, strict=True,
                             description="Probability (0-1), ranks, or a multiple.")
    iso3: str | None = Field(default=None, min_length=3, max_length=3)
    webhook_url: HttpUrl | None = None
    email: EmailStr | None = None
    team: str | None = Field(default=None, description="A team of yours: its members all "
                                                       "see and can acknowledge the alerts.")


def add_rule(s: Session, user: User, entry: RuleIn,
             allowed: Sequence[outbound.Network] = ()) -> AlertRule:
    """Store a rule; a webhook gets its own signing secret (shown to its owner) and must be
    public (or in ``allowed``, the administrator's networks)."""
    if entry.kind == "signal_level" and entry.threshold not in SIGNAL_LEVELS:
        raise ConfigError("a signal_level rule's threshold is 1 (medium) or 2 (high), not "
                          f"{entry.threshold:g}")
    if entry.webhook_url:
        outbound.check_form(str(entry.webhook_url), allowed)
    team = None
    if entry.team:
        team = next((t for t in accounts.teams_of(s, user) if t.name == entry.team), None)
        if team is None:
            raise ForbiddenError(f"you are not in a team named {entry.team!r}")
    rule = AlertRule(user_id=user.id, team_id=team.id if team else None,
                     name=entry.name, kind=entry.kind,
                     threshold=entry.threshold, iso3=entry.iso3.upper() if entry.iso3 else None,
                     webhook_url=str(entry.webhook_url) if entry.webhook_url else None,
                     webhook_secret=secrets.token_hex(32) if entry.webhook_url else None,
                     email=str(entry.email) if entry.email else None, active=True,
                     created_at=datetime.now(UTC))
    s.add(rule)
    s.flush()
    audit.record(s, user, "alert_rule.add", "alert_rule", rule.id, kind=entry.kind,
                 threshold=entry.threshold, iso3=rule.iso3)
    return rule


def rules_of(s: Session, user: User) -> list[AlertRule]:
    """The user's rules and those of their teams."""
    teams = [t.id for t in accounts.teams_of(s, user)]
    return list(s.scalars(select(AlertRule).where(
        (AlertRule.user_id == user.id) | AlertRule.team_id.in_(teams)).order_by(AlertRule.id)))


def alerts_of(s: Session, user: User, open_only: bool = False) -> list[Alert]:
    """The user's alerts and those of their teams."""
    teams = [t.id for t in accounts.teams_of(s, user)]
    query = select(Alert).where((Alert.user_id == user.id) | Alert.team_id.in_(teams))
    if open_only:
        query = query.where(Alert.acknowledged_at.is_(None))
    return list(s.scalars(query.order_by(Alert.id.desc())))


def acknowledge(s: Session, user: User, alert_id: int) -> bool:
    alert = s.get(Alert, alert_id)
    teams = {t.id for t in accounts.teams_of(s, user)}
    mine = alert is not None and (alert.user_id == user.id or alert.team_id in teams)
    if alert is None or not mine or alert.acknowledged_at is not None:
        return False
    alert.acknowledged_at = datetime.now(UTC)
    alert.acknowledged_by_id = user.id
    audit.record(s, user, "alert.acknowledge", "alert", alert.id)
    return True


def acknowledgers(s: Session, alerts: list[Alert]) -> dict[int, str]:
    """Alert id -> the e-mail of whoever acknowledged it (alerts still open are left out)."""
    ids = {a.acknowledged_by_id for a in alerts if a.acknowledged_by_id is not None}
    if not ids:
        return {}
    emails = {i: e for i, e in s.execute(select(User.id, User.email).where(User.id.in_(ids)))}
    return {a.id: emails[a.acknowledged_by_id] for a in alerts
            if a.acknowledged_by_id in emails}


def deliveries(s: Session, alert_id: int) -> list[AlertDelivery]:
    return list(s.scalars(select(AlertDelivery).where(AlertDelivery.alert_id == alert_id)
                          .order_by(AlertDelivery.id)))


def evaluate(s: Session, country_month: pd.DataFrame,
             signals: pd.DataFrame | None = None) -> list[Alert]:
    """Raise the alerts every active rule calls for on the latest runs and, for
    ``signal_level`` rules, the latest days' ``signals`` (once per event)."""
    structural = queries.runs(s, "structural")[:2]
    monthly = queries.runs(s, "monthly")[:2]
    names = {c.iso3: c.name for c in queries.countries(s)}
    raised = []
    for rule in s.scalars(select(AlertRule).where(AlertRule.active.is_(True))):
        found = (_signal_events(rule, signals, names) if rule.kind == "signal_level"
                 else _events(s, rule, structural, monthly, country_month, names))
        for iso3, value, message, run_id, key in found:
            if rule.iso3 and iso3 != rule.iso3:
                continue
            dedup = f"rule{rule.id}:{iso3}:{key}"
            if s.scalar(select(Alert.id).where(Alert.dedup_key == dedup)) is not None:
                continue
            alert = Alert(rule_id=rule.id, user_id=rule.user_id, team_id=rule.team_id,
                          iso3=iso3, dedup_key=dedup,
                          message=message, value=value, run_id=run_id,
                          created_at=datetime.now(UTC))
            s.add(alert)
            s.flush()
            s.add(AlertDelivery(alert_id=alert.id, channel="in_app", status="stored",
                                detail="shown at /alerts", at=datetime.now(UTC)))
            audit.record(s, None, "alert.raise", "alert", alert.id, rule=rule.id, iso3=iso3)
            raised.append(alert)
    return raised


def _signal_events(rule: AlertRule, signals: pd.DataFrame | None, names: dict[str, str]
                   ) -> list[tuple[str, float, str, int | None, str]]:
    """Countries whose highest signal level (the country's own, or one of its regions')
    reached the rule's on the latest day, from below it seven days before."""
    if signals is None or signals.empty:
        return []
    rank = signals.assign(rank=signals["level"].map({"none": 0, "medium": 1, "high": 2}))
    latest = rank["date"].max()
    now = rank[rank["date"] == latest]
    before = rank[rank["date"] == latest - pd.Timedelta(days=7)].groupby("iso3")["rank"].max()
    out: list[tuple[str, float, str, int | None, str]] = []
    for iso3, rows in now.groupby("iso3"):
        top = rows.sort_values("rank", ascending=False).iloc[0]
        if top["rank"] >= rule.threshold and before.get(iso3, 0) < rule.threshold:
            day = latest.date()
            place = top.get("place")
            where = f"in {place} " if isinstance(place, str) and place else ""
            out.append((str(iso3), float(top["rank"]),
                        f"{names.get(str(iso3), iso3)}: {top['level']} signal {where}on {day} "
                        f"({top['signal']}: {top['detail']})", None, f"signal:{day}"))
    return out


def _events(s: Session, rule: AlertRule, structural: list[ForecastRun],
            monthly: list[ForecastRun], country_month: pd.DataFrame, names: dict[str, str]
            ) -> list[tuple[str, float, str, int | None, str]]:
    """(iso3, value, message, run id, event key) for each event of the rule's kind."""
    out: list[tuple[str, float, str, int | None, str]] = []
    if rule.kind in ("risk_threshold", "rank_climb") and structural:
        now = {r.iso3: r for r in queries.structural_rows(s, structural[0].id)[1]}
        before = ({r.iso3: r for r in queries.structural_rows(s, structural[1].id)[1]}
                  if len(structural) > 1 else {})
        run = structural[0]
        for iso3, r in now.items():
            prev = before.get(iso3)
            name = names.get(iso3, iso3)
            if rule.kind == "risk_threshold" and r.probability >= rule.threshold and (
                    prev is None or prev.probability < rule.threshold):
                out.append((iso3, r.probability,
                            f"{name}: 2-year risk {100 * r.probability:.1f}% reached "
                            f"{100 * rule.threshold:.1f}% (run {run.id}, {run.period}-"
                            f"{int(run.period) + 1})", run.id, f"risk:run{run.id}"))
            if rule.kind == "rank_climb" and prev is not None and (
                    prev.rank - r.rank >= rule.threshold):
                out.append((iso3, float(prev.rank - r.rank),
                            f"{name}: climbed {prev.rank - r.rank} ranks to {r.rank} "
                            f"(run {run.id})", run.id, f"rank:run{run.id}"))
    if rule.kind == "monthly_p100" and monthly:
        now_p = queries.outlook(s, monthly[0].id)
        before_p = queries.outlook(s, monthly[1].id) if len(monthly) > 1 else {}
        for iso3, p in now_p.items():
            if p >= rule.threshold and before_p.get(iso3, 0.0) < rule.threshold:
                out.append((iso3, p, f"{names.get(iso3, iso3)}: {100 * p:.0f}% chance of "
                            f">= 100 civilian deaths in a month within 6 months after "
                            f"{monthly[0].period} ({monthly[0].data_note})", monthly[0].id,
                            f"p100:run{monthly[0].id}"))
    if rule.kind == "deaths_above_forecast" and len(country_month):
        out.extend(_surprises(s, rule, country_month, names))
    return out


#: How far back a new build's months are checked against published forecasts: a forecast
#: reaches 12 months, and a surge is news for a year at most.
SURPRISE_MONTHS = 12


def _surprises(s: Session, rule: AlertRule, country_month: pd.DataFrame,
               names: dict[str, str]) -> list[tuple[str, float, str, int | None, str]]:
    """Countries whose civilian deaths in a month with data (final or provisional, the last
    ``SURPRISE_MONTHS``) beat the newest published forecast of that month: each month is
    checked as soon as a release brings it, so a surge is heard of within a month."""
    months = known(country_month)
    last = pd.Period(data_through(months), freq="M")
    recent = months[months["month"] > str(last - SURPRISE_MONTHS)]
    found = s.execute(select(MonthlyForecast, ForecastRun)
                      .join(ForecastRun, ForecastRun.id == MonthlyForecast.run_id)
                      .where(MonthlyForecast.month.in_(sorted(set(recent["month"]))),
                             MonthlyForecast.target == "civilian_deaths")
                      .order_by(ForecastRun.id.desc())).all()
    newest: dict[tuple[str, str], tuple[MonthlyForecast, ForecastRun]] = {}
    for forecast, run in found:
        newest.setdefault((forecast.iso3, forecast.month), (forecast, run))
    actual = recent.set_index(["iso3", "month"])
    out: list[tuple[str, float, str, int | None, str]] = []
    for (iso3, month), (forecast, run) in sorted(newest.items()):
        if (iso3, month) not in actual.index:
            continue
        row = actual.loc[(iso3, month)]
        deaths = float(row["civilian_deaths"])
        if deaths >= MIN_DEATHS and deaths > rule.threshold * forecast.q90:
            out.append((iso3, deaths, f"{names.get(iso3, iso3)}: {deaths:,.0f} civilian "
                        f"deaths in {month}{_provenance(row)}, above the forecast's 90th "
                        f"percentile ({forecast.q90:,.0f}; run {run.id}, "
                        f"{run.data_note})", run.id, f"deaths:{month}"))
    return out


def _provenance(row: pd.Series) -> str:
    """How sure a month's count is: say so when it is provisional or estimated."""
    if row.get("status") != "provisional":
        return ""
    kind = "estimated from " if bool(row.get("civilian_estimated")) else ""
    return f" ({kind}{row.get('vintage', '')}, provisional)"


def sign(secret: str, body: bytes) -> str:
    """The webhook signature: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(url: str, settings: Settings, alert_ids: list[int]) -> None:
    """Send each alert to its rule's webhook and e-mail; log every attempt (a failure is
    logged, never raised: the alert itself is already stored)."""
    for alert_id in alert_ids:
        with session(url) as s:
            alert = s.get(Alert, alert_id)
            rule = s.get(AlertRule, alert.rule_id) if alert else None
            if alert is None or rule is None:
                continue
            body = json.dumps({"id": alert.id, "rule": rule.name, "kind": rule.kind,
                               "iso3": alert.iso3, "value": alert.value,
                               "message": alert.message, "run_id": alert.run_id,
                               "created_at": alert.created_at.isoformat()}).encode()
            attempts = []
            if rule.webhook_url and rule.webhook_secret:
                attempts.append(("webhook", _post(rule.webhook_url, rule.webhook_secret, body,
                                                  settings)))
            if rule.email:
                attempts.append(("email", _mail(settings, rule.email, alert.message, body)))
            for channel, (status, detail) in attempts:
                s.add(AlertDelivery(alert_id=alert.id, channel=channel, status=status,
                                    detail=detail, at=datetime.now(UTC)))


def _post(url: str, secret: str, body: bytes, settings: Settings) -> tuple[str, str]:
    return outbound.post(url, body, {"Content-Type": "application/json",
                                     SIGNATURE_HEADER: sign(secret, body),
                                     "User-Agent": "atrisk-alerts"},
                         outbound.networks(settings.webhook_allowed_networks))


def _mail(settings: Settings, to: str, subject: str, body: bytes) -> tuple[str, str]:
    if not settings.smtp_host:
        return "failed", "no SMTP server configured (ATRISK_SMTP_HOST)"
    message = EmailMessage()
    message["From"], message["To"] = settings.smtp_from, to
    message["Subject"] = f"[atrisk] {subject}"[:200]
    message.set_content(json.dumps(json.loads(body), indent=2))
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user and settings.smtp_password:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
        return "sent", f"to {to} via {settings.smtp_host}:{settings.smtp_port}"
    except (OSError, smtplib.SMTPException) as exc:
        return "failed", str(exc)


def run_after_forecast(settings: Settings, country_month: pd.DataFrame) -> int:
    """Evaluate every rule (one transaction), then deliver; returns how many were raised."""
    migrate(settings.database)  # a first data build may come before any store exists
    try:
        signals = recent_signals(settings)
    except NotFoundError:
        signals = None  # no event tables built yet
    with session(settings.database) as s:
        raised = [a.id for a in evaluate(s, country_month, signals)]
    deliver(settings.database, settings, raised)
    return len(raised)
