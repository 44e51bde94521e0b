"""Lives at stake: the toll model, the 12- and 24-month figures, their back-test, and the
priorities page and API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from atrisk.evaluation.lives_backtest import METHODS, backtest_lives, summary
from atrisk.forecasting.lives import lives_at_stake
from atrisk.models.toll import SEVERITY, fit_toll
from atrisk.settings import Settings


def test_toll_is_learned_from_past_episodes_only(panel: pd.DataFrame) -> None:
    everything = fit_toll(panel, years=2, last_year=2024)
    early = fit_toll(panel[panel["year"] <= 2005], years=2, last_year=2005)
    assert everything.episodes > early.episodes >= 20
    rows = panel[panel["year"] == 2024].dropna(subset=list(SEVERITY))
    tolls = everything.expected(rows)
    assert np.isfinite(tolls).all() and (tolls > 0).all()


def test_the_toll_mixes_state_led_and_other_episodes_by_their_chance(
        panel: pd.DataFrame) -> None:
    toll = fit_toll(panel, years=1, last_year=2024)
    onsets = panel[(panel["mk_onset"] == 1) & panel["year"].between(1989, 2024)]
    assert 0 < toll.state_led < toll.episodes <= len(onsets)
    rows = panel[panel["year"] == 2024].head(40)
    p = toll.state_probability(rows)
    assert ((p > 0) & (p < 1)).all() and np.ptp(p) > 0  # it depends on the inputs
    by_hand = [np.expm1(toll.log_mean(rows, kind) + toll.sigma**2 / 2) for kind in (True, False)]
    assert toll.expected(rows) == pytest.approx(p * by_hand[0] + (1 - p) * by_hand[1])
    shift = toll.log_mean(rows, True) - toll.log_mean(rows, False)
    assert shift == pytest.approx(np.full(len(rows), toll.coef[-1]))


def _inputs(forecasts, panel: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The shared monthly run's civilian-death draws, and the annual risks with 2024's
    severity inputs."""
    draws = pd.read_parquet(forecasts["monthly"].meta.draws_file)
    draws = draws[draws["target"] == "civilian_deaths"]
    severity = panel.loc[panel["year"] == 2024, ["iso3", *SEVERITY]]
    table = forecasts["structural"].table
    risks = table[["iso3", "risk_1yr", "risk_2yr"]].merge(severity, on="iso3", how="left")
    return draws, risks


def test_lives_at_stake_adds_what_is_happening_and_what_may_begin(forecasts,
                                                                  panel: pd.DataFrame) -> None:
    draws, risks = _inputs(forecasts, panel)
    tolls = (fit_toll(panel, 1, 2024), fit_toll(panel, 2, 2024))
    out = lives_at_stake(draws, risks, tolls).set_index("iso3")
    assert len(out) >= 160
    assert out["expected_12"].to_numpy() == pytest.approx(
        (out["ongoing_12"] + out["new_12"]).to_numpy())
    assert out["expected_24"].to_numpy() == pytest.approx(
        (out["ongoing_24"] + out["new_24"]).to_numpy())
    assert (out["ongoing_24"] >= out["ongoing_12"]).all()
    assert (out["low_12"] <= out["high_12"]).all() and (out["low_24"] <= out["high_24"]).all()
    ongoing = draws.groupby(["iso3", "draw"])["value"].sum().groupby("iso3").mean()
    assert out["ongoing_12"].to_numpy() == pytest.approx(ongoing.reindex(out.index).to_numpy())
    again = lives_at_stake(draws, risks, tolls).set_index("iso3")
    pd.testing.assert_frame_equal(out, again)  # seeded: the same intervals every time


def test_the_lives_backtest_is_reproducible(forecasts, panel: pd.DataFrame) -> None:
    past, _ = forecasts["backtest"]
    first = backtest_lives(panel, past, "simple", first=2013, last=2022)
    assert set(first["method"]) == set(METHODS) and first["year"].min() == 2013
    assert first["top10_in_top20"].between(0, 10).all()
    assert first["deaths_in_top20"].between(0, 1).all()
    pd.testing.assert_frame_equal(first, backtest_lives(panel, past, "simple", 2013, 2022))
    board = summary(first).set_index("method")
    assert board.loc["expected toll", "years"] == 10


