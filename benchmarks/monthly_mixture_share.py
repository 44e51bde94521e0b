"""The share of ``history_and_learned``'s draws taken from ``recent_history`` (the rest from
``quantile_boost``), chosen on validation only: mixtures at 25%, 50% (shipped), 75% and 90%
on every third rolling origin whose targets lie in 1995-2017 (92 origins, steps 1-12, both
targets), with CRPS, ignorance, MIS and the 90% interval's coverage on all months and on
months with deaths, paired by year against the shipped share, and CRPS by step. About 14
minutes on 2 cores (the learned model's fits are shared by the mixtures).

Run: ``uv run python benchmarks/monthly_mixture_share.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from monthly_learned import print_scores  # benchmarks/, beside this script

from atrisk.domain.horizon import rolling_origins
from atrisk.evaluation.monthly_backtest import run
from atrisk.models.monthly import MonthlyModel
from atrisk.models.monthly_learned import QuantileBoost
from atrisk.models.monthly_mixture import Mixture
from atrisk.models.monthly_registry import MONTHLY_MODELS, _recent_history
from atrisk.panels.build import read_table
from atrisk.panels.country_month import TARGETS, known
from atrisk.settings import get_settings

SHARES = (0.25, 0.5, 0.75, 0.9)
SHIPPED = "mix0.5"


def _mixture(share: float) -> Callable[[str], MonthlyModel]:
    return lambda target: Mixture(f"mix{share}", target, _recent_history(target),
                                  QuantileBoost("quantile_boost", target), share=share)


def main() -> None:
    models = {name: MONTHLY_MODELS[name]
              for name in ("conflictology_country12", "recent_history")}
    models |= {f"mix{share}": _mixture(share) for share in SHARES}
    panel = known(read_table(get_settings(), "country_month"))
    origins = rolling_origins("1994-12", "2017-11", "2017-12")[::3]
    started = time.perf_counter()
    scored = run(panel, models, TARGETS, origins)
    print(f"{len(origins)} validation origins, {time.perf_counter() - started:.0f} s\n")
    print_scores(scored)
    by_year = (scored.assign(year=scored["month"].str[:4])
               .groupby(["target", "model", "year"])["crps"].mean().unstack("model"))
    print(f"\nCRPS against {SHIPPED}, paired by year (mean relative difference, its SE):")
    for target in TARGETS:
        years = by_year.loc[target]
        for share in SHARES:
            diff = (years[f"mix{share}"] - years[SHIPPED]) / years[SHIPPED]
            print(f"{target} mix{share}: {diff.mean():+.4f} "
                  f"(SE {diff.std(ddof=1) / np.sqrt(len(diff)):.4f})")
    steps = (scored[scored["model"].str.startswith("mix")]
             .groupby(["target", "step", "model"])["crps"].mean().unstack("model"))
    print("\nCRPS by step:")
    print(pd.concat([steps, steps.idxmin(axis=1).rename("best")], axis=1).round(3)
          .to_string())


if __name__ == "__main__":
    main()
