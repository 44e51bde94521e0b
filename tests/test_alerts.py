"""Alerts: each rule kind on real forecast runs, deduplication, acknowledgement, and delivery
to a webhook (HMAC-signed) and to a local SMTP server the test starts, every attempt logged."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from atrisk.app import create_app
from atrisk.cli.main import app as cli
from atrisk.forecasting.monthly import forecast_monthly
from atrisk.panels.build import read_table
from atrisk.response import alerts, outbound
from atrisk.settings import Settings
from atrisk.store import accounts
from atrisk.store.db import session
from atrisk.store.publish import publish_monthly, publish_structural
from atrisk.store.schema import Alert

PASSWORD = "correct horse battery"


@pytest.fixture
def env(tmp_path: Path, built: Settings, publish_to) -> Settings:
    url = publish_to(f"sqlite:///{tmp_path / 'atrisk.db'}")
    with session(url) as s:
        accounts.add_user(s, "ana@example.org", PASSWORD, "analyst")
    return Settings(mirror=built.mirror, build_dir=built.build_dir, database_url=url)


def _rule(settings: Settings, **fields) -> int:
    with session(settings.database) as s:
        user = accounts.user_by_email(s, "ana@example.org")
        assert user is not None
        allowed = outbound.networks(settings.webhook_allowed_networks)
        return alerts.add_rule(s, user, alerts.RuleIn(name="watch", **fields), allowed).id


def _evaluate(settings: Settings) -> list[Alert]:
    with session(settings.database) as s:
        return alerts.evaluate(s, read_table(settings, "country_month"))


def test_risk_crossing_alerts_once(env: Settings, forecasts) -> None:
    _rule(env, kind="risk_threshold", threshold=0.02)
    table = forecasts["structural"].table
    expected = set(table.loc[table["risk_2yr"] >= 0.02, "iso3"])
    first = _evaluate(env)
    assert {a.iso3 for a in first} == expected and len(expected) >= 5
    assert "2-year risk" in first[0].message
    assert _evaluate(env) == []  # the same event alerts once
    publish_structural(env.database, table, forecasts["structural"].meta)
    assert _evaluate(env) == []  # still above: no new crossing


def test_rank_climb_and_monthly_outlook(env: Settings, forecasts) -> None:
    _rule(env, kind="rank_climb", threshold=10)
    _rule(env, kind="monthly_p100", threshold=0.5, iso3="SDN")
    table = forecasts["structural"].table.copy()
    low = table.sort_values("rank").iloc[60]
    table.loc[table["iso3"] == low["iso3"], ["rank", "risk_2yr"]] = [5, 0.2]
    publish_structural(env.database, table, forecasts["structural"].meta)
    raised = _evaluate(env)
    climbs = [a for a in raised if "climbed" in a.message]
    assert [a.iso3 for a in climbs] == [low["iso3"]] and climbs[0].value >= 10
    outlook = [a for a in raised if "chance of >= 100" in a.message]
    assert [a.iso3 for a in outlook] == ["SDN"]  # one country's rule sees only it


def test_deaths_far_above_a_published_forecast(env: Settings, built: Settings,
                                               tmp_path: Path) -> None:
    """Each month a release brings is checked against the newest forecast of it, provisional
    Candidate months included, and the alert says how sure the count is."""
    _rule(env, kind="deaths_above_forecast", threshold=1.0)
    early = forecast_monthly(built, "2025-06", tmp_path / "d.parquet",
                             model="conflictology_country12")
    publish_monthly(env.database, early.summary, early.outlook, early.meta)
    raised = _evaluate(env)
    month = read_table(built, "country_month").set_index(["iso3", "month"])
    q90 = early.summary[early.summary["target"] == "civilian_deaths"].set_index(
        ["iso3", "month"])["q90"]
    found = {(a.iso3, a.message.split(" civilian deaths in ")[1][:7]): a for a in raised}
    assert {m for _, m in found} <= {str(p) for p in pd.period_range("2025-07", "2026-02",
                                                                     freq="M")}
    assert ("SDN", "2025-10") in found  # El Fasher: far above what its past 12 months said
    assert ("2026-01" not in {m for _, m in found})  # partly known: never read as a count
    for key, alert in found.items():
        assert alert.value == month.loc[key, "civilian_deaths"] > max(q90[key], 24)
        assert "provisional" in alert.message and "data through 2025-06" in alert.message
    assert "estimated from candidate-25.0.x" in found[("SDN", "2025-10")].message
    assert _evaluate(env) == []  # each month alerts once


class _Hook(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.content)
        return "250 OK"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_delivery_by_signed_webhook_and_email(env: Settings) -> None:
    hook = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    inbox = _Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=_port())
    smtp.start()
    try:
        # the test's receiver is on the loopback: an administrator allows it explicitly
        settings = env.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                                          "webhook_allowed_networks": "127.0.0.1/32"})
        rule_id = _rule(settings, kind="risk_threshold", threshold=0.02, iso3="SDN",
                        webhook_url=f"http://127.0.0.1:{hook.server_port}/hook",
                        email="desk@ngo.org")
        _rule(settings, kind="risk_threshold", threshold=0.01, iso3="NGA",
              webhook_url=f"http://127.0.0.1:{_port()}/closed")
        _Hook.received.clear()
        assert alerts.run_after_forecast(settings, read_table(settings, "country_month")) == 2
    finally:
        hook.shutdown()
        smtp.stop()
    (headers, body), = _Hook.received
    with session(settings.database) as s:
        rule = s.get(alerts.AlertRule, rule_id)
        assert rule is not None and rule.webhook_secret
        assert headers[alerts.SIGNATURE_HEADER] == alerts.sign(rule.webhook_secret, body)
        assert alerts.sign("wrong secret", body) != headers[alerts.SIGNATURE_HEADER]
        sdn = s.query(Alert).filter_by(iso3="SDN").one()
        nga = s.query(Alert).filter_by(iso3="NGA").one()
        log = {(d.channel, d.status) for d in alerts.deliveries(s, sdn.id)}
        failed = {(d.channel, d.status) for d in alerts.deliveries(s, nga.id)}
    assert json.loads(body)["iso3"] == "SDN"
    assert log == {("in_app", "stored"), ("webhook", "sent"), ("email", "sent")}
    assert failed == {("in_app", "stored"), ("webhook", "failed")}  # logged, still stored
    (mail,) = inbox.messages
    assert b"desk@ngo.org" in mail and b"[atrisk] Sudan" in mail


def test_alerts_are_acknowledged_by_their_owner_only(env: Settings) -> None:
    _rule(env, kind="risk_threshold", threshold=0.02, iso3="SDN")
    (alert,) = _evaluate(env)
    with session(env.database) as s:
        accounts.add_user(s, "other@example.org", PASSWORD, "viewer")
        tokens = {email: accounts.new_token(s, accounts.user_by_email(s, email), "t")  # type: ignore[arg-type]
                  for email in ("ana@example.org", "other@example.org")}
    client = TestClient(create_app(env))
    mine = {"authorization": f"Bearer {tokens['ana@example.org']}"}
    other = {"authorization": f"Bearer {tokens['other@example.org']}"}
    assert [a["id"] for a in client.get("/api/alerts?open=true", headers=mine).json()] == [
        alert.id]
    assert client.get("/api/alerts", headers=other).json() == []
    assert client.post(f"/api/alerts/{alert.id}/ack", headers=other).json()["status"] == 404
    done = client.post(f"/api/alerts/{alert.id}/ack", headers=mine).json()
    assert done["acknowledged_at"] is not None
    assert client.get("/api/alerts?open=true", headers=mine).json() == []
    made = client.post("/api/alert-rules", headers=other, json={
        "name": "hook", "kind": "rank_climb", "threshold": 5,
        "webhook_url": "https://example.org/hook"}).json()
    assert len(made["webhook_secret"]) == 64
    assert "webhook_secret" not in client.get("/api/alert-rules", headers=other).json()[0]
    bad = client.post("/api/alert-rules", headers=other, json={
        "name": "x", "kind": "weather", "threshold": 1}).json()
    assert bad["status"] == 422


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "http://169.254.169.254/latest",
    "http://10.0.0.5/x", "http://[::1]/x", "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/x",
    "ftp://example.org/x", "http://user:pw@example.org/x"])
def test_webhooks_may_not_point_inside_the_network(env: Settings, url: str) -> None:
    """SSRF: any viewer may add a rule, so its webhook must be a public address."""
    with session(env.database) as s:
        token = accounts.new_token(s, accounts.user_by_email(s, "ana@example.org"), "t")  # type: ignore[arg-type]
    client = TestClient(create_app(env))
    answer = client.post("/api/alert-rules", headers={"authorization": f"Bearer {token}"},
                         json={"name": "x", "kind": "rank_climb", "threshold": 5,
                               "webhook_url": url})
    assert answer.status_code == 422 and answer.json()["ok"] is False


def test_a_webhook_is_checked_again_when_sent_and_never_redirected(env: Settings) -> None:
    """A name that resolves inside the network is refused at send time; a public receiver's
    redirect (to anywhere) is not followed."""
    assert outbound.post("http://localhost./x", b"{}", {})[0] == "refused"
    status, detail = outbound.post("http://127.0.0.1:9/x", b"{}", {})
    assert status == "refused" and "not a public address" in detail

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        allowed = outbound.networks("127.0.0.1")
        status, detail = outbound.post(f"http://127.0.0.1:{server.server_port}/x", b"{}", {},
                                       allowed)
    finally:
        server.shutdown()
    assert status == "failed" and "redirects are not followed" in detail


def test_thresholds_must_be_finite(env: Settings) -> None:
    with session(env.database) as s:
        token = accounts.new_token(s, accounts.user_by_email(s, "ana@example.org"), "t")  # type: ignore[arg-type]
    client = TestClient(create_app(env))
    for value in ("Infinity", "1e999", "NaN"):
        answer = client.post("/api/alert-rules", headers={
            "authorization": f"Bearer {token}", "content-type": "application/json"},
            content=f'{{"name": "x", "kind": "rank_climb", "threshold": {value}}}')
        assert answer.status_code == 422, value


def test_cli_evaluates_rules(env: Settings, monkeypatch) -> None:
    _rule(env, kind="risk_threshold", threshold=0.02, iso3="SDN")
    for key, value in {"ATRISK_MIRROR": str(env.mirror), "ATRISK_BUILD_DIR":
                       str(env.build_dir), "ATRISK_DATABASE_URL": env.database}.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(cli, ["alerts", "evaluate"])
    assert result.exit_code == 0 and "alerts: 1 raised" in result.output
    assert "alerts: 0 raised" in CliRunner().invoke(cli, ["alerts", "evaluate"]).output


def test_team_rules_alert_every_member_once(env: Settings) -> None:
    with session(env.database) as s:
        admin = accounts.add_user(s, "admin@example.org", PASSWORD, "admin")
        ana = accounts.user_by_email(s, "ana@example.org")
        ben = accounts.add_user(s, "ben@example.org", PASSWORD, "viewer")
        outsider = accounts.add_user(s, "out@example.org", PASSWORD, "viewer")
        for member in (ana, ben):
            accounts.join_team(s, member, "Sudan desk", actor=admin)  # type: ignore[arg-type]
        tokens = {u.email: accounts.new_token(s, u, "t")  # type: ignore[union-attr]
                  for u in (ana, ben, outsider)}
    client = TestClient(create_app(env))
    auth = {k: {"authorization": f"Bearer {v}"} for k, v in tokens.items()}
    made = client.post("/api/alert-rules", headers=auth["ana@example.org"], json={
        "name": "desk", "kind": "risk_threshold", "threshold": 0.02, "iso3": "SDN",
        "team": "Sudan desk"})
    assert made.status_code == 201 and made.json()["team_id"] is not None
    refused = client.post("/api/alert-rules", headers=auth["out@example.org"], json={
        "name": "x", "kind": "risk_threshold", "threshold": 0.02, "team": "Sudan desk"})
    assert refused.status_code == 403 and "not in a team" in refused.json()["error"]
    (alert,) = _evaluate(env)
    seen = {email: [a["id"] for a in client.get("/api/alerts", headers=h).json()]
            for email, h in auth.items()}
    assert seen == {"ana@example.org": [alert.id], "ben@example.org": [alert.id],
                    "out@example.org": []}
    assert client.post(f"/api/alerts/{alert.id}/ack",
                       headers=auth["out@example.org"]).json()["status"] == 404
    assert client.post(f"/api/alerts/{alert.id}/ack",
                       headers=auth["ben@example.org"]).status_code == 200
    assert client.get("/api/alerts?open=true", headers=auth["ana@example.org"]).json() == []
    # one member's acknowledgement closes it for the team, so the others see who took it
    (seen_by_ana,) = client.get("/api/alerts", headers=auth["ana@example.org"]).json()
    assert seen_by_ana["acknowledged_by"] == "ben@example.org"
    page = client.get("/alerts", headers=auth["ana@example.org"] | {"accept": "text/html"})
    assert page.status_code == 200 and "by ben@example.org" in page.text


def test_system_writes_are_audited_too(env: Settings) -> None:
    from atrisk.store import audit

    _rule(env, kind="risk_threshold", threshold=0.02, iso3="SDN")
    (alert,) = _evaluate(env)
    with session(env.database) as s:
        actions = {e.action for e in audit.entries(s, limit=1000)}
        raised = audit.entries(s, "alert")
    assert {"run.publish", "countries.replace", "alert_rule.add", "alert.raise"} <= actions
    assert raised[0].user_id is None and raised[0].entity_id == str(alert.id)


def test_a_signal_reaching_its_level_alerts_once(env: Settings) -> None:
    from atrisk.domain.errors import ConfigError

    _rule(env, kind="signal_level", threshold=2)
    with pytest.raises(ConfigError, match="1 \\(medium\\) or 2 \\(high\\)"):
        _rule(env, kind="signal_level", threshold=1.5)
    day = pd.Timestamp("2025-06-14")
    week = day - pd.Timedelta(days=7)
    signals = pd.DataFrame([
        ("IRN", day, "gdelt_violent_share", 7.6, "high", "violent 544 of 3446"),
        ("IRN", week, "gdelt_violent_share", 0.1, "none", ""),
        ("COL", day, "gdelt_violent_share", 5.9, "high", ""),
        ("COL", week, "gdelt_violent_share", 5.5, "high", ""),  # already high: no news
        ("CAF", day, "gdelt_violent_share", 4.9, "medium", ""),  # below the rule's level
    ], columns=["iso3", "date", "signal", "value", "level", "detail"])
    country_month = read_table(env, "country_month")
    with session(env.database) as s:
        raised = alerts.evaluate(s, country_month, signals)
        assert [(a.iso3, a.value, a.run_id) for a in raised] == [("IRN", 2.0, None)]
        assert "high signal on 2025-06-14 (gdelt_violent_share: violent 544" in (
            raised[0].message)
    with session(env.database) as s:
        assert alerts.evaluate(s, country_month, signals) == []  # once
