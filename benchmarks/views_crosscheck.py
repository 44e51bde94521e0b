"""Our monthly scores against ViEWS' own evaluation library, on the same draws; our
conflictology benchmark against ViEWS' own baseline, on the same history.

Run: ``uv run python benchmarks/views_crosscheck.py`` (a data build in ``build/data``; the
package registry reachable once, for views-evaluation). It forecasts the ViEWS test year
2023 with ``recent_history`` and ``conflictology_country12`` (both targets, every country,
January-December from data through October 2022), scores every row with
``atrisk.evaluation.monthly_metrics`` and, in an isolated environment, with
views-evaluation 2.0.0 (``views_side.py``), and prints both means side by side. Then it
fits views-baseline 1.0.2's ``ConflictologyModel`` on the same history and compares its
pools (each country's last 12 months) with ours, and the CRPS of its draws with ours.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from atrisk.domain.horizon import VIEWS_STEPS, monthly_windows
from atrisk.evaluation.monthly_backtest import run
from atrisk.evaluation.monthly_metrics import IGN_EDGES, crps, interval_score
from atrisk.models.monthly_registry import MONTHLY_MODELS
from atrisk.panels.build import read_table
from atrisk.panels.country_month import TARGETS, known
from atrisk.settings import get_settings

HERE = Path(__file__).parent
MODELS = ("recent_history", "conflictology_country12")


def main() -> None:
    panel = known(read_table(get_settings(), "country_month"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scored = run(panel, {m: MONTHLY_MODELS[m] for m in MODELS}, TARGETS,
                     monthly_windows(2023, 2023), draws_out=folder / "long.parquet")
        long = pd.read_parquet(folder / "long.parquet")
        long = long[long["month"].astype(str).str.startswith("2023")]
        keys = ["target", "model", "iso3", "month"]
        wide = long.pivot_table(index=keys, columns="draw", values="value", observed=True)
        rows = scored[scored["step"].isin(VIEWS_STEPS)].set_index(keys).loc[wide.index]
        draws = wide.to_numpy(dtype=float)
        actual = rows["actual"].to_numpy(dtype=float)
        names = [f"{t} / {m}" for t, m in wide.index.droplevel(["iso3", "month"])]
        groups = {name: [i for i, n in enumerate(names) if n == name]
                  for name in dict.fromkeys(names)}
        history = panel[panel["month"] <= "2022-10"]
        # ViEWS' baseline refuses a missing month in the window (ours draws from the months
        # known): those countries are left out of the baseline comparison.
        window = history.sort_values("month").groupby("gwcode").tail(12)
        gaps = set(window.loc[window[list(TARGETS)].isna().any(axis=1), "gwcode"])
        history = history[~history["gwcode"].isin(gaps)]
        print(f"left out of the baseline comparison (a month unknown in the last 12): "
              f"{sorted(gaps)}")
        month = pd.PeriodIndex(history["month"], freq="M")
        np.savez(folder / "history.npz", time=(month.year - 1980) * 12 + month.month,
                 unit=history["gwcode"].to_numpy(), **{t: history[t].to_numpy(float)
                                                       for t in TARGETS},
                 test_start=(2022 - 1980) * 12 + 11, skip=2, months=12)
        np.save(folder / "draws.npy", draws)
        np.save(folder / "actual.npy", actual)
        (folder / "groups.json").write_text(json.dumps(groups))
        subprocess.run(["uv", "run", "--isolated", "--no-project", "--quiet", "--with",
                        "views-evaluation==2.0.0", "--with", "views-baseline==1.0.2",
                        "python", str(HERE / "views_side.py"), str(folder)], check=True)
        theirs = json.loads((folder / "views.json").read_text())
        baseline = dict(np.load(folder / "baseline.npz"))
    table = []
    for name, index in groups.items():
        ours = rows.iloc[index]
        v = theirs[name]
        inside = ours["actual"].to_numpy() < IGN_EDGES[-1]
        x, y = draws[index], actual[index]
        for score, mine, views in (
                ("CRPS", ours["crps"].mean(), v["crps"]),
                ("MIS (alpha 0.1, ours)", ours["mis"].mean(), v["mis_0.10"]),
                (f"MIS (alpha {v['mis_profile_alpha']}, ViEWS' profile)",
                 interval_score(y, x, alpha=v["mis_profile_alpha"]).mean(), v["mis_profile"]),
                ("coverage of the 90% interval", ours["coverage90"].mean(), v["coverage90"]),
                ("Brier, P(>= 1)", ours["brier_1"].mean(), v["brier_1"]),
                ("Brier, P(>= 25)", ours["brier_25"].mean(), v["brier_25"]),
                ("ignorance (actual < 1000.5)", ours["ign"][inside].mean(),
                 v["ign_below_1000.5"])):
            table.append({"target / model": name, "score": score, "atrisk": mine,
                          "views-evaluation": views, "difference": mine - views})
    frame = pd.DataFrame(table)
    print(f"{len(actual):,} country-months scored (2023, steps 3-14); ViEWS refuses the "
          f"ignorance of {sum(v['rows_above_1000.5'] for v in theirs.values())} with an "
          "actual above its last bin edge (1000.5), left out of that row for both\n")
    print("| target / model | score | atrisk | views-evaluation 2.0.0 | difference |\n"
          "|---|---|---:|---:|---:|")
    for r in frame.itertuples(index=False):
        print(f"| {r[0]} | {r[1]} | {r[2]:.6f} | {r[3]:.6f} | {r[4]:.2e} |")
    _baseline(history, rows, baseline)


def _baseline(history: pd.DataFrame, rows: pd.DataFrame, views: dict[str, np.ndarray]
              ) -> None:
    """ViEWS' conflictology against ours: the pools each draws from, then the CRPS of the
    draws (the same pools, drawn with different random numbers)."""
    print("\nconflictology_country12 against views-baseline 1.0.2's ConflictologyModel "
          "(12 months, 1,000 draws), data through 2022-10, 2023 scored\n")
    print("| target | countries | pools identical | CRPS, atrisk's draws | CRPS, ViEWS' draws "
          "| CRPS, the pools exactly |\n|---|---:|---:|---:|---:|---:|")
    last = history.sort_values("month").groupby("gwcode").tail(12)
    for target in TARGETS:
        ours = {g: np.sort(v[target].to_numpy(float)) for g, v in last.groupby("gwcode")}
        units, pools = views[f"{target}_pool_units"], views[f"{target}_pools"]
        same = sum(np.array_equal(ours[u], p[~np.isnan(p)].astype(float))
                   for u, p in zip(units, pools, strict=True) if u in ours)
        mine = rows.xs(("conflictology_country12", target), level=("model", "target"))
        month_id = (pd.PeriodIndex(mine.index.get_level_values("month"), freq="M").year
                    - 1980) * 12 + pd.PeriodIndex(mine.index.get_level_values("month"),
                                                  freq="M").month
        iso_to_gw = rows.reset_index().drop_duplicates("iso3").set_index("iso3")["gwcode"]
        gw = iso_to_gw.reindex(mine.index.get_level_values("iso3")).to_numpy()
        where = {(int(t), int(u)): i for i, (t, u) in enumerate(zip(
            views[f"{target}_time"], views[f"{target}_unit"], strict=True))}
        pick = [where[(int(t), int(u))] for t, u in zip(month_id, gw, strict=True)]
        actual = mine["actual"].to_numpy(float)
        theirs = crps(actual, views[f"{target}_draws"][pick].astype(float)).mean()
        pool_of = {int(u): p[~np.isnan(p)] for u, p in zip(units, pools, strict=True)}
        exact = np.mean([crps(np.array([a]), pool_of[int(u)][None, :])[0]
                         for a, u in zip(actual, gw, strict=True)])
        print(f"| {target} | {len(units)} | {same} of {len(units)} | {mine['crps'].mean():.4f} "
              f"| {theirs:.4f} | {exact:.4f} |")


if __name__ == "__main__":
    main()
