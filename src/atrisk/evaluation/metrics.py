"""Pure scoring functions over back-test tables (EWP's scoring, plus proper scores).

EWP scores an onset in year y by the better (higher) of the forecasts made from the data of
years y-1 and y-2, ranks within each data year, and counts onsets caught in the top k.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
    roc_curve,
)

TOP_K = (10, 20, 30)
CUT = 0.04  # EWP's 4% threshold for false positives per true positive


def with_ranks(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Rank (1 = highest risk, ties share the lowest rank) within each model and data year."""
    out = forecasts.copy()
    out["rank"] = out.groupby(["model", "data_year"])["probability"].rank(
        ascending=False, method="min")
    return out


def onset_years(forecasts: pd.DataFrame, onsets: pd.DataFrame, strict: bool = False,
                last_observed: int | None = None) -> pd.DataFrame:
    """One row per model and country-year y scored: its onset (0/1) and the forecast for it.

    ``onsets`` has ``ccode, year, mk_onset``. With ``strict`` only the forecast from y-1 counts.
    """
    ranked = with_ranks(forecasts)
    keep = ["model", "ccode", "data_year", "probability", "rank"]
    first = int(ranked["data_year"].min()) + 1
    last = int(ranked["data_year"].max()) + (1 if strict else 2)
    if last_observed is not None:
        last = min(last, last_observed)
    years = onsets[(onsets["year"] >= first) & (onsets["year"] <= last)][
        ["ccode", "year", "mk_onset"]]
    lag1 = ranked[keep].assign(year=ranked["data_year"] + 1).rename(
        columns={"probability": "p1", "rank": "r1"}).drop(columns="data_year")
    lag2 = ranked[keep].assign(year=ranked["data_year"] + 2).rename(
        columns={"probability": "p2", "rank": "r2"}).drop(columns="data_year")
    parts = []
    for model in ranked["model"].unique():
        t = years.merge(lag1[lag1["model"] == model].drop(columns="model"), on=["ccode", "year"],
                        how="left")
        if not strict:
            t = t.merge(lag2[lag2["model"] == model].drop(columns="model"),
                        on=["ccode", "year"], how="left")
        t.insert(0, "model", model)
        parts.append(t)
    table = pd.concat(parts, ignore_index=True)
    if strict:
        table["risk"], table["best_rank"] = table["p1"], table["r1"]
    else:
        table["risk"] = table[["p1", "p2"]].max(axis=1)
        table["best_rank"] = table[["r1", "r2"]].min(axis=1)
    return table.dropna(subset=["risk"]).reset_index(drop=True)


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """EWP's table per model: AUC, PR-AUC, onsets caught in the top k, FP per TP at 4%."""
    rows = []
    for model, t in table.groupby("model", sort=False):
        y = t["mk_onset"].to_numpy()
        risk = t["risk"].to_numpy()
        onsets = t[t["mk_onset"] == 1]
        above = t[t["risk"] > CUT]
        hit = above["mk_onset"].mean() if len(above) else np.nan
        row: dict[str, object] = {
            "model": model, "n": len(t), "onsets": int(y.sum()),
            "auc": roc_auc_score(y, risk) if 0 < y.sum() < len(y) else np.nan,
            "pr_auc": average_precision_score(y, risk) if y.sum() else np.nan,
        }
        for k in TOP_K:
            row[f"top{k}"] = int((onsets["best_rank"] <= k).sum())
        row["recall30"] = row["top30"] / max(int(y.sum()), 1)  # type: ignore[operator]
        row["fp_per_tp_4pct"] = (1 / hit - 1) if hit and hit > 0 else np.inf
        rows.append(row)
    return pd.DataFrame(rows)


def proper_scores(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Brier score and log loss of each model's 2-year forecast against the 2-year outcome."""
    known = forecasts.dropna(subset=["onset_next2"])
    rows = []
    for model, f in known.groupby("model", sort=False):
        y = f["onset_next2"].astype(int).to_numpy()
        p = np.clip(f["probability"].to_numpy(), 1e-6, 1 - 1e-6)
        rows.append({"model": model, "n_2yr": len(f), "brier": brier_score_loss(y, p),
                     "log_loss": log_loss(y, p, labels=[0, 1])})
    return pd.DataFrame(rows)


def restrict_to_common(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Keep the country-years every model forecast, so models are scored on the same rows."""
    n_models = forecasts["model"].nunique()
    counts = forecasts.groupby(["ccode", "data_year"])["model"].transform("nunique")
    return forecasts[counts == n_models]


def scoreboard(forecasts: pd.DataFrame, onsets: pd.DataFrame, strict: bool = False,
               last_observed: int | None = None) -> pd.DataFrame:
    """The side-by-side table: EWP's scoring joined with the proper scores."""
    table = onset_years(forecasts, onsets, strict=strict, last_observed=last_observed)
    return summarise(table).merge(proper_scores(forecasts), on="model", how="left")


CALIBRATION_EDGES = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 1.0)


def calibration(forecasts: pd.DataFrame, edges: tuple[float, ...] = CALIBRATION_EDGES
                ) -> pd.DataFrame:
    """Reliability table: per model and probability bin, mean forecast vs observed rate of
    the 2-year outcome (a calibrated model has the two close in every well-filled bin)."""
    known = forecasts.dropna(subset=["onset_next2"]).copy()
    known["bin"] = pd.cut(known["probability"], list(edges), include_lowest=True)
    table = (known.groupby(["model", "bin"], observed=True)
             .agg(n=("probability", "size"), mean_forecast=("probability", "mean"),
                  observed=("onset_next2", "mean"), onsets=("onset_next2", "sum"))
             .reset_index())
    table["left"] = table["bin"].map(lambda b: b.left).astype(float)
    table = table.sort_values(["model", "left"]).drop(columns="left").reset_index(drop=True)
    table["bin"] = table["bin"].astype(str)
    table["onsets"] = table["onsets"].astype(int)
    return table


def roc_points(table: pd.DataFrame, max_points: int = 200) -> pd.DataFrame:
    """ROC curve per model from an ``onset_years`` table (``model, fpr, tpr``), thinned to at
    most ``max_points`` points each so it can be stored and drawn."""
    parts = []
    for model, t in table.groupby("model", sort=False):
        if not 0 < t["mk_onset"].sum() < len(t):
            continue
        fpr, tpr, _ = roc_curve(t["mk_onset"], t["risk"])
        keep = np.unique(np.linspace(0, len(fpr) - 1, min(max_points, len(fpr))).astype(int))
        parts.append(pd.DataFrame({"model": model, "fpr": fpr[keep], "tpr": tpr[keep]}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["model", "fpr", "tpr"])


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """A table as JSON-ready rows (NaN and infinity become null)."""
    clean = frame.replace([np.inf, -np.inf], np.nan).astype(object)
    rows: list[dict[str, object]] = clean.where(clean.notna(), None).to_dict(orient="records")
    return rows
