"""The data build: tables, manifest, reports, and the atomic swap that protects the last good
build from a failed one."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from atrisk.domain.errors import SourceError
from atrisk.panels.build import TABLES, build, read_table
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
