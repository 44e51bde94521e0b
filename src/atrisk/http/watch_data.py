"""What the Watch page, the country pages and ``/api/signals/latest`` read from the event
build (``atrisk events build``): the signals of its last days and each raised country's days
and news. Loaded once per event build and kept in memory."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from atrisk.domain.errors import AtriskError, NotFoundError
from atrisk.events import watch
from atrisk.settings import Settings

#: Days of counts drawn per raised country.
DAYS = 90
#: Days of UCDP's coded events shown per raised country.
CODED_DAYS = 30


@dataclass(frozen=True)
class Raised:
    """One country above ``none`` on the latest day: its signals, days and news."""

    iso3: str
    level: str
    signals: list[dict[str, Any]]
    days: list[dict[str, Any]]
    news: list[dict[str, Any]]
    #: UCDP's Candidate events of the last 30 days: how many, their deaths, the deadliest.
    coded_events: int = 0
    coded_deaths: float = 0.0
    coded: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class WatchData:
    stamp: int
    as_of: dt.date
    #: Every signal of the latest day, ranked (``events.signals.COLUMNS``).
    latest: pd.DataFrame
    raised: list[Raised] = field(default_factory=list)

    def of(self, iso3: str) -> list[dict[str, Any]]:
        """One country's signals on the latest day (empty if it has none)."""
        return records(self.latest[self.latest["iso3"] == iso3])


_LOADED: dict[str, WatchData] = {}


def stamp(settings: Settings) -> int | None:
    """Changes with every event build (the cache keys of pages that show signals)."""
    path = watch.events_dir(settings) / "signals.parquet"
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def load(settings: Settings) -> WatchData:
    """The latest event build's signals (an ``AtriskError``, 503, before any build)."""
    now = stamp(settings)
    if now is None:
        raise AtriskError("no event tables yet: run `atrisk events build`")
    key = str(watch.events_dir(settings).resolve())
    cached = _LOADED.get(key)
    if cached is not None and cached.stamp == now:
        return cached
    signals = watch.recent_signals(settings)
    as_of = signals["date"].max().date()
    latest = signals[signals["date"] == pd.Timestamp(as_of)].reset_index(drop=True)
    raised = []
    for iso3, rows in latest[latest["level"] != "none"].groupby("iso3", sort=False):
        level = "high" if (rows["level"] == "high").any() else "medium"
        days = watch.country_days(settings, str(iso3), DAYS)
        try:
            news = watch.behind(settings, str(iso3), as_of)
            count, deaths, top = watch.coded(settings, str(iso3), as_of, CODED_DAYS)
        except NotFoundError:
            news, count, deaths, top = pd.DataFrame(), 0, 0.0, pd.DataFrame()
        raised.append(Raised(str(iso3), level, records(rows), _day_records(days),
                             records(news), count, deaths, records(top)))
    data = WatchData(now, as_of, latest, raised)
    _LOADED[key] = data
    return data


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain records for templates and response models (dates as ISO text, NaN as
    None)."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.date.astype(str)
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()}
            for row in out.astype(object).to_dict("records")]


def _day_records(days: pd.DataFrame) -> list[dict[str, Any]]:
    """Per day: all events, violent ones and their share (a day with no events: no share)."""
    share = (days["violent"] / days["events"]).where(days["events"] > 0)
    return [{"day": d.date().isoformat(), "events": int(e), "violent": int(v),
             "share": None if pd.isna(s) else round(float(s), 4)}
            for d, e, v, s in zip(days["day"], days["events"], days["violent"], share,
                                  strict=True)]


def evaluation_stamp(settings: Settings) -> int | None:
    path = watch.events_dir(settings) / "evaluation.parquet"
    return path.stat().st_mtime_ns if path.is_file() else None


def evaluation(settings: Settings) -> pd.DataFrame | None:
    """The last ``atrisk events evaluate`` table (None before the first)."""
    path = watch.events_dir(settings) / "evaluation.parquet"
    return pd.read_parquet(path) if path.is_file() else None
