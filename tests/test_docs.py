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
        for cmd in getattr(sub, "commands", {}):
            names.append(f"atrisk {name} {cmd}")
    return names


def test_every_cli_command_is_documented() -> None:
    commands = _commands()
    assert len(commands) >= 4
    assert [c for c in commands if c not in README] == []


def test_every_setting_is_documented() -> None:
    missing = [f"ATRISK_{name.upper()}" for name in Settings.model_fields
               if f"ATRISK_{name.upper()}" not in README]
    assert missing == []
