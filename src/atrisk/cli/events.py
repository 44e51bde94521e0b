"""`atrisk events`: news-coded events (GDELT) built into tables and turned into escalation
signals between data releases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from atrisk.cli.output import console, plain
from atrisk.domain.errors import ConfigError
from atrisk.events.engine import ENGINES
from atrisk.settings import get_settings

events_app = typer.Typer(help="News-coded events: build the tables, list escalation signals.",
                         no_args_is_help=True)


@events_app.command("fetch")
def events_fetch(
    days: Annotated[float, typer.Option(min=0.01, max=400,
                                        help="How many days of exports to keep up to date.")
                    ] = 1.0,
    file_list: Annotated[str, typer.Option(
        "--list", help="GDELT's file list: masterfilelist.txt (default) or lastupdate.txt "
                       "for the newest 15 minutes.")] = "",
) -> None:
    """Download GDELT 2.0's event exports of the last DAYS days (each checked against the
    list's size and MD5) for `atrisk events build`."""
    from atrisk.events.watch import downloads_dir
    from atrisk.sources import gdelt, gdelt_fetch

    folder = downloads_dir(get_settings())
    got = gdelt_fetch.fetch(folder, days, file_list or gdelt.MASTER_LIST_URL,
                            progress=lambda name: console.print(f"  {name}"))
    console.print(f"{len(got.downloaded)} new export(s) of {got.listed:,} listed; "
                  f"{len(got.kept)} in {folder}: run `atrisk events build`")


@events_app.command("build")
def events_build(
    engine: Annotated[str, typer.Option(help="duckdb (embedded) or spark.")] = "duckdb",
    spark_master: Annotated[str | None, typer.Option(
        help="Spark master URL, e.g. spark://host:7077 (default: local[2]).")] = None,
    exports: Annotated[list[Path] | None, typer.Option(
        "--export", help="A GDELT export to read (as published, .zip, or unzipped; repeat "
                         "for more). Default: the mirror's real month.")] = None,
) -> None:
    """Read and check the GDELT exports, write the cleaned events and the country-day and
    admin-1-day counts to <build>/events."""
    from atrisk.events.watch import build_events

    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if spark_master and engine != "spark":
        raise ConfigError("--spark-master needs --engine spark")
    built = build_events(get_settings(), engine, spark_master,
                         exports or ())
    console.print(f"{built.raw_rows:,} exported rows -> {built.event_rows:,} root events, one "
                  f"a day ({built.first_day} to {built.last_day}), on {engine}: "
                  f"{built.events.parent}")
    _alerts()


def _alerts() -> None:
    """Signal rules are checked against the new signals (with the forecasts' rules, which
    need the data build)."""
    from atrisk.domain.errors import BuildError
    from atrisk.panels.build import read_table
    from atrisk.response.alerts import run_after_forecast

    settings = get_settings()
    try:
        country_month = read_table(settings, "country_month")
    except BuildError:
        console.print("alerts: not evaluated (no data build yet)")
        return
    raised = run_after_forecast(settings, country_month)
    console.print(f"alerts: {raised} raised" + (" (see /alerts)" if raised else ""))


@events_app.command("signals")
def events_signals(
    as_of: Annotated[str, typer.Option("--as-of", help="The day to look from (YYYY-MM-DD).")],
    out: Annotated[Path | None, typer.Option(help="Also write the table (.csv or .parquet).")]
        = None,
    top: Annotated[int, typer.Option(help="Rows to print.")] = 20,
    engine: Annotated[str | None, typer.Option(
        help="Build the event tables on this engine first (duckdb or spark); by default the "
             "tables `atrisk events build` made are read.")] = None,
    spark_master: Annotated[str | None, typer.Option(
        help="With --engine spark: the master URL (default: local[2]).")] = None,
) -> None:
    """Every country's escalation signals as of a day, highest level first, with the news
    behind each raised one."""
    from atrisk.events.watch import behind, signals

    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError as exc:
        raise ConfigError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from exc
    if engine is not None:
        events_build(engine=engine, spark_master=spark_master, exports=None)
    settings = get_settings()
    table = signals(settings, day)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        (table.to_parquet(out, index=False) if out.suffix == ".parquet"
         else table.to_csv(out, index=False))
    console.print(plain(table.head(top), f"Escalation signals as of {day} (z-scores of the "
                        "7-day share against earlier weeks; medium >= 3, high >= 5)"))
    raised = table[table["level"] != "none"].drop_duplicates("iso3")
    for iso3 in raised["iso3"].head(5):
        news = behind(settings, iso3, day)
        console.print(plain(news, f"{iso3}: the violent events most sources reported"))


@events_app.command("evaluate")
def events_evaluate(
    scores: Annotated[Path | None, typer.Option(
        help="A rolling back-test's ..._scores.parquet: the monthly model's P(>= 100) is "
             "scored beside the signals.")] = None,
    model: Annotated[str | None, typer.Option(
        help="Whose rows of --scores (default: the shipped monthly model, else "
             "recent_history).")] = None,
) -> None:
    """Do the signals lead surges of civilian deaths? The 19-country weekly GDELT panel and
    the HDX rule (and the model) against UCDP's surges: hit rate, false alarms per
    country-year, median lead; written to <build>/events/evaluation.parquet (Methods page)."""
    import pandas as pd

    from atrisk.evaluation.signals import evaluate
    from atrisk.events.watch import events_dir
    from atrisk.models.monthly_registry import DEFAULT

    settings = get_settings()
    table = pd.read_parquet(scores) if scores is not None else None
    if table is not None and model is None:
        model = DEFAULT if DEFAULT in set(table["model"]) else "recent_history"
    result = evaluate(settings, table, model)
    out = events_dir(settings) / "evaluation.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    result.to_parquet(out, index=False)
    for period, rows in result.groupby("period", sort=False):
        console.print(plain(rows.drop(columns="period"),
                            f"Surges of civilian deaths beginning {period}, 19 countries"))
    console.print(f"written to {out}")
