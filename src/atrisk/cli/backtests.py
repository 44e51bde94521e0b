"""`atrisk backtest`: the forecasts tested on the past, scored and published with the run."""

from __future__ import annotations

import os
import time
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from atrisk.cli.output import console, pick, plain, score_table, steps
from atrisk.domain.reports import RollingBacktestReport
from atrisk.settings import get_settings


class Origins(StrEnum):
    views = "views"
    rolling = "rolling"


backtest_app = typer.Typer(help="Out-of-sample back-tests of the forecasts.", no_args_is_help=True)


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
    names = pick(models, MODELS)
    settings = get_settings()
    started = time.perf_counter()
    windows = structural_windows(first, last)
    specs = [MODELS[m] for m in names]
    with steps("back-test", total=len(windows) * len(fitted_specs(specs))) as step:
        panel = read_table(settings, "panel")
        panels = {"atrisk": panel, "ewp": read_table(settings, "ewp_prepared")}
        capitals = crosswalk.gw_capitals(settings) if carry_forward else None
        every = backtest(specs, panels, panel, windows, progress=step, carry_forward=capitals,
                         jobs=jobs, cache=None if refit else settings.fits_dir)
    forecasts = every[~every["model"].str.endswith(CARRIED)]
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        forecasts.to_csv(out, index=False)
    else:
        forecasts.to_parquet(out, index=False)
    onsets = panel[["ccode", "year", "mk_onset"]]
    common = restrict_to_common(forecasts)
    board = scoreboard(common, onsets, last_observed=LAST_OBSERVED)
    console.print(score_table(board,
                         "Scored on the country-years every model forecast (EWP protocol: "
                         "best of the forecasts from y-1 and y-2)"))
    console.print(score_table(scoreboard(common, onsets, strict=True, last_observed=LAST_OBSERVED),
                         "Strict variant: only the forecast from y-1"))
    console.print(score_table(scoreboard(forecasts, onsets, last_observed=LAST_OBSERVED),
                         "Each model on every country-year it forecasts"))
    cost = carry_forward_cost(every, onsets, LAST_OBSERVED)
    if len(cost):
        console.print(plain(cost, "Forecasting a year early: each data year carried forward "
                             "from the year before but for UCDP deaths, coups and population "
                             "(loss = full minus carried; positive is worse)"))
    from atrisk.store.publish import publish_structural_backtest

    published = report(every, onsets, LAST_OBSERVED, first=first, last=last, out=out,
                       model="ensemble" if "ensemble" in names else names[-1], models=names)
    run_id = publish_structural_backtest(settings.database, forecasts, published)
    console.print(f"wrote {len(forecasts):,} rows to {out}; published as back-test run "
                  f"{run_id} ({time.perf_counter() - started:.0f} s)")


