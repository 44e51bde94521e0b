"""The overview page, in-process: the ranked table, the map's data and that everything it
loads comes from our own server (browser tests with Chromium come with the next pages)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from atrisk.api.app import create_app
from atrisk.settings import Settings
from atrisk.sources import geo
from atrisk.store.publish import publish_countries, publish_monthly, publish_structural
from atrisk.web.pages import map_key


@pytest.fixture
def client(forecasts, built: Settings, tmp_path: Path) -> TestClient:
    url = f"sqlite:///{tmp_path / 'atrisk.db'}"
    publish_countries(url, forecasts["countries"])
    s, m = forecasts["structural"], forecasts["monthly"]
    publish_structural(url, s.table, s.meta)
    publish_monthly(url, m.summary, m.meta)
    settings = Settings(mirror=built.mirror, build_dir=tmp_path, database_url=url)
    return TestClient(create_app(settings))


def test_overview_lists_every_country_ranked(client: TestClient, forecasts) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    row = r'<tr data-search="([^"]+)" data-region="[^"]*">\s*<td class="num">(\d+)</td>'
    rows = re.findall(row, page.text)
    assert len(rows) == len(forecasts["structural"].table) >= 165
    assert [int(rank) for _, rank in rows] == sorted(int(rank) for _, rank in rows)
    assert "Search countries" in page.text and "80% interval" in page.text
    regions = set(re.findall(r'data-region="([^"]*)"', page.text))
    assert regions == {"Africa", "Americas", "East Asia and Pacific", "Europe and Eurasia",
                       "Middle East and North Africa", "South and Central Asia"}


def test_everything_loads_from_our_own_server(client: TestClient) -> None:
    page = client.get("/").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") for s in sources), sources
    for script in re.findall(r'src="([^"]+)"', page):
        served = client.get(script)
        assert served.status_code == 200 and len(served.content) > 10_000, script


def test_map_data_joins_the_world_atlas(client: TestClient, built: Settings) -> None:
    page = client.get("/").text
    spec = json.loads(re.search(r"vegaEmbed\(\"#map\", (\{.*?\}), \{actions", page,
                                re.S)[1])  # type: ignore[index]
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
