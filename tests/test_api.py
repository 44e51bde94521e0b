"""The REST API and the store, on SQLite and on a real PostgreSQL (in CI: .ci/postgres.sh)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from atrisk.app import create_app
from atrisk.settings import Settings
from atrisk.store.db import engine
from atrisk.store.publish import publish_structural


@pytest.fixture
def client(store: str, publish_to, tmp_path: Path) -> TestClient:
    publish_to(store)
    settings = Settings(build_dir=tmp_path, database_url=store)
    return TestClient(create_app(settings))


def test_health(client: TestClient, store: str) -> None:
    body = client.get("/healthz").json()
    assert body["ok"] is True and body["structural_run"] and body["monthly_run"]
    assert body["database"] == store.split(":")[0].split("+")[0]


def test_latest_structural_lists_every_country(client: TestClient, forecasts) -> None:
    body = client.get("/api/forecasts/structural/latest").json()
    assert body["total"] == len(forecasts["structural"].table) >= 165
    first = body["items"][0]
    assert set(first) >= {"iso3", "gwcode", "name", "probability", "interval", "rank",
                          "drivers"}
    assert first["rank"] == 1
    ranks = [i["rank"] for i in body["items"]]
    assert ranks == sorted(ranks)
    assert body["run"]["meta"]["inputs"][0]["sha256"]
    # How sure each rank is, from the run's bootstrap refits.
    assert sum(i["p_top10"] for i in body["items"]) == pytest.approx(10)
    assert all(low <= high for low, high in (i["rank_interval"] for i in body["items"]))


def test_pagination_search_and_csv(client: TestClient) -> None:
    page = client.get("/api/forecasts/structural/latest?limit=10&offset=10").json()
    assert len(page["items"]) == 10 and page["items"][0]["rank"] >= 10
    found = client.get("/api/forecasts/structural/latest?q=sudan").json()
    assert {i["iso3"] for i in found["items"]} == {"SDN", "SSD"}
    csv = client.get("/api/forecasts/structural/latest?format=csv&limit=5")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith(
        "rank,iso3,gwcode,name,probability,low_80,high_80,rank_low,rank_high,p_top10,p_top30")
    assert len(csv.text.splitlines()) == 6


def test_country_detail_and_monthly(client: TestClient) -> None:
    body = client.get("/api/countries/sdn").json()
    assert body["name"] == "Sudan" and body["structural"]["iso3"] == "SDN"
    assert {m["target"] for m in body["monthly"]} == {"civilian_deaths", "fatalities"}
    assert len(body["monthly"]) == 24
    assert {(o["target"], o["months"]) for o in body["outlook"]} == {
        ("civilian_deaths", 6), ("fatalities", 6)}
    assert body["monthly_data"] == "data through 2023-12; UCDP GED, final"
    assert body["structural_data"].startswith("data through 2024")
    monthly = client.get("/api/forecasts/monthly/latest?iso3=SDN&target=fatalities").json()
    assert [m["month"] for m in monthly["items"]] == [f"2024-{i:02d}" for i in range(1, 13)]
    exported = client.get("/api/forecasts/monthly/latest?target=civilian_deaths&format=csv")
    lines = exported.text.strip().splitlines()
    assert exported.headers["content-type"].startswith("text/csv")
    assert lines[0].startswith("iso3,gwcode,target,month,step,mean,median")
    as_json = client.get("/api/forecasts/monthly/latest?target=civilian_deaths").json()
    assert len(lines) - 1 == len(as_json["items"]) >= 165 * 12


def test_one_error_shape(client: TestClient) -> None:
    missing = client.get("/api/countries/XYZ")
    assert missing.status_code == 404
    assert missing.json() == {"ok": False, "error": "no country with ISO3 code 'XYZ'",
                              "status": 404}
    bad = client.get("/api/forecasts/structural/latest?limit=0")
    assert bad.status_code == 422 and bad.json()["ok"] is False
    assert "limit" in bad.json()["error"]
    assert client.get("/api/forecasts/structural/runs/999").json()["status"] == 404
    assert client.get("/nowhere").json() == {"ok": False, "error": "Not Found", "status": 404}


def test_runs_and_stable_operation_ids(client: TestClient) -> None:
    runs = client.get("/api/forecasts/structural/runs").json()
    assert len(runs) == 1
    one = client.get(f"/api/forecasts/structural/runs/{runs[0]['id']}?limit=3").json()
    assert len(one["items"]) == 3
    monthly = client.get("/api/forecasts/monthly/runs").json()
    assert [r["kind"] for r in monthly] == ["monthly"]
    one_month = client.get(f"/api/forecasts/monthly/runs/{monthly[0]['id']}?iso3=SDN").json()
    assert len(one_month["items"]) == 24
    assert client.get(f"/api/forecasts/monthly/runs/{runs[0]['id']}").json()["status"] == 404
    ops = {op["operationId"] for path in client.get("/openapi.json").json()["paths"].values()
           for op in path.values()}
    assert ops == {"health", "whoami", "latest_signals", "structural_changes",
                   "structural_what_if", "priorities", "subnational_forecast", "list_countries",
                   "get_country", "get_country_history", "latest_backtest",
                   "latest_structural_forecast", "list_structural_runs",
                   "get_structural_run", "latest_monthly_forecast", "list_assessments",
                   "add_assessment", "list_audit", "suggest_tools", "list_plans", "start_plan",
                   "add_plan_action", "change_plan_action", "comment_plan", "coverage",
                   "list_alerts", "acknowledge_alert", "list_rules", "add_rule",
                   "list_monthly_runs", "get_monthly_run"}


def test_country_history_and_backtests(client: TestClient, forecasts) -> None:
    body = client.get("/api/countries/sdn/history").json()
    assert [p["forecast_year"] for p in body["published"]] == [2025]
    assert [b["data_year"] for b in body["backtest"]] == list(range(2012, 2024))
    assert all(b["model"] == "simple" for b in body["backtest"])
    past, meta = forecasts["backtest"]
    sdn = past[(past["iso3"] == "SDN")].sort_values("data_year")
    assert [b["probability"] for b in body["backtest"]] == pytest.approx(
        sdn["probability"].tolist())
    structural = client.get("/api/backtests/structural/latest").json()
    assert structural["run"]["meta"]["scores"][0]["auc"] == pytest.approx(
        meta.scores[0].auc)
    monthly = client.get("/api/backtests/monthly/latest").json()
    models = {r["model"] for r in monthly["run"]["meta"]["scores"]}
    assert models == {"exactly_zero", "conflictology_country12"}
    rolling = client.get("/api/backtests/rolling/latest").json()["run"]["meta"]
    assert rolling["kind"] == "backtest_rolling" and rolling["origins"] == 3
    assert {r["step"] for r in rolling["scores_by_step"]} == {1, 2, 3}
    assert client.get("/api/backtests/weekly/latest").json()["status"] == 422


def test_a_failed_publish_leaves_nothing_behind(store: str, forecasts) -> None:
    s = forecasts["structural"]
    broken = s.table.copy()
    broken.loc[5, "drivers_json"] = "not json"
    with pytest.raises(ValueError):
        publish_structural(store, broken, s.meta)
    with engine(store).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM forecast_runs")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM structural_forecasts")).scalar() == 0


def test_empty_store_says_what_to_run(store: str, tmp_path: Path) -> None:
    client = TestClient(create_app(Settings(build_dir=tmp_path, database_url=store)))
    body = client.get("/api/forecasts/structural/latest").json()
    assert body["status"] == 404 and "atrisk forecast structural" in body["error"]
    assert client.get("/healthz").json()["structural_run"] is None


def test_cached_pages_are_served_gzipped_to_clients_that_ask(client: TestClient) -> None:
    plain = client.get("/api/forecasts/structural/latest",
                       headers={"accept-encoding": "identity"})
    packed = client.get("/api/forecasts/structural/latest", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip" and packed.json() == plain.json()
    assert int(packed.headers["content-length"]) < len(plain.content) / 3


def test_the_render_cache_stays_bounded_when_renders_fail(tmp_path: Path) -> None:
    """Distinct requests whose render fails (or succeeds) never grow the cache past its
    size: no lock or body is left behind per key."""
    import asyncio

    from atrisk.http.cache import CACHE_SIZE, Body, RunCache

    cache = RunCache(f"sqlite:///{tmp_path / 'x.db'}")

    def broken() -> Body:
        raise RuntimeError("render failed")

    async def many() -> None:
        for i in range(CACHE_SIZE + 100):
            with pytest.raises(RuntimeError):
                await cache.body(("page", i), broken)
            await cache.body(("ok", i), lambda: Body.of(b"x", "text/plain"))

    asyncio.run(many())
    assert cache._locks == {} and len(cache.bodies) == CACHE_SIZE


def test_security_headers_on_every_page_and_answer(client: TestClient, tmp_path: Path) -> None:
    for path in ("/", "/api/countries", "/countries/SDN", "/login", "/docs", "/nowhere"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp.split(
            "script-src")[1].split(";")[0], path  # no inline script may run
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in headers  # development: plain HTTP
    production = Settings(build_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'p.db'}",
                          environment="production", secret_key="x" * 40)
    with TestClient(create_app(production)) as secure:
        assert "max-age" in secure.get("/healthz").headers["strict-transport-security"]


def test_bodies_are_bounded_before_anyone_is_asked_who_they_are(client: TestClient) -> None:
    """An anonymous 2 MB upload is refused with 413 before authentication reads it, whether
    it declares its length or streams it in chunks."""
    from atrisk.http.guards import MAX_BODY

    big = b"x" * (MAX_BODY + 1)
    declared = client.post("/api/alert-rules", content=big,
                           headers={"content-type": "application/json"})
    assert declared.status_code == 413 and declared.json() == {
        "ok": False, "error": f"request body over {MAX_BODY:,} bytes", "status": 413}

    def chunks():
        for _ in range(3):
            yield b"x" * (MAX_BODY // 2)

    streamed = client.post("/api/alert-rules", content=chunks(),
                           headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert client.post("/api/alert-rules", json={}).status_code == 401  # small: asked


def test_api_docs_are_served_by_atrisk_itself(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "//" not in page.replace("<!doctype", "")  # no CDN, no external address
    for asset in ("/static/vendor/swagger-ui-bundle.js", "/static/vendor/swagger-ui.css",
                  "/static/app/swagger.js"):
        assert asset in page and client.get(asset).status_code == 200
    assert client.get("/static/app/../settings.py").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_health_says_when_the_store_does_not_answer(client: TestClient) -> None:
    assert client.get("/healthz").json()["ok"] is True
    cache = client.app.state.cache  # type: ignore[attr-defined]
    cache.url, cache._health = "postgresql+psycopg://nobody:x@127.0.0.1:9/none", None
    down = client.get("/healthz")
    assert down.status_code == 503 and "the store does not answer" in down.json()["error"]


def test_health_answers_at_once_and_learns_of_an_outage_in_the_background(
        client: TestClient, store: str) -> None:
    """Past its TTL the last answer is served while a check runs; a failed check makes the
    next call wait for the store and answer 503."""
    import time

    with client:  # one event loop for the requests and the check behind them
        cache = client.app.state.cache  # type: ignore[attr-defined]
        assert client.get("/healthz").json()["ok"] is True
        checked_at, answer = cache._health
        cache._health = (time.monotonic() - 2.0, answer)  # stale, not yet too old
        cache.url = "postgresql+psycopg://nobody:x@127.0.0.1:9/none"
        assert client.get("/healthz").json()["ok"] is True  # served without waiting
        for _ in range(100):  # the background check fails and forgets the answer
            if cache._health is None:
                break
            time.sleep(0.05)
        assert cache._health is None
        down = client.get("/healthz")
        assert down.status_code == 503 and "the store does not answer" in down.json()["error"]
        cache.url = store


def test_runs_stored_by_an_older_atrisk_stay_readable(client: TestClient, store: str) -> None:
    """A run published before its metadata gained fields (no data note, no carry-forward
    cost, no strict scores) is still listed and described; nothing answers 500."""
    from datetime import UTC, datetime

    from atrisk.store.db import session
    from atrisk.store.schema import ForecastRun

    old = {"created": "2026-11-24T10:00:00+00:00", "model": "ensemble",
           "model_description": "Equal-weight log-odds mean", "forecast_year": 2025,
           "data_year": 2024, "bootstrap": 20, "seed": 2025, "code_version": "0.1.0",
           "inputs": [], "build_created": "2026-11-24T09:00:00+00:00", "n_countries": 170}
    backtest = {"model": "ensemble", "first": 1991, "last": 2021, "created": "x", "out": "y",
                "scores": []}
    with session(store) as s:
        s.add(ForecastRun(kind="structural", created_at=datetime(2020, 1, 1, tzinfo=UTC),
                          model="ensemble", period="2025", meta=old))
        s.add(ForecastRun(kind="backtest_structural", model="ensemble", period="1991-2021",
                          created_at=datetime(2020, 1, 1, tzinfo=UTC), meta=backtest))
    runs = client.get("/api/forecasts/structural/runs")
    assert runs.status_code == 200
    oldest = next(r for r in runs.json() if r["created_at"].startswith("2020"))
    assert oldest["data_note"].startswith("data through 2024")
    assert oldest["meta"]["kind"] == "structural" and oldest["meta"]["provisional"] is False
    latest = client.get("/api/backtests/structural/latest")  # the old back-test is the latest
    assert latest.status_code == 200 and latest.json()["run"]["meta"]["scores_strict"] == []
