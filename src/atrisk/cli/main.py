"""atrisk: early warning of mass atrocities from public data.

Start with `atrisk data build`, then `atrisk forecast structural --year 2025` and
`atrisk forecast monthly --out build/monthly.parquet`, and `atrisk serve` for the dashboard.
`atrisk backtest` tests the forecasts on the past; `users`, `alerts` and `store` look after
accounts, alert rules and the application's data; `report` writes a country brief.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from atrisk.cli.backtests import backtest_app
from atrisk.cli.events import events_app
from atrisk.cli.output import console, plain, steps
from atrisk.domain.errors import AtriskError, ConfigError
from atrisk.domain.reports import StructuralBacktestReport, StructuralRunMeta
from atrisk.settings import Settings, get_settings

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
data_app = typer.Typer(help="Build the data from the public sources; list the sources.",
                       no_args_is_help=True)
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
app.add_typer(events_app, name="events")



@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                                help="Log more detail.")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s",
                        handlers=[RichHandler(console=Console(stderr=True), show_path=False)])


def _settings() -> Settings:
    return get_settings()


@data_app.command("build")
def data_build() -> None:
    """Read and validate every source, build the panels, and swap the build in atomically."""
    from atrisk.panels.build import build

    settings = _settings()
    with steps("data build") as step:
        result = build(settings, progress=step)
    console.print(f"built {result.path} in {result.seconds:.1f} s: "
                  + ", ".join(f"{k} {v:,}" for k, v in result.rows.items()))
    unmatched = pd.read_parquet(result.path / "unmatched.parquet")
    console.print(f"unmatched source rows: {int(unmatched['rows'].sum()):,} in "
                  f"{len(unmatched)} groups, each with its reason in "
                  f"{result.path / 'unmatched.csv'}")
    vintages = pd.read_parquet(result.path / "data_vintages.parquet")
    console.print(plain(vintages, "Country-months by UCDP vintage (a month no release covers "
                         "is unknown, not zero)"))
    _alerts(settings)  # a release that brings a new month is checked against the forecasts


@app.command()
def refresh(
    monthly: Annotated[bool, typer.Option(
        "--monthly/--no-monthly", help="Also the monthly forecast (about 2 minutes here: "
        "`make run` makes it in the background, once the dashboard serves).")] = True,
) -> None:
    """Build the data, then make and publish the forecasts from it: the annual forecast for
    the year after the last observed one and the 12 months after the latest month. One
    process, so the libraries load once. Without a mirror, the UCDP Candidate releases out
    since the newest month are downloaded first (`atrisk data fetch`); if UCDP cannot be
    reached, the build goes on from the files at hand and says so."""
    from atrisk.panels.build import LAST_OBSERVED
    from atrisk.sources.ucdp_fetch import fetch_new

    if _settings().mirror is None:
        try:
            console.print(fetch_new(_settings()).summary)
        except AtriskError as exc:
            console.print(f"[yellow]warning:[/yellow] new UCDP Candidate releases not checked "
                          f"({exc}); building from the files at hand")
    data_build()
    forecast_structural(year=LAST_OBSERVED + 1)
    if monthly:
        forecast_monthly_cmd(out=_settings().build_dir / "forecast_monthly.parquet")


@data_app.command("fetch")
def data_fetch(
    until: Annotated[str | None, typer.Option(
        help="The last month to ask for, YYYY-MM (default: this month).")] = None,
    base_url: Annotated[str, typer.Option(
        help="Where the releases are (UCDP's folder, or a copy of it).")] = "",
) -> None:
    """Download UCDP's monthly Candidate releases published since the newest month here
    (each checked as the build checks it) into the download cache; `atrisk data build` then
    applies them. Without a mirror only: with one, put the files in the mirror."""
    from atrisk.sources.ucdp_fetch import fetch_new

    if until is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", until):
        raise typer.BadParameter(f"--until {until!r} is not a month YYYY-MM")
    got = fetch_new(_settings(), until, base_url or None,
                    progress=lambda name: console.print(f"  {name}"))
    console.print(got.summary + (": run `atrisk data build`" if got.downloaded else ""))


@data_app.command("sources")
def data_sources() -> None:
    """List every public dataset atrisk reads: producer, version, licence and citation."""
    from atrisk.panels.build import sources

    table = Table("source", "producer", "version", "licence", "citation", show_lines=True)
    for s in sources(_settings()):
        table.add_row(s.name, s.producer, s.version, s.licence, s.citation)
    console.print(table)


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
    with steps(f"forecast {year}") as step:
        step("fitting and bootstrapping")
        run = forecast(settings, year, model=model, bootstrap=bootstrap,
                       provisional=provisional)
    t = run.table.head(top)
    table = Table(title=f"Risk of a new mass-killing episode in {year}-{year + 1} "
                        f"({model}, {'provisional ' if provisional else ''}data of {year - 1})",
                  caption=run.meta.data_note)
    for col in ("rank", "rank range", "top 10", "country", "risk 2y", "80% interval",
                f"risk {year}", "top drivers"):
        table.add_column(col)
    for r in t.itertuples(index=False):
        interval = ("" if pd.isna(r.low_80) else f"{100 * r.low_80:.1f}-{100 * r.high_80:.1f}%")
        ranks = "" if pd.isna(r.rank_low) else f"{r.rank_low:.0f}-{r.rank_high:.0f}"
        top10 = "" if pd.isna(r.p_top10) else f"{100 * r.p_top10:.0f}%"
        drivers = "; ".join(str(r.drivers).split("; ")[:2])
        table.add_row(str(r.rank), ranks, top10, f"{r.name} ({r.iso3})",
                      f"{100 * r.risk_2yr:.1f}%", interval, f"{100 * r.risk_1yr:.1f}%", drivers)
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


@forecast_app.command("monthly")
def forecast_monthly_cmd(
    out: Annotated[Path, typer.Option(help="Where to write every draw (.parquet).")],
    last_data: Annotated[str | None, typer.Option(
        "--last-data", help="Forecast from an earlier month (YYYY-MM); default: the latest "
        "month with data, final or provisional.")] = None,
    model: Annotated[str | None, typer.Option(
        help="Monthly model (default: history_learned_negbin, 45% of the draws "
             "quantile_boost's, 45% recent_history's, 10% negbin12's).")] = None,
    top: Annotated[int, typer.Option(help="Countries to print.")] = 20,
) -> None:
    """The next 12 months for every country: 1,000 draws of civilian deaths and fatalities."""
    from atrisk.forecasting.monthly import OUTLOOK_MONTHS, forecast_monthly

    if out.suffix != ".parquet":
        raise typer.BadParameter("--out must end in .parquet")
    settings = _settings()
    out.parent.mkdir(parents=True, exist_ok=True)
    with steps(f"monthly forecast after {last_data or 'the latest month'}") as step:
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


@forecast_app.command("subnational")
def forecast_subnational_cmd(
    country: Annotated[str, typer.Option(help="ISO3 code of a country with a complete event "
                                              "history (here: CAF, MEX, MMR), or 'all'.")],
    out: Annotated[Path, typer.Option(help="Where to write every draw (.parquet); with "
                                           "--country all, a folder for ISO3_level.parquet "
                                           "files.")],
    level: Annotated[str, typer.Option(help="cell (PRIO-GRID, 0.5 degrees), region "
                                            "(first-level, GED's adm_1) or both.")] = "cell",
    top: Annotated[int, typer.Option(help="Places to print.")] = 15,
) -> None:
    """Where in the country: the latest national monthly forecast shared among its cells or
    regions (1,000 draws each; they add up to the national draws)."""
    from atrisk.forecasting.subnational import UNIT_COLUMN
    from atrisk.panels.subnational import countries_with_histories

    levels = list(UNIT_COLUMN) if level == "both" else [level]
    if any(lv not in UNIT_COLUMN for lv in levels):
        raise typer.BadParameter("--level must be cell, region or both")
    settings = _settings()
    if country.lower() == "all":
        if out.suffix:
            raise typer.BadParameter("with --country all, --out is a folder")
        countries = list(countries_with_histories(settings))
        if not countries:  # the full GED: every country the national forecast covers
            from atrisk.forecasting.subnational import latest_monthly_run

            draws = pd.read_parquet(latest_monthly_run(settings).draws_file, columns=["iso3"])
            countries = sorted(draws["iso3"].astype(str).unique())
        targets = [(c, lv, out / f"{c}_{lv}.parquet") for c in countries for lv in levels]
    else:
        if out.suffix != ".parquet" or len(levels) > 1:
            raise typer.BadParameter("--out must end in .parquet (one country, one level)")
        targets = [(country, levels[0], out)]
    for iso3, lv, path in targets:
        _subnational(settings, iso3, lv, path, top)


def _subnational(settings: Settings, country: str, level: str, out: Path, top: int) -> None:
    from atrisk.forecasting.subnational import SERIOUS, UNIT_COLUMN, forecast_subnational

    with steps(f"sub-national forecast for {country.upper()} by {level}") as step:
        step("sharing out the national forecast")
        run = forecast_subnational(settings, country, out, level)  # type: ignore[arg-type]
    meta = run.meta
    table = Table(title=f"Civilian deaths in {meta.iso3}, {meta.months[0]} to "
                        f"{meta.months[meta.outlook_months - 1]}, by {level}",
                  caption=meta.data_note)
    for col in (UNIT_COLUMN[level], "expected", f"P(>= {SERIOUS})", "last 12 months"):
        table.add_column(col, justify="left" if col == UNIT_COLUMN[level] else "right")
    places = run.units.assign(unit=run.units["unit"].astype(str)).set_index("unit")
    for r in run.outlook.head(top).itertuples(index=False):
        where = str(r.unit)
        if level == "cell":
            cell = places.loc[where]
            where += (f" ({cell['region'] + ', ' if cell['region'] else ''}"
                      f"{abs(cell['lat']):.2f}{'N' if cell['lat'] >= 0 else 'S'} "
                      f"{abs(cell['lon']):.2f}{'E' if cell['lon'] >= 0 else 'W'})")
        table.add_row(where, f"{r.expected:,.1f}", f"{100 * r.p_ge_serious:.0f}%",
                      f"{r.last_12_months:,.0f}")
    console.print(table)
    console.print(f"draws in {out}; summaries and run record in {run.path}")


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
    from atrisk.http import lives_data
    from atrisk.http.country_charts import brief_charts
    from atrisk.response import brief
    from atrisk.store.db import migrate, session

    settings = _settings()
    migrate(settings.database)
    with session(settings.database) as s:
        written = brief.write(s, country, out, charts=brief_charts(settings, s, country),
                              at_stake=lives_data.lives_of(settings, s, country.upper()))
    console.print(f"wrote the brief for {country.upper()} to {written}")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(
        help="Worker processes (default: 2, or 1 on a one-core machine).")] = 0,
) -> None:
    """Serve the dashboard and the REST API (OpenAPI docs at /docs) over the store."""

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
