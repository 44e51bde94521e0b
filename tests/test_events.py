"""The event pipeline: GDELT readers' checks, FIPS -> ISO, the one-a-day filter, zero-filled
unit-day counts, each signal against a hand-computed case, DuckDB = Spark on a real slice,
and the CLI from the real month (Iran raised on 14 June 2025)."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from atrisk.cli.main import app
from atrisk.domain.errors import SourceError
from atrisk.events import signals as sig
from atrisk.events.engine import connect
from atrisk.events.pipeline import build, read_counts, read_export
from atrisk.sources import gdelt

MIRROR = Path(os.environ.get("ATRISK_MIRROR", Path(__file__).parents[2] / "shared" / "data"))
MONTH = MIRROR / gdelt.GDELT2_MONTH.path
needs_mirror = pytest.mark.skipif(not MONTH.is_file(), reason="needs the data mirror")


def _lines(n: int) -> list[str]:
    with gzip.open(MONTH, "rt", encoding="utf-8") as fh:
        return [next(fh).rstrip("\n") for _ in range(n + 1)]  # header + n rows


@pytest.fixture(scope="module")
def real_slice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 3,000 events of the real month, header kept."""
    path = tmp_path_factory.mktemp("gdelt") / "slice.tsv"
    path.write_text("\n".join(_lines(3000)) + "\n", encoding="utf-8")
    return path


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _set(line: str, **fields: str) -> str:
    values = line.split("\t")
    for name, value in fields.items():
        values[gdelt.GDELT2_COLUMNS.index(name)] = value
    return "\t".join(values)


# --- FIPS 10-4 -> ISO 3166 -----------------------------------------------------------------

def test_fips_table_converts_the_codes_that_differ_from_iso() -> None:
    table = gdelt.fips_table().set_index("fips")["iso3"]
    assert table.index.is_unique
    expected = {"SU": "SDN", "OD": "SSD", "UP": "UKR", "IS": "ISR", "GZ": "PSE", "WE": "PSE",
                "SF": "ZAF", "NI": "NGA", "NG": "NER", "CG": "COD", "CF": "COG", "BM": "MMR",
                "RB": "SRB", "KV": "XKX", "AU": "AUT", "AS": "AUS", "IZ": "IRQ"}
    assert {code: table[code] for code in expected} == expected
    assert pd.isna(table["OS"])  # oceans: a code, no country
    assert table.dropna().str.fullmatch(r"[A-Z]{3}").all()


@needs_mirror
def test_every_place_code_in_the_real_slice_is_known(real_slice: Path) -> None:
    codes = pd.read_csv(real_slice, sep="\t", usecols=["ActionGeo_CountryCode"], dtype=str,
                        quoting=3)["ActionGeo_CountryCode"].dropna()
    assert set(codes) <= gdelt.fips_codes()


# --- what the readers refuse ---------------------------------------------------------------

@needs_mirror
def test_layout_knows_both_versions(real_slice: Path) -> None:
    two = gdelt.layout(real_slice)
    assert (two.version, two.header, len(two.columns)) == (2, True, 61)
    one = gdelt.layout(MIRROR / gdelt.GDELT1_DAY.path)
    assert (one.version, one.header, len(one.columns)) == (1, False, 58)  # 57 before 2013-04


@needs_mirror
@pytest.mark.parametrize(("change", "problem"), [
    (lambda line: "\t".join(line.split("\t")[:12]), "12 tab-separated columns"),
    (lambda line: _set(line, SQLDATE="2025-05-15"), "SQLDATE '2025-05-15' is not a date"),
    (lambda line: _set(line, ActionGeo_CountryCode="QQ"), "'QQ' is not a FIPS 10-4"),
    (lambda line: _set(line, DATEADDED="yesterday"), "DATEADDED 'yesterday'"),
])
def test_a_broken_line_is_refused_with_the_file_and_the_problem(
        tmp_path: Path, change, problem: str) -> None:
    lines = _lines(50)
    lines[10] = change(lines[10])
    path = _write(tmp_path / "broken.tsv", lines)
    with pytest.raises(SourceError, match=re.escape(problem)) as err:
        gdelt.layout(path)
    assert str(path) in str(err.value)


