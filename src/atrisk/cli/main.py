"""atrisk: early warning of mass atrocities from public data.

Start with `atrisk data build`, then `atrisk forecast structural --year 2025` and
`atrisk forecast monthly --out build/monthly.parquet`, and `atrisk serve` for the dashboard.
`atrisk backtest` tests the forecasts on the past; `users`, `alerts` and `store` look after
accounts, alert rules and the application's data; `report` writes a country brief.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.logging import RichHandler
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
from atrisk.domain.reports import StructuralBacktestReport, StructuralRunMeta
from atrisk.settings import Settings, get_settings

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
data_app = typer.Typer(help="Build the data from the public sources; list the sources.",
                       no_args_is_help=True)
backtest_app = typer.Typer(help="Out-of-sample back-tests of the forecasts.", no_args_is_help=True)
forecast_app = typer.Typer(help="Forecasts for the coming years.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(backtest_app, name="backtest")
users_app = typer.Typer(help="Accounts: add users, list them, make API tokens.",
                        no_args_is_help=True)
app.add_typer(forecast_app, name="forecast")
app.add_typer(users_app, name="users")
alerts_app = typer.Typer(help="Alert rules: evaluate them on the latest runs.",
                         no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
store_app = typer.Typer(help="The application store (users, assessments, plans, alerts, "
                             "audit): back it up and restore it.", no_args_is_help=True)
app.add_typer(store_app, name="store")

# Tables written to a file or a pipe keep every column whole (Rich assumes 80 characters).
console = Console(width=None if sys.stdout.isatty() else 200)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                                help="Log more detail.")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s",
                        handlers=[RichHandler(console=Console(stderr=True), show_path=False)])


@contextmanager
def _steps(title: str, total: int | None = None) -> Iterator[Callable[[str], None]]:
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


def _pick(models: str, known: Mapping[str, object]) -> list[str]:
    """Model names from a comma-separated option, each checked against ``known``."""
    names = [m.strip() for m in models.split(",") if m.strip()]
    unknown = [m for m in names if m not in known]
    if unknown or not names:
        raise typer.BadParameter(f"unknown model(s) {unknown}; choose from {sorted(known)}")
    return names


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
    vintages = pd.read_parquet(result.path / "data_vintages.parquet")
    console.print(_plain(vintages, "Country-months by UCDP vintage (a month no release covers "
                         "is unknown, not zero)"))
    _alerts(settings)  # a release that brings a new month is checked against the forecasts


@app.command()
def refresh() -> None:
    """Build the data, then make and publish the forecasts from it (what `make run` does
    before it serves): the annual forecast for the year after the last observed one and the
    12 months after the latest month. One process, so the libraries load once."""
    from atrisk.panels.build import LAST_OBSERVED

    data_build()
    forecast_structural(year=LAST_OBSERVED + 1)
    forecast_monthly_cmd(out=_settings().build_dir / "forecast_monthly.parquet")


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
    carry_forward: Annotated[bool, typer.Option(
        help="Also forecast each data year as a provisional year is made (carried forward "
             "from the year before but for UCDP deaths, coups and population): what a "
             "forecast a year early costs, published with the run.")] = True,
    jobs: Annotated[int, typer.Option(help="Processes fitting in parallel.")] = os.cpu_count() or 1,
    refit: Annotated[bool, typer.Option(
        help="Refit every model instead of reusing fits whose data, settings and model code "
             "are unchanged (kept in build/cache/fits).")] = False,
) -> None:
    """EWP's fully out-of-sample back-test: fit on years <= L, forecast from L+2's data."""
    from atrisk.domain.horizon import structural_windows
    from atrisk.evaluation.backtest import (
        CARRIED,
        backtest,
        carry_forward_cost,
        fitted_specs,
        report,
    )
    from atrisk.evaluation.metrics import restrict_to_common, scoreboard
    from atrisk.models.registry import MODELS
    from atrisk.panels.build import LAST_OBSERVED, read_table
    from atrisk.sources import crosswalk

    if out.suffix not in (".csv", ".parquet"):
        raise typer.BadParameter("--out must end in .csv or .parquet")
    names = _pick(models, MODELS)
    settings = _settings()
    started = time.perf_counter()
    windows = structural_windows(first, last)
    specs = [MODELS[m] for m in names]
    with _steps("back-test", total=len(windows) * len(fitted_specs(specs))) as step:
        panel = read_table(settings, "panel")
        panels = {"atrisk": panel, "ewp": read_table(settings, "ewp_prepared")}
        capitals = crosswalk.gw_capitals(settings) if carry_forward else None
        every = backtest(specs, panels, panel, windows, progress=step, carry_forward=capitals,
                         jobs=jobs, cache=None if refit else settings.build_dir / "cache" / "fits")
    forecasts = every[~every["model"].str.endswith(CARRIED)]
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        forecasts.to_csv(out, index=False)
    else:
        forecasts.to_parquet(out, index=False)
    onsets = panel[["ccode", "year", "mk_onset"]]
    common = restrict_to_common(forecasts)
    board = scoreboard(common, onsets, last_observed=LAST_OBSERVED)
    console.print(_table(board,
                         "Scored on the country-years every model forecast (EWP protocol: "
                         "best of the forecasts from y-1 and y-2)"))
    console.print(_table(scoreboard(common, onsets, strict=True, last_observed=LAST_OBSERVED),
                         "Strict variant: only the forecast from y-1"))
    console.print(_table(scoreboard(forecasts, onsets, last_observed=LAST_OBSERVED),
                         "Each model on every country-year it forecasts"))
    cost = carry_forward_cost(every, onsets, LAST_OBSERVED)
    if len(cost):
        console.print(_plain(cost, "Forecasting a year early: each data year carried forward "
                             "from the year before but for UCDP deaths, coups and population "
                             "(loss = full minus carried; positive is worse)"))
    from atrisk.store.publish import publish_structural_backtest

    published = report(every, onsets, LAST_OBSERVED, first=first, last=last, out=out,
                       model="ensemble" if "ensemble" in names else names[-1], models=names)
    run_id = publish_structural_backtest(settings.database, forecasts, published)
    console.print(f"wrote {len(forecasts):,} rows to {out}; published as back-test run "
                  f"{run_id} ({time.perf_counter() - started:.0f} s)")


@forecast_app.command("structural")
def forecast_structural(
    year: Annotated[int, typer.Option(help="First year forecast (uses the previous year's data).")],
    model: Annotated[str, typer.Option(help="Model to forecast with.")] = "ensemble",
    bootstrap: Annotated[int, typer.Option(help="Bootstrap refits for the 80% interval.")] = 20,
    top: Annotated[int, typer.Option(help="Rows to print (all are stored).")] = 30,
    provisional: Annotated[bool, typer.Option(
        help="Forecast from a provisional YEAR-1 (the latest year carried forward but for "
             "UCDP Candidate deaths, coups and population); published only if the back-test "
             "says forecasting a year early costs little.")] = False,
) -> None:
    """Risk of a new mass-killing episode in YEAR-YEAR+1 for every country, ranked."""
    from atrisk.forecasting.structural import forecast

    if bootstrap < 0:
        raise typer.BadParameter("--bootstrap must be >= 0")
    settings = _settings()
    with _steps(f"forecast {year}") as step:
        step("fitting and bootstrapping")
        run = forecast(settings, year, model=model, bootstrap=bootstrap,
                       provisional=provisional)
    t = run.table.head(top)
    table = Table(title=f"Risk of a new mass-killing episode in {year}-{year + 1} "
                        f"({model}, {'provisional ' if provisional else ''}data of {year - 1})",
                  caption=run.meta.data_note)
    for col in ("rank", "country", "risk 2y", "80% interval", f"risk {year}", "top drivers"):
        table.add_column(col)
    for r in t.itertuples(index=False):
        interval = ("" if pd.isna(r.low_80) else f"{100 * r.low_80:.1f}-{100 * r.high_80:.1f}%")
        drivers = "; ".join(str(r.drivers).split("; ")[:2])
        table.add_row(str(r.rank), f"{r.name} ({r.iso3})", f"{100 * r.risk_2yr:.1f}%", interval,
                      f"{100 * r.risk_1yr:.1f}%", drivers)
    console.print(table)
    if provisional:
        ok, why = _provisional_verdict(settings, model)
        console.print(why)
        if not ok:
            console.print(f"stored {len(run.table)} countries in {run.path}; not published")
            return
    run_id = _publish_structural(settings, run.table, run.meta)
    console.print(f"stored {len(run.table)} countries in {run.path}; published as run "
                  f"{run_id} in the store")
    _alerts(settings)


@backtest_app.command("monthly")
def backtest_monthly(
    out: Annotated[Path, typer.Option(help="Where to write every draw (.parquet, long format).")],
    models: Annotated[str, typer.Option(help="Comma-separated model names.")] =
        "exactly_zero,last_historical,conflictology_country12,bootstrap240,recent_history",
    first: Annotated[int, typer.Option(help="First test year.")] = 2018,
    last: Annotated[int, typer.Option(help="Last test year.")] = 2023,
) -> None:
    """ViEWS protocol: data through October of Y-1, forecasts for January-December of Y."""
    from atrisk.domain.horizon import monthly_windows
    from atrisk.evaluation.monthly_backtest import report, views_rows
    from atrisk.evaluation.monthly_backtest import run as run_monthly
    from atrisk.evaluation.monthly_metrics import summarise
    from atrisk.models.monthly import MONTHLY_MODELS
    from atrisk.panels.build import read_table
    from atrisk.panels.country_month import TARGETS, known

    if out.suffix != ".parquet":
        raise typer.BadParameter("--out must end in .parquet")
    names = _pick(models, MONTHLY_MODELS)
    settings = _settings()
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    windows = monthly_windows(first, last)
    with _steps("monthly back-test", total=len(windows) * len(TARGETS) * len(names)) as step:
        panel = known(read_table(settings, "country_month"))
        scored = run_monthly(panel, {m: MONTHLY_MODELS[m] for m in names}, TARGETS, windows,
                             draws_out=out, progress=step)
    scores_path = out.with_name(out.stem + "_scores.parquet")
    scored.to_parquet(scores_path, index=False)
    views = views_rows(scored)
    views = views.assign(actuals=views["actual"].gt(0).map({True: "non-zero", False: "zero"}))
    console.print(_plain(summarise(views, ["target", "model"]),
                         f"Monthly back-test {first}-{last}, steps 3-14 (January-December, the "
                         "ViEWS protocol): mean scores (lower is better)"))
    console.print(_plain(summarise(views, ["target", "actuals", "model"]),
                         "By actual: months with and without deaths"))
    by_step = scored.pivot_table(index=["target", "model"], columns="step", values="crps",
                                 aggfunc="mean", sort=False).reset_index()
    by_step.columns = [str(c) for c in by_step.columns]
    console.print(_plain(by_step, "CRPS by step 1-14 (months after the last data month; "
                         "steps 1-2 are November and December before the test year)"))
    published = report(scored, model="recent_history" if "recent_history" in names
                       else names[-1], models=names, first=first, last=last, out=out)
    if published.crps_change:
        console.print(_plain(pd.DataFrame([c.model_dump() for c in published.crps_change]),
                             "CRPS change against the reference (-0.1 is 10% lower), with a "
                             "95% interval from resampling countries"))
    from atrisk.store.publish import publish_monthly_backtest

    run_id = publish_monthly_backtest(settings.database, published)
    console.print(f"wrote draws to {out} and scores to {scores_path}; published as back-test "
                  f"run {run_id} ({time.perf_counter() - started:.0f} s)")


@forecast_app.command("monthly")
def forecast_monthly_cmd(
    out: Annotated[Path, typer.Option(help="Where to write every draw (.parquet).")],
    last_data: Annotated[str | None, typer.Option(
        "--last-data", help="Forecast from an earlier month (YYYY-MM); default: the latest "
        "month with data, final or provisional.")] = None,
    model: Annotated[str, typer.Option(help="Monthly model.")] = "recent_history",
    top: Annotated[int, typer.Option(help="Countries to print.")] = 20,
) -> None:
    """The next 12 months for every country: 1,000 draws of civilian deaths and fatalities."""
    from atrisk.forecasting.monthly import OUTLOOK_MONTHS, forecast_monthly

    if out.suffix != ".parquet":
        raise typer.BadParameter("--out must end in .parquet")
    settings = _settings()
    out.parent.mkdir(parents=True, exist_ok=True)
    with _steps(f"monthly forecast after {last_data or 'the latest month'}") as step:
        step("drawing")
        run = forecast_monthly(settings, last_data, out, model=model)
    origin = run.meta.last_data_month
    civ = run.outlook[run.outlook["target"] == "civilian_deaths"].sort_values(
        "expected_total", ascending=False).head(top)
    table = Table(title=f"Civilian deaths in the {OUTLOOK_MONTHS} months after {origin} "
                        f"({model})", caption=run.meta.data_note)
    for col in ("country", "expected", "P(a month >= 100)"):
        table.add_column(col, justify="left" if col == "country" else "right")
    for r in civ.itertuples(index=False):
        table.add_row(str(r.name), f"{r.expected_total:,.0f}", f"{100 * r.p_month_ge_100:.0f}%")
    console.print(table)
    from atrisk.store.publish import publish_monthly

    run_id = publish_monthly(settings.database, run.summary, run.outlook, run.meta)
    console.print(f"draws in {out}; summaries and run record in {run.path}; published as run "
                  f"{run_id} in the store")
    _alerts(settings)


def _provisional_verdict(settings: Settings, model: str) -> tuple[bool, str]:
    """The latest published back-test's cost of forecasting a year early, and whether a
    provisional run of ``model`` may be published on it."""
    from atrisk.forecasting.structural import provisional_verdict
    from atrisk.store import queries
    from atrisk.store.db import migrate, session

    migrate(settings.database)
    with session(settings.database) as s:
        run = queries.latest_run(s, "backtest_structural")
        report = run.report if run else None
    cost = report.carry_forward_cost if isinstance(report, StructuralBacktestReport) else []
    return provisional_verdict(cost, model)


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Option(help="The user's e-mail (their login).")],
    role: Annotated[str, typer.Option(help="viewer, analyst or admin.")] = "viewer",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (for scripts).")] = False,
) -> None:
    """Add a user (the first admin comes from here); asks for the password twice."""
    import sys

    from atrisk.store import accounts
    from atrisk.store.db import migrate, session

    password = (sys.stdin.readline().rstrip("\n") if password_stdin else
                typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    settings = _settings()
    migrate(settings.database)
    with session(settings.database) as s:
        user = accounts.add_user(s, email, password, role, name)
        console.print(f"added {user.email} ({user.role}) to {settings.database}")


@users_app.command("list")
def users_list() -> None:
    """Every user with role and status."""
    from atrisk.store import accounts
    from atrisk.store.db import migrate, session

    settings = _settings()
    migrate(settings.database)
    table = Table("e-mail", "name", "role", "active", "created")
    with session(settings.database) as s:
        for u in accounts.users(s):
            table.add_row(u.email, u.name, u.role, "yes" if u.active else "no",
                          u.created_at.strftime("%Y-%m-%d"))
    console.print(table)


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Option(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
) -> None:
    """Make an API token for a user and print it (it is shown only this once)."""
    from atrisk.store import accounts
    from atrisk.store.db import migrate, session

    settings = _settings()
    migrate(settings.database)
    with session(settings.database) as s:
        user = accounts.user_by_email(s, email)
        if user is None:
            raise ConfigError(f"no user {email}: add one with `atrisk users add`")
        token = accounts.new_token(s, user, name)
    typer.echo(token)  # bare, so scripts can capture it


@app.command("report")
def report(
    country: Annotated[str, typer.Argument(help="ISO3 code of the country, e.g. SDN.")],
    out: Annotated[Path, typer.Option(help="Where to write the brief: .html or .pdf.")],
) -> None:
    """A country brief: risk and interval, drivers, monthly outlook, the latest assessment
    and the plan's status."""
    from atrisk.response import brief
    from atrisk.store.db import migrate, session

    settings = _settings()
    migrate(settings.database)
    with session(settings.database) as s:
        written = brief.write(s, country, out)
    console.print(f"wrote the brief for {country.upper()} to {written}")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(
        help="Worker processes (default: 2, or 1 on a one-core machine).")] = 0,
) -> None:
    """Serve the dashboard and the REST API (OpenAPI docs at /docs) over the store."""
    import os

    import uvicorn

    from atrisk.store.db import migrate

    settings = _settings()
    settings.check_production()
    migrate(settings.database)  # once, before the workers start
    workers = workers or min(2, os.cpu_count() or 1)
    console.print(f"atrisk on http://{host}:{port} (API docs at /docs; store "
                  f"{settings.database}; {workers} worker{'s' * (workers > 1)})")
    from atrisk.http.protocol import TimedHttpProtocol

    uvicorn.run("atrisk.app:create_app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level="warning", http=TimedHttpProtocol)


def _alerts(settings: Settings) -> None:
    """Evaluate every alert rule on the runs just published, and deliver what they raise."""
    from atrisk.panels.build import read_table
    from atrisk.response.alerts import run_after_forecast

    raised = run_after_forecast(settings, read_table(settings, "country_month"))
    console.print(f"alerts: {raised} raised" + (" (see /alerts)" if raised else ""))


@store_app.command("backup")
def store_backup(
    path: Annotated[Path, typer.Argument(help="Where to write the backup file.")],
) -> None:
    """A consistent copy of the store, taken while the server runs (SQLite's online backup;
    pg_dump on PostgreSQL)."""
    from atrisk.store.backup import backup

    settings = _settings()
    backup(settings.database, path)
    console.print(f"backed up the store to {path} ({path.stat().st_size:,} bytes)")


@store_app.command("restore")
def store_restore(
    path: Annotated[Path, typer.Argument(help="A file written by `atrisk store backup`.")],
    yes: Annotated[bool, typer.Option("--yes", help="Replace the store without asking.")]
        = False,
) -> None:
    """Replace the store by a backup (checked first; stop the server before)."""
    from atrisk.store.backup import restore

    settings = _settings()
    if not yes:
        raise typer.BadParameter("restoring replaces everything in the store: add --yes")
    restore(settings.database, path)
    console.print(f"restored the store from {path}")


@alerts_app.command("evaluate")
def alerts_evaluate() -> None:
    """Evaluate every alert rule on the latest runs and data now (also done after each
    forecast and each data build)."""
    _alerts(_settings())


def _publish_structural(settings: Settings, table: pd.DataFrame,
                        meta: StructuralRunMeta) -> int:
    from atrisk.panels.build import read_table
    from atrisk.store.publish import publish_countries, publish_structural

    publish_countries(settings.database, read_table(settings, "countries"))
    return publish_structural(settings.database, table, meta)


def _plain(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=title)
    for c in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[c])
        table.add_column(str(c), justify="right" if numeric else "left")
    for r in frame.itertuples(index=False):
        table.add_row(*[f"{v:.4g}" if isinstance(v, float) else str(v) for v in r])
    return table


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
    """The `atrisk` command: every AtriskError becomes a one-line message and an exit code
    (2 for a wrong setting or argument, 1 for anything else), never a traceback."""
    try:
        app()
    except ConfigError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(2) from exc
    except AtriskError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(1) from exc


if __name__ == "__main__":
    run()
