"""The GED event loader: the real release format, validation of broken files, and the
aggregation to country-months checked by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from atrisk.domain.errors import SourceError
from atrisk.settings import Settings
from atrisk.sources import ged

EVENTS = "conflict/ucdp/events"


def test_reads_the_sample_and_the_geojson(settings) -> None:
    sample = ged.events(ged.GED_SAMPLE, settings)
    assert sample.table.shape == (1000, 49)
    assert sample.bounds_repaired > 0  # real releases break low <= best <= high
    t = sample.table
    assert ((t["low"] <= t["best"]) & (t["best"] <= t["high"])).all()
    car = ged.events(ged.GED_CAR, settings).table
    assert set(car["country_id"]) == {482}
    assert car["latitude"].between(2, 12).all()


def test_country_month_matches_a_hand_count(mirror: Path, settings) -> None:
    with open(mirror / ged.GED_CAR.path, encoding="utf-8") as fh:
        props = [f["properties"] for f in json.load(fh)["features"]]
    jan = [p for p in props if p["date_start"].startswith("2014-01")]
    expected_civ = sum(p["deaths_civilians"] for p in jan)
    expected_best = sum(p["best"] for p in jan)
    cm = ged.to_country_month(ged.events(ged.GED_CAR, settings).table)
    row = cm[(cm["gwcode"] == 482) & (cm["month"] == "2014-01")].iloc[0]
    assert (row["events"], row["fatalities"], row["civilian_deaths"]) == (
        len(jan), expected_best, expected_civ) == (100, 1016, 615)


def _broken(mirror: Path, tmp_path: Path, edit) -> Path:
    path = tmp_path / "ged.csv"
    shutil.copy(mirror / ged.GED_SAMPLE.path, path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame).to_csv(path, index=False)
    return path


def test_missing_column(mirror, tmp_path) -> None:
    path = _broken(mirror, tmp_path, lambda f: f.drop(columns="deaths_civilians"))
    with pytest.raises(SourceError, match=r"missing column\(s\) \['deaths_civilians'\]"):
        ged.read_events(path)


def test_wrong_type(mirror, tmp_path) -> None:
    def edit(f):
        f.loc[2, "best"] = "many"
        return f

    with pytest.raises(SourceError, match="column 'best', line 4: 'many' is not a valid"):
        ged.read_events(_broken(mirror, tmp_path, edit))


def test_duplicate_event_ids(mirror, tmp_path) -> None:
    path = _broken(mirror, tmp_path, lambda f: pd.concat([f, f.iloc[[5]]]))
    with pytest.raises(SourceError, match="duplicate key"):
        ged.read_events(path)


def test_unknown_violence_type(mirror, tmp_path) -> None:
    def edit(f):
        f.loc[0, "type_of_violence"] = "4"
        return f

    with pytest.raises(SourceError, match="'type_of_violence', line 2: value 4 outside"):
        ged.read_events(_broken(mirror, tmp_path, edit))


def test_end_before_start(mirror, tmp_path) -> None:
    def edit(f):
        f.loc[0, "date_end"] = str(float(f.loc[0, "date_start"]) - 86400 * 3)
        return f

    with pytest.raises(SourceError, match="line 2: date_end is before date_start"):
        ged.read_events(_broken(mirror, tmp_path, edit))


def test_truncated_gzip(mirror, tmp_path) -> None:
    path = tmp_path / "ged.csv.gz"
    data = (mirror / EVENTS / "GEDEvent_v26_0_2.csv.gz").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="ged.csv.gz: file is truncated or corrupt"):
        ged.read_events(path)


def test_zip_and_gzip_releases(mirror) -> None:
    for name in ("GEDEvent_v22_0_2.csv.zip", "GEDEvent_v26_0_2.csv.gz"):
        events = ged.read_events(mirror / EVENTS / name)
        assert len(events.table) > 500


def _slim_copy(mirror: Path, tmp_path: Path, edit) -> Settings:
    """A mirror holding only an edited copy of the 2025 Candidate compilation."""
    path = tmp_path / ged.CANDIDATE_2025.source.path
    path.parent.mkdir(parents=True)
    frame = pd.read_csv(mirror / ged.CANDIDATE_2025.source.path, dtype=str,
                        keep_default_na=False)
    edit(frame).to_csv(path, index=False)
    return Settings(mirror=tmp_path, build_dir=tmp_path / "build")


def test_the_slim_release_is_validated(mirror, tmp_path) -> None:
    settings = _slim_copy(mirror, tmp_path, lambda f: f.drop(columns="type_of_violence"))
    with pytest.raises(SourceError, match=r"missing column\(s\) \['type_of_violence'\]"):
        ged.release_events(ged.CANDIDATE_2025, settings)


def test_an_unknown_country_name_is_named(mirror, tmp_path) -> None:
    from atrisk.panels.candidates import release_months

    def edit(f):
        f.loc[0, "country"] = "Atlantis"
        return f

    settings = _slim_copy(mirror, tmp_path, edit)
    with pytest.raises(SourceError, match="country 'Atlantis' is not a UCDP country name"):
        release_months(ged.CANDIDATE_2025, {"Afghanistan": 700, "Sudan": 625}, settings)


def test_events_aggregate_below_the_country_too(settings) -> None:
    """The event files keep ``adm_1`` and ``priogrid_gid``, so later work can sum events
    sub-nationally with the same function; the parts add up to the country."""
    events = ged.events(ged.GED_CAR, settings).table
    country = ged.to_country_month(events)
    for key in ("adm_1", "priogrid_gid"):
        parts = ged.to_country_month(events, by=key)
        assert {"gwcode", key, "month"} <= set(parts.columns) and len(parts) > len(country)
        summed = parts.groupby(["gwcode", "month"])[["fatalities", "events"]].sum()
        pd.testing.assert_frame_equal(
            summed, country.set_index(["gwcode", "month"])[["fatalities", "events"]],
            check_dtype=False)


@pytest.mark.parametrize("content", [b"", b"\n"])
def test_an_empty_country_month_file_is_named(mirror, tmp_path, content: bytes) -> None:
    """An empty (gzipped) GED aggregate is refused with the file's name, not pandas' words."""
    import gzip

    copy = tmp_path / ged.COUNTRY_MONTH.path
    copy.parent.mkdir(parents=True)
    with gzip.open(copy, "wb") as fh:
        fh.write(content)
    settings = Settings(mirror=tmp_path, build_dir=tmp_path / "build")
    with pytest.raises(SourceError, match=r"ged251_country_month_1985_2024\.csv\.gz: file is "
                                          r"empty"):
        ged.country_month(settings)
