"""Accounts on SQLite and PostgreSQL: hashed passwords, sessions with CSRF on every form,
API tokens, roles, private forecasts, and a production start that refuses default secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from atrisk.app import create_app
from atrisk.cli.main import app as cli
from atrisk.domain.errors import ConfigError
from atrisk.settings import Settings
from atrisk.store import accounts
from atrisk.store.db import migrate, session
from atrisk.store.schema import SignInSession

PASSWORD = "correct horse battery"
HTML = {"accept": "text/html"}


@pytest.fixture
def settings(store: str, built: Settings, publish_to) -> Settings:
    publish_to(store)
    with session(store) as s:
        accounts.add_user(s, "admin@example.org", PASSWORD, "admin", "Ada")
        accounts.add_user(s, "viewer@example.org", PASSWORD, "viewer", "Vic")
    return Settings(mirror=built.mirror, build_dir=built.build_dir, database_url=store)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF token in the form"
    return found[1]


def _login(client: TestClient, email: str, password: str = PASSWORD, next: str = "/"):
    token = _csrf(client.get("/login").text)
    return client.post("/login", data={"csrf": token, "email": email, "password": password,
                                       "next": next}, follow_redirects=False)


def test_migrations_build_exactly_the_models_tables(store: str) -> None:
    """A column added to the models without a migration (or the reverse) fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from atrisk.store.db import engine
    from atrisk.store.schema import Base

    migrate(store)
    with engine(store).connect() as connection:
        changes = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [c for c in changes if c[0] in ("add_column", "remove_column", "add_table",
                                          "remove_table")] == []


def test_wrong_passwords_lock_the_client_not_the_account(store: str) -> None:
    """Five wrong passwords for an e-mail from one client stop that client for the window;
    the analyst, from another address, still signs in (no lock-out by a stranger). One
    client trying many e-mails is throttled before any password is hashed, and many
    failures for one account from many clients are audited."""
    from datetime import UTC, datetime, timedelta

    from atrisk.domain.errors import SignInLocked, SignInThrottled
    from atrisk.store import audit

    migrate(store)
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with session(store) as s:
        user = accounts.add_user(s, "target@example.org", PASSWORD, "analyst")
        for _ in range(4):
            assert accounts.authenticate(s, user.email, "guess-guess", "10.0.0.9", t0) is None
        assert accounts.authenticate(s, user.email, PASSWORD, "10.0.0.9", t0)  # resets
        for _ in range(5):
            assert accounts.authenticate(s, user.email, "guess-guess", "10.0.0.9", t0) is None
    with session(store) as s:  # counted in the database: every worker sees it
        with pytest.raises(SignInLocked) as locked:
            accounts.authenticate(s, "target@example.org", PASSWORD, "10.0.0.9",
                                  t0 + timedelta(minutes=14))
        assert locked.value.until == t0 + timedelta(minutes=15)
        assert accounts.authenticate(s, "target@example.org", PASSWORD, "10.0.0.7", t0)
        assert accounts.authenticate(s, "target@example.org", PASSWORD, "10.0.0.9",
                                     t0 + timedelta(minutes=16))  # the window has passed

        sprayer, t1 = "10.6.6.6", t0 + timedelta(hours=1)
        for i in range(accounts.CLIENT_LIMIT):  # one guess each for many e-mails
            assert accounts.authenticate(s, f"u{i}@example.org", "guess", sprayer, t1) is None
        with pytest.raises(SignInThrottled):
            accounts.authenticate(s, "target@example.org", PASSWORD, sprayer, t1)

        t2 = t0 + timedelta(hours=2)
        for i in range(accounts.NOTICE_AFTER):  # few guesses each from many addresses
            accounts.authenticate(s, "target@example.org", "guess", f"10.1.{i}.1", t2)
        assert [e.action for e in audit.entries(s, "user")].count("user.guessed") == 1
        assert accounts.authenticate(s, "target@example.org", PASSWORD, "10.0.0.7", t2)


