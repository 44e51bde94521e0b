"""The issue's named history model not tried before, on validation only: a negative binomial
from each country's own recent months (the model one team of the ViEWS 2023/24 challenge
found to beat its hurdle and neural models), alone and in the ensemble with the shipped
``history_and_learned``.

``negbin12``: each country's last 12 known months give the mean m and variance v; the coming
months are drawn from the negative binomial with that mean and variance (size m^2 / (v - m)),
Poisson where v <= m, zero where the 12 months were calm; months drawn independently, as the
ViEWS benchmarks are.

Variants on every third rolling origin whose targets lie in 1995-2017 (92 origins, steps 1-12,
both targets): ``negbin12`` alone; ``recent_history`` with half its draws from it (the history
models' ensemble); the shipped mixture with its last 10% or 25% of draws (which are
``quantile_boost``'s) from it: 50% ``recent_history``, 40% or 25% ``quantile_boost``, 10% or
25% ``negbin12``. Rule fixed before the run: a variant replaces the shipped model if its CRPS,
paired by year against the shipped one, falls for both targets and by more than one standard
error for at least one, with the 90% interval covering at least 0.85 of the months with
deaths for both. About 15 minutes on 2 cores.

Run: ``uv run python benchmarks/monthly_negbin.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from monthly_blend import paired_by_year  # benchmarks/, beside this script
from monthly_learned import validate

from atrisk.models.monthly import N_DRAWS, _Benchmark
from atrisk.models.monthly_mixture import Mixture
from atrisk.models.monthly_registry import MONTHLY_MODELS, _recent_history
from atrisk.panels.build import read_table
from atrisk.panels.country_month import known
from atrisk.settings import get_settings

SHIPPED = "history_and_learned"


class NegBinHistory(_Benchmark):
    """Negative binomial draws with the mean and variance of the country's last ``window``
    known months (see the module docstring)."""

    def __init__(self, name: str, target: str, window: int = 12, seed: int = 0) -> None:
        super().__init__(name, target, seed)
        self.window = window

    def _draws(self, wide: pd.DataFrame, rng: np.random.Generator, step: int) -> np.ndarray:
        values = wide.to_numpy(dtype=float)
        mean = np.nan_to_num(np.nanmean(values, axis=1))
        var = np.nan_to_num(np.nanvar(values, axis=1, ddof=1))
        over = var > mean
        size = np.where(over, mean**2 / np.where(over, var - mean, 1.0), 1.0)
        p = np.where(over, size / (size + mean), 1.0)
        negbin = rng.negative_binomial(np.maximum(size, 1e-9)[:, None], p[:, None],
                                       size=(len(wide), N_DRAWS))
        poisson = rng.poisson(mean[:, None], size=(len(wide), N_DRAWS))
        return np.where(over[:, None], negbin, poisson).astype(float)


def _negbin(target: str) -> NegBinHistory:
    return NegBinHistory("negbin12", target)


def main() -> None:
    shipped = MONTHLY_MODELS[SHIPPED]
    models = {name: MONTHLY_MODELS[name]
              for name in ("conflictology_country12", "recent_history", SHIPPED)}
    models["negbin12"] = _negbin
    models["history_and_negbin"] = lambda target: Mixture(
        "history_and_negbin", target, _recent_history(target), _negbin(target), share=0.5)
    for share in (0.9, 0.75):
        name = f"shipped_negbin{round(100 * (1 - share))}"
        models[name] = (lambda target, name=name, share=share: Mixture(
            name, target, shipped(target), _negbin(target), share=share))
    scored = validate(known(read_table(get_settings(), "country_month")), models)
    paired_by_year(scored, ["negbin12", "history_and_negbin", "shipped_negbin10",
                            "shipped_negbin25"], SHIPPED)


if __name__ == "__main__":
    main()
