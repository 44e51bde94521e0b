"""Layers depend inward only (STYLE.md §1): parse every import and check its direction."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "atrisk"
ORDER = ["domain", "settings", "sources", "panels", "events", "models", "evaluation",
         "forecasting", "store", "response", "http", "web", "api", "app", "cli"]
#: Side by side: the pages and the API share ``http`` and never import each other.
SIBLINGS = {"web": "api", "api": "web"}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "atrisk" and parts[1] in ORDER else None


def test_imports_point_inward() -> None:
    bad = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).parts
        own = rel[0].removesuffix(".py")
        if own not in ORDER:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                layer = _layer(name)
                if layer and (ORDER.index(layer) > ORDER.index(own)
                              or SIBLINGS.get(own) == layer):
                    bad.append(f"{path.relative_to(SRC)} imports {name}")
    assert bad == []


def test_files_stay_small() -> None:
    big = [p.name for p in SRC.rglob("*.py") if len(p.read_text().splitlines()) > 600]
    assert big == []
