"""API fuzzing: schemathesis generates requests from the published OpenAPI document, valid and
invalid, for every operation, anonymously and as a viewer, an analyst and an admin, and checks
every response: no server error, a status code and a body the schema declares, the one error
shape, a 405 with its Allow header, invalid input refused, valid input accepted."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from atrisk.app import create_app
from atrisk.settings import Settings
from atrisk.store import accounts
from atrisk.store.db import migrate, session
from conftest import serving

ROLES = ("anonymous", "viewer", "analyst", "admin")


@pytest.fixture(scope="module")
def fuzzed(events_built: Settings, publish_to, tmp_path_factory: pytest.TempPathFactory
           ) -> dict[str, Any]:
    """A store with published forecasts and back-tests over the shared data build, and a
    user and token for each role."""
    root: Path = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{root / 'atrisk.db'}"
    migrate(url)
    publish_to(url)
    tokens: dict[str, dict[str, str]] = {"anonymous": {}}
    with session(url) as s:
        for role in ROLES[1:]:
            user = accounts.add_user(s, f"{role}@example.org", "a long enough password", role)
            token = accounts.new_token(s, user, "fuzzing")
            tokens[role] = {"authorization": f"Bearer {token}"}
    app = create_app(events_built.model_copy(update={"database_url": url}))
    return {"app": app, "tokens": tokens}


@pytest.fixture(scope="module")
def server(fuzzed: dict[str, Any]) -> Iterator[str]:
    """The app on a loopback port (schemathesis' CLI runs against a real server)."""
    with serving(fuzzed["app"]) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.mark.slow
def test_fuzzing_finds_no_failure(server: str, fuzzed: dict[str, Any]) -> None:
    """Every check schemathesis has, its examples, coverage, fuzzing and stateful phases, for
    each role; the four runs go side by side against the one server (CI time)."""
    runs = {}
    for role in ROLES:
        headers = [f"--header=Authorization: {value}"
                   for value in fuzzed["tokens"][role].values()]
        runs[role] = subprocess.Popen(
            [str(Path(sys.executable).with_name("st")),
             f"--config-file={Path(__file__).with_name('schemathesis.toml')}", "run",
             f"{server}/openapi.json",
             "--checks=all", "--max-examples=20", "--seed=20261201", "--no-color",
             "--max-failures=20", *headers],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    outputs = {role: run.communicate(timeout=900)[0] for role, run in runs.items()}
    failed = [role for role, run in runs.items() if run.returncode != 0]
    assert not failed, "\n\n".join(f"== {role} ==\n{outputs[role][-8000:]}" for role in failed)
