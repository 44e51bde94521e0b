"""The overview page, in-process: the ranked table, the map's data and that everything it
loads comes from our own server (browser tests with Chromium come with the next pages)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from atrisk.app import create_app
from atrisk.settings import Settings
from atrisk.sources import geo
from atrisk.web.pages import map_key


@pytest.fixture
def client(publish_to, built: Settings, tmp_path: Path) -> TestClient:
    url = publish_to(f"sqlite:///{tmp_path / 'atrisk.db'}")
    settings = Settings(mirror=built.mirror, build_dir=built.build_dir, database_url=url)
    return TestClient(create_app(settings))


def test_overview_lists_every_country_ranked(client: TestClient, forecasts) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    row = r'<tr data-search="([^"]+)" data-region="[^"]*"[^>]*>\s*<td class="num">(\d+)</td>'
    rows = re.findall(row, page.text)
    table = forecasts["structural"].table
    assert len(rows) == len(table) >= 165
    assert [int(rank) for _, rank in rows] == sorted(int(rank) for _, rank in rows)
    assert "Search countries" in page.text and "80% interval" in page.text
    # How sure each rank is: a column and a sort key.
    top10 = [float(v) for v in re.findall(r'data-top10="([^"]+)"', page.text)]
    assert sum(top10) == pytest.approx(10) and '<option value="top10">' in page.text
    regions = set(re.findall(r'data-region="([^"]*)"', page.text))
    assert regions == {"Africa", "Americas", "East Asia and Pacific", "Europe and Eurasia",
                       "Middle East and North Africa", "South and Central Asia"}


def test_everything_loads_from_our_own_server(client: TestClient) -> None:
    page = client.get("/").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith(("/", "#")) for s in sources), sources
    for script in re.findall(r'src="([^"]+)"', page):
        served = client.get(script)
        least = 10_000 if "/vendor/" in script else 100  # libraries, then our own scripts
        assert served.status_code == 200 and len(served.content) > least, script
    assert "<script>" not in page  # no inline script: the CSP forbids it


def test_map_data_joins_the_world_atlas(client: TestClient, built: Settings) -> None:
    page = client.get("/").text
    spec = _specs(page)["map"]
    values = spec["layer"][1]["transform"][1]["from"]["data"]["values"]
    topology = client.get("/static/geo/countries-110m.json").json()
    keys = {g.get("id") or g["properties"]["name"]
            for g in topology["objects"]["countries"]["geometries"]}
    coloured = [v for v in values if v["key"] in keys]
    assert len(coloured) >= 150  # countries drawn with a colour
    assert topology == geo.world_110m(built)


def test_map_keys() -> None:
    assert map_key("FRA") == "250" and map_key("AFG") == "004"
    assert map_key("XKX") == "Kosovo" and map_key("RVN") is None


def test_empty_store_says_what_to_run(built: Settings, tmp_path: Path) -> None:
    settings = Settings(mirror=built.mirror, build_dir=tmp_path,
                        database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    page = TestClient(create_app(settings)).get("/")
    assert page.status_code == 200 and "atrisk forecast structural" in page.text


def test_unknown_vendor_file_is_404(client: TestClient) -> None:
    assert client.get("/static/vendor/evil.js").json()["status"] == 404


def _specs(page: str) -> dict[str, dict]:
    """Each chart's Vega-Lite spec by element id (from its data-vega attribute)."""
    found = re.findall(r'<div id="([^"]+)"[^>]*data-vega="([^"]*)"', page)
    assert found, "no charts on the page"
    return {key: json.loads(html.unescape(spec)) for key, spec in found}


def test_country_page_tells_the_story(client: TestClient, forecasts) -> None:
    page = client.get("/countries/sdn")
    assert page.status_code == 200
    text = page.text
    row = forecasts["structural"].table.set_index("iso3").loc["SDN"]
    assert f"{100 * row.risk_2yr:.1f}%" in text and f"rank {row['rank']}" in text
    assert re.search(r'<p id="lives-at-stake"><strong>Lives at stake:</strong> About\s+'
                     r'[\d,]+ civilians may be killed in the next 12 months', text)
    certainty = re.search(r'<p id="rank-certainty">(.*?)</p>', text, re.S)
    assert certainty and f"{100 * row.p_top10:.0f}% chance of a top-10 place" in certainty[1]
    specs = _specs(text)
    history = specs["chart-history"]["layer"]
    backtest = history[0]["data"]["values"]
    assert [b["year"] for b in backtest] == list(range(2013, 2025))  # data years 2012-2023
    episodes = history[-1]["data"]["values"]
    assert any(e["start"] == 2003 for e in episodes)  # Darfur, state-led
    fan = specs["chart-fan"]["layer"]
    assert len(fan[0]["data"]["values"]) == 12  # the forecast months
    assert fan[2]["data"]["values"][-1]["month"] == "2026-02"  # history to the last data
    assert specs["chart-drivers"]["data"]["values"] == json.loads(row.drivers_json)
    for heading in ("Past episodes of mass killing", "Key indicators", "Uncertainty",
                    "What drives the current risk"):
        assert heading in text
    assert "Infant mortality" in text and "state-led" in text
    assert "data through 2023-12; UCDP GED, final" in text  # every number says its data
    assert "data through 2024 (annual sources" in text


