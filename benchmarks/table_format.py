"""One way for the benchmark scripts to print a table as Markdown (for docs/benchmarks.md)."""

from __future__ import annotations

import pandas as pd


def markdown(frame: pd.DataFrame, number: str = ".4g") -> str:
    """``frame`` as a Markdown table; floats formatted with ``number``."""
    head = "| " + " | ".join(map(str, frame.columns)) + " |\n|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(format(v, number) if isinstance(v, float) else str(v)
                              for v in r) + " |"
            for r in frame.itertuples(index=False)]
    return head + "\n" + "\n".join(rows)
