"""Raw GDELT exports and ICEWS files (and UCDP's Candidate events, the coded deaths of the same
days) -> one normalised event table -> zero-filled unit-day counts per source, as Ibis
expressions that DuckDB and Spark run alike.

Cleaning follows what the literature on GDELT found to matter:

- **Root events only** (``IsRootEvent``): events from an article's lead paragraph; the rest
  are mostly background mentions (GDELT 2.0 codebook; Hammond & Weidmann 2014, Research &
  Politics, doi:10.1177/2053168014539924, on GDELT's urban and duplicate bias).
- **One a day**: one record per day, actor pair, CAMEO code and place. GDELT codes the same
  event again from every article that reports it; the one-a-day filter is the standard
  remedy (Schrodt 2012, CAMEO/event-data practice; used by ICEWS and Phoenix).
- **FIPS -> ISO**: GDELT's places are FIPS 10-4 codes (``sources.gdelt.fips_table``).
- **Volume**: GDELT's daily volume drifts with its sources (and this mirror holds ~40% of each
  day's exports), so signals use the violent *share* of all events, never raw counts
  (Hammond & Weidmann 2014; Jäger 2018 on GDELT's changing volume).
- **Country centroids** (``ActionGeo_Type`` 1: the event was placed only in a country) count
  for the country but are kept out of admin-1 counts, where they would pile onto the capital.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from atrisk.domain.errors import SourceError
from atrisk.events.engine import engine_of
from atrisk.sources import gdelt, icews

#: CAMEO codes of atrocity-type events (issue taxonomy: violent repression, torture and
#: killing, assaults, unconventional mass violence) ...
ATROCITY_CODES = ("175", "1822", "1823", "180", "181", "182", "183", "184", "185", "186",
                  "20")
#: ... counted when aimed at civilians or an ethnic or religious group (the target actor's
#: type is civilians or refugees, or it carries an ethnic or religious code).
CIVILIAN_TYPES = ("CVL", "REF")
#: Event classes by CAMEO root code (the four material-conflict roots, and protest).
CLASSES = {"14": "protest", "17": "coerce", "18": "assault", "19": "fight",
           "20": "mass_violence"}
COUNTS = ("events", "violent", "material_conflict", "atrocity", "protest")


@dataclass(frozen=True)
class Built:
    """Where one build wrote its tables, and how many rows each holds."""

    events: Path
    country_day: Path
    admin1_day: Path
    raw_rows: int
    event_rows: int
    first_day: dt.date
    last_day: dt.date


def read_export(con: BaseBackend, path: Path) -> ir.Table:
    """The export as strings, one column per GDELT field, every row checked (column count,
    dates, FIPS codes) by the engine; any failure is a ``SourceError`` naming the file. A
    folder (or ``.parquet`` file) of GDELT 2.0 exports already stored as Parquet, every
    column a string, is read too (how an archive is kept for Spark)."""
    if path.is_dir() or path.suffix == ".parquet":
        return _read_parquet_exports(con, path)
    spec = gdelt.layout(path)
    names = spec.columns
    try:
        if engine_of(con) == "spark":
            ddl = ", ".join(f"`{n}` STRING" for n in names)
            raw = con.read_csv(str(path), sep="\t", header=spec.header, schema=ddl, quote="",
                               mode="PERMISSIVE" if spec.version == 1 else "FAILFAST",
                               inferSchema=False)
        else:
            raw = con.read_csv(str(path), delim="\t", header=spec.header, quote="",
                               escape="", columns={n: "VARCHAR" for n in names},
                               null_padding=spec.version == 1, auto_detect=False)
        _check_rows(raw, str(path))
    except SourceError:
        raise
    except Exception as exc:  # the engines raise their own types for a malformed file
        raise SourceError(str(path), f"not a readable GDELT {spec.version}.0 export: "
                          f"{str(exc).splitlines()[0][:300]}") from exc
    return raw


def _read_parquet_exports(con: BaseBackend, path: Path) -> ir.Table:
    try:
        if engine_of(con) == "spark":
            table = con.read_parquet(str(path))
        else:
            pattern = f"{path}/**/*.parquet" if path.is_dir() else str(path)
            table = con.read_parquet(pattern, hive_partitioning=path.is_dir())
    except Exception as exc:
        raise SourceError(str(path), f"not readable Parquet ({str(exc).splitlines()[0]})"
                          ) from exc
    missing = [c for c in gdelt.GDELT2_COLUMNS if c not in table.columns]
    if missing:
        raise SourceError(str(path), f"not GDELT 2.0 exports: missing column(s) {missing[:5]}")
    raw = table.select(*[table[c].cast("string") for c in gdelt.GDELT2_COLUMNS])
    _check_rows(raw, str(path))
    return raw


def _check_rows(raw: ir.Table, file: str) -> None:
    day = raw.SQLDATE
    bad_day = day.isnull() | ~day.re_search(r"^(19|20)[0-9]{2}(0[1-9]|1[0-2])[0-3][0-9]$")
    added = raw.DATEADDED
    bad_added = added.isnull() | ~added.re_search(r"^[0-9]{8}([0-9]{6})?$")
    fips = ibis.memtable(pd.DataFrame({"fips": sorted(gdelt.fips_codes())}))
    code = raw.ActionGeo_CountryCode
    unknown = raw.filter(code.notnull() & (code != "")).anti_join(
        fips, raw.ActionGeo_CountryCode == fips.fips)
    checks = raw.aggregate(rows=raw.count(), bad_day=bad_day.sum(),
                           bad_added=bad_added.sum()).to_pandas().iloc[0]
    if int(checks["bad_day"]):
        example = raw.filter(bad_day).SQLDATE.limit(1).to_pandas().iloc[0]
        raise SourceError(file, f"{int(checks['bad_day'])} row(s) have an SQLDATE that is not "
                          f"a date (YYYYMMDD), e.g. {example!r}")
    if int(checks["bad_added"]):
        example = raw.filter(bad_added).DATEADDED.limit(1).to_pandas().iloc[0]
        raise SourceError(file, f"{int(checks['bad_added'])} row(s) have a DATEADDED that is "
                          f"not a time stamp, e.g. {example!r}")
    wrong = unknown.aggregate(n=unknown.count(),
                              code=unknown.ActionGeo_CountryCode.min()).to_pandas().iloc[0]
    if int(wrong["n"]):
        raise SourceError(file, f"{int(wrong['n'])} row(s) have an ActionGeo_CountryCode that "
                          f"is not a FIPS 10-4 country code, e.g. {wrong['code']!r}")


def _blank(value: ir.StringValue) -> ir.StringValue:
    return value.nullif("")


def _ymd(value: ir.StringValue) -> ir.DateValue:
    return ibis.date(value[0:4].cast("int32"), value[4:6].cast("int32"),
                     value[6:8].cast("int32"))


def normalise(raw: ir.Table, source: str = "gdelt2") -> ir.Table:
    """One row per root event and day, actor pair, CAMEO code and place (see the module
    docstring), in atrisk's event schema."""
    table = gdelt.fips_table()
    fips = ibis.memtable(table.loc[table["iso3"].notna(), ["fips", "iso3"]])  # others: null
    root = raw.filter(raw.IsRootEvent == "1")
    place = ibis.coalesce(_blank(root.ActionGeo_FeatureID),
                          root.ActionGeo_Lat.concat(",", root.ActionGeo_Long), ibis.literal(""))
    keyed = root.mutate(
        event_date=_ymd(root.SQLDATE),
        added_day=_ymd(root.DATEADDED),
        actor1=ibis.coalesce(_blank(root.Actor1Code), ibis.literal("")),
        actor2=ibis.coalesce(_blank(root.Actor2Code), ibis.literal("")),
        place=place,
    )
    keys = ["event_date", "actor1", "actor2", "EventCode", "place"]
    one = keyed.group_by(keys).aggregate(
        event_id=keyed.GLOBALEVENTID.cast("int64").min(),
        records=keyed.count(),
        added_day=keyed.added_day.min(),
        fips=keyed.ActionGeo_CountryCode.min(),
        geo_type=keyed.ActionGeo_Type.cast("int8").min(),
        adm1=keyed.ActionGeo_ADM1Code.min(),
        lat=keyed.ActionGeo_Lat.cast("float64").min(),
        lon=keyed.ActionGeo_Long.cast("float64").min(),
        actor1_sector=keyed.Actor1Type1Code.min(),
        actor2_sector=keyed.Actor2Type1Code.min(),
        actor2_ethnic=keyed.Actor2EthnicCode.min(),
        actor2_religion=keyed.Actor2Religion1Code.min(),
        root_code=keyed.EventRootCode.min(),
        quad_class=keyed.QuadClass.cast("int8").min(),
        goldstein=keyed.GoldsteinScale.cast("float64").min(),
        mentions=keyed.NumMentions.cast("int64").sum(),
        sources=keyed.NumSources.cast("int64").sum(),
        articles=keyed.NumArticles.cast("int64").sum(),
        url=keyed.SOURCEURL.min(),
        place_name=keyed.ActionGeo_FullName.min(),
    )
    joined = one.left_join(fips, one.fips == fips.fips)
    code = joined.EventCode
    targeted = (joined.actor2_sector.isin(CIVILIAN_TYPES)
                | _blank(joined.actor2_ethnic).notnull()
                | _blank(joined.actor2_religion).notnull())
    atrocity_code = ibis.or_(*[code.startswith(c) for c in ATROCITY_CODES])
    event_class = ibis.cases(*[(joined.root_code == r, name) for r, name in CLASSES.items()],
                             else_="other")
    return joined.select(
        source=ibis.literal(source),
        event_id=joined.event_id,
        event_date=joined.event_date,
        added_day=joined.added_day,
        iso3=joined.iso3,
        fips=joined.fips,
        admin1=ibis.ifelse(joined.geo_type == 1, ibis.null("string"), _blank(joined.adm1)),
        lat=joined.lat,
        lon=joined.lon,
        geo_precision=joined.geo_type,
        actor1=_blank(joined.actor1),
        actor2=_blank(joined.actor2),
        actor1_sector=_blank(joined.actor1_sector),
        actor2_sector=_blank(joined.actor2_sector),
        cameo=code,
        event_class=event_class,
        violent=joined.root_code.isin(("18", "19", "20")),
        atrocity=atrocity_code & targeted,
        quad_class=joined.quad_class,
        goldstein=joined.goldstein,
        # DuckDB sums BIGINTs into HUGEINT, which Parquet stores as DOUBLE; Ibis types the sum
        # as int64 and would drop a plain cast to it, so the cast goes through float64.
        mentions=joined.mentions.cast("float64").cast("int64"),
        sources=joined.sources.cast("float64").cast("int64"),
        articles=joined.articles.cast("float64").cast("int64"),
        records=joined.records,
        fatalities=ibis.null("float64"),
        url=joined.url,
        place_name=_blank(joined.place_name),
    )


