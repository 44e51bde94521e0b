"""The prevention toolkit (versioned data) and the evidence on each tool: which contextual
and design factors research finds make it work better or worse (USHMM review), and which of
the contextual ones hold in a given country now; and how often studies found each tool, on
average, reduced violence."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atrisk.domain.errors import ConfigError
from atrisk.response.framework import DATA
from atrisk.store import audit
from atrisk.store.schema import ToolkitVersion, User

Family = Literal["diplomatic", "informational", "military", "economic", "legal"]


class Tool(BaseModel):
    key: str
    name: str
    family: Family
    description: str
    factors: list[int] = Field(min_length=1)
    partners: list[str] = Field(min_length=1)
    lead_time_months: tuple[int, int]
    ushmm: list[str] = Field(min_length=1)


class Toolkit(BaseModel):
    version: str
    evidence: str
    tools: list[Tool] = Field(alias="tool")
    conditions: dict[str, str]

    @model_validator(mode="after")
    def _consistent(self) -> Toolkit:
        keys = [t.key for t in self.tools]
        if len(set(keys)) != len(keys):
            raise ValueError("tool keys must be unique")
        for t in self.tools:
            if not set(t.factors) <= set(range(1, 15)):
                raise ValueError(f"tool {t.key!r} addresses unknown risk factors {t.factors}")
            low, high = t.lead_time_months
            if not 0 <= low <= high:
                raise ValueError(f"tool {t.key!r}: lead time {t.lead_time_months} is not a range")
        return self

    def tool(self, key: str) -> Tool:
        for t in self.tools:
            if t.key == key:
                return t
        raise KeyError(key)


PACKAGED = DATA / "prevention_tools.toml"


def parse(text: str, where: str = "toolkit") -> Toolkit:
    """Validate a toolkit's TOML text (a clear error names what is wrong)."""
    try:
        return Toolkit.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


@lru_cache(maxsize=1)
def packaged() -> Toolkit:
    """The toolkit shipped with atrisk."""
    try:
        return parse(PACKAGED.read_text(), str(PACKAGED))
    except OSError as exc:
        raise ConfigError(f"{PACKAGED}: {exc}") from exc


#: Per store: the newest version an admin saved there (id, toolkit), once read.
_stored: dict[str, tuple[int, Toolkit]] = {}


def toolkit() -> Toolkit:
    """The packaged toolkit (what a store uses until an admin saves a version: ``refresh``)."""
    return packaged()


def refresh(s: Session) -> Toolkit:
    """The toolkit in use in this store: the newest version an admin saved (read again only
    when a newer one exists), else the packaged one."""
    url = str(s.get_bind().engine.url)
    newest = s.scalar(select(func.max(ToolkitVersion.id)))
    if newest is None:
        _stored.pop(url, None)
        return packaged()
    seen = _stored.get(url)
    if seen is None or seen[0] != newest:
        row = s.get(ToolkitVersion, newest)
        assert row is not None
        seen = (row.id, parse(row.content, f"toolkit version {row.id}"))
        _stored[url] = seen
    return seen[1]


def save(s: Session, author: User, text: str, evidence_tools: set[str]) -> ToolkitVersion:
    """Store an admin's edit as a new version, after checking it and that every tool's
    USHMM names exist in the review (``evidence_tools``)."""
    kit = parse(text)
    for tool in kit.tools:
        if unknown := set(tool.ushmm) - evidence_tools:
            raise ConfigError(f"tool {tool.key!r}: not in the USHMM review: {sorted(unknown)}")
    row = ToolkitVersion(version=kit.version, content=text, author_id=author.id,
                         created_at=datetime.now(UTC))
    s.add(row)
    s.flush()
    audit.record(s, author, "toolkit.save", "toolkit", row.id, version=kit.version,
                 tools=len(kit.tools))
    refresh(s)
    return row


def versions(s: Session) -> list[ToolkitVersion]:
    return list(s.scalars(select(ToolkitVersion).order_by(ToolkitVersion.id.desc())))


def current_text(s: Session) -> str:
    newest = versions(s)
    return newest[0].content if newest else PACKAGED.read_text()


