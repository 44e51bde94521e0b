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

Run: ``uv run python benchmarks/monthly_negbin.py``. With ``--from-history`` (the second run,
decided after the first and under the same rule): the tenth taken from ``recent_history``'s
half instead, 50% ``quantile_boost`` / 40% ``recent_history`` / 10% ``negbin12``, and 45 / 45
/ 10.
"""

from __future__ import annotations

import sys

from monthly_blend import paired_by_year  # benchmarks/, beside this script
from monthly_learned import print_scores, validate

from atrisk.domain.horizon import rolling_origins
from atrisk.evaluation.monthly_backtest import changes, run
from atrisk.models.monthly import NegBinHistory
from atrisk.models.monthly_learned import QuantileBoost, stored_fits
from atrisk.models.monthly_mixture import Mixture
from atrisk.models.monthly_registry import MONTHLY_MODELS, _recent_history
from atrisk.panels.build import read_table
from atrisk.panels.country_month import TARGETS, known
from atrisk.settings import get_settings

SHIPPED = "history_and_learned"


def _negbin(target: str) -> NegBinHistory:
    return NegBinHistory("negbin12", target)


def test(models: dict) -> None:
    """The chosen variant beside the shipped model and the benchmark on the test years
    (every rolling origin 2017-12 ... 2024-11), the fits read from the build's store."""
    settings = get_settings()
    with stored_fits(settings.fits_dir / "monthly"):
        scored = run(known(read_table(settings, "country_month")), models, TARGETS,
                     rolling_origins())
    print_scores(scored)
    print(changes(scored).to_string(index=False))
    late = scored[scored["month"].str.startswith("2024")]
    print("2024 alone:")
    print(changes(late).to_string(index=False))


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
    if "--from-history" in sys.argv or "--test" in sys.argv:
        # the second run: the tenth from recent_history's half
        models = {name: models[name] for name in ("recent_history", SHIPPED)}
        for share, name in ((0.5, "q50_r40_n10"), (0.45, "q45_r45_n10")):
            models[name] = (lambda target, name=name, share=share: Mixture(  # as registered
                name, target, QuantileBoost("quantile_boost", target), Mixture(
                    "history_and_negbin", target, _recent_history(target), _negbin(target),
                    share=0.9),  # the outer mixture takes its draws from index share·N
                share=share))
    if "--test" in sys.argv:  # once, after the choice: the rolling origins 2018-2024
        test({"conflictology_country12": MONTHLY_MODELS["conflictology_country12"],
              SHIPPED: shipped, "q45_r45_n10": models["q45_r45_n10"]})
        return
    scored = validate(known(read_table(get_settings(), "country_month")), models)
    paired_by_year(scored, [m for m in models if m not in ("recent_history", SHIPPED,
                                                           "conflictology_country12")],
                   SHIPPED)


if __name__ == "__main__":
    main()