def is_icews(path: Path) -> bool:
    """An ICEWS file (its header begins with ``Event ID``), not a GDELT export."""
    if path.is_dir() or path.suffix.lower() in (".zip", ".gz", ".parquet"):
        return False
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.readline().startswith("Event ID\t")


def read_icews(con: BaseBackend, path: Path) -> ir.Table:
    """An ICEWS ``.tab`` file as strings (columns renamed to identifiers), every row checked
    by the engine: its dates and country names."""
    icews.layout(path)
    # Prefixed: SQL names are case-blind, and "ic_event_date" would collide with "event_date".
    names = ["ic_" + re.sub(r"\W+", "_", c).strip("_").lower() for c in icews.COLUMNS]
    try:
        if engine_of(con) == "spark":
            ddl = ", ".join(f"`{n}` STRING" for n in names)
            raw = con.read_csv(str(path), sep="\t", header=True, schema=ddl, quote="",
                               mode="FAILFAST", inferSchema=False)
        else:
            raw = con.read_csv(str(path), delim="\t", header=True, quote="", escape="",
                               columns={n: "VARCHAR" for n in names}, auto_detect=False)
        bad = raw.filter(raw.ic_event_date.isnull()
                         | ~raw.ic_event_date.re_search(r"^(19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]$"))
        n = int(bad.count().to_pandas())
    except Exception as exc:
        raise SourceError(str(path), f"not a readable ICEWS file: "
                          f"{str(exc).splitlines()[0][:300]}") from exc
    if n:
        example = bad.ic_event_date.limit(1).to_pandas().iloc[0]
        raise SourceError(str(path), f"{n} row(s) have an Event Date that is not a date "
                          f"(YYYY-MM-DD), e.g. {example!r}")
    countries = raw.select("ic_country").distinct().to_pandas()["ic_country"].dropna()
    unknown = sorted(c for c in countries if icews.iso3(str(c)) is None)
    if unknown:
        raise SourceError(str(path), f"Country {unknown[0]!r} is not a country atrisk knows "
                          f"({len(unknown)} unknown name(s))")
    return raw


