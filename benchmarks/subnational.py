"""The sub-national back-test: every cell (and region) of the Central African Republic,
Mexico and Myanmar, yearly origins (data through October of Y-1, forecasts for Y), validation
years before 2012 and test years 2012-2023 (CAF to 2022, where its GED 23.1 history ends).
Prints the mean CRPS, ignorance and MIS of each model by country, level, target and period,
each model's CRPS relative to the best benchmark's, and the country totals (the units summed
draw by draw) beside the national model.

    uv run python benchmarks/subnational.py [--first 2000] [--last 2023] [--level cell]
        [--country CAF] [--model national_shares]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from table_format import markdown

from atrisk.evaluation import subnational_backtest as backtest
from atrisk.models.subnational import BENCHMARKS, subnational_models
from atrisk.panels import subnational
from atrisk.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", type=int, default=2000)
    parser.add_argument("--last", type=int, default=2023)
    parser.add_argument("--level", choices=subnational.LEVELS, action="append")
    parser.add_argument("--country", action="append")
    parser.add_argument("--model", action="append",
                        help="Models besides the four benchmarks (default: every model).")
    args = parser.parse_args()
    models = subnational_models()
    if args.model:
        models = {k: v for k, v in models.items() if k in BENCHMARKS or k in args.model}
    settings = get_settings()
    countries = args.country or list(subnational.countries_with_histories(settings))
    levels = args.level or list(subnational.LEVELS)
    started = time.perf_counter()
    panels = [subnational.unit_panel(iso3, level, settings)
              for iso3 in countries for level in levels]
    result = backtest.run(panels, models, args.first, args.last,
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
