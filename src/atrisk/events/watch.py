"""The event watch as atrisk runs it: build the event tables from the mirror's (or the
official) GDELT exports and ICEWS files, with UCDP's Candidate events of the same days (when
a data build exists), into ``<build_dir>/events``, compute every signal as
of a day, and find the events behind a raised signal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from atrisk.domain.errors import BuildError, NotFoundError
from atrisk.events import signals as sig
from atrisk.events.engine import Engine, connect
from atrisk.events.pipeline import Built, build, read_counts
from atrisk.events.ucdp_daily import daily_deaths
from atrisk.events.ucdp_events import reported_events
from atrisk.settings import Settings
from atrisk.sources import gdelt, gdelt_fetch, icews
from atrisk.sources.base import locate

#: Signals computed from each news source's country-day counts: name -> (source, column).
NEWS_SIGNALS = {"gdelt_violent_share": ("gdelt2", "violent"),
                "gdelt_atrocity_share": ("gdelt2", "atrocity"),
                "icews_violent_share": ("icews", "violent"),
                "icews_atrocity_share": ("icews", "atrocity")}
#: Which independent source each signal stands on (``agreement`` counts sources, not signals).
SOURCES = {**{name: source for name, (source, _) in NEWS_SIGNALS.items()},
           "hdx_fatalities": "ucdp"}


def events_dir(settings: Settings) -> Path:
    return settings.build_dir / "events"


#: Days of signals kept with a build (the Watch page's trajectory, the alert rule's week).
SIGNAL_DAYS = 14


def downloads_dir(settings: Settings) -> Path:
    """Where ``atrisk events fetch`` keeps the exports it downloads."""
    return settings.cache_dir / "gdelt" / "exports"


def build_events(settings: Settings, engine: Engine = "duckdb", master: str | None = None,
                 exports: Sequence[Path] = ()) -> Built:
    """Build the event tables on ``engine`` from ``exports`` (GDELT export files: as
    published, zipped, or unzipped, gzipped or plain; ICEWS ``.tab`` files); by default the
    exports ``atrisk events fetch`` downloaded, or, before any, the mirror's real GDELT month
    and its ICEWS sample; then every signal of the last ``SIGNAL_DAYS`` days into
    ``signals.parquet``."""
    files = (list(exports) or gdelt_fetch.downloaded(downloads_dir(settings))
             or [locate(gdelt.GDELT2_MONTH, settings), locate(icews.SAMPLE, settings)])
    staging = settings.build_dir / "cache" / "gdelt"
    reported = reported_events(settings) if settings.data_dir.exists() else None
    con = connect(engine, master, spill=settings.build_dir / "cache" / "duckdb")
    try:
        built = build(con, [gdelt.unzipped(path, staging) for path in files],
                      events_dir(settings), reported=reported)
    finally:
        con.disconnect()
    days = [built.last_day - dt.timedelta(days=k) for k in range(SIGNAL_DAYS)]
    recent = pd.concat([signals(settings, day) for day in days if day >= built.first_day],
                       ignore_index=True)
    tmp = built.events.parent / ".signals.parquet"
    recent.assign(date=pd.to_datetime(recent["date"])).to_parquet(tmp, index=False)
    tmp.replace(built.events.parent / "signals.parquet")
    return built


def recent_signals(settings: Settings) -> pd.DataFrame:
    """The signals of the build's last ``SIGNAL_DAYS`` days (``date`` as a timestamp)."""
    path = _built(settings) / "signals.parquet"
    if not path.is_file():
        raise NotFoundError(f"no signals in {path.parent}: run `atrisk events build`")
    return pd.read_parquet(path)


def country_days(settings: Settings, iso3: str, days: int = 90) -> pd.DataFrame:
    """A country's last ``days`` days of counts (what the Watch page draws)."""
    counts = _counts(_built(settings) / "country_day.parquet")
    gdelt_days = counts[(counts["iso3"] == iso3) & (counts["source"] == "gdelt2")]
    return gdelt_days.tail(days).reset_index(drop=True)


def _built(settings: Settings) -> Path:
    path = events_dir(settings)
    if not (path / "country_day.parquet").exists():
        raise NotFoundError(f"no event tables in {path}: run `atrisk events build` first")
    return path


#: Columns of ``signals``: a signal's unit is a country, or one of its first-level regions
#: (``admin1``, the source's code; ``place``, its name) for the news signals.
COLUMNS = [*sig.COLUMNS, "admin1", "place"]


