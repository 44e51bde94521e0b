"""How ``quantile_boost`` and its half-and-half mixture with ``recent_history``
(``history_and_learned``, the shipped default) were chosen: every third rolling origin whose
targets lie in the validation years (data through 1994-12 … 2017-11, steps 1-12, both
targets; 92 origins), scored against ``conflictology_country12`` and ``recent_history``,
on all months and on months with deaths, and paired by year against ``recent_history``.
About 15 minutes on 2 cores (the learned model refits each January: 23 fits per target).

Run: ``uv run python benchmarks/monthly_learned.py``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import pandas as pd
from monthly_blend import paired_by_year  # benchmarks/, beside this script

from atrisk.domain.horizon import rolling_origins
from atrisk.evaluation.monthly_backtest import ModelFactory, changes, run
from atrisk.evaluation.monthly_metrics import summarise
from atrisk.models.monthly_registry import MONTHLY_MODELS
from atrisk.panels.build import read_table
from atrisk.panels.country_month import TARGETS, known
from atrisk.settings import get_settings

MODELS = ("conflictology_country12", "recent_history", "quantile_boost",
          "history_and_learned")
COLUMNS = ["target", "model", "crps", "ign", "mis", "coverage90", "pit_above95"]
#: Every third rolling origin whose targets lie in the validation years 1995-2017 (92).
VALIDATION = rolling_origins("1994-12", "2017-11", "2017-12")[::3]


def print_scores(scored: pd.DataFrame) -> None:
    """Each target and model's scores on all months and on months with deaths."""
    print("All months:")
    print(summarise(scored, ["target", "model"])[COLUMNS].to_string(index=False))
    print("\nMonths with deaths:")
    print(summarise(scored[scored["actual"] > 0], ["target", "model"])[COLUMNS]
          .to_string(index=False))


def validate(panel: pd.DataFrame, models: Mapping[str, ModelFactory]) -> pd.DataFrame:
    """Every model on the ``VALIDATION`` origins, both targets; prints the time taken and
    the score tables."""
    started = time.perf_counter()
    scored = run(panel, models, TARGETS, VALIDATION)
    print(f"{len(VALIDATION)} validation origins, {time.perf_counter() - started:.0f} s\n")
    print_scores(scored)
    return scored


def main() -> None:
    panel = known(read_table(get_settings(), "country_month"))
    scored = validate(panel, {m: MONTHLY_MODELS[m] for m in MODELS})
    print("\nCRPS change against conflictology_country12 (95% interval, resampling "
          "countries):")
    print(changes(scored).to_string(index=False))
    paired_by_year(scored, ["quantile_boost", "history_and_learned"])


if __name__ == "__main__":
    main()
