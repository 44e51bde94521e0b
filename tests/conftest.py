"""Shared fixtures: the real data mirror beside the checkout, and isolated build folders."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
import uvicorn
from sqlalchemy import create_engine, make_url, text

from atrisk.settings import Settings
from atrisk.store.db import engine

MIRROR = Path(os.environ.get("ATRISK_MIRROR", Path(__file__).parents[2] / "shared" / "data"))


#: Test files by the seconds they took in one run (`pytest --durations=0`, 2026-12-02: 2,002 s
#: of work), heaviest first. The two workers take files in this order (the rest after, in
#: collection order), so the long ones start first and the short ones even out the end: CI's
#: wall time is the busier worker's (xdist's default, fewest tests last, left the 4-minute
#: fuzzing run for the end).
HEAVY_FIRST = ("test_cli.py", "test_fuzz.py", "test_events.py", "test_crash.py", "test_api.py",
               "test_accounts.py", "test_backtest_full.py", "test_faults.py", "test_plans.py",
               "test_browser.py", "test_subnational.py", "test_alerts.py", "test_what_if.py",
               "test_assessments.py", "test_monthly.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: files stay whole


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Tables a test records as its ``printed`` property, shown at the end of the run (a
    test's own output is not, when pytest-xdist runs it in a worker)."""
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for name, value in getattr(report, "user_properties", []):
                if name == "printed" and report.when == "call":
                    terminalreporter.write_sep("-", report.nodeid)
                    terminalreporter.write_line(str(value))


@pytest.fixture(scope="session")
def mirror() -> Path:
    if not (MIRROR / "MANIFEST.tsv").is_file():
        pytest.fail(f"the data mirror is missing at {MIRROR}; set ATRISK_MIRROR")
    return MIRROR


@pytest.fixture
def settings(mirror: Path, tmp_path: Path) -> Settings:
    return Settings(mirror=mirror, build_dir=tmp_path / "build", cache_dir=tmp_path / "cache")