def country_conditions(panel: pd.DataFrame, gwcode: int,
                       assessed: Mapping[int, Any] | None = None,
                       kit: Toolkit | None = None) -> dict[str, bool | None]:
    """For each contextual success factor we can read, whether it holds for the country: from
    its latest year with data and the analysts' latest levels (``assessed``: factor id ->
    assessment); None when what it needs is missing."""
    rows = panel[panel["gwcode"] == gwcode].sort_values("year")
    values: dict[str, float | None] = {f"factor{i}": None for i in range(1, 15)}
    for factor_id, assessment in (assessed or {}).items():
        values[f"factor{factor_id}"] = float(assessment.level)
    if not rows.empty:
        govt = _latest(rows, "ucdp_os_govt_deaths")
        groups = _latest(rows, "ucdp_os_nsgroup_deaths")
        values.update({
            "ucdp_sb_deaths": _latest(rows, "ucdp_sb_deaths"),
            "v2x_polyarchy": _latest(rows, "v2x_polyarchy"),
            "wdi_gdppc": _latest(rows, "wdi_gdppc"),
            "efindex": _latest(rows, "efindex"),
            "conflict_years_10": float(
                (rows.tail(10)["ucdp_sb_deaths"].fillna(0) >= 25).sum()),
            "govt_killings": govt, "armed_group_killings": groups,
            "govt_share": (None if govt is None or groups is None else
                           govt / (govt + groups) if govt + groups > 0 else 0.0),
        })
    return {factor: holds(expression, values)
            for factor, expression in (kit or toolkit()).conditions.items()}


_OPS = {">=": float.__ge__, "<=": float.__le__, ">": float.__gt__, "<": float.__lt__}


def holds(expression: str, values: dict[str, float | None]) -> bool | None:
    """Evaluate ``name op number [and name op number ...]`` (no code is run); None when a
    value is missing."""
    result = True
    for clause in expression.split(" and "):
        try:
            name, op, number = clause.split()
            value = values[name]
            compare = _OPS[op]
            threshold = float(number)
        except (ValueError, KeyError) as exc:
            raise ConfigError(f"condition {expression!r}: cannot read {clause!r}") from exc
        if value is None:
            return None
        result = result and compare(float(value), threshold)
    return result


def _latest(rows: pd.DataFrame, column: str) -> float | None:
    known = rows[column].dropna()
    return float(known.iloc[-1]) if len(known) else None


def evidence_for(evidence: pd.DataFrame, tool: Tool,
                 conditions: dict[str, bool | None]) -> pd.DataFrame:
    """The review's factors for ``tool`` (all its USHMM tools), strongest evidence first,
    with whether each contextual factor holds in the country (``present``: True, False, or
    None when unknown or a design choice)."""
    rows = evidence[evidence["tool"].isin(tool.ushmm) & evidence["factor"].notna()].copy()
    rows["findings"] = rows[["greater", "lesser", "no_mixed"]].sum(axis=1)
    rows["direction"] = [("helps" if g > s else "hurts" if s > g else "mixed")
                         for g, s in zip(rows["greater"], rows["lesser"], strict=True)]
    rows["present"] = rows["factor"].map(conditions)
    rows = rows.sort_values(["findings", "vote_count"], ascending=False)
    return rows.reset_index(drop=True)


#: The review's outcomes that are violence against civilians itself.
CIVILIAN_OUTCOMES = ("Violence against civilians", "Mass atrocities")


@dataclass(frozen=True)
class AverageEffects:
    """How the studies in the USHMM review found a toolkit tool worked on average (over its
    review tools): counts of findings and the shares that found it decreased violence, found
    no or mixed effects, or found it increased violence (any outcome: conflict, violence
    against civilians, mass atrocities, human rights violations, adverse consequences); and
    the findings on violence against civilians and mass atrocities alone. How often, not how
    much: the review records no effect sizes."""

    key: str
    name: str
    #: The review's tools the findings are about (the toolkit tool's that have any).
    review_tools: tuple[str, ...]
    findings: int
    decreases: float | None
    no_or_mixed: float | None
    increases: float | None
    civilian_findings: int
    civilian_decreases: float | None


def average_effects(findings: pd.DataFrame, kit: Toolkit) -> list[AverageEffects]:
    """Each toolkit tool's findings (``ushmm.tool_findings``), in the toolkit's order."""
    out = []
    for tool in kit.tools:
        rows = findings[findings["tool"].isin(tool.ushmm)]
        civilian = rows[rows["outcome"].isin(CIVILIAN_OUTCOMES)]
        counts = rows["direction"].value_counts()
        share = {d: float(counts.get(d, 0)) / len(rows) if len(rows) else None
                 for d in ("decreases", "no_or_mixed", "increases")}
        out.append(AverageEffects(
            tool.key, tool.name, tuple(t for t in tool.ushmm if t in set(rows["tool"])),
            len(rows), share["decreases"], share["no_or_mixed"],
            share["increases"], len(civilian),
            float((civilian["direction"] == "decreases").mean()) if len(civilian) else None))
    return out
