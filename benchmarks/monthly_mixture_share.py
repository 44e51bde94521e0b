"""The share of ``history_and_learned``'s draws taken from ``recent_history`` (the rest from
``quantile_boost``), chosen on validation only: mixtures at 25%, 50% (shipped), 75% and 90%
on every third rolling origin whose targets lie in 1995-2017 (92 origins, steps 1-12, both
targets), with CRPS, ignorance, MIS and the 90% interval's coverage on all months and on
months with deaths, paired by year against the shipped share, and CRPS by step. About 14
minutes on 2 cores (the learned model's fits are shared by the mixtures).

Run: ``uv run python benchmarks/monthly_mixture_share.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from monthly_blend import paired_by_year  # benchmarks/, beside this script
from monthly_learned import validate

from atrisk.models.monthly import MonthlyModel
from atrisk.models.monthly_learned import QuantileBoost
from atrisk.models.monthly_mixture import Mixture
from atrisk.models.monthly_registry import MONTHLY_MODELS, _recent_history
from atrisk.panels.build import read_table
from atrisk.panels.country_month import known
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
    scored = validate(known(read_table(get_settings(), "country_month")), models)
    paired_by_year(scored, [f"mix{share}" for share in SHARES if f"mix{share}" != SHIPPED],
                   SHIPPED)
    steps = (scored[scored["model"].str.startswith("mix")]
             .groupby(["target", "step", "model"])["crps"].mean().unstack("model"))
    print("\nCRPS by step:")
    print(pd.concat([steps, steps.idxmin(axis=1).rename("best")], axis=1).round(3)
          .to_string())


if __name__ == "__main__":
    main()