def _na(value: ir.StringValue) -> ir.StringValue:
    """ICEWS writes ``NA`` where a value is missing."""
    return value.nullif("NA").nullif("")


def _quad(root: ir.StringValue) -> ir.IntegerValue:
    """CAMEO root -> GDELT's QuadClass: 01-05 verbal and 06-08 material cooperation, 09-13
    verbal and 14-20 material conflict."""
    number = root.cast("int32")
    return ibis.cases((number <= 5, 1), (number <= 8, 2), (number <= 13, 3),
                      else_=4).cast("int8")


def normalise_icews(raw: ir.Table) -> ir.Table:
    """ICEWS in atrisk's event schema, one a day (day, source and target actor, CAMEO code,
    place); ``sources`` counts publishers, ``articles`` stories; no URLs, no dates added (an
    event counts on its own day)."""
    names = raw.select("ic_country").distinct().to_pandas()["ic_country"].dropna()
    table = ibis.memtable(pd.DataFrame({"country": list(names),
                                        "iso3": [icews.iso3(str(c)) for c in names]}))
    day = raw.ic_event_date
    keyed = raw.mutate(
        event_date=ibis.date(day[0:4].cast("int32"), day[5:7].cast("int32"),
                             day[8:10].cast("int32")),
        actor1=ibis.coalesce(_blank(raw.ic_source_name), ibis.literal("")),
        actor2=ibis.coalesce(_blank(raw.ic_target_name), ibis.literal("")),
        place=ibis.coalesce(raw.ic_latitude.concat(",", raw.ic_longitude), ibis.literal("")))
    keyed = keyed.mutate(ic_province=_na(keyed.ic_province),
                         ic_source_sectors=_na(keyed.ic_source_sectors),
                         ic_target_sectors=_na(keyed.ic_target_sectors))
    one = keyed.group_by(["event_date", "actor1", "actor2", "ic_cameo_code", "place"]).aggregate(
        event_id=keyed.ic_event_id.cast("int64").min(), records=keyed.count(),
        country=keyed.ic_country.min(), province=keyed.ic_province.min(),
        place_name=ibis.coalesce(_na(keyed.ic_city), _na(keyed.ic_district),
                                 keyed.ic_province).min(),
        lat=_na(keyed.ic_latitude).cast("float64").min(),
        lon=_na(keyed.ic_longitude).cast("float64").min(),
        actor1_sector=keyed.ic_source_sectors.min(), actor2_sector=keyed.ic_target_sectors.min(),
        goldstein=_na(keyed.ic_intensity).cast("float64").min(),
        sources=keyed.ic_publisher.nunique(), articles=keyed.ic_story_id.nunique())
    joined = one.left_join(table, one.country == table.country)
    code = joined.ic_cameo_code
    root = code[0:2]
    targeted = ibis.or_(*[joined.actor2_sector.contains(word) for word in icews.TARGETED])
    return joined.select(
        source=ibis.literal("icews"), event_id=joined.event_id,
        event_date=joined.event_date, added_day=joined.event_date, iso3=joined.iso3,
        fips=ibis.null("string"),
        admin1=joined.province, lat=joined.lat, lon=joined.lon,
        geo_precision=ibis.null("int8"), actor1=_blank(joined.actor1),
        actor2=_blank(joined.actor2), actor1_sector=_blank(joined.actor1_sector),
        actor2_sector=_blank(joined.actor2_sector), cameo=code,
        event_class=ibis.cases(*[(root == r, name) for r, name in CLASSES.items()],
                               else_="other"),
        violent=root.isin(("18", "19", "20")),
        atrocity=ibis.or_(*[code.startswith(c) for c in ATROCITY_CODES])
        & ibis.coalesce(targeted, False),
        quad_class=_quad(root), goldstein=joined.goldstein,
        mentions=joined.records.cast("int64"), sources=joined.sources.cast("int64"),
        articles=joined.articles.cast("int64"), records=joined.records.cast("int64"),
        fatalities=ibis.null("float64"), url=ibis.null("string"),
        place_name=joined.place_name)


