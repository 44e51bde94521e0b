"""Every monthly model by name: the four ViEWS benchmarks, then ours. ``DEFAULT`` is what
``atrisk forecast monthly`` and the back-tests' headline use (chosen on 1995-2017 rolling
origins; docs/benchmarks.md)."""

from __future__ import annotations

from collections.abc import Callable

from atrisk.models.monthly import (
    RECENT_HISTORY_SETTINGS,
    Conflictology,
    ExactlyZero,
    GlobalBootstrap,
    LastHistorical,
    MonthlyModel,
    NegBinHistory,
    RecentHistory,
)
from atrisk.models.monthly_learned import QuantileBoost
from atrisk.models.monthly_mixture import Mixture


def _recent_history(target: str) -> RecentHistory:
    return RecentHistory("recent_history", target, **RECENT_HISTORY_SETTINGS[target])


MONTHLY_MODELS: dict[str, Callable[[str], MonthlyModel]] = {
    "exactly_zero": lambda target: ExactlyZero("exactly_zero", target),
    "last_historical": lambda target: LastHistorical("last_historical", target),
    "conflictology_country12": lambda target: Conflictology("conflictology_country12", target,
                                                            12),
    "bootstrap240": lambda target: GlobalBootstrap("bootstrap240", target, 240),
    "recent_history": _recent_history,
    "quantile_boost": lambda target: QuantileBoost("quantile_boost", target),
    "history_and_learned": lambda target: Mixture(
        "history_and_learned", target, _recent_history(target),
        QuantileBoost("quantile_boost", target), share=0.5),
    "negbin12": lambda target: NegBinHistory("negbin12", target),
    # 45% quantile_boost, 45% recent_history, 10% negbin12: chosen on 1995-2017 over
    # history_and_learned (docs/benchmarks.md, "a negative binomial")
    "history_learned_negbin": lambda target: Mixture(
        "history_learned_negbin", target, QuantileBoost("quantile_boost", target),
        Mixture("history_and_negbin", target, _recent_history(target),
                NegBinHistory("negbin12", target), share=0.9), share=0.45),
}
BENCHMARKS: tuple[str, ...] = ("exactly_zero", "last_historical", "conflictology_country12",
                               "bootstrap240")
DEFAULT = "history_learned_negbin"
