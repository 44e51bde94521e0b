"""What every command prints through: one console, a progress bar that turns errors into clean
exits, and the tables of scores."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import pandas as pd
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from atrisk.domain.errors import AtriskError, ConfigError

# Tables written to a file or a pipe keep every column whole (Rich assumes 80 characters).
console = Console(width=None if sys.stdout.isatty() else 200)


@contextmanager
def steps(title: str, total: int | None = None) -> Iterator[Callable[[str], None]]:
    """A Rich progress bar that names the current step (and counts steps when ``total`` is
    known); errors become clean exits."""
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task(title, total=total)

        def step(name: str) -> None:
            bar.update(task, description=f"{title}: {name}", advance=1)

        try:
            yield step
        except AtriskError as exc:
            bar.stop()
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2 if isinstance(exc, ConfigError) else 1) from exc


def pick(models: str, known: Mapping[str, object]) -> list[str]:
    """Model names from a comma-separated option, each checked against ``known``."""
    names = [m.strip() for m in models.split(",") if m.strip()]
    unknown = [m for m in names if m not in known]
    if unknown or not names:
        raise typer.BadParameter(f"unknown model(s) {unknown}; choose from {sorted(known)}")
    return names


def plain(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=title)
    for c in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[c])
        table.add_column(str(c), justify="right" if numeric else "left")
    for r in frame.itertuples(index=False):  # a missing value is a blank cell
        table.add_row(*["" if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                        else f"{v:.4g}" if isinstance(v, float) else str(v) for v in r])
    return table


def score_table(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=title)
    cols = ["model", "n", "onsets", "auc", "pr_auc", "brier", "log_loss", "top10", "top20",
            "top30", "recall30", "fp_per_tp_4pct"]
    for c in cols:
        table.add_column(c, justify="left" if c == "model" else "right")
    for r in frame[cols].itertuples(index=False):
        cells = []
        for c, v in zip(cols, r, strict=True):
            if isinstance(v, float):
                cells.append(f"{v:.4f}" if c in ("brier", "log_loss", "pr_auc")
                             else f"{v:.3f}" if c in ("auc", "recall30") else f"{v:.1f}")
            else:
                cells.append(str(v))
        table.add_row(*cells)
    return table
