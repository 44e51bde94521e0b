"""``atrisk`` — mass-atrocity early warning from public data.

Subcommands: ``data`` (build and list sources), ``backtest`` (honest out-of-sample tests),
``forecast`` (the forecasts for the coming years).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from atrisk.domain.errors import AtriskError, ConfigError
from atrisk.settings import Settings, get_settings

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
data_app = typer.Typer(help="Build the data from the public sources; list the sources.",
                       no_args_is_help=True)
backtest_app = typer.Typer(help="Out-of-sample back-tests of the forecasts.", no_args_is_help=True)
forecast_app = typer.Typer(help="Forecasts for the coming years.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(backtest_app, name="backtest")
app.add_typer(forecast_app, name="forecast")

console = Console()


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                                help="Log more detail.")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s",
                        handlers=[RichHandler(console=Console(stderr=True), show_path=False)])


@contextmanager
def _steps(title: str) -> Iterator[Callable[[str], None]]:
    """A Rich progress line that names the current step; errors become clean exits."""
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(title)
        try:
            yield lambda step: bar.update(task, description=f"{title}: {step}")
        except AtriskError as exc:
            bar.stop()
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(2) from exc


def _settings() -> Settings:
    return get_settings()


@data_app.command("build")
def data_build() -> None:
    """Read and validate every source, build the panels, and swap the build in atomically."""
    from atrisk.panels.build import build

    settings = _settings()
    with _steps("data build") as step:
        result = build(settings, progress=step)
    console.print(f"built {result.path} in {result.seconds:.1f} s: "
                  + ", ".join(f"{k} {v:,}" for k, v in result.rows.items()))
    unmatched = pd.read_parquet(result.path / "unmatched.parquet")
    console.print(f"unmatched source rows: {int(unmatched['rows'].sum()):,} in "
                  f"{len(unmatched)} groups, each with its reason in "
                  f"{result.path / 'unmatched.csv'}")


@data_app.command("sources")
def data_sources() -> None:
    """List every public dataset atrisk reads: producer, version, licence and citation."""
    from atrisk.panels.build import SOURCES

    table = Table("source", "producer", "version", "licence", "citation", show_lines=True)
    for s in SOURCES:
        table.add_row(s.name, s.producer, s.version, s.licence, s.citation)
    console.print(table)


@backtest_app.command("structural")
def backtest_structural(
    out: Annotated[Path, typer.Option(help="Where to write the long table (.csv or .parquet).")],
    models: Annotated[str, typer.Option(help="Comma-separated model names.")] =
        "ewp_replica,simple,logit,lgbm,ensemble",
    first: Annotated[int, typer.Option(help="First last-training-year.")] = 1991,
    last: Annotated[int, typer.Option(help="Last last-training-year.")] = 2021,
) -> None:
    """EWP's fully out-of-sample back-test: fit on years <= L, forecast from L+2's data."""
    from atrisk.domain.horizon import structural_windows
    from atrisk.evaluation.backtest import backtest
    from atrisk.evaluation.metrics import restrict_to_common, scoreboard
    from atrisk.models.registry import MODELS
    from atrisk.panels.build import LAST_OBSERVED, read_table

    if out.suffix not in (".csv", ".parquet"):
        raise typer.BadParameter("--out must end in .csv or .parquet")
    names = [m.strip() for m in models.split(",") if m.strip()]
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        raise typer.BadParameter(f"unknown model(s) {unknown}; choose from {sorted(MODELS)}")
    settings = _settings()
    started = time.perf_counter()
    with _steps("back-test") as step:
        panel = read_table(settings, "panel")
        panels = {"atrisk": panel, "ewp": read_table(settings, "ewp_prepared")}
        forecasts = backtest([MODELS[m] for m in names], panels, panel,
                             structural_windows(first, last), progress=step)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        forecasts.to_csv(out, index=False)
    else:
        forecasts.to_parquet(out, index=False)
    onsets = panel[["ccode", "year", "mk_onset"]]
    common = restrict_to_common(forecasts)
    console.print(_table(scoreboard(common, onsets, last_observed=LAST_OBSERVED),
                         "Scored on the country-years every model forecast (EWP protocol: "
                         "best of the forecasts from y-1 and y-2)"))
    console.print(_table(scoreboard(common, onsets, strict=True, last_observed=LAST_OBSERVED),
                         "Strict variant: only the forecast from y-1"))
    console.print(_table(scoreboard(forecasts, onsets, last_observed=LAST_OBSERVED),
                         "Each model on every country-year it forecasts"))
    console.print(f"wrote {len(forecasts):,} rows to {out} "
                  f"({time.perf_counter() - started:.0f} s)")


@forecast_app.command("structural")
def forecast_structural(
    year: Annotated[int, typer.Option(help="First year forecast (uses the previous year's data).")],
    model: Annotated[str, typer.Option(help="Model to forecast with.")] = "ensemble",
    bootstrap: Annotated[int, typer.Option(help="Bootstrap refits for the 80% interval.")] = 20,
    top: Annotated[int, typer.Option(help="Rows to print (all are stored).")] = 30,
) -> None:
    """Risk of a new mass-killing episode in YEAR-YEAR+1 for every country, ranked."""
    from atrisk.forecasting.structural import forecast

    if bootstrap < 0:
        raise typer.BadParameter("--bootstrap must be >= 0")
    settings = _settings()
    with _steps(f"forecast {year}") as step:
        step("fitting and bootstrapping")
        run = forecast(settings, year, model=model, bootstrap=bootstrap)
    t = run.table.head(top)
    table = Table(title=f"Risk of a new mass-killing episode in {year}-{year + 1} "
                        f"({model}, data of {year - 1})")
    for col in ("rank", "country", "risk 2y", "80% interval", f"risk {year}", "top drivers"):
        table.add_column(col)
    for r in t.itertuples(index=False):
        interval = ("" if pd.isna(r.low_80) else f"{100 * r.low_80:.1f}-{100 * r.high_80:.1f}%")
        drivers = "; ".join(str(r.drivers).split("; ")[:2])
        table.add_row(str(r.rank), f"{r.name} ({r.iso3})", f"{100 * r.risk_2yr:.1f}%", interval,
                      f"{100 * r.risk_1yr:.1f}%", drivers)
    console.print(table)
    console.print(f"stored {len(run.table)} countries in {run.path}")


def _table(frame: pd.DataFrame, title: str) -> Table:
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


def run() -> None:
    try:
        app()
    except ConfigError as exc:  # raised outside a progress block
        console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(2) from exc


if __name__ == "__main__":
    run()