def test_passwords_are_hashed_and_checked(store: str) -> None:
    migrate(store)
    with session(store) as s:
        user = accounts.add_user(s, "Someone@Example.org", PASSWORD, "analyst")
        assert user.email == "someone@example.org"
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        assert accounts.authenticate(s, "SOMEONE@example.org", PASSWORD) is not None
        assert accounts.authenticate(s, "someone@example.org", PASSWORD + "x") is None
        assert accounts.authenticate(s, "nobody@example.org", PASSWORD) is None
        for email, password, role, problem in [
                ("someone@example.org", PASSWORD, "viewer", "already exists"),
                ("new@example.org", "short", "viewer", "at least 10"),
                ("new@example.org", PASSWORD, "emperor", "unknown role"),
                ("not-an-address", PASSWORD, "viewer", "not an e-mail")]:
            with pytest.raises(ConfigError, match=problem):
                accounts.add_user(s, email, password, role)


def test_login_needs_csrf_and_the_right_password(settings: Settings) -> None:
    client = TestClient(create_app(settings))
    client.get("/login")
    no_csrf = client.post("/login", data={"csrf": "forged", "email": "admin@example.org",
                                          "password": PASSWORD})
    assert no_csrf.status_code == 403 and no_csrf.json()["status"] == 403
    wrong = _login(client, "admin@example.org", "not the password")
    assert wrong.status_code == 401 and "Wrong e-mail or password" in wrong.text
    ok = _login(client, "admin@example.org", next="/track-record")
    assert ok.status_code == 303 and ok.headers["location"] == "/track-record"
    page = client.get("/account").text
    assert "admin@example.org" in page and "Log out" in page
    client.post("/logout", data={"csrf": _csrf(page)})
    assert client.get("/account", headers=HTML, follow_redirects=False).status_code == 303


def test_logout_ends_the_session_on_the_server(settings: Settings) -> None:
    """A cookie copied before signing out is dead after it (it was valid for 8 hours)."""
    client = TestClient(create_app(settings))
    assert _login(client, "viewer@example.org").status_code == 303
    copied = dict(client.cookies)
    assert client.get("/api/me").json()["email"] == "viewer@example.org"
    client.post("/logout", data={"csrf": _csrf(client.get("/account").text)})
    thief = TestClient(create_app(settings), cookies=copied)
    assert thief.get("/api/me").status_code == 401
    with session(settings.database) as s:  # and nothing of it is kept
        assert s.scalar(select(func.count()).select_from(SignInSession)) == 0
    other = TestClient(create_app(settings))  # another browser's session is its own
    assert _login(other, "viewer@example.org").status_code == 303
    assert other.get("/api/me").status_code == 200


def test_a_locked_account_answers_like_an_unknown_one(settings: Settings) -> None:
    """The lock holds for this client, yet it cannot tell a locked account from an e-mail
    with no account: same status, same page. A client that keeps failing is throttled."""
    client = TestClient(create_app(settings))
    answers = {}
    for email in ("viewer@example.org", "nobody@example.org"):
        for _ in range(accounts.LOCK_AFTER):
            assert _login(client, email, "not the password").status_code == 401
        answer = _login(client, email)  # the viewer's right password, too late
        answers[email] = (answer.status_code, re.sub(r'value="[^"]*"', "", answer.text))
    assert answers["viewer@example.org"][0] == 401
    assert "Wrong e-mail or password" in answers["viewer@example.org"][1]
    assert answers["viewer@example.org"] == answers["nobody@example.org"]
    assert _login(client, "admin@example.org").status_code == 303  # other accounts unaffected
    for i in range(accounts.CLIENT_LIMIT):
        _login(client, f"someone{i}@example.org", "guess")
    throttled = _login(client, "admin@example.org")
    assert throttled.status_code == 429 and "from your address" in throttled.text


def test_login_never_redirects_off_site(settings: Settings) -> None:
    client = TestClient(create_app(settings))
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        client.cookies.clear()
        assert _login(client, "viewer@example.org", next=target).headers["location"] == "/"


