"""Docs are checked against the code: every CLI command and every setting is in the README."""

from __future__ import annotations

from pathlib import Path

import typer

from atrisk.cli.main import app
from atrisk.settings import Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    names = []
    for name, sub in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(sub, "commands", None)
        if subcommands is None:
            names.append(f"atrisk {name}")
        for cmd in subcommands or {}:
            names.append(f"atrisk {name} {cmd}")
    return names


def test_every_cli_command_is_documented() -> None:
    commands = _commands()
    assert len(commands) >= 4
    assert [c for c in commands if c not in README] == []


def test_every_api_path_is_documented(tmp_path) -> None:
    from atrisk.app import create_app

    app = create_app(Settings(build_dir=tmp_path))
    paths = [p for p in app.openapi()["paths"]]
    assert len(paths) >= 7
    assert [p for p in paths if f"`{p}`" not in README] == []


def test_every_setting_is_documented() -> None:
    missing = [f"ATRISK_{name.upper()}" for name in Settings.model_fields
               if f"ATRISK_{name.upper()}" not in README]
    assert missing == []
