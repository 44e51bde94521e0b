"""Time the structural back-test side by side: one process fitting one window after another
(as before), the fits shared among processes, and a re-run that reads back the fits whose
inputs, settings and model code did not change; with the scores each produced, which must
be the same.

Run: ``uv run python benchmarks/backtest_speed.py`` (the data build in ``build/data``).
EWP's own R script (``model_3Sep2025.R``, cv.glmnet on the same 31 windows) takes 45-55 s on
this kind of machine, as measured when the issue was filed; R is not installable here (CRAN
is not reachable), so that figure is quoted, not re-measured.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from atrisk.domain.horizon import structural_windows
from atrisk.evaluation.backtest import CARRIED, backtest
from atrisk.evaluation.metrics import scoreboard
from atrisk.models.registry import MODELS
from atrisk.panels.build import LAST_OBSERVED, read_table
from atrisk.settings import get_settings
from atrisk.sources import crosswalk


def main() -> None:
    settings = get_settings()
    panel = read_table(settings, "panel")
    panels = {"atrisk": panel, "ewp": read_table(settings, "ewp_prepared")}
    capitals = crosswalk.gw_capitals(settings)
    onsets = panel[["ccode", "year", "mk_onset"]]
    jobs = os.cpu_count() or 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, names, carry in (("EWP replica (FOOS, 31 windows)", ["ewp_replica"], None),
                                    ("five models (+ our three carried forward)",
                                     list(MODELS), capitals)):
            cache = Path(tmp) / label.split()[0]
            for mode, n, cached in (("one process", 1, None), (f"{jobs} processes", jobs, cache),
                                    ("re-run, inputs unchanged", jobs, cache)):
                started = time.perf_counter()
                every = backtest([MODELS[m] for m in names], panels, panel,
                                 structural_windows(), carry_forward=carry, jobs=n,
                                 cache=cached)
                seconds = time.perf_counter() - started
                board = scoreboard(every[~every["model"].str.endswith(CARRIED)], onsets,
                                   last_observed=LAST_OBSERVED).set_index("model")
                first = board.loc[names[0]]
                rows.append({"back-test": label, "how": mode, "seconds": round(seconds, 1),
                             "model": names[0], "auc": round(float(first["auc"]), 4),
                             "top30": int(first["top30"]), "n": int(first["n"])})
    table = pd.DataFrame(rows)
    print(f"{jobs} cores\n")
    print("| " + " | ".join(table.columns) + " |\n|" + "---|" * len(table.columns))
    for r in table.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in r) + " |")


if __name__ == "__main__":
    main()
