"""The CLI: help, usage errors, and the build -> back-test -> forecast path on real data."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from atrisk.cli.main import app
from atrisk.settings import Settings
from conftest import free_port, serve_cli

runner = CliRunner()


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return {"ATRISK_MIRROR": str(settings.mirror), "ATRISK_BUILD_DIR": str(settings.build_dir),
            "COLUMNS": "200"}


@pytest.fixture
def built_env(env: dict[str, str], settings: Settings, built: Settings) -> dict[str, str]:
    """``env`` with the session's data build in place (read only), for the commands that
    come after a build: their runs, store and caches stay in this test's folder."""
    settings.build_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.symlink_to(built.data_dir.resolve(), target_is_directory=True)
    return env


def test_every_command_has_plain_help() -> None:
    """Each command the CLI registers is listed by `atrisk --help` and answers its own
    `--help` with a description (a command added without one fails here)."""
    import typer.main

    group = typer.main.get_command(app)
    listed = runner.invoke(app, ["--help"]).output
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert name in listed and (command.help or "").strip(), name
        for sub in getattr(command, "commands", {}).values():
            assert (sub.help or "").strip(), f"{name} {sub.name}"
            shown = runner.invoke(app, [name, sub.name, "--help"])
            assert shown.exit_code == 0 and "Usage" in shown.output, f"{name} {sub.name}"