def signals(settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """Every signal for every country, and the news signals for every first-level region, as
    of ``as_of`` (columns ``COLUMNS``), ranked as ``signals.ranked`` ranks them. Sources'
    agreement is judged per country (HDX's deaths are national)."""
    path = _built(settings)
    counts = _counts(path / "country_day.parquet")
    last = counts["day"].max().date()
    if as_of > last or as_of < counts["day"].min().date():
        raise NotFoundError(f"the event tables cover {counts['day'].min().date()} to {last}; "
                            f"no events for {as_of}")
    frames = [sig.share_zscore(counts[counts["source"] == source], as_of, column, name)
              for name, (source, column) in NEWS_SIGNALS.items()
              if (counts["source"] == source).any()]
    try:
        deaths = _deaths(settings)
    except BuildError:
        deaths = None  # no data build: the news signals alone
    if deaths is not None and deaths["day"].min().date() <= as_of <= deaths["day"].max().date():
        frames.append(sig.hdx_fatalities(deaths, as_of))
    frames = [f for f in frames if not f.empty]
    national = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    parts = [national, *([sig.agreement(national, SOURCES)] if frames else []),
             _admin1_signals(path, as_of)]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    every = pd.concat(parts, ignore_index=True).reindex(columns=COLUMNS)
    return sig.ranked(every.astype({"admin1": "object", "place": "object"}))


def _admin1_signals(path: Path, as_of: dt.date) -> pd.DataFrame:
    """The news signals of every first-level region with enough events in the window (the
    others cannot score: see ``signals.share_zscores``), each with its region's name."""
    counts = _counts(path / "admin1_day.parquet")
    window = counts[counts["day"].between(
        pd.Timestamp(as_of) - pd.Timedelta(days=sig.WINDOW - 1), pd.Timestamp(as_of))]
    busy = window.groupby(["source", "iso3", "admin1"])["events"].sum()
    busy = busy[busy >= sig.MIN_EVENTS].index
    if busy.empty:
        return pd.DataFrame()
    counts = counts.set_index(["source", "iso3", "admin1"]).loc[busy].reset_index()
    frames = [sig.share_zscore(counts[counts["source"] == source], as_of, column, name,
                               units=("iso3", "admin1"))
              for name, (source, column) in NEWS_SIGNALS.items()
              if (counts["source"] == source).any()]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    rows = pd.concat(frames, ignore_index=True)
    names = admin1_names(path)
    rows["source"] = rows["signal"].map(lambda name: NEWS_SIGNALS[name][0])
    return rows.merge(names, on=["source", "iso3", "admin1"], how="left").drop(
        columns="source")


@lru_cache(maxsize=4)
def _admin1_names_at(path: Path, stamp: int) -> pd.DataFrame:
    query = f"""
        with named as (
            select source, iso3, admin1,
                   case when source <> 'gdelt2' then admin1  -- a province's own name
                        when geo_precision in (2, 5)  -- "Region, Country"
                            then regexp_replace(place_name, ', [^,]*$', '')
                        when geo_precision in (3, 4)  -- "City, Region, Country"
                            then string_split(place_name, ', ')[-2]
                        else admin1 end as place,
                   case when source = 'gdelt2' and geo_precision in (2, 5) then 0
                        else 1 end as exact
            from read_parquet('{path}/events/**/*.parquet', hive_partitioning = true)
            where admin1 is not null and iso3 is not null
        ), counted as (
            select source, iso3, admin1, place, min(exact) as exact, count(*) as n
            from named where place is not null and place <> ''
            group by all
        )
        select source, iso3, admin1, place from counted
        qualify row_number() over (partition by source, iso3, admin1
                                   order by exact, n desc, place) = 1"""
    with duckdb.connect() as con:
        return con.execute(query).df()


def admin1_names(path: Path) -> pd.DataFrame:
    """``source, iso3, admin1, place``: each region's name as the events give it. GDELT
    names a place "City, Region, Country" or "Region, Country"; the region's own events
    (placed at region level) name it best, else the region part of its cities' names."""
    return _admin1_names_at(path, (path / "country_day.parquet").stat().st_mtime_ns)


@lru_cache(maxsize=2)
def _counts_at(path: Path, stamp: int) -> pd.DataFrame:
    return read_counts(path)


def _counts(path: Path) -> pd.DataFrame:
    """The country-day table, read once per build (the signals of 14 days share it)."""
    return _counts_at(path, path.stat().st_mtime_ns)


_DEATHS: dict[Path, pd.DataFrame] = {}


def _deaths(settings: Settings) -> pd.DataFrame:
    """Reported deaths per day, read once per data build."""
    if not settings.data_dir.exists():
        raise BuildError("no data build")
    build = settings.data_dir.resolve()
    if build not in _DEATHS:
        _DEATHS.clear()
        _DEATHS[build] = daily_deaths(settings)
    return _DEATHS[build]


def behind(settings: Settings, iso3: str, as_of: dt.date, days: int = 7, n: int = 5
           ) -> pd.DataFrame:
    """The violent events in ``iso3`` in the ``days`` to ``as_of`` that most sources reported:
    the news behind a signal, with a source URL each."""
    path = _built(settings) / "events"
    first = as_of - dt.timedelta(days=days - 1)
    query = f"""
        select event_date, cameo, event_class, actor1, actor2, admin1, sources, url
        from read_parquet('{path}/**/*.parquet', hive_partitioning = true)
        where iso3 = ? and violent and url is not null and event_date between ? and ?
        order by sources desc, mentions desc, event_id
        limit {int(n)}"""
    with duckdb.connect() as con:
        news = con.execute(query, [iso3, first, as_of]).df()
    return news.assign(event_date=pd.to_datetime(news["event_date"]).dt.date).astype(
        {c: "string" for c in ("actor1", "actor2", "admin1")}).fillna({"actor1": "",
                                                                        "actor2": "",
                                                                        "admin1": ""})


def coded(settings: Settings, iso3: str, as_of: dt.date, days: int = 30, n: int = 5
          ) -> tuple[int, float, pd.DataFrame]:
    """UCDP's Candidate events in ``iso3`` in the ``days`` to ``as_of`` that the event tables
    hold: how many, their deaths, and the ``n`` deadliest (what a coder confirmed, beside
    what the news reported)."""
    path = _built(settings) / "events"
    first = as_of - dt.timedelta(days=days - 1)
    where = f"""from read_parquet('{path}/**/*.parquet', hive_partitioning = true)
                where source = 'ucdp_candidate' and iso3 = ? and event_date between ? and ?"""
    with duckdb.connect() as con:
        count, deaths = con.execute(f"select count(*), coalesce(sum(fatalities), 0) {where}",
                                    [iso3, first, as_of]).fetchone() or (0, 0.0)
        top = con.execute(f"""select event_date, event_class, place_name, fatalities {where}
                              order by fatalities desc, event_date desc, event_id
                              limit {int(n)}""", [iso3, first, as_of]).df()
    top = top.assign(event_date=pd.to_datetime(top["event_date"]).dt.date)
    return int(count), float(deaths), top
