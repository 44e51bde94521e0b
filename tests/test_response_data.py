"""The versioned response data, reviewed: the UN Framework's 14 risk factors, every model
predictor mapped to them, and every prevention tool's links (risk factors, the USHMM review's
tools and factors) resolving against the real data."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

from atrisk.domain.errors import ConfigError
from atrisk.panels.country_year import FEATURES
from atrisk.response.framework import DATA, framework
from atrisk.response.toolkit import country_conditions, evidence_for, holds, toolkit
from atrisk.settings import Settings
from atrisk.sources.ewp import PREPARED_PREDICTORS
from atrisk.sources.ushmm import tool_evidence


def test_all_fourteen_risk_factors() -> None:
    f = framework()
    assert [r.id for r in f.factors] == list(range(1, 15))
    groups = [r.applies_to for r in f.factors]
    assert groups == (["all atrocity crimes"] * 8 + ["genocide"] * 2
                      + ["crimes against humanity"] * 2 + ["war crimes"] * 2)
    assert f.factor(9).name.startswith("Intergroup tensions")
    assert f.factor(14).name == "Serious threats to humanitarian or peacekeeping operations"
    assert all(len(r.indicators) >= 3 for r in f.factors)
    assert len({r.key for r in f.factors}) == 14 and "Framework of Analysis" in f.citation


def test_every_model_predictor_is_mapped_or_explained() -> None:
    f = framework()
    predictors = set(FEATURES) | set(PREPARED_PREDICTORS)
    unmapped = predictors - set(f.predictors) - set(f.controls)
    assert unmapped == set()
    assert set(f.controls) <= predictors  # no stale entries
    assert set(f.predictors) <= predictors
    measured = {i for ids in f.predictors.values() for i in ids}
    assert {1, 2, 3, 4, 5, 6, 7, 8, 9, 11} <= measured  # what annual data can measure


def test_every_tool_links_resolve(mirror) -> None:
    kit = toolkit()
    evidence = tool_evidence(Settings(mirror=mirror))
    reviewed = set(evidence["tool"])
    factors = set(evidence["factor"].dropna())
    for tool in kit.tools:
        assert set(tool.ushmm) <= reviewed, tool.key
        assert set(tool.factors) <= set(range(1, 15)), tool.key
    for name in ("mediation", "peace_operations", "development_root_causes", "arms_embargo",
                 "targeted_sanctions", "naming_and_shaming", "accountability",
                 "human_rights_monitoring", "civil_society_protection",
                 "high_level_diplomacy"):
        kit.tool(name)  # every family of tools the issue names is in the catalogue
    assert set(kit.conditions) <= factors
    addressed = {i for t in kit.tools for i in t.factors}
    assert {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14} <= addressed


def test_evidence_for_a_tool_in_a_country(panel: pd.DataFrame, mirror) -> None:
    evidence = tool_evidence(Settings(mirror=mirror))
    conditions = country_conditions(panel, 625)  # Sudan: war since 2023
    assert conditions["Ongoing armed conflict"] is True
    assert conditions["Democracy"] is False
    table = evidence_for(evidence, toolkit().tool("mediation"), conditions)
    assert len(table) == (evidence["tool"] == "Mediation").sum()
    top = table.iloc[0]
    assert top["factor"] == "International support or coordination" and top["direction"] == "helps"
    ongoing = table[table["factor"] == "Ongoing armed conflict"].iloc[0]
    assert bool(ongoing["present"]) is True
    assert table[table["kind"] == "Design"]["present"].isna().all()


def test_conditions_are_read_not_run() -> None:
    assert holds("a >= 1 and a < 2", {"a": 1.5}) is True
    assert holds("a >= 1 and a < 2", {"a": 2.0}) is False
    assert holds("a >= 1", {"a": None}) is None
    with pytest.raises(ConfigError):
        holds("__import__('os').system('true')", {"a": 1.0})


def test_a_broken_data_file_is_a_clear_error(tmp_path) -> None:
    data = tomllib.loads((DATA / "risk_factors.toml").read_text())
    broken = tmp_path / "risk_factors.toml"
    broken.write_text((DATA / "risk_factors.toml").read_text().replace("id = 14", "id = 15"))
    with pytest.raises(ConfigError, match=r"(?s)risk_factors.toml: .*factor.13.id"):
        framework.__wrapped__(broken)
    broken.write_text((DATA / "risk_factors.toml").read_text().replace(
        '"judicialreform" = [3, 7]', '"judicialreform" = [3, 70]'))
    with pytest.raises(ConfigError, match="judicialreform"):
        framework.__wrapped__(broken)
    assert len(data["factor"]) == 14


def test_conditions_read_from_the_assessment_too(panel: pd.DataFrame) -> None:
    from types import SimpleNamespace

    before = country_conditions(panel, 625)
    assert before["Identity-based conflict"] is None  # needs the analysts' rating
    assert before["Corrupt"] is None
    assert before["High ethnic diversity"] is True  # Sudan's efindex
    rated = country_conditions(panel, 625, {9: SimpleNamespace(level=3),
                                            3: SimpleNamespace(level=1)})
    assert rated["Identity-based conflict"] is True and rated["Corrupt"] is False
    assert rated["Ethnic exclusion or polarization"] is True
    norway = country_conditions(panel, 385)
    assert norway["Highly developed state"] is True and norway["Ongoing armed conflict"] is False
    assert norway["Government principally responsible for atrocities"] is False