@pytest.fixture(scope="session")
def built(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One real data build shared by the tests that only read it."""
    from atrisk.panels.build import build

    settings = Settings(mirror=mirror, build_dir=tmp_path_factory.mktemp("build"))
    build(settings)
    return settings


@pytest.fixture(scope="session")
def events_built(built: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The event tables and signals in the shared build, from every 10th event of the real
    GDELT month (its days and countries, a tenth of the volume: a few seconds to build)."""
    import gzip

    from atrisk.events.watch import build_events
    from atrisk.sources import gdelt

    sample = tmp_path_factory.mktemp("gdelt") / "gdelt2_tenth.tsv"
    with gzip.open(built.mirror / gdelt.GDELT2_MONTH.path, "rt", encoding="utf-8") as src, \
            open(sample, "w", encoding="utf-8") as out:
        for i, line in enumerate(src):
            if i % 10 == 0:  # the header and every 10th event
                out.write(line)
    build_events(built, exports=[sample])
    return built


@pytest.fixture(scope="session")
def panel(built: Settings) -> pd.DataFrame:
    from atrisk.panels.build import read_table

    return read_table(built, "panel")


@pytest.fixture(scope="session")
def forecasts(built: Settings, tmp_path_factory) -> dict[str, object]:
    """A real (fast) structural and monthly forecast from the shared build."""
    from atrisk.domain.horizon import monthly_windows, rolling_origins, structural_windows
    from atrisk.evaluation import backtest, monthly_backtest
    from atrisk.forecasting.monthly import forecast_monthly
    from atrisk.forecasting.structural import forecast
    from atrisk.models.monthly_registry import MONTHLY_MODELS
    from atrisk.models.registry import MODELS
    from atrisk.panels.build import read_table

    structural = forecast(built, 2025, model="simple", bootstrap=10)
    monthly = forecast_monthly(built, "2023-12", tmp_path_factory.mktemp("m") / "d.parquet",
                               model="conflictology_country12")
    panel = read_table(built, "panel")
    past = backtest.backtest([MODELS["simple"]], {"ewp": read_table(built, "ewp_prepared")},
                             panel, structural_windows(2010, 2021))
    structural_meta = backtest.report(past, panel[["ccode", "year", "mk_onset"]], 2024,
                                      model="simple", models=["simple"], first=2010,
                                      last=2021, out=Path("backtest_structural.parquet"))
    scored = monthly_backtest.run(
        read_table(built, "country_month"),
        {m: MONTHLY_MODELS[m] for m in ("exactly_zero", "conflictology_country12")},
        ["civilian_deaths"], monthly_windows(2023, 2023))
    monthly_meta = monthly_backtest.report(
        scored, model="exactly_zero", models=["exactly_zero", "conflictology_country12"],
        first=2023, last=2023, out=Path("backtest_monthly.parquet"))
    origins = rolling_origins("2024-09", "2024-11", "2024-12")
    rolled = monthly_backtest.run(
        read_table(built, "country_month"),
        {m: MONTHLY_MODELS[m] for m in ("exactly_zero", "conflictology_country12")},
        ["civilian_deaths"], origins)
    rolling_meta = monthly_backtest.report_rolling(
        rolled, model="exactly_zero", models=["exactly_zero", "conflictology_country12"],
        origins=origins, out=Path("backtest_rolling_scores.parquet"))
    return {"countries": read_table(built, "countries"), "structural": structural,
            "monthly": monthly, "backtest": (past, structural_meta),
            "monthly_backtest": monthly_meta, "rolling_backtest": rolling_meta}


@pytest.fixture(scope="session")
def publish_to(forecasts: dict[str, Any]) -> Callable[[str], str]:
    """``publish_to(url)`` puts the shared forecasts and back-tests into the store at ``url``."""
    return lambda url: _publish_all(url, forecasts)


def _publish_all(url: str, forecasts: dict[str, Any]) -> str:
    from atrisk.store import publish

    publish.publish_countries(url, forecasts["countries"])
    s, m = forecasts["structural"], forecasts["monthly"]
    publish.publish_structural(url, s.table, s.meta)
    publish.publish_monthly(url, m.summary, m.outlook, m.meta)
    past, meta = forecasts["backtest"]
    publish.publish_structural_backtest(url, past, meta)
    publish.publish_monthly_backtest(url, forecasts["monthly_backtest"])
    publish.publish_rolling_backtest(url, forecasts["rolling_backtest"])
    return url


def _postgres() -> str:
    url = os.environ.get("ATRISK_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must set ATRISK_TEST_POSTGRES_URL (see .ci/postgres.sh)")
        pytest.skip("no PostgreSQL here: set ATRISK_TEST_POSTGRES_URL (.ci/postgres.sh)")
    url = _worker_database(url)
    with engine(url).begin() as conn:  # a clean database for every test
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    return url


def _worker_database(url: str) -> str:
    """Each pytest-xdist worker its own database beside the given one (``atrisk_test_gw0``,
    created on first use), so tests running side by side never share a schema."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                 {"n": name}).first()
            if found is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'atrisk.db'}"
    return _postgres()


#: How long `atrisk serve` may take to answer: each worker imports the models, which takes
#: seconds alone and far longer on a 2-core CI machine busy with the other test worker.
SERVE_DEADLINE = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_cli(env: dict[str, str], port: int, log: Path, workers: int = 1
              ) -> subprocess.Popen[bytes]:
    """`atrisk serve` in a subprocess, returned once ``/healthz`` answers 200 (its output
    appended to ``log``); an error with the log's end if it exits or never answers."""
    with log.open("ab") as out:
        server = subprocess.Popen([sys.executable, "-m", "atrisk.cli.main", "serve", "--port",
                                   str(port), "--workers", str(workers)], env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
    deadline = time.monotonic() + SERVE_DEADLINE
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2,
                         trust_env=False).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"atrisk serve did not start:\n{log.read_text()[-3000:]}")


@contextmanager
def serving(app: Any, **config: Any) -> Iterator[int]:
    """``app`` served by uvicorn in a thread on a free loopback port (yielded), stopped on exit:
    for what only a real server shows (time-outs, an external fuzzer)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                           **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
