"""A synthetic GDELT 2.0 year at today's full volume, for measuring the event pipeline at
scale: the real month's exports (2025-05-15 ... 06-14, ~40% of its 15-minute batches)
resampled day by day to 2025-01-01 ... 12-31. Each day of the year takes the rows of one of
the month's 29 whole days (in turn) about 2.5 times over (3 copies, each row kept with
probability 0.85 by a hash: deterministic), with new event ids and its dates moved by the
same number of days, and a copy's place id marked as its own (else the one-a-day filter would
fold the copies back into one event): the real schema and distributions, ~118,000 events a
day, ~43 M in all.
Written as Parquet (zstd), one folder per day, every column a string as in the exports.

Run: ``uv run python benchmarks/gdelt_year.py OUT_DIR [DAYS]`` (a few minutes; ~4 GB;
``DAYS`` makes a shorter "year" for a quick look).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import duckdb

from atrisk.settings import get_settings
from atrisk.sources import gdelt
from atrisk.sources.base import locate

FIRST_SOURCE_DAY = "2025-05-16"  # the month's whole days: 05-16 ... 06-13
SOURCE_DAYS = 29


def main() -> None:
    out = Path(sys.argv[1])
    days = int(sys.argv[2]) if len(sys.argv) > 2 else 365
    month = locate(gdelt.GDELT2_MONTH, get_settings())
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in gdelt.GDELT2_COLUMNS)
    keep = [c for c in gdelt.GDELT2_COLUMNS
            if c not in ("GLOBALEVENTID", "SQLDATE", "DATEADDED", "MonthYear", "Year",
                         "ActionGeo_FeatureID")]
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"""
        CREATE TABLE month AS
        SELECT *, CAST(strptime(substr(DATEADDED, 1, 8), '%Y%m%d') AS DATE) AS added,
               row_number() OVER () AS rn
        FROM read_csv('{month}', delim = '\\t', header = true, quote = '', escape = '',
                      columns = {{{columns}}}, auto_detect = false)""")
    for i in range(days):  # a day at a time: little memory, one folder per day
        day = f"DATE '2025-01-01' + {i}"
        folder = out / f"day={(dt.date(2025, 1, 1) + dt.timedelta(days=i)).isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        con.execute(f"""
            COPY (
              WITH picked AS (
                SELECT m.*, c, {day} - m.added AS shift
                FROM month m CROSS JOIN range(3) t(c)
                WHERE m.added = DATE '{FIRST_SOURCE_DAY}' + {i % SOURCE_DAYS}
                  AND hash(m.rn, c, {i}) % 100 < 85)
              SELECT CAST({i}::BIGINT * 1000000000 + c * 100000000 + rn AS VARCHAR)
                       AS GLOBALEVENTID,
                     strftime(strptime(SQLDATE, '%Y%m%d') + to_days(CAST(shift AS INTEGER)),
                              '%Y%m%d') AS SQLDATE,
                     strftime(strptime(SQLDATE, '%Y%m%d') + to_days(CAST(shift AS INTEGER)),
                              '%Y%m') AS MonthYear,
                     strftime(strptime(SQLDATE, '%Y%m%d') + to_days(CAST(shift AS INTEGER)),
                              '%Y') AS Year,
                     {", ".join(keep)},
                     CASE WHEN c = 0 THEN ActionGeo_FeatureID
                          ELSE ActionGeo_FeatureID || '-' || c END AS ActionGeo_FeatureID,
                     strftime({day}, '%Y%m%d') || substr(DATEADDED, 9, 6) AS DATEADDED
              FROM picked)
            TO '{folder}/data_0.parquet' (FORMAT parquet, COMPRESSION zstd)""")
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{out}/*/*.parquet')").fetchone()
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    print(f"{rows[0] if rows else 0:,} events in {days} days written to {out} "
          f"({size / 1e9:.1f} GB) in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