@needs_mirror
def test_the_engine_checks_rows_the_first_lines_did_not_show(tmp_path: Path) -> None:
    lines = _lines(400)
    lines[350] = _set(lines[350], ActionGeo_CountryCode="QQ")  # past the 200 lines sniffed
    path = _write(tmp_path / "late.tsv", lines)
    with pytest.raises(SourceError, match="1 row.*'QQ'") as err:
        read_export(connect("duckdb"), path)
    assert str(path) in str(err.value)
    lines = _lines(400)
    lines[380] = "\t".join(lines[380].split("\t")[:40])
    path = _write(tmp_path / "short.tsv", lines)
    with pytest.raises(SourceError, match="not a readable GDELT 2.0 export") as err:
        read_export(connect("duckdb"), path)
    assert str(path) in str(err.value)


def test_empty_and_missing_files_are_named(tmp_path: Path) -> None:
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(SourceError, match="empty"):
        gdelt.layout(empty)
    with pytest.raises(SourceError, match="not found"):
        gdelt.layout(tmp_path / "nowhere.tsv")


def test_exports_come_from_the_file_list() -> None:
    from atrisk.sources.gdelt_fetch import listed_exports

    text = ("150383 297a16b493de7cf6ca809a7cc31d0b93 http://data.gdeltproject.org/gdeltv2/"
            "20250614164500.export.CSV.zip\n318084 bb27f78ba45f69a17ea6ed7755e9f8ff http://"
            "data.gdeltproject.org/gdeltv2/20250614164500.mentions.CSV.zip\n")
    [only] = listed_exports(text, "lastupdate.txt")
    assert only.url == "http://data.gdeltproject.org/gdeltv2/20250614164500.export.CSV.zip"
    assert (only.size, only.stamp) == (150383, dt.datetime(2025, 6, 14, 16, 45))
    with pytest.raises(SourceError, match="lastupdate.txt: line 1 is not 'size md5 url'"):
        listed_exports("12 nothex http://x/20250614164500.export.CSV.zip\n", "lastupdate.txt")


# --- cleaning and counting ----------------------------------------------------------------

@needs_mirror
def test_one_a_day_filter_and_zero_filled_counts(tmp_path: Path) -> None:
    template = _lines(1)[1]
    base = dict(SQLDATE="20250601", DATEADDED="20250601120000", IsRootEvent="1",
                Actor1Code="SDNMIL", Actor2Code="CVL", Actor2Type1Code="CVL",
                EventCode="1823", EventBaseCode="182", EventRootCode="18", QuadClass="4",
                ActionGeo_Type="4", ActionGeo_CountryCode="SU", ActionGeo_ADM1Code="SU49",
                ActionGeo_FeatureID="-123", ActionGeo_Lat="13.6", ActionGeo_Long="25.3",
                NumMentions="2", NumSources="1", NumArticles="2")
    rows = [
        _set(template, GLOBALEVENTID="3", **base),  # the same killing, reported 3 times
        _set(template, GLOBALEVENTID="1", **base),
        _set(template, GLOBALEVENTID="2", **base),
        _set(template, GLOBALEVENTID="4", **{**base, "EventCode": "0", "EventRootCode": "01",
                                             "QuadClass": "1"}),  # another event that day
        _set(template, GLOBALEVENTID="5", **{**base, "IsRootEvent": "0"}),  # not a root event
        _set(template, GLOBALEVENTID="6", **{**base, "SQLDATE": "20250603",  # country only
                                             "DATEADDED": "20250603120000",
                                             "ActionGeo_Type": "1", "EventCode": "190",
                                             "EventRootCode": "19"}),
    ]
    path = _write(tmp_path / "hand.tsv", [_lines(0)[0], *rows])
    built = build(connect("duckdb"), [path], tmp_path / "out")
    assert (built.raw_rows, built.event_rows) == (6, 3)
    events = pd.read_parquet(built.events).sort_values("event_id")
    killing = events.iloc[0]
    assert (killing["event_id"], killing["records"], killing["mentions"]) == (1, 3, 6)
    assert events["mentions"].dtype == "int64" and events["sources"].dtype == "int64"
    assert (killing["iso3"], killing["admin1"], bool(killing["atrocity"])) == ("SDN", "SU49",
                                                                               True)
    assert pd.isna(events.iloc[2]["admin1"])  # placed only in the country: no admin-1
    days = read_counts(built.country_day)
    assert days["day"].dt.strftime("%d").tolist() == ["01", "02", "03"]
    assert days[["events", "violent", "atrocity"]].to_numpy().tolist() == [
        [2, 1, 1], [0, 0, 0], [1, 1, 0]]
    admin1 = read_counts(built.admin1_day)
    assert set(admin1["admin1"]) == {"SU49"}
    assert admin1["events"].tolist() == [2, 0, 0]


