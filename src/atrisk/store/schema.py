"""Tables of the store. Changes go through an Alembic migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from atrisk.domain.reports import MonthlyRunMeta, RunMeta, StructuralRunMeta, parse_meta


class Base(DeclarativeBase):
    pass


class Country(Base):
    __tablename__ = "countries"

    gwcode: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(String(3), index=True)
    ccode: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    first_year: Mapped[int] = mapped_column(Integer)
    last_year: Mapped[int] = mapped_column(Integer)
    region: Mapped[str | None] = mapped_column(String(40), nullable=True)


class ForecastRun(Base):
    """One published run, with what made it (inputs' hashes, code, settings). Kinds:
    ``structural``, ``monthly``, ``backtest_structural``, ``backtest_monthly``."""

    __tablename__ = "forecast_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    model: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(20))  # forecast year or last data month
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)

    @property
    def report(self) -> RunMeta:
        """The stored metadata as the typed record of the run's kind."""
        return parse_meta(self.kind, self.meta)

    @property
    def data_note(self) -> str:
        """What the run's numbers stand on, in one line: every page, brief, alert and table
        that shows them says it."""
        if self.kind.startswith("backtest_"):
            return f"data through {self.period}"
        report = self.report
        assert isinstance(report, StructuralRunMeta | MonthlyRunMeta)
        return report.data_note


class StructuralForecast(Base):
    __tablename__ = "structural_forecasts"

    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_runs.id", ondelete="CASCADE"),
                                        primary_key=True)
    gwcode: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(String(3), index=True)
    name: Mapped[str] = mapped_column(String(120))
    rank: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float] = mapped_column(Float)
    low_80: Mapped[float | None] = mapped_column(Float, nullable=True)
    high_80: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: How sure the rank is (``forecasting.rank_certainty``); empty for runs made before.
    p_top10: Mapped[float | None] = mapped_column(Float, nullable=True)
    p_top30: Mapped[float | None] = mapped_column(Float, nullable=True)
    rank_low: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rank_high: Mapped[int | None] = mapped_column(Integer, nullable=True)
    probability_1yr: Mapped[float] = mapped_column(Float)
    drivers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: Every predictor's push on the log-odds (``forecasting.movers``); empty for runs
    #: stored before migration 0017.
    contributions: Mapped[dict[str, float] | None] = mapped_column(JSON, nullable=True)
    #: The same model's risk from the year before's inputs, same data (``forecasting.movers``
    #: splits a change into the new year and revisions); empty for runs stored before 0018.
    probability_year_before: Mapped[float | None] = mapped_column(Float, nullable=True)


class MonthlyForecast(Base):
    __tablename__ = "monthly_forecasts"

    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_runs.id", ondelete="CASCADE"),
                                        primary_key=True)
    gwcode: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(30), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    iso3: Mapped[str] = mapped_column(String(3), index=True)
    step: Mapped[int] = mapped_column(Integer)
    mean: Mapped[float] = mapped_column(Float)
    median: Mapped[float] = mapped_column(Float)
    q10: Mapped[float] = mapped_column(Float)
    q90: Mapped[float] = mapped_column(Float)
    p_ge_1: Mapped[float] = mapped_column(Float)
    p_ge_25: Mapped[float] = mapped_column(Float)
    p_ge_100: Mapped[float] = mapped_column(Float)
    p_ge_1000: Mapped[float] = mapped_column(Float)


class MonthlyOutlook(Base):
    """A monthly run's outlook per country and target over its first ``months`` months, from
    the draws as paths (so it cannot be rebuilt from the per-month rows)."""

    __tablename__ = "monthly_outlooks"

    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_runs.id", ondelete="CASCADE"),
                                        primary_key=True)
    gwcode: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(30), primary_key=True)
    iso3: Mapped[str] = mapped_column(String(3), index=True)
    months: Mapped[int] = mapped_column(Integer)
    expected_total: Mapped[float] = mapped_column(Float)
    p_month_ge_100: Mapped[float] = mapped_column(Float)


