"""Back-test the lives at stake: how well did the expected toll for the next year rank the
countries that then lost the most civilians, 2000-2024, beside last year's deaths carried
forward and the risk alone (``atrisk.evaluation.lives_backtest``).

Run: ``uv run python benchmarks/lives.py`` (after `make run`: the data build and the annual
back-test ``build/backtest_structural.parquet``); ``--model`` picks the annual model.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from atrisk.evaluation.lives_backtest import backtest_lives, summary
from atrisk.models.toll import SEVERITY, fit_toll
from atrisk.panels.build import read_table
from atrisk.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="ensemble")
    parser.add_argument("--forecasts", type=Path, default=Path("build/backtest_structural.parquet"))
    args = parser.parse_args()
    panel = read_table(get_settings(), "panel")
    table = backtest_lives(panel, pd.read_parquet(args.forecasts), args.model)
    board = summary(table)
    print("| " + " | ".join(board.columns) + " |\n|" + "---|" * len(board.columns))
    for row in board.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in row) + " |")
    last = int(panel["year"].max())
    for years in (1, 2):
        toll = fit_toll(panel, years, last)
        print(f"\ntoll model, first {years} year(s): {toll.episodes} episodes "
              f"({toll.state_led} state-led), coefficients (intercept, {', '.join(SEVERITY)}, "
              f"state-led) {tuple(round(c, 3) for c in toll.coef)}, sigma {toll.sigma:.2f}; "
              f"chance of state-led (intercept, {', '.join(SEVERITY)}) "
              f"{tuple(round(c, 3) for c in toll.state_coef)}")


if __name__ == "__main__":
    main()
