"""Writes survive a crash whole or not at all: `atrisk serve` is killed (SIGKILL) while
clients write plans' actions and assessments; afterwards every write the server confirmed is
in the store with its history and audit entries, and nothing is half-written."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from atrisk.settings import Settings
from atrisk.store import accounts
from atrisk.store.db import engine, migrate, session
from conftest import serve_cli

PASSWORD = "correct horse battery"


def _serve(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    return serve_cli({**os.environ, "ATRISK_MIRROR": str(settings.mirror),
                      "ATRISK_BUILD_DIR": str(settings.build_dir),
                      "ATRISK_DATABASE_URL": settings.database}, port, log)


@pytest.mark.slow
def test_killing_the_server_mid_write_leaves_only_whole_records(
        store: str, built: Settings, publish_to, tmp_path: Path) -> None:
    publish_to(store)
    with session(store) as s:
        user = accounts.add_user(s, "ana@example.org", PASSWORD, "analyst")
        token = accounts.new_token(s, user, "crash")
    settings = Settings(mirror=built.mirror, build_dir=built.build_dir, database_url=store)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = _serve(settings, port, tmp_path / "serve.log")
    base = f"http://127.0.0.1:{port}/api"
    auth = {"authorization": f"Bearer {token}"}
    plan = httpx.post(f"{base}/countries/SDN/plans", json={"title": "Crash test"},
                      headers=auth, timeout=10, trust_env=False).json()
    confirmed: list[tuple[str, int]] = []
    stop = threading.Event()

    def write(worker: int) -> None:
        with httpx.Client(headers=auth, timeout=5, trust_env=False) as http:
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    if i % 2:
                        r = http.post(f"{base}/plans/{plan['id']}/actions", json={
                            "tool": "mediation", "owner": f"w{worker}-{i}"})
                        if r.status_code == 201:
                            confirmed.append(("action", f"w{worker}-{i}"))  # type: ignore[arg-type]
                    else:
                        r = http.post(f"{base}/countries/SDN/assessments", json={
                            "factor": 1 + worker, "level": 2, "trend": "stable",
                            "confidence": "low", "evidence": f"w{worker}-{i}"})
                        if r.status_code == 201:
                            confirmed.append(("assessment", r.json()["id"]))
                except httpx.HTTPError:
                    return  # the server is gone

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    time.sleep(3)
    server.send_signal(signal.SIGKILL)  # no shutdown, no flush: mid-write
    server.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert len(confirmed) >= 20, "too few writes before the kill to test anything"

    with engine(store).connect() as conn:
        owners = set(conn.execute(text(
            "SELECT owner FROM plan_actions WHERE plan_id = :p"), {"p": plan["id"]}).scalars())
        assessments = set(conn.execute(text("SELECT id FROM assessments")).scalars())
        for kind, key in confirmed:  # every confirmed write is there
            assert key in (owners if kind == "action" else assessments), (kind, key)
        # nothing half-written: each action has its history event and audit entry ...
        actions = conn.execute(text(
            "SELECT a.id, (SELECT count(*) FROM plan_events e WHERE e.action_id = a.id), "
            "(SELECT count(*) FROM audit_log l WHERE l.action = 'plan.action.add' "
            "AND CAST(l.detail AS TEXT) LIKE '%\"action_id\": ' || a.id || ',%') "
            "FROM plan_actions a")).all()
        assert actions and all(events == 1 and logged == 1 for _, events, logged in actions)
        # ... and each assessment version its audit entry, versions without gaps
        logged = conn.execute(text(
            "SELECT count(*) FROM audit_log WHERE action = 'assessment.add'")).scalar()
        assert logged == len(assessments)
        versions = conn.execute(text(
            "SELECT factor_id, count(*), max(version) FROM assessments GROUP BY factor_id"
        )).all()
        assert all(n == top for _, n, top in versions)
    # and the store still works after the crash
    restarted = _serve(settings, port, tmp_path / "serve.log")
    try:
        assert httpx.get(f"{base}/plans", headers=auth, timeout=10,
                         trust_env=False).status_code == 200
    finally:
        restarted.terminate()
        restarted.wait(timeout=20)


def _killed(args: list[str], env: dict[str, str], after: float) -> None:
    """Run ``atrisk ARGS`` and SIGKILL it ``after`` seconds in (if it is still running)."""
    process = subprocess.Popen([sys.executable, "-m", "atrisk.cli.main", *args], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=after)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


@pytest.mark.slow
def test_killing_a_build_or_a_forecast_leaves_the_last_good_state(built: Settings,
                                                                  tmp_path: Path) -> None:
    """SIGKILL at several moments of `data build` and of `forecast monthly` (which ends by
    publishing to the store): the last good build stays current and whole, every published
    run has all its rows, and the next build clears what the killed ones left."""
    from atrisk.panels.build import build, read_manifest, read_table

    settings = Settings(mirror=built.mirror, build_dir=tmp_path / "build",
                        database_url=f"sqlite:///{tmp_path / 'atrisk.db'}")
    good = build(settings)
    migrate(settings.database)
    env = {**os.environ, "ATRISK_MIRROR": str(settings.mirror),
           "ATRISK_BUILD_DIR": str(settings.build_dir), "ATRISK_DATABASE_URL": settings.database}
    for after in (0.8, 1.6, 2.4, 3.2):
        _killed(["data", "build"], env, after)
        assert settings.data_dir.resolve() == good.path.resolve()
        assert read_manifest(settings)["created"] and len(read_table(settings, "panel")) > 10_000
    for after in (2.0, 4.0, 6.0, 8.0, 30.0):
        _killed(["forecast", "monthly", "--out", str(tmp_path / "m.parquet"),
                 "--model", "conflictology_country12"], env, after)
        with engine(settings.database).connect() as conn:
            runs = conn.execute(text(
                "SELECT r.id, (SELECT count(*) FROM monthly_forecasts f WHERE f.run_id = r.id),"
                " (SELECT count(*) FROM monthly_outlooks o WHERE o.run_id = r.id) "
                "FROM forecast_runs r WHERE r.kind = 'monthly'")).all()
        assert all(rows > 1000 and outlooks > 100 for _, rows, outlooks in runs), runs
    assert runs, "no forecast finished: the last one had 30 s"
    build(settings)
    assert not [p for p in (settings.build_dir / "builds").iterdir() if p.name.startswith(".")]
