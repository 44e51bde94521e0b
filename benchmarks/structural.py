"""Time the annual pipeline (build, back-test, forecast) and print the model table.

Run: ``make bench`` (or ``uv run python benchmarks/structural.py``). All models run in one
process, on one machine, so times and scores are comparable side by side.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from table_format import markdown

from atrisk.domain.horizon import structural_windows
from atrisk.evaluation.backtest import CARRIED, backtest, carry_forward_cost
from atrisk.evaluation.metrics import calibration, restrict_to_common, scoreboard
from atrisk.forecasting.structural import forecast
from atrisk.models.registry import MODELS
from atrisk.panels.build import LAST_OBSERVED, build, read_table
from atrisk.settings import Settings
from atrisk.sources import crosswalk

COLS = ["model", "n", "onsets", "auc", "pr_auc", "brier", "log_loss", "top10", "top20", "top30",
        "fp_per_tp_4pct"]


def main() -> None:
    settings = Settings(build_dir=Path(os.environ.get("ATRISK_BUILD_DIR", "build/bench")))
    timings: dict[str, float] = {}

    start = time.perf_counter()
    build(settings)
    timings["data build"] = time.perf_counter() - start

    panel = read_table(settings, "panel")
    panels = {"atrisk": panel, "ewp": read_table(settings, "ewp_prepared")}
    start = time.perf_counter()
    every = backtest(list(MODELS.values()), panels, panel, structural_windows(),
                     carry_forward=crosswalk.gw_capitals(settings), jobs=os.cpu_count() or 1)
    timings["back-test (5 models x 31 years, and our 3 from carried-forward rows)"] = (
        time.perf_counter() - start)
    forecasts = every[~every["model"].str.endswith(CARRIED)]
    forecasts.to_parquet(settings.build_dir / "backtest_structural.parquet", index=False)

    start = time.perf_counter()
    forecast(settings, 2025, model="ensemble", bootstrap=20)
    timings["forecast 2025 (ensemble, 20 bootstrap refits)"] = time.perf_counter() - start

    onsets = panel[["ccode", "year", "mk_onset"]]
    common = restrict_to_common(forecasts)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores\n")
    print("| step | seconds |\n|---|---:|")
    for step, secs in timings.items():
        print(f"| {step} | {secs:.1f} |")
    for title, table in (
        ("EWP protocol (best of y-1, y-2), on the country-years every model forecast",
         scoreboard(common, onsets, last_observed=LAST_OBSERVED)),
        ("Strict variant (forecast from y-1 only)",
         scoreboard(common, onsets, strict=True, last_observed=LAST_OBSERVED)),
        ("Each model on all the country-years it forecasts",
         scoreboard(forecasts, onsets, last_observed=LAST_OBSERVED)),
    ):
        print(f"\n{title}\n")
        print(markdown(table[COLS], ".3f"))
    print("\nForecasting a year early: each data year carried forward from the year before but "
          "for UCDP deaths, coups and population (loss = full minus carried)\n")
    print(markdown(carry_forward_cost(every, onsets, LAST_OBSERVED), ".3f"))
    print("\nCalibration of the 2-year forecasts (common country-years)\n")
    cal = calibration(common)
    print(markdown(cal[cal["model"].isin(["ewp_replica", "lgbm", "ensemble"])], ".3f"))


if __name__ == "__main__":
    main()
