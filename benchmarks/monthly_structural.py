"""The issue's last untried direction for the learned monthly model, on validation only: the
country's structural risk and its drivers as features of ``quantile_boost``.

Three yearly values join each country-month, each from two years before the month's year
(known by then, so no origin sees later data): the annual ensemble's out-of-sample forecast
of a new mass killing (log-odds, from the structural back-test: the window whose data year is
Y-2 was trained on labels through Y-3), the population (log2) and the coup attempts of the
last five years (EWP's inputs). The half-and-half mixture with ``recent_history`` is compared
with the shipped ``history_and_learned`` on every third rolling origin whose targets lie in
1995-2017 (92 origins, steps 1-12, both targets).

Rule fixed before the run: adopted if the mixture's CRPS, paired by year against the shipped
one, falls for both targets and by more than one standard error for at least one, with the
90% interval covering at least 0.85 of the months with deaths for both. About 25 minutes on 2
cores.

Run: ``uv run atrisk backtest structural --out build/backtest_structural.parquet`` once, then
``uv run python benchmarks/monthly_structural.py [--structural PATH]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from monthly_blend import paired_by_year  # benchmarks/, beside this script
from monthly_learned import validate

from atrisk.models.monthly_learned import FEATURES, QuantileBoost, wide_all
from atrisk.models.monthly_mixture import Mixture
from atrisk.models.monthly_registry import MONTHLY_MODELS, _recent_history
from atrisk.panels.build import read_table
from atrisk.panels.country_month import known
from atrisk.settings import get_settings

EXTRA = ("structural", "population", "coups")
LAG_YEARS = 2
SHIPPED = "history_and_learned"
VARIANT = "history_and_structural"


def with_structural(panel: pd.DataFrame, backtest: pd.DataFrame, inputs: pd.DataFrame
                    ) -> pd.DataFrame:
    """``panel`` with the ``EXTRA`` columns of year Y-2 on every month of year Y."""
    risk = backtest[backtest["model"] == "ensemble"]
    p = risk["probability"].clip(1e-4, 1 - 1e-4)
    yearly = (risk.assign(structural=np.log(p / (1 - p)))[["gwcode", "data_year", "structural"]]
              .rename(columns={"data_year": "year"})
              .merge(inputs.rename(columns={"popsize.log2": "population",
                                            "coup.try.5yr": "coups"})
                     [["gwcode", "year", "population", "coups"]],
                     on=["gwcode", "year"], how="outer"))
    yearly["year"] += LAG_YEARS
    year = panel["month"].str[:4].astype(int)
    return (panel.assign(year=year).merge(yearly, on=["gwcode", "year"], how="left")
            .drop(columns="year"))


class StructuralBoost(QuantileBoost):
    """``quantile_boost`` with the ``EXTRA`` columns of the panel as features, as they stand
    at each month."""

    def _inputs(self, history: pd.DataFrame) -> tuple[pd.MultiIndex, list[str], np.ndarray,
                                                       dict[str, np.ndarray]]:
        index, months, values, feats = super()._inputs(history)
        for name in EXTRA:
            wide = wide_all(history, name)
            feats[name] = wide.set_axis(wide.columns.astype(str), axis=1).reindex(
                index=index, columns=months).to_numpy(dtype=float)
        return index, months, values, feats

    def features(self) -> tuple[str, ...]:
        return FEATURES + EXTRA


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--structural", type=Path,
                        default=Path("build/backtest_structural.parquet"))
    args = parser.parse_args()
    settings = get_settings()
    panel = with_structural(known(read_table(settings, "country_month")),
                            pd.read_parquet(args.structural),
                            read_table(settings, "ewp_prepared"))
    models = {name: MONTHLY_MODELS[name]
              for name in ("conflictology_country12", "recent_history", SHIPPED)}
    models[VARIANT] = lambda target: Mixture(
        VARIANT, target, _recent_history(target),
        StructuralBoost("quantile_boost", target), share=0.5)
    paired_by_year(validate(panel, models), [VARIANT], SHIPPED)

if __name__ == "__main__":
    main()