def test_errors_are_one_line_messages_with_exit_codes(tmp_path) -> None:
    """Through the real entry point: a wrong argument exits 2, a bad source file 1; no
    traceback either way."""
    env = {**os.environ, "ATRISK_BUILD_DIR": str(tmp_path / "build"),
           "ATRISK_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
           "ATRISK_MIRROR": str(tmp_path / "empty-mirror")}
    (tmp_path / "empty-mirror").mkdir()
    missing = subprocess.run([sys.executable, "-m", "atrisk.cli.main", "store", "restore",
                              str(tmp_path / "none.backup"), "--yes"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "no such backup file" in missing.stdout
    broken = subprocess.run([sys.executable, "-m", "atrisk.cli.main", "data", "build"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert broken.returncode == 1 and "missing from the mirror" in broken.stdout
    assert "Traceback" not in missing.stderr + broken.stderr


def test_sources_lists_citations(env) -> None:
    result = runner.invoke(app, ["data", "sources"], env=env)
    assert result.exit_code == 0
    assert "ewp_episodes" in result.output and "CC BY 4.0" in result.output


def test_forecast_without_build_is_a_clear_error(env) -> None:
    result = runner.invoke(app, ["forecast", "structural", "--year", "2025"], env=env)
    assert result.exit_code == 1  # not a wrong argument: the data are not built yet
    assert "run `atrisk data build` first" in result.output


def test_backtest_rejects_bad_output_suffix(env, tmp_path) -> None:
    result = runner.invoke(app, ["backtest", "structural", "--out", str(tmp_path / "x.txt")],
                           env=env)
    assert result.exit_code != 0
    assert ".csv or .parquet" in result.output


def test_build_backtest_and_forecast(env, settings: Settings, tmp_path) -> None:
    result = runner.invoke(app, ["data", "build"], env=env)
    assert result.exit_code == 0, result.output
    assert "unmatched source rows" in result.output

    out = tmp_path / "bt.csv"
    result = runner.invoke(app, ["backtest", "structural", "--out", str(out), "--models",
                                 "simple,lgbm", "--first", "2018", "--last", "2021"], env=env)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns) == ["ccode", "gwcode", "iso3", "data_year", "last_train_year",
                                   "model", "probability", "onset_next2"]
    assert set(table["model"]) == {"simple", "lgbm"}
    assert table.loc[table["data_year"] == 2023, "onset_next2"].isna().all()
    assert "auc" in result.output and "top30" in result.output
    assert "Forecasting a year early" in result.output  # lgbm+carried, apart from the table
    assert not table["model"].str.endswith("+carried").any()

    result = runner.invoke(app, ["forecast", "structural", "--year", "2025", "--model", "lgbm",
                                 "--bootstrap", "3", "--top", "5"], env=env)
    assert result.exit_code == 0, result.output
    runs = sorted((settings.build_dir / "forecasts").iterdir())
    forecast = pd.read_parquet(runs[-1] / "forecast.parquet")
    assert forecast["rank"].min() == 1 and len(forecast) >= 165
    assert (forecast["low_80"] <= forecast["high_80"]).all()
    assert forecast["drivers"].str.len().gt(0).mean() > 0.5
    meta = json.loads((runs[-1] / "run.json").read_text())
    assert meta["data_year"] == 2024 and len(meta["inputs"]) >= 10
    assert "Risk of a new mass-killing episode in 2025-2026" in result.output

    result = runner.invoke(app, ["forecast", "structural", "--year", "2026", "--model", "lgbm",
                                 "--bootstrap", "0", "--provisional", "--top", "3"], env=env)
    assert result.exit_code == 0, result.output
    assert "provisional data of 2025" in result.output
    assert "forecasting a year early moved lgbm's AUC" in result.output


def test_forecast_reproduces_from_same_inputs(built_env, settings: Settings) -> None:
    tables = []
    for _ in range(2):
        result = runner.invoke(app, ["forecast", "structural", "--year", "2025", "--model",
                                     "simple", "--bootstrap", "0"], env=built_env)
        assert result.exit_code == 0, result.output
        runs = sorted((settings.build_dir / "forecasts").iterdir())
        tables.append(pd.read_parquet(runs[-1] / "forecast.parquet"))
    pd.testing.assert_series_equal(tables[0]["risk_2yr"], tables[1]["risk_2yr"])


def test_monthly_backtest_and_forecast(built_env, settings: Settings, tmp_path) -> None:
    out = tmp_path / "bt_monthly.parquet"
    result = runner.invoke(app, ["backtest", "monthly", "--out", str(out), "--first", "2023",
                                 "--last", "2023", "--models",
                                 "conflictology_country12,recent_history"], env=built_env)
    assert result.exit_code == 0, result.output
    draws = pd.read_parquet(out)
    assert list(draws.columns) == ["iso3", "gwcode", "month", "last_data_month", "target",
                                   "model", "draw", "value", "actual"]
    assert draws["draw"].min() == 0 and draws["draw"].max() == 999
    assert set(draws["last_data_month"].astype(str)) == {"2022-10"}
    assert "crps" in result.output and "non-zero" in result.output
    assert "resampling" in result.output  # the change against the benchmark, with its interval
    scores = pd.read_parquet(tmp_path / "bt_monthly_scores.parquet")
    assert set(scores["model"]) == {"conflictology_country12", "recent_history"}
    assert set(scores["step"]) == set(range(1, 15)) and "CRPS by step 1-14" in result.output

    fc = tmp_path / "fc.parquet"  # from the latest month with data, as `make run` does
    result = runner.invoke(app, ["forecast", "monthly", "--out", str(fc)], env=built_env)
    assert result.exit_code == 0, result.output
    assert "months after 2026-02" in result.output and "data through 2026-02" in result.output
    draws = pd.read_parquet(fc)
    assert sorted(draws["month"].astype(str).unique()) == [
        str(pd.Period("2026-03", "M") + i) for i in range(12)]
    assert set(draws["target"].astype(str)) == {"civilian_deaths", "fatalities"}
    assert draws.groupby(["iso3", "month", "target"], observed=True).size().eq(1000).all()
    runs = sorted((settings.build_dir / "forecasts").glob("monthly-*"))
    summary = pd.read_parquet(runs[-1] / "summary.parquet")
    assert {"p_ge_1", "p_ge_25", "p_ge_100", "p_ge_1000"} <= set(summary.columns)
    assert (summary["p_ge_1"] >= summary["p_ge_1000"]).all()
    outlook = pd.read_parquet(runs[-1] / "outlook.parquet").set_index(["iso3", "target"])
    syria = draws[(draws["iso3"] == "SYR") & (draws["target"] == "civilian_deaths")
                  & (draws["month"].astype(str) <= "2026-08")]
    paths = syria.pivot(index="draw", columns="month", values="value")  # draw j is one path
    assert outlook.loc[("SYR", "civilian_deaths"), "p_month_ge_100"] == pytest.approx(
        (paths.max(axis=1) >= 100).mean())
    assert outlook.loc[("SYR", "civilian_deaths"), "expected_total"] == pytest.approx(
        paths.sum(axis=1).mean(), rel=1e-5)
    assert "P(a month >= 100)" in result.output
    meta = json.loads((runs[-1] / "run.json").read_text())
    assert meta["model"] == "history_learned_negbin"  # the default; the run says how it was made
    fatalities = meta["settings"]["fatalities"]
    learned, rest = fatalities["quantile_boost"], fatalities["history_and_negbin"]
    history = rest["recent_history"]
    assert fatalities["share"] == 0.45 and rest["share"] == 0.9 and history["decay"] == 0.96
    assert rest["negbin12"]["window"] == 12
    assert learned["refit_months"] == 36 and learned["weight_power"] == 1.0
    assert meta["settings"]["civilian_deaths"]["history_and_negbin"]["recent_history"][
        "cap"] == 10.0
    assert len(meta["inputs"]) >= 10

    result = runner.invoke(app, ["forecast", "monthly", "--last-data", "2030-01", "--out",
                                 str(fc)], env=built_env)
    assert result.exit_code == 2 and "in the future" in result.output


def test_rolling_backtest_from_the_cli(built_env, settings: Settings, tmp_path) -> None:
    out = tmp_path / "rolling.parquet"
    result = runner.invoke(app, ["backtest", "monthly", "--origins", "rolling", "--out",
                                 str(out), "--first", "2024", "--models",
                                 "conflictology_country12,recent_history"], env=built_env)
    assert result.exit_code == 0, result.output
    assert not out.exists()  # rolling origins keep scores, not draws
    scores = pd.read_parquet(tmp_path / "rolling_scores.parquet")
    assert {"target", "model", "origin", "month", "step", "iso3", "crps", "ign",
            "mis"} <= set(scores.columns)
    assert scores["origin"].min() == "2023-12" and scores["origin"].max() == "2024-11"
    assert scores["month"].max() == "2024-12" and (scores["month"] > scores["origin"]).all()
    assert "CRPS by step" in result.output and "the last year alone" in result.output
    from atrisk.store.db import session
    from atrisk.store.queries import latest_run

    with session(settings.database) as s:
        run = latest_run(s, "backtest_rolling")
        assert run is not None and run.report.origins == 12
        assert {c.model for c in run.report.crps_change} == {"recent_history"}


def test_unknown_model_is_a_usage_error(env, tmp_path) -> None:
    result = runner.invoke(app, ["backtest", "monthly", "--out", str(tmp_path / "x.parquet"),
                                 "--models", "crystal_ball"], env=env)
    assert result.exit_code == 2
    assert "crystal_ball" in result.output


def test_forecast_never_trains_on_unobserved_outcomes(built: Settings, monkeypatch) -> None:
    """EWP's table writes 0 for futures not yet seen; the forecaster must not learn from them."""
    from atrisk.forecasting import structural
    from atrisk.models.logit import PlainLogit

    seen: list[int] = []
    original = PlainLogit.fit

    def spy(self, panel):
        seen.append(int(panel["year"].max()))
        return original(self, panel)

    monkeypatch.setattr(PlainLogit, "fit", spy)
    structural.forecast(built, 2025, model="simple", bootstrap=0)
    assert sorted(seen) == [2022, 2023]  # 2-year target to 2022, 1-year target to 2023


def test_serve_starts_workers_and_refuses_default_secrets_in_production(
        built: Settings, publish_to, tmp_path) -> None:
    import httpx

    url = publish_to(f"sqlite:///{tmp_path / 'atrisk.db'}")
    env = {**os.environ, "ATRISK_MIRROR": str(built.mirror),
           "ATRISK_BUILD_DIR": str(built.build_dir), "ATRISK_DATABASE_URL": url}
    refused = subprocess.run([sys.executable, "-m", "atrisk.cli.main", "serve"],
                             env={**env, "ATRISK_ENVIRONMENT": "production"},
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "ATRISK_SECRET_KEY" in refused.stdout
    port = free_port()
    server = serve_cli(env, port, tmp_path / "serve.log", workers=2)
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
        assert health["ok"] and health["structural_run"] == 1
        page = httpx.get(f"http://127.0.0.1:{port}/countries/SDN", timeout=10)
        assert page.status_code == 200 and "Sudan" in page.text
    finally:
        server.terminate()
        server.wait(timeout=20)
