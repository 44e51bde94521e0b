"""Analysts assess a country factor by factor (UN Framework); every version is kept with its
author and time. Set beside the model's drivers, the latest assessment shows where people and
model disagree: a strong statistical driver the analysts rate low, or the reverse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, HttpUrl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atrisk.domain.fields import Text, Whole
from atrisk.response.framework import framework
from atrisk.store import audit
from atrisk.store.schema import Assessment, Country, User

LEVELS = ("absent", "low", "elevated", "severe")
Trend = Literal["improving", "stable", "worsening"]
Confidence = Literal["low", "medium", "high"]
#: A driver pushing the log-odds up by at least this much counts as a strong driver.
STRONG_DRIVER = 0.2


class SourceLink(BaseModel):
    title: Text = Field(min_length=1, max_length=300)
    url: HttpUrl


class AssessmentIn(BaseModel):
    """What an analyst submits for one risk factor."""

    factor: Whole = Field(ge=1, le=14, description="UN Framework risk factor (1-14).")
    level: Whole = Field(ge=0, le=3, description="0 absent, 1 low, 2 elevated, 3 severe.")
    trend: Trend
    confidence: Confidence
    evidence: Text = Field(min_length=1, max_length=10_000)
    sources: list[SourceLink] = Field(default_factory=list, max_length=50)


def record(s: Session, author: User, iso3: str, entry: AssessmentIn) -> Assessment:
    """Add a new version of the assessment of ``entry.factor`` in ``iso3`` (audited).

    Two analysts saving the same factor at once both get a version: the number is computed by
    the INSERT itself (atomic under SQLite's write lock), and on PostgreSQL the country's row
    is locked first, so the second writer counts the first's version."""
    s.execute(select(Country.gwcode).where(Country.iso3 == iso3).with_for_update())
    after = (select(func.coalesce(func.max(Assessment.version), 0) + 1)
             .where(Assessment.iso3 == iso3, Assessment.factor_id == entry.factor)
             .scalar_subquery())
    row = Assessment(
        iso3=iso3, factor_id=entry.factor, version=after, level=entry.level,
        trend=entry.trend, confidence=entry.confidence, evidence=entry.evidence,
        sources=[{"title": x.title, "url": str(x.url)} for x in entry.sources],
        framework_version=framework().version, author_id=author.id,
        created_at=datetime.now(UTC))
    s.add(row)
    s.flush()
    s.refresh(row, ["version"])
    audit.record(s, author, "assessment.add", "assessment", row.id, iso3=iso3,
                 factor=entry.factor, version=row.version, level=entry.level)
    return row


def latest(s: Session, iso3: str) -> dict[int, Assessment]:
    """The newest version for each assessed factor of one country."""
    newest = (select(Assessment.factor_id, func.max(Assessment.version).label("v"))
              .where(Assessment.iso3 == iso3).group_by(Assessment.factor_id).subquery())
    rows = s.scalars(select(Assessment).join(
        newest, (Assessment.factor_id == newest.c.factor_id)
        & (Assessment.version == newest.c.v)).where(Assessment.iso3 == iso3))
    return {r.factor_id: r for r in rows}


def history(s: Session, iso3: str, factor: int | None = None) -> list[Assessment]:
    """Every version for a country (one factor, or all), newest first."""
    query = select(Assessment).where(Assessment.iso3 == iso3)
    if factor is not None:
        query = query.where(Assessment.factor_id == factor)
    return list(s.scalars(query.order_by(Assessment.factor_id, Assessment.version.desc())))


@dataclass(frozen=True)
class FactorView:
    """One risk factor of a country: the model's drivers on it, the analysts' latest rating,
    and whether the two disagree."""

    factor_id: int
    name: str
    drivers: list[dict[str, Any]]
    assessment: Assessment | None
    disagreement: str | None


def compare(drivers: list[dict[str, Any]], assessed: dict[int, Assessment]
            ) -> list[FactorView]:
    """Each of the 14 factors with the model's drivers that measure it and the latest
    assessment; flags a strong driver rated absent or low, and a factor rated severe that no
    strong driver measures."""
    fw = framework()
    out = []
    for factor in fw.factors:
        mine = [d for d in drivers if factor.id in fw.predictors.get(str(d["feature"]), [])]
        strong = [d for d in mine if float(d["contribution"]) >= STRONG_DRIVER]
        rated = assessed.get(factor.id)
        flag = None
        if rated is not None and strong and rated.level <= 1:
            flag = (f"the model's drivers push the risk up here "
                    f"({', '.join(str(d['label']) for d in strong)}) but analysts rate it "
                    f"{LEVELS[rated.level]}")
        elif rated is not None and rated.level == 3 and not strong:
            flag = "analysts rate this severe but no strong driver of the model measures it"
        out.append(FactorView(factor.id, factor.name, mine, rated, flag))
    return out
