"""The event watch as atrisk runs it: build the event tables from the mirror's (or the
official) GDELT exports into ``<build_dir>/events``, compute every signal as of a day, and
find the events behind a raised signal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from atrisk.domain.errors import BuildError, NotFoundError
from atrisk.events import signals as sig
from atrisk.events.engine import Engine, connect
from atrisk.events.pipeline import Built, build, read_counts
from atrisk.events.ucdp_daily import daily_deaths
from atrisk.settings import Settings
from atrisk.sources import gdelt
from atrisk.sources.base import locate

#: Signals computed from the GDELT country-day counts: name -> counted column.
GDELT_SIGNALS = {"gdelt_violent_share": "violent", "gdelt_atrocity_share": "atrocity"}
#: Which independent source each signal stands on (``agreement`` counts sources, not signals).
SOURCES = {**dict.fromkeys(GDELT_SIGNALS, "gdelt"), "hdx_fatalities": "ucdp"}


def events_dir(settings: Settings) -> Path:
    return settings.build_dir / "events"


def build_events(settings: Settings, engine: Engine = "duckdb", master: str | None = None
                 ) -> Built:
    """Build the event tables from every GDELT export atrisk knows, on ``engine``."""
    exports = [locate(gdelt.GDELT2_MONTH, settings)]
    con = connect(engine, master)
    try:
        return build(con, exports, events_dir(settings))
    finally:
        con.disconnect()


def _built(settings: Settings) -> Path:
    path = events_dir(settings)
    if not (path / "country_day.parquet").exists():
        raise NotFoundError(f"no event tables in {path}: run `atrisk events build` first")
    return path


def signals(settings: Settings, as_of: dt.date) -> pd.DataFrame:
    """Every signal for every country as of ``as_of`` (columns ``signals.COLUMNS``), ranked:
    highest level first, then the largest value."""
    counts = read_counts(_built(settings) / "country_day.parquet")
    last = counts["day"].max().date()
    if as_of > last or as_of < counts["day"].min().date():
        raise NotFoundError(f"the event tables cover {counts['day'].min().date()} to {last}; "
                            f"no events for {as_of}")
    frames = [sig.share_zscore(counts, as_of, column, name)
              for name, column in GDELT_SIGNALS.items()]
    try:
        deaths = daily_deaths(settings)
    except BuildError:
        deaths = None  # no data build: the news signals alone
    if deaths is not None and deaths["day"].min().date() <= as_of <= deaths["day"].max().date():
        frames.append(sig.hdx_fatalities(deaths, as_of))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=sig.COLUMNS)
    every = pd.concat(frames, ignore_index=True)
    return sig.ranked(pd.concat([every, sig.agreement(every, SOURCES)], ignore_index=True))


def behind(settings: Settings, iso3: str, as_of: dt.date, days: int = 7, n: int = 5
           ) -> pd.DataFrame:
    """The violent events in ``iso3`` in the ``days`` to ``as_of`` that most sources reported:
    the news behind a signal, with a source URL each."""
    path = _built(settings) / "events"
    first = as_of - dt.timedelta(days=days - 1)
    query = f"""
        select event_date, cameo, event_class, actor1, actor2, admin1, sources, url
        from read_parquet('{path}/**/*.parquet', hive_partitioning = true)
        where iso3 = ? and violent and event_date between ? and ?
        order by sources desc, mentions desc, event_id
        limit {int(n)}"""
    with duckdb.connect() as con:
        news = con.execute(query, [iso3, first, as_of]).df()
    return news.assign(event_date=pd.to_datetime(news["event_date"]).dt.date).astype(
        {c: "string" for c in ("actor1", "actor2", "admin1")}).fillna({"actor1": "",
                                                                        "actor2": "",
                                                                        "admin1": ""})