class BacktestForecast(Base):
    """One out-of-sample forecast of a structural back-test run (model, country, data year)."""

    __tablename__ = "backtest_forecasts"

    run_id: Mapped[int] = mapped_column(ForeignKey("forecast_runs.id", ondelete="CASCADE"),
                                        primary_key=True)
    model: Mapped[str] = mapped_column(String(60), primary_key=True)
    gwcode: Mapped[int] = mapped_column(Integer, primary_key=True)
    data_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    iso3: Mapped[str] = mapped_column(String(3))
    probability: Mapped[float] = mapped_column(Float)
    onset_next2: Mapped[float | None] = mapped_column(Float, nullable=True)


class User(Base):
    """Someone who signs in. ``role`` is one of ``ROLES`` (each includes the ones before)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignInFailure(Base):
    """One wrong password: from which client address, for which e-mail (its SHA-256), when.
    Counted per client and per (client, e-mail), never per account alone."""

    __tablename__ = "sign_in_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class ApiToken(Base):
    """A user's API token; only its SHA-256 is stored (the token is shown once)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SignInSession(Base):
    """A browser's signed-in session: the cookie carries a random key, only its SHA-256 is
    kept. Signing out deletes the row, so a copied cookie stops working at once."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Assessment(Base):
    """One version of an analyst's assessment of one risk factor in one country. Versions
    are never changed or deleted: a new assessment is a new row."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("iso3", "factor_id", "version",
                                       name="uq_assessment_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    iso3: Mapped[str] = mapped_column(String(3))
    factor_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)  # 0 absent .. 3 severe
    trend: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    framework_version: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """One write: who did what to which record, when (written in the write's transaction)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class Plan(Base):
    """A prevention plan for one country, with the risk it started from."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    iso3: Mapped[str] = mapped_column(String(3), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # active | closed
    risk_at_start: Mapped[float | None] = mapped_column(Float, nullable=True)
    run_at_start: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PlanAction(Base):
    """One action of a plan: a tool, who leads it, with whom, when, for how much."""

    __tablename__ = "plan_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"),
                                         index=True)
    tool: Mapped[str] = mapped_column(String(60))
    owner: Mapped[str] = mapped_column(String(200))
    partners: Mapped[list[str]] = mapped_column(JSON)
    start: Mapped[date | None] = mapped_column(Date, nullable=True)
    due: Mapped[date | None] = mapped_column(Date, nullable=True)
    budget: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    notes: Mapped[str] = mapped_column(Text)


class PlanEvent(Base):
    """The plan's history: what changed and comments, by whom and when (never edited)."""

    __tablename__ = "plan_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"),
                                         index=True)
    action_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)


class AlertRule(Base):
    """A user's rule: what to watch (``kind``, ``threshold``, one country or all) and where
    to be told besides the app (a webhook, signed; an e-mail address)."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    threshold: Mapped[float] = mapped_column(Float)
    iso3: Mapped[str | None] = mapped_column(String(3), nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    webhook_secret: Mapped[str | None] = mapped_column(String(100), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True)


class Alert(Base):
    """One alert raised by a rule; ``dedup_key`` makes the same event alert once."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    iso3: Mapped[str] = mapped_column(String(3))
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    message: Mapped[str] = mapped_column(Text)
    value: Mapped[float] = mapped_column(Float)
    #: The forecast run that raised it; none for a news signal (``signal_level``).
    run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                             nullable=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    #: Who acknowledged it: one member's acknowledgement closes a team's alert for all of
    #: them, so the others must see who took it.
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"),
                                                           nullable=True)


class AlertDelivery(Base):
    """Each attempt to deliver an alert by a channel, and how it went."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"),
                                          index=True)
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ToolkitVersion(Base):
    """A version of the prevention toolkit saved by an admin (the whole TOML text)."""

    __tablename__ = "toolkit_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Team(Base):
    """A group of users who share alert rules and their alerts."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