def test_regions_are_named_by_their_own_events_first(tmp_path: Path) -> None:
    from atrisk.events.watch import admin1_names

    template = _lines(1)[1]
    base = dict(SQLDATE="20250601", DATEADDED="20250601120000", IsRootEvent="1",
                EventCode="190", EventRootCode="19", QuadClass="4", ActionGeo_Type="4",
                ActionGeo_CountryCode="SU", ActionGeo_ADM1Code="SU49",
                ActionGeo_FullName="Kutum, North Darfur, Sudan", ActionGeo_Lat="14.2",
                ActionGeo_Long="24.7")
    rows = [_set(template, GLOBALEVENTID="1", ActionGeo_FeatureID="-1", **base),
            _set(template, GLOBALEVENTID="2", ActionGeo_FeatureID="-2", **base),
            _set(template, GLOBALEVENTID="3", ActionGeo_FeatureID="SU49", **{
                **base, "ActionGeo_Type": "5", "ActionGeo_FullName": "Shamal Darfur, Sudan"}),
            _set(template, GLOBALEVENTID="4", ActionGeo_FeatureID="-4", **{
                **base, "ActionGeo_ADM1Code": "SU55",
                "ActionGeo_FullName": "Nyala, South Darfur, Sudan"})]
    out = tmp_path / "out"
    build(connect("duckdb"), [_write(tmp_path / "hand.tsv", [_lines(0)[0], *rows])], out)
    names = admin1_names(out).set_index("admin1")["place"]
    # the region-level event names SU49 although two city-level events say "North Darfur"
    assert names.to_dict() == {"SU49": "Shamal Darfur", "SU55": "South Darfur"}


def test_coded_deaths_join_the_news_of_the_same_days(tmp_path: Path) -> None:
    from atrisk.events.ucdp_events import REPORTED

    template = _lines(1)[1]
    news = [_set(template, GLOBALEVENTID=str(i), SQLDATE=f"2025060{i}",
                 DATEADDED=f"2025060{i}120000", IsRootEvent="1", EventCode="190",
                 EventRootCode="19", QuadClass="4", ActionGeo_Type="1",
                 ActionGeo_CountryCode="SU", ActionGeo_FeatureID=f"-{i}") for i in (1, 3)]
    coded = pd.DataFrame([  # a battle, a massacre, and one on a day no export covers
        (10, "2025-06-02", "SDN", "North Darfur", 14.2, 24.7, 4, "Government of Sudan", "RSF",
         1, 12.0, 3, "Kutum town"),
        (11, "2025-06-03", "SDN", None, None, None, None, "RSF", "Civilians", 3, 40.0, 1,
         "Sudan: RSF"),
        (12, "2025-06-20", "SDN", None, None, None, None, "RSF", "Civilians", 3, 99.0, 1, "x"),
    ], columns=list(REPORTED)).assign(event_date=lambda f: pd.to_datetime(f["event_date"]))
    done = build(connect("duckdb"), [_write(tmp_path / "hand.tsv", [_lines(0)[0], *news])],
                 tmp_path / "out", reported=coded)
    events = pd.read_parquet(done.events)
    ucdp = events[events["source"] == "ucdp_candidate"].sort_values("event_id")
    assert ucdp["event_id"].tolist() == [10, 11]  # the 20th is outside the exports' days
    assert ucdp["event_class"].tolist() == ["state_based", "one_sided"]
    assert ucdp["atrocity"].tolist() == [False, True] and ucdp["violent"].all()
    assert ucdp["fatalities"].tolist() == [12.0, 40.0]
    assert ucdp["admin1"].tolist()[0] == "North Darfur"
    assert events.loc[events["source"] == "gdelt2", "fatalities"].isna().all()
    days = read_counts(done.country_day)
    mine = days[days["source"] == "ucdp_candidate"]
    assert mine["day"].dt.day.tolist() == [2, 3] and mine["atrocity"].tolist() == [0, 1]


