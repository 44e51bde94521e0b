"""Do the escalation signals lead surges of civilian deaths? The 19-country weekly GDELT panel
(2014-2025) against UCDP GED's final months (through 2024-12): every way of raising an alarm
scored on the same surges (``atrisk.evaluation.signals``: a month with >= 100 civilian deaths
after three known months below 100; hit = an alarm in the 90 days before the month began;
seen = an alarm before it or in its first 30 days).

- GDELT: the material-conflict share (QuadClass 4) of the last 4 weeks against the country's
  earlier 4-week windows in the 52 weeks before (z >= 3 medium, >= 5 high), the weekly twin
  of ``gdelt_violent_share``; known at the end of each week.
- HDX Signals' rule on UCDP fatalities (all types; 30-day total >= 100 at its 1-year maximum:
  medium, 3-year: high), at each month's end.
- The monthly model: P(>= 100 civilian deaths) in one of the next 3 months >= 0.5 (or 0.3),
  from every rolling origin 2017-12 ... 2024-11 (``--scores``: the rolling back-test's
  ``..._scores.parquet``, from ``atrisk backtest monthly --origins rolling --out PATH``;
  ``--model``: whose rows, by default the shipped model if it is there).

The same table is what `atrisk events evaluate` writes and the Methods page shows.

Run: ``uv run python benchmarks/signals.py --scores build/backtest_rolling_scores.parquet``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from atrisk.evaluation.signals import evaluate
from atrisk.models.monthly_registry import DEFAULT
from atrisk.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scores", type=Path,
                        default=Path("build/backtest_rolling_scores.parquet"))
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    scores = pd.read_parquet(args.scores) if args.scores.is_file() else None
    model = args.model or (DEFAULT if scores is not None and DEFAULT in set(scores["model"])
                           else "recent_history")
    result = evaluate(get_settings(), scores, model if scores is not None else None)
    for period, rows in result.groupby("period", sort=False):
        print(f"\nSurges of civilian deaths beginning {period}, 19 countries:")
        print(rows.drop(columns="period").to_string(index=False))
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
