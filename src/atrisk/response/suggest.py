"""Which prevention tools fit a country now: each tool is ranked by how strongly the risk
factors it addresses are present (the model's drivers and the analysts' latest ratings), and
by what the evidence says about its success factors that hold in the country. Each ranking
comes with its reasons, so an analyst can judge it rather than trust it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from atrisk.response.assessments import LEVELS
from atrisk.response.framework import framework
from atrisk.response.toolkit import Tool, Toolkit, evidence_for, toolkit
from atrisk.store.schema import Assessment

#: Weight of one step of the analysts' level (0-3) against one unit of log-odds from drivers.
ASSESSED_WEIGHT = 0.25
#: Weight of the evidence (net findings for the tool where its contextual factors hold).
EVIDENCE_WEIGHT = 0.05


@dataclass
class Suggestion:
    tool: Tool
    score: float
    reasons: list[str] = field(default_factory=list)
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame)


def factor_weights(drivers: list[dict[str, Any]], assessed: dict[int, Assessment]
                   ) -> tuple[dict[int, float], dict[int, list[str]]]:
    """How much each risk factor weighs in this country, and why."""
    fw = framework()
    weights = {f.id: 0.0 for f in fw.factors}
    why: dict[int, list[str]] = {f.id: [] for f in fw.factors}
    for d in drivers:
        push = float(d["contribution"])
        if push <= 0:
            continue
        for factor_id in fw.predictors.get(str(d["feature"]), []):
            weights[factor_id] += push
            why[factor_id].append(f"model driver {d['label']} ({push:+.2f})")
    for factor_id, a in assessed.items():
        weights[factor_id] += ASSESSED_WEIGHT * a.level
        if a.level >= 2:
            why[factor_id].append(f"analysts rate it {LEVELS[a.level]}, {a.trend}")
    return weights, why


def suggest(drivers: list[dict[str, Any]], assessed: dict[int, Assessment],
            evidence: pd.DataFrame, conditions: dict[str, bool | None],
            kit: Toolkit | None = None) -> list[Suggestion]:
    """Every tool of the toolkit, best fit first, with its reasons and its evidence table."""
    fw = framework()
    weights, why = factor_weights(drivers, assessed)
    out = []
    for tool in (kit or toolkit()).tools:
        table = evidence_for(evidence, tool, conditions)
        score = sum(weights[f] for f in tool.factors)
        reasons = [f"addresses {fw.factor(f).name.lower()}: {'; '.join(why[f])}"
                   for f in tool.factors if why[f]]
        present = table[table["present"].eq(True)]
        net = float((present["greater"] - present["lesser"]).sum())
        score += EVIDENCE_WEIGHT * net
        for r in present.itertuples(index=False):
            if r.greater > r.lesser:
                reasons.append(f"evidence: works better where {r.factor.lower()} (present "
                               f"here; {int(r.greater)} of {int(r.findings)} findings)")
            elif r.lesser > r.greater:
                reasons.append(f"evidence: works worse where {r.factor.lower()} (present "
                               f"here; {int(r.lesser)} of {int(r.findings)} findings)")
        out.append(Suggestion(tool, round(score, 3), reasons, table))
    return sorted(out, key=lambda x: -x.score)