# --- signals against hand-computed cases --------------------------------------------------

def _days(values: dict[str, list[int]], first: str = "2025-01-01") -> pd.DataFrame:
    n = len(next(iter(values.values())))
    return pd.DataFrame({"iso3": "AAA", "day": pd.date_range(first, periods=n), **values})


def test_share_zscore_by_hand() -> None:
    # 21 baseline days at 10% violent of 100 events, then a 7-day window at 30%.
    counts = _days({"events": [100] * 28, "violent": [10] * 21 + [30] * 7})
    out = sig.share_zscore(counts, dt.date(2025, 1, 28), "violent", "s", window=7,
                           min_baseline=14)
    row = out.iloc[0]
    # Earlier 7-day windows all hold 10%: their variance is 0, so the spread is the
    # binomial noise of the recent share: sqrt(0.1 * 0.9 / 700).
    assert row["value"] == pytest.approx(round((0.3 - 0.1) / np.sqrt(0.09 / 700), 2))
    assert row["level"] == "high"
    calm = sig.share_zscore(_days({"events": [100] * 28, "violent": [10] * 28}),
                            dt.date(2025, 1, 28), "violent", "s")
    assert calm.iloc[0]["level"] == "none" and calm.iloc[0]["value"] == 0.0
    few = sig.share_zscore(_days({"events": [2] * 28, "violent": [0] * 21 + [2] * 7}),
                           dt.date(2025, 1, 28), "violent", "s")
    assert few.empty  # 14 events in the window: too few to say anything


def test_hdx_rule_by_hand() -> None:
    deaths = [0.0] * 800 + [5.0] * 30  # 150 deaths in the last 30 days, the most in 3 years
    frame = _days({"deaths": deaths}, first="2023-01-01")
    as_of = frame["day"].iloc[-1].date()
    assert sig.hdx_fatalities(frame, as_of).iloc[0]["level"] == "high"
    # a bigger month two years ago: the most in a year, not in three
    frame.loc[100:129, "deaths"] = 10.0
    row = sig.hdx_fatalities(frame, as_of).iloc[0]
    assert (row["value"], row["level"]) == (150.0, "medium")
    frame.loc[700:729, "deaths"] = 10.0  # a bigger month within the year: no signal
    assert sig.hdx_fatalities(frame, as_of).iloc[0]["level"] == "none"
    frame["deaths"] = 1.0  # 30 a month: under the threshold
    assert sig.hdx_fatalities(frame, as_of).empty


def test_agreement_raises_a_level_when_independent_sources_agree() -> None:
    rows = pd.DataFrame([
        ("AAA", "2025-06-14", "gdelt_violent_share", 4.0, "medium", ""),
        ("AAA", "2025-06-14", "hdx_fatalities", 150.0, "medium", ""),
        ("BBB", "2025-06-14", "gdelt_violent_share", 6.0, "high", ""),
        ("BBB", "2025-06-14", "gdelt_atrocity_share", 6.0, "high", ""),
    ], columns=sig.COLUMNS)
    out = sig.agreement(rows, {"gdelt_violent_share": "gdelt", "gdelt_atrocity_share": "gdelt",
                               "hdx_fatalities": "ucdp"})
    assert out[["iso3", "value", "level"]].to_numpy().tolist() == [["AAA", 2.0, "high"]]


# --- the two engines ----------------------------------------------------------------------