def test_roles_guard_the_admin_pages(settings: Settings) -> None:
    viewer = TestClient(create_app(settings))
    _login(viewer, "viewer@example.org")
    assert viewer.get("/admin/users").status_code == 403
    token = _csrf(viewer.get("/account").text)
    refused = viewer.post("/admin/users", data={"csrf": token, "email": "x@example.org",
                                                "password": PASSWORD, "role": "admin"})
    assert refused.status_code == 403

    admin = TestClient(create_app(settings))
    _login(admin, "admin@example.org")
    page = admin.get("/admin/users").text
    assert "viewer@example.org" in page
    forged = admin.post("/admin/users", data={"csrf": "forged", "email": "x@example.org",
                                              "password": PASSWORD, "role": "analyst"})
    assert forged.status_code == 403
    added = admin.post("/admin/users", data={"csrf": _csrf(page), "email": "x@example.org",
                                             "password": PASSWORD, "role": "analyst"})
    assert added.status_code == 200 and "x@example.org" in added.text
    with session(settings.database) as s:
        assert [u.role for u in accounts.users(s) if u.email == "x@example.org"] == ["analyst"]


def test_api_tokens_act_as_their_user_until_revoked(settings: Settings) -> None:
    client = TestClient(create_app(settings))
    _login(client, "viewer@example.org")
    made = client.post("/account/tokens", data={"csrf": _csrf(client.get("/account").text),
                                                "name": "notebook"})
    token = re.search(r'<code id="new-token">([^<]+)</code>', made.text)[1]  # type: ignore[index]
    assert "new-token" not in client.get("/account").text  # shown once
    program = TestClient(create_app(settings))
    auth = {"authorization": f"Bearer {token}"}
    assert program.get("/api/me", headers=auth).json() == {
        "email": "viewer@example.org", "name": "Vic", "role": "viewer"}
    assert program.get("/api/me").json()["status"] == 401
    with session(settings.database) as s:
        stored = accounts.tokens(s, accounts.user_by_email(s, "viewer@example.org"))  # type: ignore[arg-type]
        assert token not in {t.token_hash for t in stored} and stored[0].prefix == token[:10]
        token_id = stored[0].id
    page = client.get("/account").text
    client.post(f"/account/tokens/{token_id}/revoke", data={"csrf": _csrf(page)})
    assert program.get("/api/me", headers=auth).json()["status"] == 401


def test_private_forecasts_need_a_viewer(settings: Settings) -> None:
    private = settings.model_copy(update={"public_forecasts": False})
    client = TestClient(create_app(private))
    assert client.get("/api/forecasts/structural/latest").json()["status"] == 401
    assert client.get("/api/countries/SDN").json()["status"] == 401
    page = client.get("/countries/SDN", headers=HTML, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/countries/SDN"
    assert client.get("/healthz").json()["ok"] is True
    _login(client, "viewer@example.org")
    assert client.get("/countries/SDN").status_code == 200
    assert client.get("/api/forecasts/structural/latest").status_code == 200


def test_production_refuses_default_secrets(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ATRISK_SECRET_KEY"):
        create_app(Settings(build_dir=tmp_path, environment="production"))
    with pytest.raises(ConfigError, match="ATRISK_SECRET_KEY"):
        create_app(Settings(build_dir=tmp_path, environment="production", secret_key="short"))
    create_app(Settings(build_dir=tmp_path, environment="production", secret_key="k" * 40))


def test_cli_adds_the_first_admin_and_makes_tokens(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'atrisk.db'}"
    monkeypatch.setenv("ATRISK_DATABASE_URL", url)
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", "--email", "boss@example.org", "--role",
                                "admin"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    again = runner.invoke(cli, ["users", "add", "--email", "boss@example.org",
                                "--password-stdin"], input=f"{PASSWORD}\n")
    assert isinstance(again.exception, ConfigError)
    listed = runner.invoke(cli, ["users", "list"])
    assert "boss@example.org" in listed.output and "admin" in listed.output
    made = runner.invoke(cli, ["users", "token", "--email", "boss@example.org"])
    token = made.output.strip()
    with session(url) as s:
        user = accounts.user_by_token(s, token)
        assert user is not None and user.email == "boss@example.org"
