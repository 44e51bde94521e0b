"""The sub-national back-test: every cell (and region) of the Central African Republic,
Mexico and Myanmar, yearly origins (data through October of Y-1, forecasts for Y), validation
years before 2012 and test years 2012-2023 (CAF to 2022, where its GED 23.1 history ends).
Prints the mean CRPS, ignorance and MIS of each model by country, level, target and period,
each model's CRPS relative to the best benchmark's, and the country totals (the units summed
draw by draw) beside the national model.

    uv run python benchmarks/subnational.py [--first 2000] [--last 2023] [--level cell]
        [--country CAF] [--model national_shares] [--own-totals]

The national forecast ``national_shares`` deals out is the shipped national model's, fitted
on every country's months (as live; its LightGBM fits are kept in the build's fit store);
``--own-totals`` uses ``recent_history`` on the country's own months instead.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping

import pandas as pd
from table_format import markdown

from atrisk.evaluation import subnational_backtest as backtest
from atrisk.models.monthly_learned import stored_fits
from atrisk.models.subnational import BENCHMARKS, subnational_models
from atrisk.panels import subnational
from atrisk.panels.build import read_table
from atrisk.panels.country_month import known
from atrisk.settings import get_settings


def main(extra: Mapping[str, Callable] | None = None) -> None:
    """Run the back-test and print its tables; ``extra`` adds models tried beside ours."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", type=int, default=2000)
    parser.add_argument("--last", type=int, default=2023)
    parser.add_argument("--level", choices=subnational.LEVELS, action="append")
    parser.add_argument("--country", action="append")
    parser.add_argument("--model", action="append",
                        help="Models besides the four benchmarks (default: every model).")
    parser.add_argument("--own-totals", action="store_true",
                        help="Deal out recent_history on the country's own months.")
    args = parser.parse_args()
    models = subnational_models() | dict(extra or {})
    if args.model:
        models = {k: v for k, v in models.items() if k in BENCHMARKS or k in args.model}
    settings = get_settings()
    countries = args.country or list(subnational.countries_with_histories(settings))
    levels = args.level or list(subnational.LEVELS)
    started = time.perf_counter()
    panels = [subnational.unit_panel(iso3, level, settings)
              for iso3 in countries for level in levels]
    countries = None if args.own_totals else known(read_table(settings, "country_month"))
    with stored_fits(settings.fits_dir / "monthly"):
        result = backtest.run(
            panels, models, args.first, args.last, countries=countries,
            progress=lambda m: print(f"[{time.perf_counter() - started:6.0f} s] {m}",
                                     flush=True))
    table = backtest.summary(result)
    keys = ["iso3", "level", "target", "period"]
    best = (table[table["model"].isin(BENCHMARKS)].groupby(keys)["crps"].min()
            .rename("best_benchmark"))
    table = table.join(best, on=keys)
    table["vs_best_benchmark"] = table["crps"] / table["best_benchmark"]
    pd.set_option("display.width", 200)
    print(f"\nUnit-months, mean scores ({time.perf_counter() - started:.0f} s)\n")
    print(markdown(table.drop(columns="best_benchmark")))
    totals = backtest.totals_summary(result)
    print("\nCountry totals (units summed draw by draw), mean CRPS\n")
    print(markdown(totals.pivot_table(index=["iso3", "level", "target", "period"],
                                       columns="model", values="crps").reset_index()))


if __name__ == "__main__":
    main()