def test_priorities_page_and_api(store: str, publish_to, built: Settings,
                                 tmp_path: Path) -> None:
    from atrisk.app import create_app
    from atrisk.store import accounts
    from atrisk.store.db import session

    publish_to(store)
    with session(store) as s:
        viewer = accounts.add_user(s, "viewer@example.org", "a long pass phrase", "viewer")
        analyst = accounts.add_user(s, "analyst@example.org", "a long pass phrase", "analyst")
        headers = {"authorization": f"Bearer {accounts.new_token(s, viewer, 'test')}"}
        writer = {"authorization": f"Bearer {accounts.new_token(s, analyst, 'test')}"}
    settings = Settings(mirror=built.mirror, build_dir=built.build_dir, database_url=store)
    client = TestClient(create_app(settings))
    assert client.get("/api/priorities").json()["status"] == 401
    body = client.get("/api/priorities?effectiveness=0.2&threshold=0", headers=headers).json()
    items = body["items"]
    assert len(items) >= 160 and body["effectiveness"] == 0.2
    expected = [i["expected_12"] for i in items]
    assert expected == sorted(expected, reverse=True)
    top = items[0]
    assert top["lives_saved"] == pytest.approx(0.2 * top["expected_24"])
    assert all(i["worth_it"] for i in items) and not top["covered"]
    client.post(f"/api/countries/{top['iso3']}/plans", json={"title": "Act"}, headers=writer)
    again = client.get("/api/priorities", headers=headers).json()["items"]
    assert next(i for i in again if i["iso3"] == top["iso3"])["covered"]
    assert client.get("/api/priorities?cost=0", headers=headers).status_code == 422
    tools = {t["key"]: t for t in body["tool_effects"]}
    assert tools["peace_operations"]["findings"] > 100
    assert tools["peace_operations"]["review_tools"] == ["Peace operations"]
    assert tools["high_level_diplomacy"]["decreases"] is None
    page = client.get("/priorities?effectiveness=10&cost=2&threshold=1", headers=headers)
    assert page.status_code == 200 and 'id="assumptions"' in page.text
    assert f'data-iso3="{top["iso3"]}"' in page.text and "Mueller" in page.text
    # Beside the assumptions, how often the review's studies found each tool reduced violence.
    effects = page.text[page.text.index('id="tool-effects"'):]
    row = effects[effects.index("Peace operations and preventive deployment"):]
    assert "(studies of: Peace operations" in row
    assert row.split("</tr>")[0].count('class="num"') == 5
    # The decision turned round: the effectiveness each country's effort would need, and how
    # many countries pass across the range.
    assert 'id="passing"' in page.text and "Break-even effectiveness" in page.text
    strict = client.get("/api/priorities?effectiveness=0.1&cost=2&threshold=40",
                        headers=headers).json()
    for item in strict["items"]:
        if item["break_even"] is None:
            assert item["per_unit"] < 40 and 40 * 2 > item["expected_24"]
        else:
            assert item["break_even"] == pytest.approx(40 * 2 / item["expected_24"])
            assert item["worth_it"] == (item["break_even"] <= 0.1 + 1e-12)
    levels = {lv["effectiveness"]: lv for lv in strict["passing"]}
    assert list(levels) == [0.01, 0.05, 0.1, 0.25, 0.5]
    assert levels[0.1]["countries"] == sum(i["worth_it"] for i in strict["items"])
    counts = [lv["countries"] for lv in strict["passing"]]
    assert counts == sorted(counts) and 0 < counts[-1] < len(items)
    assert all(lv["uncovered"] <= lv["countries"] for lv in strict["passing"])


def test_the_reviews_findings_on_each_tools_average_effect() -> None:
    """From the USHMM review's study file: one row per study, tool and outcome coded for the
    tool's average effect; the toolkit's summary counts them per tool, shares summing to one,
    and says so when the review has no such study of a tool."""
    from atrisk.response.toolkit import average_effects, packaged
    from atrisk.sources.ushmm import STUDY_TOOLS, tool_findings

    findings = tool_findings()
    assert len(findings) == 439 and findings["study"].nunique() > 350
    assert set(findings["tool"]) == set(STUDY_TOOLS.values())
    assert set(findings["direction"]) == {"decreases", "no_or_mixed", "increases"}
    assert findings["year"].between(1991, 2025).all()
    effects = {e.key: e for e in average_effects(findings, packaged())}
    peace = effects["peace_operations"]
    assert peace.findings == (findings["tool"] == "Peace operations").sum() > 100
    assert peace.review_tools == ("Peace operations",)
    assert peace.decreases + peace.no_or_mixed + peace.increases == pytest.approx(1)
    assert 0 < peace.civilian_findings < peace.findings
    # Comprehensive sanctions: most studies found they made things worse.
    assert effects["economic_sanctions"].increases > 0.5
    none = effects["high_level_diplomacy"]
    assert none.findings == 0 and none.decreases is None and none.review_tools == ()


def test_a_country_without_severity_inputs_still_gets_a_toll(forecasts, panel) -> None:
    """Missing population or democracy scores are filled with all countries' mean (as the
    back-test does), so no country's lives at stake is unknown."""
    draws, risks = _inputs(forecasts, panel)
    risks.loc[risks["iso3"] == "SDN", list(SEVERITY)] = np.nan
    tolls = (fit_toll(panel, 1, 2024), fit_toll(panel, 2, 2024))
    out = lives_at_stake(draws, risks, tolls).set_index("iso3")
    assert np.isfinite(out.loc["SDN"].to_numpy(dtype=float)).all()
    assert out.loc["SDN", "new_12"] > 0