#: UCDP's types of violence as event classes.
VIOLENCE_TYPES = {1: "state_based", 2: "non_state", 3: "one_sided"}


def normalise_reported(events: pd.DataFrame) -> ir.Table:
    """Coded events with deaths (``events.ucdp_events.REPORTED``: one row per UCDP Candidate
    event) in atrisk's event schema: every one violent and material conflict, one-sided
    violence the atrocity kind, its deaths in ``fatalities``; counted on its own day."""
    table = ibis.memtable(events.assign(event_date=events["event_date"].dt.date))
    kind = table.type_of_violence
    return table.select(
        source=ibis.literal("ucdp_candidate"), event_id=table.event_id.cast("int64"),
        event_date=table.event_date.cast("date"), added_day=table.event_date.cast("date"),
        iso3=table.iso3.cast("string"), fips=ibis.null("string"),
        admin1=table.admin1.cast("string"), lat=table.lat.cast("float64"),
        lon=table.lon.cast("float64"), geo_precision=table.geo_precision.cast("int8"),
        actor1=table.actor1.cast("string"), actor2=table.actor2.cast("string"),
        actor1_sector=ibis.null("string"), actor2_sector=ibis.null("string"),
        cameo=ibis.null("string"),
        event_class=ibis.cases(*[(kind == k, name) for k, name in VIOLENCE_TYPES.items()],
                               else_="other"),
        violent=ibis.literal(True), atrocity=kind == 3, quad_class=ibis.literal(4, "int8"),
        goldstein=ibis.null("float64"), mentions=ibis.null("int64"),
        sources=table.sources.cast("int64"), articles=ibis.null("int64"),
        records=ibis.literal(1, "int64"), fatalities=table.deaths.cast("float64"),
        url=ibis.null("string"), place_name=table.place_name.cast("string"))


