"""Nothing lost: `atrisk store backup` and `restore` round-trip users, assessments, plans,
alerts and the audit log, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from atrisk.cli.main import app as cli
from atrisk.domain.errors import ConfigError
from atrisk.panels.build import read_table
from atrisk.response import alerts, assessments, plans
from atrisk.settings import Settings
from atrisk.store import accounts, backup
from atrisk.store.db import session
from atrisk.store.schema import Alert, Assessment, AuditEntry, Plan, PlanAction, User

TABLES = (User, Assessment, Plan, PlanAction, Alert, AuditEntry)


def _counts(url: str) -> dict[str, int]:
    with session(url) as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) or 0
                for t in TABLES}


def _work(url: str, built: Settings) -> None:
    """What analysts leave in a store: a user, an assessment, a plan with an action, an
    alert with its rule, and the audit entries of all of it."""
    with session(url) as s:
        ana = accounts.add_user(s, "ana@example.org", "correct horse battery", "analyst")
        assessments.record(s, ana, "SDN", assessments.AssessmentIn(
            factor=5, level=3, trend="worsening", confidence="high", evidence="Arms flows."))
        plan = plans.create(s, ana, "SDN", plans.PlanIn(title="Protect Darfur"))
        plans.add_action(s, ana, plan, plans.ActionIn(tool="mediation", owner="Envoy"))
        alerts.add_rule(s, ana, alerts.RuleIn(name="watch", kind="risk_threshold",
                                              threshold=0.02, iso3="SDN"))
    with session(url) as s:
        assert alerts.evaluate(s, read_table(built, "country_month"))


def test_backup_and_restore_round_trip(store: str, publish_to, built: Settings,
                                       tmp_path: Path, monkeypatch) -> None:
    publish_to(store)
    _work(store, built)
    before = _counts(store)
    assert all(before.values()), before
    monkeypatch.setenv("ATRISK_DATABASE_URL", store)
    monkeypatch.setenv("ATRISK_BUILD_DIR", str(tmp_path / "build"))
    path = tmp_path / "backups" / "atrisk.backup"
    result = CliRunner().invoke(cli, ["store", "backup", str(path)])
    assert result.exit_code == 0, result.output
    with session(store) as s:  # work after the backup, then a mistake to undo
        ana = accounts.user_by_email(s, "ana@example.org")
        assert ana is not None
        plans.create(s, ana, "NGA", plans.PlanIn(title="After the backup"))
    assert _counts(store)["plans"] == before["plans"] + 1
    refused = CliRunner().invoke(cli, ["store", "restore", str(path)])
    assert refused.exit_code != 0 and "--yes" in refused.output
    result = CliRunner().invoke(cli, ["store", "restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert _counts(store) == before
    with session(store) as s:
        assert [p.title for p in s.scalars(select(Plan))] == ["Protect Darfur"]
        assert accounts.authenticate(s, "ana@example.org", "correct horse battery")


def test_a_damaged_backup_is_refused_and_changes_nothing(store: str, tmp_path: Path) -> None:
    backup.backup(store, tmp_path / "good.backup")
    bad = tmp_path / "bad.backup"
    bad.write_bytes(b"not a backup at all" * 100)
    with pytest.raises(ConfigError, match="bad.backup|pg_restore failed"):
        backup.restore(store, bad)
    with pytest.raises(ConfigError, match="no such backup file"):
        backup.restore(store, tmp_path / "missing.backup")
