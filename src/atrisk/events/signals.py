"""Escalation signals: pure functions from unit-day tables to one row per unit that says how
unusual its latest days are, with a level (``none``, ``medium``, ``high``).

- ``share_zscore``: the share of violent (or atrocity-type) events in all news-coded events
  over the last ``window`` days, against the same share in the unit's earlier windows (the
  baseline excludes the recent window). Shares, not counts, because GDELT's volume drifts.
  The z-score's denominator adds the binomial noise of the recent share to the baseline's
  spread, so a unit with few events cannot jump on a handful of them.
- ``hdx_fatalities``: OCHA HDX Signals' conflict rule on reported deaths: 30-day deaths of at
  least 100 that are the highest 30-day total of the past year (medium) or of the past three
  years (high).
- ``agreement``: the level rises one step where independent sources both signal.

A signal describes the news up to ``as_of``; whether it leads later violence is measured, not
assumed (docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

Level = Literal["none", "medium", "high"]
LEVELS: tuple[Level, ...] = ("none", "medium", "high")
COLUMNS = ["iso3", "date", "signal", "value", "level", "detail"]

#: z-scores at which a share signal is medium and high.
Z_MEDIUM = 3.0
Z_HIGH = 5.0
#: Days (periods) in a share signal's recent window, and the fewest events it needs to score.
WINDOW = 7
MIN_EVENTS = 20


def share_zscores(counts: pd.DataFrame, column: str, window: int = WINDOW, baseline: int = 365,
                  min_baseline: int = 14, min_events: int = MIN_EVENTS,
                  units: Sequence[str] = ("iso3",), freq: str = "D") -> pd.DataFrame:
    """``share_zscore`` for every period at once: per unit and period (``day``), the
    ``window``'s events, ``column`` count and share, the baseline's mean share and the z-score
    (NaN where the unit had fewer than ``min_events`` events or ``min_baseline`` earlier
    windows with events)."""
    if counts.empty:
        return pd.DataFrame()
    keys = list(units)
    frame = _complete(counts[[*keys, "day", "events", column]], keys, freq)
    by = [frame[k] for k in keys]
    # pandas' grouped rolling restarts each window sum at a unit's first period, so every
    # figure is what the same rolling over each unit alone gives (bit for bit).
    sums = frame.groupby(by, sort=False, dropna=False)[["events", column]].rolling(
        window, min_periods=window).sum().reset_index(drop=True)
    shares = (sums[column] / sums["events"]).where(sums["events"] > 0)
    past = shares.groupby(by, sort=False, dropna=False).shift(window)
    rolled = past.groupby(by, sort=False, dropna=False).rolling(baseline, min_periods=min_baseline)
    mean = rolled.mean().reset_index(drop=True)
    var = rolled.var(ddof=1).reset_index(drop=True)
    n = sums["events"]
    p = np.clip(np.maximum(mean, 0.5 / n), 0.0, 1.0)
    z = (shares - mean) / np.sqrt(var + p * (1 - p) / n)
    z = z.where((n >= min_events) & mean.notna())
    return pd.DataFrame({"day": frame["day"], "events": n, "count": sums[column],
                         "share": shares, "mean": mean, "z": z,
                         **{k: frame[k] for k in keys}})


def _complete(counts: pd.DataFrame, keys: list[str], freq: str) -> pd.DataFrame:
    """Every unit in every period from its first to its last (missing periods as zeros),
    sorted by unit and period, on a fresh index."""
    counts = counts.sort_values([*keys, "day"])
    spans = counts.groupby(keys, sort=False)["day"].agg(["min", "max"])
    full = pd.MultiIndex.from_tuples(
        [(*(key if isinstance(key, tuple) else (key,)), day)
         for key, (first, last) in zip(spans.index, spans.to_numpy(), strict=True)
         for day in pd.date_range(first, last, freq=freq)], names=[*keys, "day"])
    if len(full) == len(counts):  # already complete (the unit-day tables are zero-filled)
        return counts.reset_index(drop=True)
    return (counts.set_index([*keys, "day"]).reindex(full, fill_value=0).reset_index())


def share_zscore(counts: pd.DataFrame, as_of: dt.date, column: str, signal: str,
                 window: int = WINDOW, baseline: int = 365, min_baseline: int = 14,
                 min_events: int = MIN_EVENTS, units: Sequence[str] = ("iso3",),
                 freq: str = "D") -> pd.DataFrame:
    """For every unit with ``min_events`` events in the ``window`` periods to ``as_of``: the
    z-score of its ``column`` share over those periods against the shares of the earlier
    ``window``-period windows that end in the ``baseline`` periods before the recent one (at
    least ``min_baseline`` of them). ``counts`` has ``units``, ``day`` (the period's start),
    ``events`` and ``column``, every unit in every period of frequency ``freq`` (days, or
    e.g. ``"W-MON"`` for weeks starting on Mondays), zero-filled. A unit with no period at
    ``as_of`` says nothing."""
    end = pd.Timestamp(as_of)
    scored = share_zscores(counts[counts["day"] <= end], column, window, baseline,
                           min_baseline, min_events, units, freq)
    return signal_rows(scored[scored["day"] == end] if len(scored) else scored, as_of,
                       column, signal, window, units, freq)


def signal_rows(scored: pd.DataFrame, as_of: dt.date, column: str, signal: str, window: int,
                units: Sequence[str] = ("iso3",), freq: str = "D") -> pd.DataFrame:
    """Rows of ``share_zscores`` (one period) as signals: value, level and why."""
    rows = []
    for row in scored.dropna(subset=["z"]).itertuples(index=False):
        z = float(row.z)
        level: Level = "high" if z >= Z_HIGH else "medium" if z >= Z_MEDIUM else "none"
        rows.append((*[getattr(row, u) for u in units], as_of, signal, round(z, 2), level,
                     f"{column} {int(row.count)} of {int(row.events)} events in "
                     f"{window} {_unit(freq)} ({row.share:.1%}); earlier "
                     f"{window}-{_unit(freq)[:-1]} windows {row.mean:.1%} on average"))
    return ranked(pd.DataFrame(rows, columns=[*units, "date", "signal", "value", "level",
                                               "detail"]))


def _unit(freq: str) -> str:
    return "days" if freq == "D" else "weeks" if freq.startswith("W") else "periods"


def hdx_fatalities(deaths: pd.DataFrame, as_of: dt.date, threshold: float = 100.0
                   ) -> pd.DataFrame:
    """HDX Signals' rule on a daily death table (``iso3, day, deaths``, every day of each
    unit): the 30 days to ``as_of`` hold at least ``threshold`` deaths and the most of any
    30 days ending in the past year (medium) or three years (high)."""
    end = pd.Timestamp(as_of)
    rows = []
    for iso3, unit in deaths[deaths["day"] <= end].groupby("iso3", sort=False):
        series = unit.set_index("day")["deaths"].asfreq("D", fill_value=0.0)
        if series.index[-1] != end:
            continue
        sums = series.rolling(30, min_periods=1).sum()
        now = float(sums.iloc[-1])
        if now < threshold:
            continue
        year = float(sums.iloc[-365:].max())
        years3 = float(sums.iloc[-3 * 365:].max())
        level: Level = "high" if now >= years3 else "medium" if now >= year else "none"
        rows.append((iso3, as_of, "hdx_fatalities", now, level,
                     f"{now:,.0f} deaths in 30 days; 1-year max {year:,.0f}, 3-year max "
                     f"{years3:,.0f}"))
    return ranked(pd.DataFrame(rows, columns=COLUMNS))


def agreement(signals: pd.DataFrame, sources: dict[str, str]) -> pd.DataFrame:
    """One row per unit where signals from two or more independent sources (``sources``:
    signal name -> source) are above ``none``: the highest level among them, one step higher
    (high stays high); value = the number of sources that agree."""
    raised = signals[(signals["level"] != "none") & signals["signal"].isin(list(sources))]
    raised = raised.assign(source=raised["signal"].map(sources),
                           rank=raised["level"].map(LEVELS.index))
    rows = []
    for (iso3, date), unit in raised.groupby(["iso3", "date"], sort=False):
        n = unit["source"].nunique()
        if n < 2:
            continue
        level = LEVELS[min(int(unit["rank"].max()) + 1, 2)]
        rows.append((iso3, date, "agreement", float(n), level,
                     "raised by " + ", ".join(sorted(unit["signal"]))))
    return ranked(pd.DataFrame(rows, columns=COLUMNS))


def ranked(frame: pd.DataFrame) -> pd.DataFrame:
    """Highest level first; within a level, agreement of sources, then reported deaths, then
    the news signals; within a signal, the largest value."""
    if frame.empty:
        return frame
    order = {"agreement": 0, "hdx_fatalities": 1}
    return (frame.assign(_level=frame["level"].map(LEVELS.index),
                         _signal=frame["signal"].map(order).fillna(2))
            .sort_values(["_level", "_signal", "signal", "value"],
                         ascending=[False, True, True, False])
            .drop(columns=["_level", "_signal"]).reset_index(drop=True))
