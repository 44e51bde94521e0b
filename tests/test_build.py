"""The data build: tables, manifest, reports, and the atomic swap that protects the last good
build from a failed one."""

from __future__ import annotations

import gzip
import json
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from atrisk.domain.errors import SourceError
from atrisk.panels.build import TABLES, BuildResult, build, read_table
from atrisk.settings import Settings


def test_build_writes_tables_and_manifest(built: Settings) -> None:
    for name in TABLES:
        assert (built.data_dir / f"{name}.parquet").is_file()
    manifest = json.loads((built.data_dir / "manifest.json").read_text())
    inputs = {i["name"]: i for i in manifest["inputs"]}
    assert len(inputs["ewp_episodes"]["sha256"]) == 64
    assert all(i["licence"] and i["citation"] and i["url"] for i in inputs.values())
    panel = read_table(built, "panel")
    assert panel["year"].min() == 1946 and panel["year"].max() == 2024
    assert panel.loc[panel["year"] == 2024, "gwcode"].nunique() >= 165


def test_unmatched_report_explains_every_row(built: Settings) -> None:
    report = read_table(built, "unmatched")
    assert len(report) > 0
    assert report["reason"].str.len().gt(10).all()
    unexplained = report[~report["reason"].str.startswith("explained")]
    assert unexplained.empty, unexplained


def test_crosscheck_reports_agreement_with_ewp(built: Settings) -> None:
    check = read_table(built, "crosscheck").set_index("variable")
    assert check.loc["imr_sqrt", "share_equal"] > 0.99
    assert check.loc["discrimpop", "share_equal"] > 0.99
    assert check.loc["mk_ongoing_count_log2", "share_equal"] > 0.99
    assert (check["n_both"] > 5000).all()


def test_failed_build_leaves_last_good_build_untouched(mirror, tmp_path) -> None:
    copy = tmp_path / "mirror"
    shutil.copytree(mirror, copy, ignore=shutil.ignore_patterns("gdelt", "icews", "geo", "pitf"))
    settings = Settings(mirror=copy, build_dir=tmp_path / "build")
    first = build(settings)
    before = read_table(settings, "panel")
    target = copy / "ewp" / "inputs" / "epr-clean.csv"
    target.chmod(0o644)
    frame = pd.read_csv(target, dtype=str, keep_default_na=False)
    frame.drop(columns="discrimpop").to_csv(target, index=False)
    with pytest.raises(SourceError, match="epr-clean.csv: missing column"):
        build(settings)
    assert settings.data_dir.resolve() == first.path.resolve()
    pd.testing.assert_frame_equal(read_table(settings, "panel"), before)
    leftovers = [p for p in (settings.build_dir / "builds").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_build_is_queryable_with_duckdb(built: Settings) -> None:
    import duckdb

    with duckdb.connect(str(built.data_dir / "atrisk.duckdb"), read_only=True) as con:
        onsets = con.execute("SELECT count(*) FROM panel WHERE mk_onset = 1 AND year >= 1994"
                             ).fetchone()
        months = con.execute("SELECT count(DISTINCT month) FROM country_month").fetchone()
    assert onsets is not None and onsets[0] == 39
    assert months is not None and months[0] == 446  # 1989-01 .. 2026-02


def test_a_killed_builds_leftovers_are_removed(mirror, tmp_path) -> None:
    """A build killed mid-way leaves ``.tmp-<stamp>-<pid>``; the next build removes it, but
    not the folder of a build still running in a live process."""
    import os

    settings = Settings(mirror=mirror, build_dir=tmp_path / "build")
    root = settings.build_dir / "builds"
    dead = root / ".tmp-20260101T000000000000-999999999"
    running = root / f".tmp-20260101T000000000001-{os.getpid()}"
    for folder in (dead, running):
        (folder / "part").mkdir(parents=True)
    build(settings)
    assert not dead.exists() and running.exists()
    assert read_table(settings, "provisional_inputs")["year"].eq(2025).all()


def _unmanifested_build(mirror: Path, tmp_path: Path) -> tuple[Settings, BuildResult]:
    """A writable copy of the mirror without MANIFEST.tsv (as when files are downloaded, so
    the content checks themselves are what refuse a fault) and a good build from it."""
    copy = tmp_path / "mirror"
    shutil.copytree(mirror, copy, ignore=shutil.ignore_patterns("gdelt", "icews", "geo", "pitf",
                                                                "MANIFEST.tsv"))
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    settings = Settings(mirror=copy, build_dir=tmp_path / "build")
    return settings, build(settings)


def _redate(path: Path, column: str, year: int) -> None:
    """Move the file's latest row to ``year`` (CSV, gzipped CSV or Parquet)."""
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        frame.loc[pd.to_numeric(frame[column]).idxmax(), column] = year
        frame.to_parquet(path, index=False)
        return
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    latest = pd.to_numeric(frame[column], errors="coerce").idxmax()
    frame.loc[latest, column] = str(year)
    frame.to_csv(path, index=False)


@pytest.mark.slow
def test_a_row_dated_after_the_data_is_refused_in_every_dated_source(mirror, tmp_path) -> None:
    """Generated from the build's own input list: for every source that states the years
    it covers, a row dated later fails the build with the file and the problem named, and
    the last good build stays current. (The copy has no MANIFEST.tsv, as when files are
    downloaded, so the content checks themselves are what refuses the row.)"""
    from atrisk.panels.build import SOURCES

    settings, good = _unmanifested_build(mirror, tmp_path)
    copy = settings.mirror
    assert copy is not None
    dated = [s for s in SOURCES if s.period is not None]
    assert len(dated) >= 15
    for source in dated:
        column, last = source.period  # type: ignore[misc]
        target = copy / source.path
        original = target.read_bytes()
        _redate(target, column, last + 7)
        try:
            with pytest.raises(SourceError) as refused:
                build(settings)
        finally:
            target.write_bytes(original)
        assert refused.value.file.endswith(source.path), source.name
        assert f"{last + 7} is after the data's stated end ({last})" in refused.value.problem
        assert settings.data_dir.resolve() == good.path.resolve()


def _halve(path: Path) -> None:
    """Keep the first half of the file's rows, cut at a line end (a well-formed file)."""
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        frame.head(len(frame) // 2).to_parquet(path, index=False)
        return
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".csv")
                        and not n.startswith("__"))
            lines = archive.read(name).splitlines(keepends=True)
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(name, b"".join(lines[: len(lines) // 2]))
        return
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        lines = fh.read().splitlines(keepends=True)
    with opener(path, "wb") as fh:
        fh.write(b"".join(lines[: len(lines) // 2]))


@pytest.mark.slow
def test_a_file_cut_at_a_line_end_is_refused_in_every_source(mirror, tmp_path) -> None:
    """Generated from the build's own input list: every input cut to its first half at a
    line end (which a parser cannot see) fails the build with the file named, and the last
    good build stays current. No MANIFEST.tsv, so the content checks are what refuse it."""
    from atrisk.panels.build import SOURCES

    settings, good = _unmanifested_build(mirror, tmp_path)
    copy = settings.mirror
    assert copy is not None
    for source in SOURCES:
        target = copy / source.path
        original = target.read_bytes()
        _halve(target)
        try:
            with pytest.raises(SourceError) as refused:
                build(settings)
        finally:
            target.write_bytes(original)
        assert refused.value.file.endswith(source.path), (source.name, str(refused.value))
        assert settings.data_dir.resolve() == good.path.resolve()
