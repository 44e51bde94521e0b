"""The event pipeline on the real GDELT month (or ``--input``: e.g. the synthetic year of
``benchmarks/gdelt_year.py``), on DuckDB and on Spark (local[2]) in one process: seconds per
stage (read and check, normalise and write the events, unit-day counts, then every country's
and region's signals on the last day), rows per second, and peak memory (this process; Spark's
JVM).

Run: ``uv run python benchmarks/events.py`` (``--engines duckdb`` for one; ``--input DIR``).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from atrisk.events.engine import connect
from atrisk.events.pipeline import _write, normalise, read_events, read_export, unit_day
from atrisk.events.watch import signals
from atrisk.settings import Settings, get_settings
from atrisk.sources import gdelt
from atrisk.sources.base import locate


def _children_peak_mb() -> float:
    """Peak resident memory (VmHWM) of this process's live children: Spark's JVM."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/status"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(os.getpid()) and "VmHWM" in fields:
            total += int(fields["VmHWM"].split()[0]) / 1024
    return total


def run(engine: str, path: Path, out: Path) -> dict[str, float]:
    timings: dict[str, float] = {}
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    con = connect(engine, spill=out / "spill")  # type: ignore[arg-type]
    timings["start engine"] = time.perf_counter() - started
    t = time.perf_counter()
    raw = read_export(con, path)
    rows = int(raw.count().to_pandas())
    timings["read and check"] = time.perf_counter() - t
    t = time.perf_counter()
    _write(con, normalise(raw), out / "events", partition=("source", "added_day"))
    timings["normalise, write events"] = time.perf_counter() - t
    t = time.perf_counter()
    events = read_events(con, out / "events")
    span = events.aggregate(first=events.added_day.min(), last=events.added_day.max(),
                            n=events.count()).to_pandas().iloc[0]
    first, last = pd.Timestamp(span["first"]).date(), pd.Timestamp(span["last"]).date()
    _write(con, unit_day(events, first, last, ("iso3",)), out / "country_day.parquet")
    _write(con, unit_day(events, first, last, ("iso3", "admin1")), out / "admin1_day.parquet")
    timings["unit-day counts"] = time.perf_counter() - t
    t = time.perf_counter()  # the news signals (no data build here: no HDX rule)
    raised = signals(Settings(mirror=get_settings().mirror, build_dir=out.parent), last)
    timings["signals, last day"] = time.perf_counter() - t
    timings["regions scored"] = int(raised["admin1"].notna().sum())
    timings["total"] = time.perf_counter() - started
    timings["rows"] = rows
    timings["rows/s"] = rows / timings["total"]
    timings["peak MB (JVM)"] = _children_peak_mb()
    con.disconnect()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--input", type=Path, default=None)
    args = parser.parse_args()
    path = args.input or locate(gdelt.GDELT2_MONTH, get_settings())
    results = {}
    for engine in args.engines.split(","):
        build = Path(tempfile.mkdtemp(prefix=f"atrisk-events-{engine}-"))
        try:
            results[engine] = run(engine, path, build / "events")
        finally:
            shutil.rmtree(build, ignore_errors=True)
    table = pd.DataFrame(results).T
    print(table.round(1).to_string())
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process (DuckDB, and Spark's Python side): {own:,.0f} MB")


if __name__ == "__main__":
    main()
