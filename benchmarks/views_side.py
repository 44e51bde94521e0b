"""ViEWS' side of ``views_crosscheck.py``: the same draws scored by ViEWS' own evaluation
library, and ViEWS' own conflictology baseline fitted on the same history. Runs in an
isolated environment (the ViEWS packages pin numpy < 2; atrisk needs 2):

    uv run --isolated --no-project --with views-evaluation==2.0.0 \
        --with views-baseline==1.0.2 python benchmarks/views_side.py FOLDER

FOLDER holds ``draws.npy`` (rows x draws), ``actual.npy`` and ``groups.json`` (a name and
the row indices of each group): the mean scores per group go to ``views.json``. It also
holds ``history.npz`` (ViEWS month ids, country ids, both targets, and where the test
period starts): ViEWS' ``ConflictologyModel`` (12 months, 1,000 draws) is fitted on it and
its pools and draws go to ``baseline.npz``. Imports nothing from atrisk.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from views_evaluation.evaluation import native_metric_calculators as views
from views_evaluation.profiles.base import BASE_PROFILE


def main(folder: Path) -> None:
    draws = np.load(folder / "draws.npy")
    actual = np.load(folder / "actual.npy")
    groups = json.loads((folder / "groups.json").read_text())
    bins = BASE_PROFILE["Ignorance"]["bins"]
    profile_alpha = BASE_PROFILE["MIS"]["alpha"]
    out = {}
    for name, rows in groups.items():
        y, x = actual[rows], draws[rows]
        inside = y < bins[-1]  # ViEWS refuses an actual above its last bin edge
        out[name] = {
            "crps": views.calculate_crps_native(y, x),
            "mis_0.10": float(views.calculate_mean_interval_score_native(y, x, alpha=0.1)),
            "mis_profile": float(views.calculate_mean_interval_score_native(
                y, x, alpha=profile_alpha)),
            "mis_profile_alpha": profile_alpha,
            "coverage90": float(views.calculate_coverage_native(y, x, alpha=0.1)),
            "brier_1": views.calculate_brier_rgs_sample_native(y, x, threshold=0.5),
            "brier_25": views.calculate_brier_rgs_sample_native(y, x, threshold=24.5),
            "ign_below_1000.5": float(views.calculate_ignorance_score_native(
                y[inside], x[inside], bins=bins, low_bin=0, high_bin=10_000)),
            "rows_above_1000.5": int((~inside).sum()),
        }
    (folder / "views.json").write_text(json.dumps(out, indent=1))
    baseline(folder)


def baseline(folder: Path) -> None:
    import pandas as pd
    from views_baseline.model.models.distributional.conflictology import ConflictologyModel
    from views_baseline.model.spatial import spatial_level

    h = np.load(folder / "history.npz")
    targets = ["civilian_deaths", "fatalities"]
    test_start, skip, months = (int(h[k]) for k in ("test_start", "skip", "months"))
    frame = pd.DataFrame({t: h[t] for t in targets}, index=pd.MultiIndex.from_arrays(
        [h["time"], h["unit"]], names=list(spatial_level("cm").index_names)))
    model = ConflictologyModel(targets, window_months=12, loa="cm", n_samples=1000,
                               partition_dict={"test": (test_start, test_start + skip
                                                        + months - 1)}).fit(frame)
    made = model.predict(frame, sequence_number=skip, output_length=months)
    arrays = {}
    for t in targets:
        arrays[f"{t}_draws"] = np.asarray(made[t].values).reshape(len(made[t].index.time), -1)
        arrays[f"{t}_time"] = np.asarray(made[t].index.time)
        arrays[f"{t}_unit"] = np.asarray(made[t].index.unit)
        units = sorted(model.hist_per_entity)
        arrays[f"{t}_pool_units"] = np.array(units)
        pools = np.full((len(units), 12), np.nan)  # shorter histories padded with NaN
        for i, u in enumerate(units):
            pool = np.sort(model.hist_per_entity[u][t])
            pools[i, : len(pool)] = pool
        arrays[f"{t}_pools"] = pools
    np.savez(folder / "baseline.npz", **arrays)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