def test_a_country_with_unknown_recent_months_says_so(client: TestClient, forecasts) -> None:
    page = client.get("/countries/ner")  # the mirror's GED aggregate folds Niger into Nigeria
    assert page.status_code == 200
    assert "No monthly forecast for Niger" in page.text
    history = _specs(page.text)["chart-fan"]["layer"][2]["data"]["values"]
    final = [m for m in history if m["status"] == "final"]
    assert final and all(m["civilian_deaths"] is None for m in final)  # gaps, not zeros
    # UCDP's Candidate releases code Niger apart from Nigeria: its 2025 months are known
    assert any(m["civilian_deaths"] for m in history if m["month"].startswith("2025"))


def test_country_page_of_unknown_country_is_404(client: TestClient) -> None:
    page = client.get("/countries/XXX")
    assert page.status_code == 404 and page.json()["status"] == 404


def test_overview_links_each_country_to_its_page(client: TestClient) -> None:
    page = client.get("/").text
    links = set(re.findall(r'href="(/countries/[A-Z]{3})"', page))
    assert len(links) >= 165
    spec = _specs(page)["map"]
    assert spec["layer"][1]["encoding"]["href"] == {"field": "url"}
    assert client.get(sorted(links)[0]).status_code == 200


def test_track_record_shows_both_backtests(client: TestClient, forecasts) -> None:
    page = client.get("/track-record")
    assert page.status_code == 200
    scores = forecasts["backtest"][1].scores[0]
    assert f"{scores.auc:.3f}" in page.text and "structural-scores" in page.text
    assert "conflictology_country12" in page.text and "monthly-scores" in page.text
    monthly = forecasts["monthly_backtest"].scores
    upper = [f"<td class=\"num\">{r.pit_above95:.3f}</td>" for r in monthly]
    assert "Above 95th pct" in page.text and all(u in page.text for u in upper)
    change = next(c for c in forecasts["monthly_backtest"].crps_change
                  if c.model == "exactly_zero")  # the published run's model
    shown = [f"{round(100 * getattr(change, k), 1):+.1f}%".replace("-", "−").replace("+0.0", "0.0")
             .replace("−0.0", "0.0") for k in ("change", "low", "high")]
    assert "monthly-change" in page.text
    rolling = forecasts["rolling_backtest"]
    assert "rolling-steps" in page.text and "3 origins" in page.text
    step3 = next(r for r in rolling.scores_by_step if r.step == 3 and r.model == "exactly_zero")
    assert f"<td class=\"num\">{step3.crps:.2f}</td>" in page.text
    assert "rolling-change" in page.text
    covered = {(c.target, c.model, c.level): c.observed for c in rolling.calibration_nonzero}
    assert {level for _, _, level in covered} == {0.5, 0.8, 0.9, 0.98}
    inside = covered[("civilian_deaths", "conflictology_country12", 0.5)]
    assert "rolling-coverage" in page.text and f"{inside:.3f}" in page.text
    assert "chart-rolling-coverage" in _specs(page.text)
    methods = client.get("/methods").text  # the Methods page shows the same section
    assert "methods-rolling-steps" in methods and "chart-methods-rolling-coverage" in methods
    assert f"{shown[0]} for civilian deaths (95% interval {shown[1]} to {shown[2]})" in page.text
    roc = _specs(page.text)["chart-roc"]
    points = roc["layer"][1]["data"]["values"]
    assert points[0]["fpr"] == 0 and points[-1]["tpr"] == 1
    assert "2025–2026" in page.text and "not yet observed" in page.text


def test_methods_lists_every_source_with_licence(client: TestClient) -> None:
    from atrisk.panels.build import SOURCES

    page = client.get("/methods").text
    for source in (*SOURCES, geo.WORLD_110M):
        assert f"<code>{source.name}</code>" in page and html.escape(source.licence) in page
    assert "country-months through 2026-02" in page
    vintages = page[page.index('id="vintages"'):]
    vintages = vintages[:vintages.index("</table>")]
    assert re.findall(r"<td><code>([a-z0-9.\-x]+)</code></td>", vintages) == [
        "ged-25.1", "candidate-25.0.x", "candidate-26.0.2", "candidate-26.0.2"]
    assert "2025-01–2025-12" in vintages and "estimated" in vintages
    assert 'id="revisions"' in page and 'id="estimator"' in page
    assert "href=\"http" not in page  # official locations are text, never loaded


def test_methods_shows_where_the_months_disagree_with_ucdp(client: TestClient) -> None:
    page = client.get("/methods").text
    table = page[page.index('id="month-check"'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r"<tr><td>([A-Z]{3})</td><td>(\d+) years, (\d{4})–(\d{4})</td>", table)
    assert rows == [("NER", "26", "1989", "2024"), ("NGA", "26", "1989", "2024")]
    assert "1,222" in table and "unknown: months miss deaths" in html.unescape(table)


def test_overview_is_rendered_once_per_run_for_anonymous_readers(client: TestClient,
                                                                publish_to) -> None:
    first = client.get("/")
    assert "set-cookie" not in first.headers  # anonymous: no session, so cacheable
    cache = client.app.state.cache  # type: ignore[attr-defined]
    cached = [k for k in cache.bodies if k[0] == "overview"]
    assert len(cached) == 1 and client.get("/").text == first.text
    publish_to(client.app.state.database_url)  # type: ignore[attr-defined]  # a newer run
    cache.seen.clear()  # as if LATEST_TTL had passed
    assert len([k for k in cache.bodies if k[0] == "overview"]) == 1
    client.get("/")
    assert len([k for k in cache.bodies if k[0] == "overview"]) == 2
