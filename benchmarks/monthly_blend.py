"""Tried on validation and not adopted: a mixture of ``recent_history``'s and
``conflictology_country12``'s draws (a share of each row's 1,000 draws from each), on every
third rolling origin of 1995-2017 (92 origins, steps 1-12, both targets), scored against
``recent_history`` year by year. The CRPS is convex in the forecast, so a mixture can beat
both parts; here it did not (docs/benchmarks.md). About 11 minutes on 2 cores.

Run: ``uv run python benchmarks/monthly_blend.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from atrisk.domain.horizon import rolling_origins
from atrisk.evaluation.monthly_backtest import changes, run
from atrisk.evaluation.monthly_metrics import summarise
from atrisk.models.monthly_mixture import Mixture
from atrisk.models.monthly_registry import MONTHLY_MODELS
from atrisk.panels.build import read_table
from atrisk.panels.country_month import TARGETS, known
from atrisk.settings import get_settings

SHARES = (0.9, 0.75, 0.6)


def main() -> None:
    panel = known(read_table(get_settings(), "country_month"))
    origins = rolling_origins("1994-12", "2017-11", "2017-12")[::3]
    models = {m: MONTHLY_MODELS[m] for m in ("conflictology_country12", "recent_history")}
    for share in SHARES:
        models[f"blend{share}"] = lambda t, share=share: Mixture(
            f"blend{share}", t, MONTHLY_MODELS["recent_history"](t),
            MONTHLY_MODELS["conflictology_country12"](t), share)
    started = time.perf_counter()
    scored = run(panel, models, TARGETS, origins)
    print(f"{len(origins)} origins, {time.perf_counter() - started:.0f} s\n")
    columns = ["target", "model", "crps", "ign", "mis", "coverage90", "pit_above95"]
    print(summarise(scored, ["target", "model"])[columns].to_string(index=False))
    print(changes(scored).to_string(index=False))
    paired_by_year(scored, [f"blend{share}" for share in SHARES])


def paired_by_year(scored: pd.DataFrame, models: list[str],
                   reference: str = "recent_history") -> None:
    """Print each model's mean relative CRPS difference from ``reference`` over the years of
    the months forecast, with its standard error."""
    scored = scored.assign(year=scored["month"].str[:4])
    by_year = scored.groupby(["target", "model", "year"])["crps"].mean().unstack("model")
    print(f"\nCRPS against {reference}, paired by year (mean relative difference, its SE):")
    for target in TARGETS:
        years = by_year.loc[target]
        for model in models:
            diff = (years[model] - years[reference]) / years[reference]
            print(f"{target} {model}: {diff.mean():+.4f} "
                  f"(SE {diff.std(ddof=1) / np.sqrt(len(diff)):.4f})")


if __name__ == "__main__":
    main()