def _days(first: dt.date, last: dt.date) -> ir.Table:
    days = pd.date_range(first, last, freq="D").date
    return ibis.memtable(pd.DataFrame({"day": days}))


def unit_day(events: ir.Table, first: dt.date, last: dt.date, by: tuple[str, ...]
             ) -> ir.Table:
    """Counts per source, unit (``by``: ``iso3``, or ``iso3, admin1``) and event day, over the
    days each source's files were added (within ``first`` … ``last``), every unit a source
    reports on every one of them (a day with no events is a zero, not missing). Sources are
    counted apart: their volumes differ, and each is an independent witness."""
    spans = events.group_by("source").aggregate(first=events.added_day.min(),
                                                last=events.added_day.max())
    joined = events.inner_join(spans, "source")
    inside = joined.filter(joined.event_date.between(joined["first"], joined["last"])
                           & ibis.and_(*[joined[c].notnull() for c in by]))
    by = ("source", *by)
    counts = inside.group_by([*[inside[c] for c in by], inside.event_date.name("day")]).aggregate(
        events=inside.count(),
        violent=inside.count(where=inside.violent),
        material_conflict=inside.count(where=inside.quad_class == 4),
        atrocity=inside.count(where=inside.atrocity),
        protest=inside.count(where=inside.event_class == "protest"),
    )
    units = inside.select(*by).distinct().inner_join(spans, "source")
    grid = units.cross_join(_days(first, last))
    grid = grid.filter(grid.day.between(grid["first"], grid["last"]))
    out = grid.left_join(counts, [*[grid[c] == counts[c] for c in by],
                                  grid.day == counts.day])
    return out.select(*[out[c] for c in by], day=out.day,
                      **{c: ibis.coalesce(out[c], 0).cast("int64") for c in COUNTS})


