"""What-if scenarios on the published structural model."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from atrisk.domain.errors import ConfigError
from atrisk.forecasting import what_if
from atrisk.forecasting.structural import ForecastRun, forecast
from atrisk.settings import Settings


@pytest.fixture(scope="module")
def published(built: Settings) -> ForecastRun:
    """A real run of our ridge logit (it uses the coup and conflict inputs), 4 refits."""
    return forecast(built, 2025, model="logit", bootstrap=4)


def _kit(run: ForecastRun) -> what_if.Scenario:
    return what_if.load(run.path)


def test_setting_an_input_to_its_value_changes_nothing(published: ForecastRun) -> None:
    row = published.table.set_index("iso3").loc["SDN"]
    current = _kit(published).current.set_index("iso3").loc["SDN"]
    same = what_if.run(_kit(published), "SDN", inputs={"coup_attempt": current["coup_attempt"],
                                                       "v2xcl_dmove": current["v2xcl_dmove"]})
    assert same.risk == same.risk_before == pytest.approx(row["risk_2yr"], rel=1e-12)
    assert same.rank == same.rank_before == row["rank"]
    assert (same.low_80, same.high_80) == pytest.approx((row["low_80"], row["high_80"]))
    assert (same.rank_low, same.rank_high) == (row["rank_low"], row["rank_high"])


def test_a_coup_raises_the_risk_of_a_country_without_one(published: ForecastRun) -> None:
    kit = _kit(published)
    calm = kit.current[(kit.current["coup_try_5yr"] == 0) & (kit.current["iso3"] == "GHA")]
    assert len(calm) == 1  # Ghana: no coup attempt in the last five years
    coup = what_if.run(kit, "GHA", presets=["coup_attempt"])
    assert coup.risk > coup.risk_before
    assert coup.rank <= coup.rank_before
    assert {c.feature for c in coup.changes} == {"coup_attempt", "coup_try_5yr"}
    assert coup.sentence().startswith("If coup attempt this year 0 → 1")
    both = what_if.run(kit, "GHA", presets=["coup_attempt", "battle_deaths_1000"])
    assert both.risk > coup.risk


def test_values_the_model_never_saw_are_refused(published: ForecastRun) -> None:
    kit = _kit(published)
    with pytest.raises(ConfigError, match="outside the range seen in training"):
        what_if.run(kit, "SDN", inputs={"v2x_polyarchy": 5.0})
    with pytest.raises(ConfigError, match="not inputs of the published model: nonsense"):
        what_if.run(kit, "SDN", inputs={"nonsense": 1.0})
    with pytest.raises(ConfigError, match="unknown scenario"):
        what_if.run(kit, "SDN", presets=["martians"])
    with pytest.raises(ConfigError, match="at least one input"):
        what_if.run(kit, "SDN")


def test_what_if_through_the_api(published: ForecastRun, publish_to, built: Settings,
                                 tmp_path: Path) -> None:
    from atrisk.app import create_app
    from atrisk.store import accounts
    from atrisk.store.db import session
    from atrisk.store.publish import publish_structural

    url = publish_to(f"sqlite:///{tmp_path / 'atrisk.db'}")
    publish_structural(url, published.table, published.meta)
    with session(url) as s:
        analyst = accounts.add_user(s, "analyst@example.org", "a long pass phrase", "analyst")
        headers = {"authorization": f"Bearer {accounts.new_token(s, analyst, 'test')}"}
    settings = Settings(mirror=built.mirror, build_dir=built.build_dir, database_url=url)
    client = TestClient(create_app(settings))
    body = {"iso3": "GHA", "presets": ["coup_attempt"]}
    assert client.post("/api/forecasts/structural/what-if", json=body).status_code == 401
    answer = client.post("/api/forecasts/structural/what-if", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["risk"] > result["risk_before"] and result["iso3"] == "GHA"
    assert result["run"]["model"] == "logit"
    assert {c["feature"] for c in result["changes"]} == {"coup_attempt", "coup_try_5yr"}
    refused = client.post("/api/forecasts/structural/what-if", headers=headers,
                          json={"iso3": "GHA", "inputs": {"v2x_polyarchy": 5}})
    assert refused.status_code == 422 and "outside the range" in refused.json()["error"]
    unknown = client.post("/api/forecasts/structural/what-if", headers=headers,
                          json={"iso3": "GHA", "presets": ["martians"]})
    assert unknown.status_code == 422


def test_an_analyst_asks_what_if_and_saves_it_to_the_plan(
        published: ForecastRun, publish_to, built: Settings, tmp_path: Path) -> None:
    import re

    from atrisk.app import create_app
    from atrisk.store import accounts
    from atrisk.store.db import session
    from atrisk.store.publish import publish_structural

    url = publish_to(f"sqlite:///{tmp_path / 'atrisk.db'}")
    publish_structural(url, published.table, published.meta)
    with session(url) as s:
        accounts.add_user(s, "analyst@example.org", "a long pass phrase", "analyst")
    settings = Settings(mirror=built.mirror, build_dir=built.build_dir, database_url=url)
    client = TestClient(create_app(settings))
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)[1]  # type: ignore[index]
    client.post("/login", data={"csrf": csrf, "email": "analyst@example.org",
                                "password": "a long pass phrase"})
    assert 'id="what-if-link"' in client.get("/countries/GHA").text
    form = client.get("/countries/GHA/what-if").text
    assert 'id="what-if-form"' in form and "A coup attempt this year" in form
    token = re.search(r'name="csrf" value="([^"]+)"', form)[1]  # type: ignore[index]
    client.post("/countries/GHA/plans", data={"csrf": token, "title": "Keep the army out"})
    answer = client.get("/countries/GHA/what-if?preset=coup_attempt").text
    sentence = re.search(r"<strong>(If coup attempt this year[^<]+)</strong>", answer)
    assert sentence and "risk" in sentence[1]
    save = re.search(r'<form method="post" id="save-scenario" action="([^"]+)">', answer)
    text = re.search(r'name="text" value="([^"]+)"', answer)
    assert save and text
    import html
    saved = client.post(save[1], data={"csrf": token, "text": html.unescape(text[1])})
    assert saved.status_code == 200  # redirected to the plan page
    assert "Scenario (run" in saved.text and "If coup attempt this year" in saved.text
    refused = client.get("/countries/GHA/what-if?feature=v2x_polyarchy&value=5")
    assert refused.status_code == 422
