"""Does the neighbours' violence help ``quantile_boost``? Validation origins only (every
third rolling origin whose targets lie in 1995-2017, as benchmarks/monthly_learned.py),
``quantile_boost`` with and without the neighbours' deaths (capitals within 1,500 km; 3- and
12-month means) and each one's half-and-half mixture with ``recent_history``.

Run: ``uv run python benchmarks/monthly_neighbours.py``.
"""

from __future__ import annotations

import time

from monthly_blend import paired_by_year  # benchmarks/, beside this script

from atrisk.domain.horizon import rolling_origins
from atrisk.evaluation.monthly_backtest import changes, run
from atrisk.evaluation.monthly_metrics import summarise
from atrisk.models.monthly_learned import QuantileBoost
from atrisk.models.monthly_mixture import Mixture
from atrisk.models.monthly_registry import MONTHLY_MODELS
from atrisk.panels.build import read_table
from atrisk.panels.country_month import TARGETS, known
from atrisk.panels.neighbours import add_neighbour_months
from atrisk.settings import get_settings
from atrisk.sources import crosswalk

COLUMNS = ["target", "model", "crps", "ign", "mis", "coverage90", "pit_above95"]


def main() -> None:
    settings = get_settings()
    panel = known(read_table(settings, "country_month"))
    panel = add_neighbour_months(panel, crosswalk.gw_capitals(settings), TARGETS)
    origins = rolling_origins("1994-12", "2017-11", "2017-12")[::3]
    models = {
        "conflictology_country12": MONTHLY_MODELS["conflictology_country12"],
        "recent_history": MONTHLY_MODELS["recent_history"],
        "quantile_boost": MONTHLY_MODELS["quantile_boost"],
        "history_and_learned": MONTHLY_MODELS["history_and_learned"],
        "boost_neighbours": lambda t: QuantileBoost("boost_neighbours", t, neighbours=True),
        "history_and_neighbours": lambda t: Mixture(
            "history_and_neighbours", t, MONTHLY_MODELS["recent_history"](t),
            QuantileBoost("boost_neighbours", t, neighbours=True), share=0.5),
    }
    started = time.perf_counter()
    scored = run(panel, models, TARGETS, origins)
    print(f"{len(origins)} validation origins, {time.perf_counter() - started:.0f} s\n")
    print("All months:")
    print(summarise(scored, ["target", "model"])[COLUMNS].to_string(index=False))
    print("\nMonths with deaths:")
    print(summarise(scored[scored["actual"] > 0], ["target", "model"])[COLUMNS]
          .to_string(index=False))
    print("\nCRPS change against conflictology_country12 (95% interval, resampling "
          "countries):")
    print(changes(scored).to_string(index=False))
    paired_by_year(scored, ["history_and_learned", "history_and_neighbours"])


if __name__ == "__main__":
    main()