def build(con: BaseBackend, exports: list[Path], out: Path, source: str = "gdelt2",
          reported: pd.DataFrame | None = None) -> Built:
    """Read and check every export, write the normalised events (Parquet, partitioned by
    source and the day GDELT added them) and the country-day and admin-1-day counts over the
    days the exports cover, into ``out`` (replaced only once everything is written).
    ``reported``: coded events with deaths (``events.ucdp_events``), kept for the days the
    exports cover."""
    gdelt_files = [p for p in exports if not is_icews(p)]
    icews_files = [p for p in exports if is_icews(p)]
    parts, raw_rows, spans = [], 0, []
    if gdelt_files:
        tables = [read_export(con, path) for path in gdelt_files]
        raw = tables[0] if len(tables) == 1 else ibis.union(*tables)
        span = raw.aggregate(n=raw.count(), first=raw.DATEADDED[0:8].min(),
                             last=raw.DATEADDED[0:8].max()).to_pandas().iloc[0]
        raw_rows += int(span["n"])
        spans.append((str(span["first"]), str(span["last"])))
        parts.append(normalise(raw, source))
    for path in icews_files:
        raw = read_icews(con, path)
        span = raw.aggregate(n=raw.count(), first=raw.ic_event_date.min(),
                             last=raw.ic_event_date.max()).to_pandas().iloc[0]
        raw_rows += int(span["n"])
        spans.append((str(span["first"]).replace("-", ""), str(span["last"]).replace("-", "")))
        parts.append(normalise_icews(raw))
    if reported is not None and spans:
        inside = reported[np.logical_or.reduce([
            reported["event_date"].between(pd.Timestamp(first), pd.Timestamp(last))
            for first, last in spans])]
        if len(inside):
            parts.append(normalise_reported(inside))
    events = parts[0] if len(parts) == 1 else ibis.union(*parts)
    tmp = out.with_name(f".tmp-{out.name}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    events_dir = tmp / "events"
    _write(con, events, events_dir, partition=("source", "added_day"))
    written = read_events(con, events_dir)
    span = written.aggregate(first=written.added_day.min(), last=written.added_day.max(),
                             n=written.count()).to_pandas().iloc[0]
    first, last = pd.Timestamp(span["first"]).date(), pd.Timestamp(span["last"]).date()
    _write(con, unit_day(written, first, last, ("iso3",)), tmp / "country_day.parquet")
    _write(con, unit_day(written, first, last, ("iso3", "admin1")),
           tmp / "admin1_day.parquet")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return Built(out / "events", out / "country_day.parquet", out / "admin1_day.parquet",
                 raw_rows, int(span["n"]), first, last)


def _write(con: BaseBackend, table: ir.Table, path: Path,
           partition: tuple[str, ...] = ()) -> None:
    """Parquet from either engine: a folder of partitions, or one file (Spark writes a
    folder of parts either way; DuckDB one file)."""
    if engine_of(con) == "spark":
        options = {"partitionBy": list(partition)} if partition else {}
        con.to_parquet(table, path, mode="overwrite", **options)
    elif partition:
        con.to_parquet(table, path, partition_by=partition, overwrite=True)
    else:
        con.to_parquet(table, path)


def read_events(con: BaseBackend, path: Path) -> ir.Table:
    """The normalised events written by ``build`` (partition columns typed as dates)."""
    if engine_of(con) == "spark":
        table = con.read_parquet(str(path))
    else:
        table = con.read_parquet(f"{path}/**/*.parquet", hive_partitioning=True)
    return table.mutate(added_day=table.added_day.cast("date"))


def read_counts(path: Path) -> pd.DataFrame:
    """A unit-day table as pandas (one file from DuckDB, a folder of parts from Spark)."""
    frame = pd.read_parquet(path)
    return frame.assign(day=pd.to_datetime(frame["day"])).sort_values(
        [c for c in ("source", "iso3", "admin1", "day") if c in frame.columns]
    ).reset_index(drop=True)