@backtest_app.command("monthly")
def backtest_monthly(
    out: Annotated[Path, typer.Option(help="Where to write every draw (.parquet, long "
                                           "format); the scores go beside it, in "
                                           "<name>_scores.parquet.")],
    models: Annotated[str, typer.Option(help="Comma-separated model names.")] =
        "exactly_zero,last_historical,conflictology_country12,bootstrap240,recent_history,"
        "quantile_boost,history_and_learned,history_learned_negbin",
    origins: Annotated[Origins, typer.Option(
        help="views: the ViEWS protocol (data through October of Y-1, forecasts for "
             "January-December of Y); rolling: an origin at every month from December of "
             "FIRST-1 to November of LAST, each forecasting the next 12 months within LAST "
             "(scores only: no draws are written).")] = Origins.views,
    first: Annotated[int, typer.Option(help="First test year.")] = 2018,
    last: Annotated[int | None, typer.Option(
        help="Last test year (default: 2023 for views, as published challenge results "
             "use; 2024 for rolling).")] = None,
    refit: Annotated[bool, typer.Option(
        help="Refit the learned model instead of reading back fits whose data, settings "
             "and code are unchanged (kept in build/cache/fits/monthly).")] = False,
    jobs: Annotated[int, typer.Option(
        help="Processes scoring side by side, one per target (rolling origins; the ViEWS "
             "protocol writes its draws in one).")] = os.cpu_count() or 1,
) -> None:
    """Monthly forecasts tested on the past and scored as ViEWS scores them; published with
    the run (the Track record page shows it)."""
    from atrisk.domain.horizon import monthly_windows, rolling_origins
    from atrisk.evaluation.monthly_backtest import report, report_rolling, views_rows
    from atrisk.evaluation.monthly_backtest import run as run_monthly
    from atrisk.evaluation.monthly_metrics import summarise
    from atrisk.models.monthly_learned import stored_fits
    from atrisk.models.monthly_registry import DEFAULT, MONTHLY_MODELS
    from atrisk.panels.build import read_table
    from atrisk.panels.country_month import TARGETS, known
    from atrisk.store.publish import publish_monthly_backtest, publish_rolling_backtest

    if out.suffix != ".parquet":
        raise typer.BadParameter("--out must end in .parquet")
    names = pick(models, MONTHLY_MODELS)
    headline = DEFAULT if DEFAULT in names else names[-1]
    rolling = origins is Origins.rolling
    last = last if last is not None else 2024 if rolling else 2023
    settings = get_settings()
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    starts = rolling_origins(f"{first - 1}-12", f"{last}-11", f"{last}-12") if rolling else ()
    windows = starts or monthly_windows(first, last)
    store = nullcontext() if refit else stored_fits(settings.fits_dir / "monthly")
    with steps("monthly back-test", total=len(windows) * len(TARGETS) * len(names)) as step, \
            store:
        panel = known(read_table(settings, "country_month"))
        scored = run_monthly(panel, {m: MONTHLY_MODELS[m] for m in names}, TARGETS, windows,
                             draws_out=None if rolling else out, progress=step, jobs=jobs)
    scores_path = out.with_name(out.stem + "_scores.parquet")
    if rolling:
        scored.rename(columns={"last_data_month": "origin"}).to_parquet(scores_path,
                                                                         index=False)
        published_rolling = report_rolling(scored, model=headline, models=names,
                                           origins=starts, out=scores_path)
        _print_rolling(published_rolling)
        run_id = publish_rolling_backtest(settings.database, published_rolling)
        console.print(f"wrote scores to {scores_path}; published as back-test run {run_id} "
                      f"({time.perf_counter() - started:.0f} s)")
        return
    scored.to_parquet(scores_path, index=False)
    views = views_rows(scored)
    views = views.assign(actuals=views["actual"].gt(0).map({True: "non-zero", False: "zero"}))
    console.print(plain(summarise(views, ["target", "model"]),
                        f"Monthly back-test {first}-{last}, steps 3-14 (January-December, the "
                        "ViEWS protocol): mean scores (lower is better)"))
    console.print(plain(summarise(views, ["target", "actuals", "model"]),
                        "By actual: months with and without deaths"))
    by_step = scored.pivot_table(index=["target", "model"], columns="step", values="crps",
                                 aggfunc="mean", sort=False).reset_index()
    by_step.columns = [str(c) for c in by_step.columns]
    console.print(plain(by_step, "CRPS by step 1-14 (months after the last data month; "
                        "steps 1-2 are November and December before the test year)"))
    published = report(scored, model=headline, models=names, first=first, last=last, out=out)
    if published.crps_change:
        console.print(plain(pd.DataFrame([c.model_dump() for c in published.crps_change]),
                            "CRPS change against the reference (-0.1 is 10% lower), with a "
                            "95% interval from resampling countries"))
    run_id = publish_monthly_backtest(settings.database, published)
    console.print(f"wrote draws to {out} and scores to {scores_path}; published as back-test "
                  f"run {run_id} ({time.perf_counter() - started:.0f} s)")


def _print_rolling(report: RollingBacktestReport) -> None:
    def frame(rows: list[Any], drop: tuple[str, ...] = ()) -> pd.DataFrame:
        return pd.DataFrame([r.model_dump() for r in rows]).dropna(axis=1, how="all").drop(
            columns=list(drop), errors="ignore")

    span = f"origins {report.first_origin} to {report.last_origin} ({report.origins})"
    console.print(plain(frame(report.scores), f"Rolling back-test, {span}, steps 1-12: mean "
                        "scores (lower is better)"))
    by_step = frame(report.scores_by_step).pivot_table(
        index=["target", "model"], columns="step", values="crps", sort=False).reset_index()
    by_step.columns = [str(c) for c in by_step.columns]
    console.print(plain(by_step, "CRPS by step (months after the last data month)"))
    by_year = frame(report.scores_by_year).pivot_table(
        index=["target", "model"], columns="year", values="crps", sort=False).reset_index()
    by_year.columns = [str(c) for c in by_year.columns]
    console.print(plain(by_year, "CRPS by year of the month forecast"))
    console.print(plain(frame(report.scores_by_actuals), "By actual: months with and without "
                        "deaths"))
    for rows, title in ((report.crps_change, "every month"),
                        (report.crps_change_last_year, "the last year alone")):
        if rows:
            console.print(plain(frame(rows), f"CRPS change against the reference, {title} "
                                "(-0.1 is 10% lower; 95% interval from resampling countries)"))
