"""Evidence on atrocity-prevention tools: the US Holocaust Memorial Museum's review "Tools for
Atrocity Prevention" (Simon-Skjodt Center, version 3, April 2025). For each tool and each
contextual or design factor, the review counts research findings that the factor makes the
tool more effective, less effective, or neither, and records practitioners' views; and for
each study, whether it found the tool on average decreased or increased mass atrocities and
conflict-related outcomes, or neither."""

from __future__ import annotations

import pandas as pd

from atrisk.domain.errors import SourceError
from atrisk.settings import Settings
from atrisk.sources.base import Schema, Source, read

TOOLS_EVIDENCE = Source(
    name="ushmm_prevention_tools",
    path="prevention/ushmm_lessons_learned_all_factors_3.csv",
    url="https://raw.githubusercontent.com/ushmm/atrocity-prevention-data/"
        "0b152f7/ushmm_lessons_learned_all_factors_3.csv",
    version="3 (April 2025)",
    licence="Public research data (cite the US Holocaust Memorial Museum)",
    citation="United States Holocaust Memorial Museum, Simon-Skjodt Center for the Prevention "
             "of Genocide (2025). Tools for Atrocity Prevention: Lessons Learned, version 3. "
             "https://preventiontools.ushmm.org",
    producer="US Holocaust Memorial Museum, Simon-Skjodt Center for the Prevention of Genocide",
    schema=Schema(
        columns={"tool_name": "str", "Name": "str", "Contextual.or.design.factor": "str",
                 "Family": "str", "Description": "str", "Inverse.factor": "str",
                 "greater_findings": "float", "lesser_findings": "float",
                 "no_mixed_findings": "float", "vote_count_factor": "float",
                 "greater_practitioner": "float", "lesser_practitioner": "float",
                 "research_qualitative_for_web": "str", "Short.description": "str",
                 "Theory.of.change": "str", "DIMEL": "str"},
        ranges={"greater_findings": (0, 500), "lesser_findings": (0, 500),
                "no_mixed_findings": (0, 500)},
        min_rows=400, unique_rows=True),
)

#: Source column -> our name.
COLUMNS = {
    "tool_name": "tool", "Name": "factor", "Contextual.or.design.factor": "kind",
    "Family": "family", "Description": "description", "Inverse.factor": "inverse",
    "greater_findings": "greater", "lesser_findings": "lesser",
    "no_mixed_findings": "no_mixed", "vote_count_factor": "vote_count",
    "greater_practitioner": "practitioners_greater",
    "lesser_practitioner": "practitioners_lesser",
    "research_qualitative_for_web": "research_summary",
    "Short.description": "tool_description", "Theory.of.change": "theory_of_change",
    "DIMEL": "dimel",
}


def tool_evidence(settings: Settings | None = None) -> pd.DataFrame:
    """One row per (tool, factor) with the counts of findings; tools the review describes
    without factors have one row with an empty factor."""
    frame = read(TOOLS_EVIDENCE, settings)
    out = frame[list(COLUMNS)].rename(columns=COLUMNS)
    for col in ("kind", "family"):
        out[col] = out[col].str.strip()
    out[["greater", "lesser", "no_mixed"]] = out[["greater", "lesser", "no_mixed"]].fillna(0)
    return out.reset_index(drop=True)


TOOL_STUDIES = Source(
    name="ushmm_prevention_studies",
    path="prevention/ushmm_lessons_learned_all_sources_3.csv",
    url="https://raw.githubusercontent.com/ushmm/atrocity-prevention-data/"
        "0b152f7/ushmm_lessons_learned_all_sources_3.csv",
    version="3 (April 2025)",
    licence=TOOLS_EVIDENCE.licence,
    citation=TOOLS_EVIDENCE.citation,
    producer=TOOLS_EVIDENCE.producer,
    schema=Schema(
        columns={"effects_type": "str", "Index.Number": "str", "Tool": "str",
                 "overall": "str", "Outcome": "str", "Publication": "str",
                 "count": "float", "Year": "int"},
        ranges={"count": (0, 1000)},
        min_rows=1500, unique_rows=True),
    period=("Year", 2025),
)

#: The review's tool names in its study file -> the names of its factor file (the toolkit's).
STUDY_TOOLS = {
    "Amnesties_tool": "Official amnesties", "Arms embargoes_tool": "Arms embargoes",
    "Comprehensive economic sanctions_tool": "Comprehensive economic sanctions",
    "Development assistance_tool": "Development assistance",
    "Diplomatic sanctions_tool": "Diplomatic sanctions", "Mediation_tool": "Mediation",
    "Naming_and_shaming_tool": "Naming and shaming", "Peace operations_tool": "Peace operations",
    "Prosecutions_tool": "Prosecutions", "Security assistance_tool": "Security assistance",
    "Support to non-state armed groups_tool": "Support to non-state armed groups",
    "Targeted sanctions_tool": "Targeted sanctions",
}
#: The review's finding on a tool's average effect -> ours.
DIRECTIONS = {"Decreases mass atrocities or CROs": "decreases",
              "No or mixed effects": "no_or_mixed",
              "Increases mass atrocities or CROs": "increases"}


def tool_findings(settings: Settings | None = None) -> pd.DataFrame:
    """One row per study and outcome that the review codes for a tool's average effect:
    ``tool`` (the factor file's name), ``study``, ``outcome`` (conflict, violence against
    civilians, mass atrocities, human rights violations, adverse consequences), ``direction``
    (decreases, no_or_mixed, increases) and the study's ``year``. Says how often, not how
    much: the review records no effect sizes."""
    frame = read(TOOL_STUDIES, settings)
    rows = frame[frame["effects_type"].str.strip() == "Average"]
    out = pd.DataFrame({"tool": rows["Tool"].str.strip().map(STUDY_TOOLS),
                        "study": rows["Index.Number"].str.strip(),
                        "outcome": rows["Outcome"].str.strip(),
                        "direction": rows["overall"].str.strip().map(DIRECTIONS),
                        "year": rows["Year"].astype(int)})
    for column, given in (("tool", rows["Tool"]), ("direction", rows["overall"])):
        if unknown := sorted(set(given[out[column].isna()].astype(str))):
            raise SourceError(TOOL_STUDIES.path, f"unknown {column} {unknown}")
    return out.reset_index(drop=True)