@pytest.mark.spark
@needs_mirror
def test_duckdb_and_spark_build_the_same_tables(real_slice: Path, built, tmp_path: Path) -> None:
    from atrisk.events.ucdp_events import reported_events

    tables = {}
    icews_file = MIRROR / "events" / "icews" / "events.2018.sample.tab"
    reported = reported_events(built)
    for engine in ("duckdb", "spark"):
        done = build(connect(engine), [real_slice, icews_file], tmp_path / engine,
                     reported=reported)
        events = pd.read_parquet(done.events)
        assert set(events["source"]) == {"gdelt2", "icews", "ucdp_candidate"}
        events = events.assign(added_day=pd.to_datetime(events["added_day"].astype(str)))
        tables[engine] = (
            events.sort_values(["source", "event_id"]).reset_index(drop=True)[
                sorted(events.columns)],
            read_counts(done.country_day), read_counts(done.admin1_day))
        assert done.raw_rows == 3000 + 3705
    for duck, spark in zip(tables["duckdb"], tables["spark"], strict=True):
        pd.testing.assert_frame_equal(duck, spark, check_dtype=False)


# --- from the command line, on the real month ---------------------------------------------

@pytest.mark.slow
@needs_mirror
def test_cli_raises_iran_on_14_june_2025(events_built, tmp_path: Path, monkeypatch) -> None:
    """On the shared event build (every 10th event of the real month: building the whole
    month is `benchmarks/events.py`'s job, where Iran's z is 7.6)."""
    monkeypatch.setenv("ATRISK_MIRROR", str(events_built.mirror))
    monkeypatch.setenv("ATRISK_BUILD_DIR", str(events_built.build_dir))
    runner = CliRunner()
    out = tmp_path / "signals.csv"
    result = runner.invoke(app, ["events", "signals", "--as-of", "2025-06-14", "--out",
                                 str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    national = table[table["admin1"].isna()]
    iran = national[(national["iso3"] == "IRN") & (national["signal"] == "gdelt_violent_share")]
    assert iran.iloc[0]["level"] == "high"
    assert "IRN: the violent events most sources reported" in result.output
    from atrisk.events.watch import coded
    count, deaths, top = coded(events_built, "IRN", dt.date(2025, 6, 14))
    assert count >= 1 and deaths > 100 and top["fatalities"].is_monotonic_decreasing
    regions = table[table["admin1"].notna()]  # each in its country, named, GDELT's FIPS ADM1
    assert len(regions) and regions["place"].notna().all()
    gdelt_regions = regions[regions["signal"].str.startswith("gdelt")]
    fips = gdelt.fips_table().dropna(subset=["iso3"]).groupby("iso3")["fips"].agg(set)
    assert all(code[:2] in fips[iso3] for iso3, code in
               zip(gdelt_regions["iso3"], gdelt_regions["admin1"], strict=True))
    tehran = regions[(regions["iso3"] == "IRN") & (regions["place"] == "Tehran")]
    assert set(tehran["level"]) & {"medium", "high"}
    result = runner.invoke(app, ["events", "signals", "--as-of", "2025-06-12", "--out",
                                 str(out)])
    assert result.exit_code == 0, result.output
    calm = pd.read_csv(out)  # the day before the strikes
    calm = calm[calm["admin1"].isna()]
    iran = calm[(calm["iso3"] == "IRN") & (calm["signal"] == "gdelt_violent_share")]
    assert iran.iloc[0]["level"] == "none"


# --- reported deaths per day (the HDX rule's input) ---------------------------------------

def test_daily_deaths_keep_every_month_total_and_raise_iran(built) -> None:
    from atrisk.events.ucdp_daily import daily_deaths
    from atrisk.panels.build import read_table

    panel = read_table(built, "country_month")
    daily = daily_deaths(built, first_month="2024-01")
    month = daily.assign(month=daily["day"].dt.strftime("%Y-%m")).groupby(
        ["iso3", "month"])["deaths"].sum()
    final = panel[(panel["status"] == "final") & (panel["month"] >= "2024-01")]
    spread = month.reindex(pd.MultiIndex.from_frame(final[["iso3", "month"]]))
    # spread, not lost (a month UCDP's totals left unknown counts none)
    assert np.allclose(spread.to_numpy(), final["fatalities"].fillna(0).to_numpy())
    assert daily.groupby("iso3")["day"].count().nunique() == 1  # every country, every day
    june = daily[(daily["iso3"] == "IRN") & daily["day"].between("2025-06-13", "2025-06-14")]
    assert june["deaths"].sum() > 100  # Candidate events carry their days
    row = sig.hdx_fatalities(daily, dt.date(2025, 6, 14)).set_index("iso3").loc["IRN"]
    assert row["level"] == "high"


# --- a Spark standalone cluster: master and one worker on the loopback address -------------

def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory):
    """``spark://127.0.0.1:PORT``: a master and a one-core worker started with the launcher
    the pyspark package ships (``bin/spark-class``), stopped after the tests."""
    import subprocess
    import time

    import pyspark

    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    logs = tmp_path_factory.mktemp("spark")
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_HOME":
           str(Path(pyspark.__file__).parent)}
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    master = subprocess.Popen(
        [str(spark_class), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
         "--port", str(port), "--webui-port", str(_free_port())],
        stdout=open(logs / "master.log", "w"), stderr=subprocess.STDOUT, env=env)
    worker = subprocess.Popen(
        [str(spark_class), "org.apache.spark.deploy.worker.Worker", url, "--host",
         "127.0.0.1", "--cores", "1", "--memory", "2g", "--webui-port", str(_free_port()),
         "--work-dir", str(logs / "work")],
        stdout=open(logs / "worker.log", "w"), stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 90
        while "Successfully registered with master" not in (logs / "worker.log").read_text():
            assert time.monotonic() < deadline, (logs / "worker.log").read_text()[-2000:]
            assert worker.poll() is None and master.poll() is None
            time.sleep(0.5)
        yield url
    finally:
        for process in (worker, master):
            process.terminate()
            process.wait(timeout=30)


@pytest.mark.spark
@needs_mirror
def test_the_cli_runs_the_pipeline_on_a_standalone_cluster(
        spark_cluster: str, real_slice: Path, tmp_path: Path, monkeypatch) -> None:
    """Data shipped to an executor process and results gathered back, as on a cluster: the
    same tables as DuckDB's."""
    monkeypatch.setenv("ATRISK_MIRROR", str(MIRROR))
    runner = CliRunner()
    tables = {}
    for engine, extra in (("duckdb", []), ("spark", ["--spark-master", spark_cluster])):
        monkeypatch.setenv("ATRISK_BUILD_DIR", str(tmp_path / engine))
        result = runner.invoke(app, ["events", "build", "--engine", engine, "--export",
                                     str(real_slice), *extra])
        assert result.exit_code == 0, result.output
        assert "3,000 exported rows" in result.output
        tables[engine] = read_counts(tmp_path / engine / "events" / "country_day.parquet")
    pd.testing.assert_frame_equal(tables["duckdb"], tables["spark"], check_dtype=False)


@needs_mirror
def test_exports_kept_as_parquet_are_read_like_the_text(real_slice: Path, tmp_path: Path) -> None:
    table = pd.read_csv(real_slice, sep="\t", dtype=str, quoting=3, keep_default_na=False)
    table = table.replace("", None)
    (tmp_path / "archive").mkdir()
    table.to_parquet(tmp_path / "archive" / "part-0.parquet", index=False)
    a = build(connect("duckdb"), [tmp_path / "archive"], tmp_path / "a")
    b = build(connect("duckdb"), [real_slice], tmp_path / "b")
    pd.testing.assert_frame_equal(read_counts(a.country_day), read_counts(b.country_day))
    table.drop(columns="SQLDATE").to_parquet(tmp_path / "bad.parquet", index=False)
    with pytest.raises(SourceError, match="missing column.*SQLDATE"):
        build(connect("duckdb"), [tmp_path / "bad.parquet"], tmp_path / "c")


@needs_mirror
def test_a_published_zip_is_read_like_the_file_inside(real_slice: Path, tmp_path: Path) -> None:
    import zipfile

    lines = real_slice.read_text(encoding="utf-8").splitlines()[1:]  # published: no header
    archive = tmp_path / "20250515194500.export.CSV.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("20250515194500.export.CSV", "\n".join(lines) + "\n")
    inside = gdelt.unzipped(archive, tmp_path / "staging")
    assert inside.name == "20250515194500.export.CSV"
    spec = gdelt.layout(inside)
    assert (spec.version, spec.header) == (2, False)
    a = build(connect("duckdb"), [inside], tmp_path / "a")
    b = build(connect("duckdb"), [real_slice], tmp_path / "b")
    pd.testing.assert_frame_equal(read_counts(a.country_day), read_counts(b.country_day))
    broken = tmp_path / "broken.export.CSV.zip"
    broken.write_bytes(archive.read_bytes()[:200])
    with pytest.raises(SourceError, match="broken.export.CSV.zip"):
        gdelt.unzipped(broken, tmp_path / "staging")


# --- where users see it --------------------------------------------------------------------

def test_api_serves_the_latest_signals(events_built, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from atrisk.app import create_app
    from atrisk.settings import Settings

    settings = Settings(mirror=events_built.mirror, build_dir=events_built.build_dir,
                        database_url=f"sqlite:///{tmp_path / 'atrisk.db'}")
    with TestClient(create_app(settings)) as client:
        body = client.get("/api/signals/latest").json()
    assert body["as_of"] == "2025-06-14"
    iran = [s for s in body["signals"] if s["iso3"] == "IRN"]
    assert {s["signal"] for s in iran} >= {"gdelt_violent_share", "hdx_fatalities"}
    assert body["signals"][0]["level"] == "high"  # ranked: highest level first
    empty = Settings(mirror=events_built.mirror, build_dir=tmp_path / "none",
                     database_url=f"sqlite:///{tmp_path / 'other.db'}")
    with TestClient(create_app(empty)) as client:
        response = client.get("/api/signals/latest")
    assert response.status_code == 503 and "atrisk events build" in response.text


@pytest.mark.slow
def test_evaluate_scores_every_alarm_and_the_methods_page_shows_it(events_built, tmp_path,
                                                                  monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from atrisk.app import create_app
    from atrisk.settings import Settings

    monkeypatch.setenv("ATRISK_MIRROR", str(events_built.mirror))
    monkeypatch.setenv("ATRISK_BUILD_DIR", str(events_built.build_dir))
    result = CliRunner().invoke(app, ["events", "evaluate"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(events_built.build_dir / "events" / "evaluation.parquet")
    assert set(table["period"]) == {"2015-2024", "2018-2024"}
    assert set(table["alarm"]) == {"GDELT share, z >= 3 (medium)", "GDELT share, z >= 5 (high)",
                                   "HDX rule, medium or high", "HDX rule, high"}
    assert (table["surges"] >= 10).all() and (table["hits"] <= table["seen_by_day_30"]).all()
    settings = Settings(mirror=events_built.mirror, build_dir=events_built.build_dir,
                        database_url=f"sqlite:///{tmp_path / 'atrisk.db'}")
    with TestClient(create_app(settings)) as client:
        page = client.get("/methods").text
    assert "do the signals lead surges?" in page and "HDX rule, medium or high" in page


# --- ICEWS: the same event table from another coder ----------------------------------------

ICEWS = MIRROR / "events" / "icews" / "events.2018.sample.tab"


@pytest.mark.skipif(not ICEWS.is_file(), reason="needs the data mirror")
@pytest.mark.parametrize(("change", "problem"), [
    (lambda line: "\t".join(line.split("\t")[:12]), "12 tab-separated columns"),
    (lambda line: line.replace("2018-06-01", "01/06/2018", 1), "'01/06/2018' is not a date"),
    (lambda line: line.replace("\tVietnam\t21.0245", "\tAtlantis\t21.0245"),
     "'Atlantis' is not a country"),
])
def test_icews_reader_refuses_broken_lines(tmp_path: Path, change, problem: str) -> None:
    lines = ICEWS.read_text(encoding="utf-8").splitlines()[:60]
    lines[1] = change(lines[1])
    path = _write(tmp_path / "broken.tab", lines)
    with pytest.raises(SourceError, match=re.escape(problem)) as err:
        build(connect("duckdb"), [path], tmp_path / "out")
    assert str(path) in str(err.value)


@pytest.mark.skipif(not ICEWS.is_file(), reason="needs the data mirror")
def test_icews_joins_the_event_table_counted_apart(real_slice: Path, tmp_path: Path) -> None:
    from atrisk.sources import icews

    assert icews.iso3("Democratic Republic of Congo") == "COD"
    assert icews.iso3("Russian Federation") == "RUS" and icews.iso3("Atlantis") is None
    built = build(connect("duckdb"), [real_slice, ICEWS], tmp_path / "out")
    events = pd.read_parquet(built.events)
    mine = events[events["source"] == "icews"]
    assert 3000 < len(mine) <= 3705 and mine["iso3"].notna().all()
    assert set(mine["event_date"].astype(str)) == {"2018-06-01", "2018-06-02"}
    assert mine["url"].isna().all() and (mine["quad_class"].between(1, 4)).all()
    days = read_counts(built.country_day)
    # each source over its own days: ICEWS on its two, GDELT on the slice's
    assert set(days.loc[days["source"] == "icews", "day"].dt.strftime("%Y-%m-%d")) == {
        "2018-06-01", "2018-06-02"}
    assert days.loc[days["source"] == "gdelt2", "day"].min() >= pd.Timestamp("2024-01-01")
    ind = days[(days["source"] == "icews") & (days["iso3"] == "IND")]
    assert ind["events"].sum() == (mine["iso3"] == "IND").sum()


@needs_mirror
def test_fetch_downloads_the_newest_exports_and_checks_them(tmp_path: Path) -> None:
    """A local stand-in for GDELT's server: three 15-minute exports cut from the real month,
    listed with their size and MD5. The last day's two are downloaded and kept; a second
    run downloads nothing; an export altered in transit is refused, naming its URL."""
    import hashlib
    import http.server
    import threading
    import zipfile

    from atrisk.sources.gdelt_fetch import fetch

    served = tmp_path / "server"
    served.mkdir()
    lines = _lines(30)[1:]  # published exports have no header
    stamps = ["20250613100000", "20250614113000", "20250614114500"]
    listing = []
    for k, stamp in enumerate(stamps):
        name = f"{stamp}.export.CSV.zip"
        with zipfile.ZipFile(served / name, "w") as archive:
            archive.writestr(f"{stamp}.export.CSV", "\n".join(lines[k * 10:(k + 1) * 10]))
        body = (served / name).read_bytes()
        listing.append(f"{len(body)} {hashlib.md5(body).hexdigest()} URL/{name}")
        listing.append(f"10 {'0' * 32} URL/{stamp}.mentions.CSV.zip")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (served / "masterfilelist.txt").write_text("\n".join(listing).replace("URL", base) + "\n")
    try:
        folder = tmp_path / "exports"
        got = fetch(folder, days=1, list_url=f"{base}/masterfilelist.txt")
        assert got.listed == 3
        assert [p.name for p in got.downloaded] == [f"{s}.export.CSV.zip" for s in stamps[1:]]
        again = fetch(folder, days=1, list_url=f"{base}/masterfilelist.txt")
        assert again.downloaded == [] and len(again.kept) == 2
        (folder / f"{stamps[2]}.export.CSV.zip").unlink()
        with zipfile.ZipFile(served / f"{stamps[2]}.export.CSV.zip", "a") as archive:
            archive.writestr("extra.txt", "x")  # the file no longer matches the list
        with pytest.raises(SourceError, match=f"{stamps[2]}.export.CSV.zip: "):
            fetch(folder, days=1, list_url=f"{base}/masterfilelist.txt")
        assert not (folder / f"{stamps[2]}.export.CSV.zip").exists()
        with pytest.raises(SourceError, match="download failed"):
            fetch(folder, list_url=f"{base}/nothing.txt")
    finally:
        server.shutdown()
