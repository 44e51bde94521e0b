"""Nothing lost: a consistent copy of the application store (users, assessments, plans,
alerts, audit), taken while the server runs, and its restore.

SQLite: the database's own online backup (a consistent snapshot even while others write).
PostgreSQL: ``pg_dump`` in its custom format and ``pg_restore`` (Debian's postgresql-client,
the same major version as the server).
"""

from __future__ import annotations

import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from atrisk.domain.errors import ConfigError
from atrisk.store.db import engine, migrate


def backup(url: str, path: Path) -> Path:
    """Write a consistent copy of the store at ``url`` to ``path`` (made atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    migrate(url)  # a store that was never used still backs up to a valid, empty store
    tmp = path.with_name(f".{path.name}.part")
    tmp.unlink(missing_ok=True)
    if _is_sqlite(url):
        _copy_sqlite(_sqlite_file(url), str(tmp))
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={tmp}", _libpq(url)])
    tmp.replace(path)
    return path


def restore(url: str, path: Path) -> None:
    """Replace the store at ``url`` by the backup at ``path`` (checked first), then bring its
    schema up to date."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such backup file")
    if _is_sqlite(url):
        _check_sqlite(path)
        engine(url).dispose()  # no pooled connection may hold the old file
        _copy_sqlite(str(path), _sqlite_file(url))
    else:
        _run(["pg_restore", "--list", str(path)])  # a readable archive, or a clear error
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq(url)}", str(path)])
        engine(url).dispose()
    migrate(url)


def _copy_sqlite(source: str, target: str) -> None:
    """SQLite's online backup: a consistent copy even while others write."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _check_sqlite(path: Path) -> None:
    """An intact SQLite file holding an atrisk store, or ConfigError."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
            ok = con.execute("PRAGMA integrity_check").fetchone()
            tables = {r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{path}: not an SQLite backup ({exc})") from exc
    if not ok or ok[0] != "ok":
        raise ConfigError(f"{path}: the backup is damaged ({ok[0] if ok else 'no answer'})")
    if "alembic_version" not in tables or "users" not in tables:
        raise ConfigError(f"{path}: not a backup of an atrisk store")


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_file(url: str) -> str:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ConfigError(f"{url}: an in-memory store has nothing to back up")
    return database


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as libpq's tools read it (no ``+driver``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=600)
    except FileNotFoundError as exc:
        raise ConfigError(f"{command[0]} not found: install Debian's postgresql-client") from exc
    except subprocess.CalledProcessError as exc:
        raise ConfigError(f"{command[0]} failed: {exc.stderr.strip()[-500:]}") from exc
