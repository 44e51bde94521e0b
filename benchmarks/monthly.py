"""Time the monthly back-test and print the model table (ViEWS protocol, 2018-2023), plus the
validation grid on 2012-2017 that chose ``recent_history``'s settings.

Run: ``make bench-monthly`` (or ``uv run python benchmarks/monthly.py``).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from atrisk.domain.horizon import monthly_windows
from atrisk.evaluation.monthly_backtest import run
from atrisk.evaluation.monthly_metrics import summarise
from atrisk.models.monthly import BENCHMARKS, MONTHLY_MODELS, RecentHistory
from atrisk.panels.build import build, read_table
from atrisk.panels.country_month import TARGETS
from atrisk.settings import Settings


def main() -> None:
    settings = Settings(build_dir=Path(os.environ.get("ATRISK_BUILD_DIR", "build/bench")))
    build(settings)
    panel = read_table(settings, "country_month")

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        scored = run(panel, MONTHLY_MODELS, TARGETS, monthly_windows(2018, 2023),
                     draws_out=Path(tmp) / "draws.parquet")
        seconds = time.perf_counter() - start
    print(f"monthly back-test, {len(MONTHLY_MODELS)} models x 2 targets x 6 years, every draw "
          f"written: {seconds:.1f} s\n")
    table = summarise(scored, ["target", "model"])
    ref = table[table["model"] == "conflictology_country12"].set_index("target")["crps"]
    table["crps_vs_conflictology"] = table["crps"] / table["target"].map(ref) - 1
    print(_markdown(table))
    scored["actuals"] = scored["actual"].gt(0).map({True: "non-zero", False: "zero"})
    print("\nOn months with and without deaths\n")
    keep = scored["model"].isin(["conflictology_country12", "recent_history"])
    print(_markdown(summarise(scored[keep], ["target", "actuals", "model"])))
    years = scored.assign(year=scored["month"].str[:4])
    by_year = years.pivot_table(index=["target", "year"], columns="model", values="crps",
                                aggfunc="mean").reset_index()
    print("\nCRPS by test year\n")
    print(_markdown(by_year[["target", "year", *BENCHMARKS[2:3], "recent_history"]]))

    grid = {"conflictology_country12": MONTHLY_MODELS["conflictology_country12"]}
    for window in (24, 36, 60):
        for half_life in (3.0, 6.0, 12.0):
            for scale in (0.7, 0.85, 1.0):
                for jitter in (0.0, 0.5):
                    name = f"w{window} h{half_life:g} s{scale:g} j{jitter:g}"
                    grid[name] = (lambda w, h, s, j, n: lambda t: RecentHistory(
                        n, t, w, h, s, j))(window, half_life, scale, jitter, name)
    validation = summarise(run(panel, grid, TARGETS, monthly_windows(2012, 2017)),
                           ["target", "model"])
    wide = validation.pivot_table(index="model", columns="target", values="crps")
    wide["mean_ratio"] = (wide / wide.loc["conflictology_country12"]).mean(axis=1)
    print("\nValidation on 2012-2017 (CRPS; chosen: lowest mean ratio to conflictology)\n")
    print(_markdown(wide.sort_values("mean_ratio").head(8).reset_index()))


def _markdown(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, frame.columns)) + " |\n|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in r) + " |"
            for r in frame.itertuples(index=False)]
    return head + "\n" + "\n".join(rows)


if __name__ == "__main__":
    main()
