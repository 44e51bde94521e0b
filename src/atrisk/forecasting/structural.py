"""The annual forecast: for every country, the risk that a new mass-killing episode begins in
the next two years (and next year), its rank, an 80% interval and the drivers of its risk.

The interval comes from a country-cluster bootstrap of the training data (refitting the model
on resampled countries), so it reflects how much the estimate depends on which countries'
histories the model learned from.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from atrisk import __version__
from atrisk.domain.errors import ConfigError
from atrisk.domain.reports import CarryForwardCost, StructuralRunMeta
from atrisk.evaluation.backtest import FIRST_TRAIN_YEAR
from atrisk.forecasting import what_if
from atrisk.forecasting.rank_certainty import rank_certainty
from atrisk.models.base import StructuralModel
from atrisk.models.parallel import map_processes
from atrisk.models.registry import MODELS, TARGETS
from atrisk.panels.build import LAST_OBSERVED, read_manifest, read_table
from atrisk.panels.labels import label
from atrisk.panels.provisional import CARRIED, provisional_year
from atrisk.settings import Settings
from atrisk.sources import crosswalk

TOP_DRIVERS = 3


@dataclass(frozen=True)
class ForecastRun:
    table: pd.DataFrame
    path: Path
    meta: StructuralRunMeta


def forecast(settings: Settings, year: int, model: str = "ensemble", bootstrap: int = 20,
             seed: int = 2025, provisional: bool = False) -> ForecastRun:
    """Forecast onsets in ``year`` and ``year + 1`` from the data of ``year - 1``; with
    ``provisional``, from a ``year - 1`` carried forward from the year before but for the
    inputs published early (``atrisk.panels.provisional``)."""
    if model not in MODELS:
        raise ConfigError(f"unknown model {model!r}; choose one of {sorted(MODELS)}")
    spec = MODELS[model]
    panel = read_table(settings, "panel" if spec.dataset == "atrisk" else "ewp_prepared")
    if provisional:
        panel = _provisional_panel(settings, panel, year, spec.dataset)
    countries = read_table(settings, "countries")
    data_year = year - 1
    current = panel[panel["year"] == data_year]
    if current.empty:
        raise ConfigError(f"no data for {data_year} in the build: forecasts for {year} need "
                          f"{data_year}'s data (latest is {int(panel['year'].max())})")
    train = panel[(panel["year"] >= FIRST_TRAIN_YEAR) & (panel["year"] < data_year)]
    targets = TARGETS[spec.dataset]

    # EWP's table writes 0, not missing, for outcomes not yet observed: train each horizon
    # only on years whose outcome is known (our panel already has them missing).
    two = spec.build(targets["onset_next2"]).fit(train[train["year"] <= LAST_OBSERVED - 2])
    one = spec.build(targets["onset_next1"]).fit(train[train["year"] <= LAST_OBSERVED - 1])
    base = two.predict(current).to_frame().rename(columns={"probability": "risk_2yr"})
    base = base.merge(one.predict(current).to_frame()[["gwcode", "probability"]]
                      .rename(columns={"probability": "risk_1yr"}), on="gwcode", how="left")
    # The same model on the year before's inputs (this build's vintage): a later run's change
    # then splits into what the new year's data moved and what revisions and the refit moved.
    before = panel[panel["year"] == data_year - 1]
    base["risk_2yr_year_before"] = base["gwcode"].map(
        two.predict(before).to_frame().set_index("gwcode")["probability"]
        if len(before) else pd.Series(dtype=float))

    trained = train[train["year"] <= LAST_OBSERVED - 2]
    refits = _bootstrap_refits(spec.build, targets["onset_next2"], trained, bootstrap, seed)
    draws = _bootstrap_draws(refits, current, base.set_index("gwcode")["risk_2yr"])
    log_odds = logit(draws)  # percentiles taken on the scale the refits were centred on
    interval = pd.DataFrame({"low_80": expit(log_odds.quantile(0.1, axis=1)),
                             "high_80": expit(log_odds.quantile(0.9, axis=1))})
    certainty = rank_certainty(draws)
    base = base.merge(interval.join(certainty).rename_axis("gwcode").reset_index(),
                      on="gwcode", how="left")
    contributions = two.contributions(current)
    base = base.merge(top_drivers(contributions, current), on="gwcode", how="left")
    base = base.merge(every_push(contributions, current), on="gwcode", how="left")
    base = base.merge(countries[["gwcode", "name"]], on="gwcode", how="left")
    base["rank"] = base["risk_2yr"].rank(ascending=False, method="min").astype(int)
    base["forecast_year"] = year
    base["data_year"] = data_year
    table = base.sort_values("rank")[
        ["rank", "gwcode", "ccode", "iso3", "name", "forecast_year", "data_year", "risk_2yr",
         "low_80", "high_80", "p_top10", "p_top30", "rank_low", "rank_high", "risk_1yr",
         "risk_2yr_year_before", "drivers", "drivers_json", "contributions_json"]
    ].reset_index(drop=True)
    manifest = read_manifest(settings)
    path = _run_dir(settings, year)
    meta = StructuralRunMeta.model_validate({
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model, "model_description": spec.description, "forecast_year": year,
        "data_year": data_year, "bootstrap": bootstrap, "seed": seed,
        "code_version": code_version(), "inputs": manifest["inputs"],
        "build_created": manifest["created"], "n_countries": len(table),
        "provisional": provisional,
        "directory": str(path.relative_to(settings.build_dir)),
        "data_note": (f"provisional: {data_year} carried forward from {data_year - 1} but for "
                      f"{', '.join(UPDATED_INPUTS)}; carried: {'; '.join(CARRIED)}"
                      if provisional else
                      f"data through {data_year} (annual sources: V-Dem, World Bank, UN, EPR, "
                      "UCDP final)"),
    })
    _store(path, table, meta)
    features = tuple(getattr(two, "features", ()))
    numbers = trained[list(features)].astype(float)
    what_if.save(path, what_if.Scenario(
        two, refits, current.reset_index(drop=True),
        pd.DataFrame({"low": numbers.min(), "high": numbers.max()}), features))
    return ForecastRun(table, path, meta)


#: What a provisional year takes from the year itself (``UPDATED``), in words.
UPDATED_INPUTS = ("UCDP Candidate deaths by type of violence", "coup attempts (Powell & Thyne)",
                  "population (World Bank)")


#: How much a provisional forecast may lose against full data in the back-test's cost check
#: (``carry_forward_cost``) and still be published: an AUC 0.01 lower, and 5% of the
#: back-test's 39 onsets (2) fewer in the top 30 of their year; fixed before the check ran.
MAX_AUC_LOSS = 0.01
MAX_TOP30_LOSS = 2


def provisional_verdict(cost: Sequence[CarryForwardCost], model: str) -> tuple[bool, str]:
    """Whether a provisional run of ``model`` may be published, and the figures why."""
    row = next((r for r in cost if r.model == model), None)
    if row is None:
        return False, (f"no back-test of {model} with the data carried forward has been "
                       "published: run `atrisk backtest structural` first")
    figures = (f"in the back-test, forecasting a year early moved {model}'s AUC from "
               f"{row.auc_full:.3f} to {row.auc_carried:.3f} and the onsets in its top 30 "
               f"from {row.top30_full:.0f} to {row.top30_carried:.0f}")
    ok = row.auc_loss <= MAX_AUC_LOSS and row.top30_loss <= MAX_TOP30_LOSS
    return ok, figures + ("" if ok else f" (more than the {MAX_AUC_LOSS} AUC and "
                                         f"{MAX_TOP30_LOSS} onsets allowed)")


def _provisional_panel(settings: Settings, panel: pd.DataFrame, year: int, dataset: str
                       ) -> pd.DataFrame:
    """Our panel with ``year - 1`` made provisionally (the year after its last)."""
    latest = int(panel["year"].max())
    if dataset != "atrisk":
        raise ConfigError("a provisional forecast needs a model on our own panel (logit, lgbm, "
                          "ensemble); EWP's table cannot be carried forward")
    if year - 1 != latest + 1:
        raise ConfigError(f"a provisional forecast carries {latest}'s data one year forward: "
                          f"it is for {latest + 2}, not {year}")
    inputs = read_table(settings, "provisional_inputs")
    if set(inputs["year"]) != {latest + 1}:
        raise ConfigError(f"the build's provisional inputs are not for {latest + 1}: run "
                          "`atrisk data build`")
    return provisional_year(panel, inputs.drop(columns="year"), crosswalk.gw_capitals(settings))


def _bootstrap_refits(build, target: str, train: pd.DataFrame, n: int, seed: int
                      ) -> list[StructuralModel]:
    """``n`` refits on country-cluster bootstrap samples of the training rows (none if
    ``n < 2``): what the interval, the rank certainty and the what-if scenarios share."""
    if n < 2:
        return []
    rng = np.random.default_rng(seed)
    codes = train["gwcode"].unique()
    groups = {code: idx for code, idx in train.groupby("gwcode").indices.items()}
    samples = [np.concatenate([groups[c] for c in rng.choice(codes, size=len(codes))])
               for _ in range(n)]
    return list(map_processes(partial(_refit, build, target, train), samples,
                              os.cpu_count() or 1))


def _bootstrap_draws(refits: Sequence[StructuralModel], current: pd.DataFrame,
                     point: pd.Series) -> pd.DataFrame:
    """The refits' risks (countries by GW code x refits), each placed around the full-data
    estimate ``point``: the refits' log-odds minus their median, plus the estimate's. Refits
    on resampled countries are biased towards the mean, so raw refits can miss the estimate
    itself. Their 10th-90th percentiles are the 80% interval; ranked, they say how sure the
    rank is (``rank_certainty``)."""
    if len(refits) < 2:
        return pd.DataFrame(index=pd.Index(current["gwcode"].to_numpy()))
    risks = [m.predict(current).to_frame().set_index("gwcode")["probability"] for m in refits]
    eps = 1e-6
    z = logit(pd.concat(risks, axis=1, ignore_index=True).clip(eps, 1 - eps))
    centre = logit(point.reindex(z.index).clip(eps, 1 - eps))
    return expit(z.sub(z.median(axis=1), axis=0).add(centre, axis=0))


def _refit(build, target: str, train: pd.DataFrame, rows: np.ndarray) -> StructuralModel:
    model: StructuralModel = build(target).fit(train.iloc[rows])
    return model


def top_drivers(contributions: pd.DataFrame, rows: pd.DataFrame,
                k: int = TOP_DRIVERS) -> pd.DataFrame:
    """The ``k`` features that raise each country's risk most: as 'name (+x.xx)' text and as
    JSON (``feature``, ``label``, ``contribution`` on the log-odds scale)."""
    keys = rows.loc[contributions.index, "gwcode"].to_numpy()
    text, structured = [], []
    for values in contributions.to_numpy():
        order = [i for i in np.argsort(-values)[:k] if values[i] > 0]
        items = [{"feature": str(contributions.columns[i]),
                  "label": label(str(contributions.columns[i])),
                  "contribution": round(float(values[i]), 4)} for i in order]
        text.append("; ".join(f"{d['label']} ({d['contribution']:+.2f})" for d in items))
        structured.append(json.dumps(items))
    return pd.DataFrame({"gwcode": keys, "drivers": text, "drivers_json": structured})


def every_push(contributions: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Every predictor's push on each country's log-odds as JSON (``contributions_json``):
    what ``forecasting.movers`` compares between runs."""
    keys = rows.loc[contributions.index, "gwcode"].to_numpy()
    text = [json.dumps({str(c): round(float(v), 4) for c, v in zip(contributions.columns, values,
                                                                   strict=True) if v != 0})
            for values in contributions.to_numpy()]
    return pd.DataFrame({"gwcode": keys, "contributions_json": text})


def code_version() -> str:
    """The git commit of the code when run from a checkout, else the package version."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True, timeout=5, cwd=Path(__file__).parent)
        return f"{__version__}+{out.stdout.strip()}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def _run_dir(settings: Settings, year: int) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    return settings.build_dir / "forecasts" / f"structural-{year}-{stamp}"


def _store(path: Path, table: pd.DataFrame, meta: StructuralRunMeta) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    table.to_parquet(path / "forecast.parquet", index=False)
    table.to_csv(path / "forecast.csv", index=False)
    (path / "run.json").write_text(meta.model_dump_json(indent=2))
    return path

