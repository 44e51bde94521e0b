"""Suggested tools and prevention plans: ranking by the country's drivers, the analysts'
ratings and the evidence; plans with actions, history and comments; roles and CSRF on
every write; the audit log."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from atrisk.app import create_app
from atrisk.response.suggest import suggest
from atrisk.response.toolkit import country_conditions
from atrisk.settings import Settings
from atrisk.sources.ushmm import tool_evidence
from atrisk.store import accounts, audit
from atrisk.store.db import session
from atrisk.store.schema import Assessment

PASSWORD = "correct horse battery"
KILLINGS = [{"feature": "mk_ongoing_count_log2", "label": "ongoing mass killings",
             "contribution": 0.6}]


def _rated(factor: int, level: int) -> Assessment:
    return Assessment(iso3="SDN", factor_id=factor, version=1, level=level, trend="worsening",
                      confidence="high", evidence="", sources=[], framework_version="x",
                      author_id=1, created_at=datetime.now(UTC))


@pytest.fixture(scope="module")
def evidence(mirror) -> pd.DataFrame:
    return tool_evidence(Settings(mirror=mirror))


def test_suggestions_follow_the_drivers_ratings_and_evidence(evidence, panel) -> None:
    conditions = country_conditions(panel, 625)
    ranked = suggest(KILLINGS, {}, evidence, conditions)
    assert len(ranked) == 15 and ranked[0].score >= ranked[-1].score
    top = ranked[0]
    assert set(top.tool.factors) & {2, 11}  # the factors the driver measures
    assert any("ongoing mass killings (+0.60)" in r for r in top.reasons)
    without = {s.tool.key: s.score for s in suggest([], {}, evidence, conditions)}
    embargo = next(s for s in ranked if s.tool.key == "arms_embargo")
    assert embargo.score == pytest.approx(without["arms_embargo"])  # 5 is not driven
    rated = suggest(KILLINGS, {5: _rated(5, 3)}, evidence, conditions)
    embargo_rated = next(s for s in rated if s.tool.key == "arms_embargo")
    assert embargo_rated.score == pytest.approx(embargo.score + 0.75)
    assert any("analysts rate it severe, worsening" in r for r in embargo_rated.reasons)
    mediation = next(s for s in ranked if s.tool.key == "mediation")
    assert any(r.startswith("evidence: works better where ongoing armed conflict")
               for r in mediation.reasons)


@pytest.fixture
def app_settings(store: str, built: Settings, publish_to) -> Settings:
    publish_to(store)
    with session(store) as s:
        for role in ("viewer", "analyst", "admin"):
            accounts.add_user(s, f"{role}@example.org", PASSWORD, role)
    return Settings(mirror=built.mirror, build_dir=built.build_dir, database_url=store)


def _login(client: TestClient, role: str) -> None:
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)[1]  # type: ignore[index]
    client.post("/login", data={"csrf": csrf, "email": f"{role}@example.org",
                                "password": PASSWORD})


def _csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page)[1]  # type: ignore[index]


def test_an_analyst_builds_a_plan_from_the_suggestions(app_settings: Settings) -> None:
    client = TestClient(create_app(app_settings))
    assert client.get("/countries/SDN/plan", headers={"accept": "text/html"},
                      follow_redirects=False).status_code == 303  # not public
    _login(client, "analyst")
    page = client.get("/countries/SDN/plan").text
    assert page.count('<li data-tool="') == 15 and "No plan for Sudan yet" in page
    csrf = _csrf(page)
    assert client.post("/countries/SDN/plans", data={"csrf": "forged", "title": "x"}
                       ).status_code == 403
    client.post("/countries/SDN/plans", data={"csrf": csrf, "title": "Protect Darfur"})
    page = client.get("/countries/SDN/plan").text
    plan_id = int(re.search(r'id="plan-(\d+)"', page)[1])  # type: ignore[index]
    assert "Protect Darfur" in page and "add-action" in page
    added = client.post(f"/plans/{plan_id}/actions", follow_redirects=False, data={
        "csrf": csrf, "tool": "mediation", "owner": "Special envoy",
        "partners": "African Union; IGAD", "start": "2025-01-01", "due": "2025-06-30",
        "budget": "250000", "notes": "Jeddah track"})
    assert added.status_code == 303
    page = client.get("/countries/SDN/plan").text
    row = re.search(r'<tr data-action="(\d+)">(.*?)</tr>', page, re.S)
    assert row and "Support for mediation" in row[2] and "African Union; IGAD" in row[2]
    assert "overdue" in row[2] and "250,000" in row[2]
    action_id = int(row[1])
    client.post(f"/plans/{plan_id}/actions/{action_id}", data={"csrf": csrf,
                                                                "status": "done"})
    client.post(f"/plans/{plan_id}/comments", data={"csrf": csrf, "text": "Talks resumed."})
    page = client.get("/countries/SDN/plan").text
    row = re.search(r'<tr data-action="\d+">(.*?)</tr>', page, re.S)[1]  # type: ignore[index]
    assert "overdue" not in row
    history = re.search(r'<ul class="history">(.*?)</ul>', page, re.S)[1]  # type: ignore[index]
    kinds = re.findall(r"· ([a-z ]+):", history)
    assert kinds == ["comment", "action changed", "action added", "created"]
    assert "status: planned → done" in history and "Talks resumed." in history
    bad = client.post(f"/plans/{plan_id}/actions", data={
        "csrf": csrf, "tool": "orbital_laser", "owner": "x"})
    assert bad.status_code == 404 and "unknown tool" in bad.json()["error"]
    bad = client.post(f"/plans/{plan_id}/actions", data={
        "csrf": csrf, "tool": "mediation", "owner": "x", "start": "2025-02-01",
        "due": "2025-01-01"})
    assert bad.status_code == 422 and "due date" in bad.json()["error"]
    with session(app_settings.database) as s:
        actions = [e.action for e in audit.entries(s, "plan")]
    assert actions == ["plan.comment", "plan.action.change", "plan.action.add", "plan.add"]


def test_viewers_read_plans_but_cannot_write(app_settings: Settings) -> None:
    analyst = TestClient(create_app(app_settings))
    _login(analyst, "analyst")
    csrf = _csrf(analyst.get("/countries/SDN/plan").text)
    analyst.post("/countries/SDN/plans", data={"csrf": csrf, "title": "Protect Darfur"})
    viewer = TestClient(create_app(app_settings))
    _login(viewer, "viewer")
    page = viewer.get("/countries/SDN/plan").text
    assert "Protect Darfur" in page and "add-action" not in page and "start-plan" not in page
    plan_id = int(re.search(r'id="plan-(\d+)"', page)[1])  # type: ignore[index]
    csrf = _csrf(viewer.get("/account").text)
    for path, data in ((f"/plans/{plan_id}/comments", {"text": "hi"}),
                       ("/countries/SDN/plans", {"title": "mine"}),
                       (f"/plans/{plan_id}/actions", {"tool": "mediation", "owner": "me"})):
        assert viewer.post(path, data={"csrf": csrf, **data}).status_code == 403


def _token(settings: Settings, role: str) -> dict[str, str]:
    with session(settings.database) as s:
        user = accounts.user_by_email(s, f"{role}@example.org")
        assert user is not None
        return {"authorization": f"Bearer {accounts.new_token(s, user, 'test')}"}


ACTION = {"tool": "arms_embargo", "owner": "Sanctions desk", "due": "2025-01-31"}
WRITES = [("post", "/api/countries/SDN/assessments",
           {"factor": 5, "level": 3, "trend": "worsening", "confidence": "high",
            "evidence": "Arms flows."}),
          ("post", "/api/countries/SDN/plans", {"title": "Protect Darfur"}),
          ("post", "/api/plans/1/actions", ACTION),
          ("patch", "/api/plans/1/actions/1", {"status": "in progress"}),
          ("post", "/api/plans/1/comments", {"text": "Embargo renewal due."}),
          # A scenario on the published model (EWP's simple model in the shared forecast).
          ("post", "/api/forecasts/structural/what-if",
           {"iso3": "SDN", "inputs": {"mk_ongoing_count_log2": 0.0}})]
READS = ["/api/countries/SDN/assessments", "/api/countries/SDN/suggestions", "/api/plans",
         "/api/coverage", "/api/priorities"]


def test_api_refuses_every_private_read_and_write_without_its_role(
        app_settings: Settings) -> None:
    client = TestClient(create_app(app_settings))
    routes = {(m, p) for p, ops in client.get("/openapi.json").json()["paths"].items()
              for m in ops if m != "get"}
    own = {("post", "/api/alert-rules"), ("post", "/api/alerts/{alert_id}/ack")}
    assert routes == own | {(m, p.replace("SDN", "{iso3}").replace(
        "/1/actions/1", "/{plan_id}/actions/{action_id}").replace("/1/", "/{plan_id}/"))
        for m, p, _ in WRITES}
    for _, path in own:  # a viewer's own rules and acknowledgements: still not anonymous
        assert client.post(path.replace("{alert_id}", "1"), json={}).json()["status"] == 401
    viewer, analyst = _token(app_settings, "viewer"), _token(app_settings, "analyst")
    for path in [*READS, "/api/audit"]:
        assert client.get(path).json()["status"] == 401, path
    assert client.get("/api/audit", headers=viewer).json()["status"] == 403
    for method, path, body in WRITES:
        assert client.request(method, path, json=body).json()["status"] == 401, path
        assert client.request(method, path, json=body, headers=viewer
                              ).json()["status"] == 403, path
        done = client.request(method, path, json=body, headers=analyst)
        assert done.status_code in (200, 201), (path, done.text)
    for path in READS:
        assert client.get(path, headers=viewer).status_code == 200, path
    plan = client.get("/api/plans?iso3=sdn", headers=viewer).json()[0]
    assert plan["actions"][0]["status"] == "in progress"
    assert [e["kind"] for e in plan["history"]] == ["comment", "action changed",
                                                    "action added", "created"]
    ranked = client.get("/api/countries/SDN/suggestions", headers=viewer).json()
    assert len(ranked) == 15 and ranked[0]["evidence"]
    assert any("analysts rate it severe" in r for x in ranked if x["tool"] == "arms_embargo"
               for r in x["reasons"])


def test_coverage_shows_who_is_working_where(app_settings: Settings) -> None:
    client = TestClient(create_app(app_settings))
    analyst = _token(app_settings, "analyst")
    before = client.get("/api/coverage?min_risk=0.02", headers=analyst).json()
    uncovered = {r["iso3"] for r in before["uncovered"]}
    assert "SDN" in uncovered and before["covered"] == 0
    assert all(r["probability"] >= 0.02 for r in before["uncovered"])
    client.post("/api/countries/SDN/plans", json={"title": "Protect Darfur"}, headers=analyst)
    client.post("/api/plans/1/actions", json=ACTION, headers=analyst)
    after = client.get("/api/coverage?min_risk=0.02", headers=analyst).json()
    assert {r["iso3"] for r in after["uncovered"]} == uncovered - {"SDN"}
    assert after["covered"] == 1 and [a["tool"] for a in after["overdue"]] == ["arms_embargo"]
    progress = after["progress"][0]
    assert progress["iso3"] == "SDN" and progress["risk_now"] == progress["risk_at_start"]
    assert progress["deaths_since"] is None and after["data_to"] == "2026-02"
    _login(client, "viewer")
    page = client.get("/coverage?min_risk=2").text
    assert 'data-iso3="SDN"' not in page and "Actions overdue (1)" in page
    assert client.get("/coverage?min_risk=200").status_code == 422


def test_country_brief_as_html_and_pdf(app_settings: Settings, tmp_path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from atrisk.cli.main import app as cli

    client = TestClient(create_app(app_settings))
    analyst = _token(app_settings, "analyst")
    client.post("/api/countries/SDN/assessments", headers=analyst, json={
        "factor": 5, "level": 3, "trend": "worsening", "confidence": "high",
        "evidence": "Arms flows."})
    client.post("/api/countries/SDN/plans", json={"title": "Protect Darfur"}, headers=analyst)
    client.post("/api/plans/1/actions", json=ACTION, headers=analyst)
    monkeypatch.setenv("ATRISK_DATABASE_URL", app_settings.database)
    monkeypatch.setenv("ATRISK_BUILD_DIR", str(app_settings.build_dir))
    for ext in ("html", "pdf"):
        out = tmp_path / f"SDN.{ext}"
        result = CliRunner().invoke(cli, ["report", "sdn", "--out", str(out)])
        assert result.exit_code == 0, result.output
    html = (tmp_path / "SDN.html").read_text()
    for expected in ("Sudan", "chance that a new episode", "ongoing mass killings",
                     "Monthly outlook", "Capacity to commit atrocity crimes", "severe",
                     "chance of a top-10 place",
                     "Protect Darfur", "Arms embargoes", "overdue",
                     # every number says what data it stands on
                     "Data: data through 2023-12; UCDP GED, final", "data through 2024 (annual"):
        assert expected in html, expected
    # The country page's charts, drawn without a browser.
    for chart in ("brief-rank", "brief-history", "brief-drivers", "brief-fan"):
        figure = html[html.index(f'<figure id="{chart}">'):]
        assert figure.index("<svg") < figure.index("</figure>"), chart
    pdf = (tmp_path / "SDN.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert client.get("/countries/SDN/brief.pdf").json()["status"] == 401  # not public
    page = client.get("/countries/SDN/brief.pdf", headers=analyst)
    assert page.headers["content-type"] == "application/pdf"
    assert page.content.startswith(b"%PDF") and "attachment" in page.headers[
        "content-disposition"]
    bad = CliRunner().invoke(cli, ["report", "SDN", "--out", str(tmp_path / "x.docx")])
    assert bad.exit_code != 0


def test_admins_edit_the_toolkit_as_checked_versions(app_settings: Settings) -> None:
    from atrisk.response.toolkit import PACKAGED

    admin = TestClient(create_app(app_settings))
    _login(admin, "admin")
    page = admin.get("/admin/toolkit").text
    assert "None saved yet" in page and 'id="toolkit-text"' in page
    csrf = _csrf(page)
    text = PACKAGED.read_text()
    broken = text.replace("factors = [1, 4, 8, 13]", "factors = [1, 4, 8, 15]")
    refused = admin.post("/admin/toolkit", data={"csrf": csrf, "content": broken})
    assert refused.status_code == 422 and "unknown risk factors" in refused.text
    unknown = text.replace('ushmm = ["Arms embargoes"]', 'ushmm = ["Arms embargo"]')
    refused = admin.post("/admin/toolkit", data={"csrf": csrf, "content": unknown})
    assert refused.status_code == 422 and "not in the USHMM review" in refused.text
    edited = (text.replace('name = "Support for mediation and negotiations between adversaries"',
                           'name = "Mediation and dialogue support"')
              .replace('version = "2026-11-24.1"', 'version = "2026-11-24.2"', 1))
    saved = admin.post("/admin/toolkit", data={"csrf": csrf, "content": edited},
                       follow_redirects=False)
    assert saved.status_code == 303
    page = admin.get("/admin/toolkit").text
    assert "version <strong>2026-11-24.2</strong>" in page
    plan = admin.get("/countries/SDN/plan").text
    assert "Mediation and dialogue support" in plan
    analyst = TestClient(create_app(app_settings))
    _login(analyst, "analyst")
    assert analyst.get("/admin/toolkit").status_code == 403
    assert analyst.post("/admin/toolkit", data={"csrf": _csrf(analyst.get("/account").text),
                                                "content": text}).status_code == 403
    with session(app_settings.database) as s:
        assert [e.action for e in audit.entries(s, "toolkit")] == ["toolkit.save"]


def test_values_that_should_be_refused_are_refused(app_settings: Settings) -> None:
    """Infinite budgets, a due date before the start (also by a later change), and control
    characters in text are refused with a 422, never stored."""
    client = TestClient(create_app(app_settings))
    analyst = _token(app_settings, "analyst")
    assert client.post("/api/countries/SDN/plans", headers=analyst,
                       json={"title": "Protect\x00Darfur"}).status_code == 422
    assert client.post("/api/countries/SDN/plans", headers=analyst,
                       json={"title": "Protect Darfur"}).status_code == 201
    for body in ('{"tool": "mediation", "owner": "x", "budget": 1e999}',
                 '{"tool": "mediation", "owner": "x", "budget": Infinity}',
                 '{"tool": "mediation", "owner": "x", "budget": 1e13}',
                 '{"tool": "mediation", "owner": "x", "start": "2025-02-01", '
                 '"due": "2025-01-01"}',
                 '{"tool": "mediation", "owner": "x\\u0007"}'):
        answer = client.post("/api/plans/1/actions", content=body,
                             headers={**analyst, "content-type": "application/json"})
        assert answer.status_code == 422, body
    made = client.post("/api/plans/1/actions", headers=analyst, json={
        "tool": "mediation", "owner": "Envoy", "start": "2025-02-01", "due": "2025-03-01",
        "budget": 1000, "notes": "line one\nline two\ttabbed"})
    assert made.status_code == 201
    action_id = made.json()["actions"][-1]["id"]
    late = client.patch(f"/api/plans/1/actions/{action_id}", headers=analyst,
                        json={"due": "2025-01-01"})
    assert late.status_code == 409 and "before the action's start" in late.json()["error"]
    assert client.post("/api/plans/1/comments", headers=analyst,
                       json={"text": "bad\x00"}).status_code == 422
