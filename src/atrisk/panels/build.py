"""``atrisk data build``: read and validate every source, build the panels, and swap the new
build in atomically so a failed build never touches the last good one.

A build is a folder ``build/builds/<id>/`` holding Parquet tables and ``manifest.json`` (each
input's sha256, version, licence); ``build/data`` is a symbolic link to the current one,
replaced in a single ``rename``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from atrisk import __version__
from atrisk.domain.errors import AtriskError, BuildError
from atrisk.panels.countries import countries, country_years, regions
from atrisk.panels.country_month import build_country_month
from atrisk.panels.country_year import build_panel, crosscheck
from atrisk.panels.provisional import early_updates
from atrisk.settings import Settings
from atrisk.sources import crosswalk, early_annual, ewp, ewp_inputs, ged, ucdp, ushmm, vdem
from atrisk.sources.base import Source, locate, read, sha256

log = logging.getLogger(__name__)

FIRST_YEAR = 1946
#: The latest year whose mass-killing onsets the 2025 episode list has observed.
LAST_OBSERVED = 2024

SOURCES: tuple[Source, ...] = (
    crosswalk.GW_STATES, crosswalk.GW_CAPITALS, ewp.EPISODES,
    ewp.COUNTRY_NAMES, ewp.PREPARED, ewp_inputs.VDEM,
    ewp_inputs.WDI, ewp_inputs.UN_IMR, ewp_inputs.EPR, ewp_inputs.HIEF, ewp_inputs.COUPS,
    ewp_inputs.BATTLEDEATHS, ewp_inputs.ICCPR, ewp_inputs.REGIONS, vdem.KEY_SUBSET,
    ucdp.ORGANIZED_VIOLENCE, ged.COUNTRY_MONTH, ged.CANDIDATE_2021.source,
    *(release.source for release in ged.CANDIDATE_RELEASES), early_annual.COUPS_GW,
    early_annual.POPULATION_GW, ushmm.TOOLS_EVIDENCE, ushmm.TOOL_STUDIES,
)


def sources(settings: Settings | None = None) -> tuple[Source, ...]:
    """``SOURCES`` and the monthly Candidate releases found beside them
    (``ged.candidate_releases``): what a build reads."""
    found = [r.source for r in ged.candidate_releases(settings)
             if r not in ged.CANDIDATE_RELEASES]
    return (*SOURCES, *found)


TABLES = ("panel", "countries", "episodes", "ewp_prepared", "unmatched", "crosscheck",
          "country_month", "country_month_unmatched", "country_month_check",
          "data_vintages", "candidate_revisions", "candidate_revisions_by_type",
          "civilian_estimator_check", "provisional_inputs", "prevention_evidence",
          "prevention_findings")


@dataclass(frozen=True)
class BuildResult:
    path: Path
    seconds: float
    rows: dict[str, int]


def build(settings: Settings, progress: Callable[[str], None] = lambda _: None,
          last_year: int = LAST_OBSERVED) -> BuildResult:
    """Build everything into a fresh folder, then point ``build/data`` at it."""
    started = time.perf_counter()
    root = settings.build_dir / "builds"
    root.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(root)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    tmp = root / f".tmp-{stamp}-{os.getpid()}"
    tmp.mkdir()
    try:
        progress("checking inputs")
        inputs = [_check(source, settings) for source in sources(settings)]
        progress("country table")
        frame = country_years(FIRST_YEAR, last_year, settings)
        episodes = ewp.episodes(settings)
        panel, unmatched = build_panel(frame, episodes, LAST_OBSERVED, settings, progress)
        progress("EWP prepared table and cross-check")
        prepared = attach_keys(ewp.prepared(settings), frame)
        check = crosscheck(panel, prepared)
        progress("country-month panel (UCDP GED and Candidate releases)")
        monthly = build_country_month(settings)
        country_table = countries(frame)
        country_table["region"] = country_table["gwcode"].map(regions(panel))
        tables = {"panel": panel, "countries": country_table, "episodes": episodes,
                  "ewp_prepared": prepared, "unmatched": unmatched, "crosscheck": check,
                  "country_month": monthly.panel,
                  "country_month_unmatched": monthly.unmatched,
                  "country_month_check": monthly.check, "data_vintages": monthly.vintages,
                  "candidate_revisions": monthly.revisions,
                  "candidate_revisions_by_type": monthly.revisions_by_type,
                  "civilian_estimator_check": monthly.estimator_check,
                  "provisional_inputs": early_updates(panel, settings).assign(
                      year=LAST_OBSERVED + 1),
                  "prevention_evidence": ushmm.tool_evidence(settings),
                  "prevention_findings": ushmm.tool_findings(settings)}
        progress("writing")
        for name, table in tables.items():
            table.to_parquet(tmp / f"{name}.parquet", index=False)
        _analytics_db(tmp, list(tables))
        unmatched.to_csv(tmp / "unmatched.csv", index=False)
        check.to_csv(tmp / "crosscheck.csv", index=False)
        manifest = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "atrisk_version": __version__,
            "first_year": FIRST_YEAR, "last_year": last_year, "last_observed": LAST_OBSERVED,
            "inputs": inputs,
            "tables": {name: len(table) for name, table in tables.items()},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    except AtriskError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except Exception as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BuildError(f"data build failed ({type(exc).__name__}: {exc}); "
                         "the previous build is untouched") from exc
    final = root / stamp
    tmp.rename(final)
    _point(settings.data_dir, final)
    _prune(root, keep=final)
    return BuildResult(final, time.perf_counter() - started,
                       {name: len(t) for name, t in tables.items()})


def _analytics_db(folder: Path, names: list[str]) -> None:
    """``atrisk.duckdb``: every table of the build, for SQL analysis (``duckdb`` CLI, Python,
    or any tool that reads DuckDB), beside the Parquet files the pipeline reads."""
    with duckdb.connect(str(folder / "atrisk.duckdb")) as con:
        for name in names:
            path = str(folder / f"{name}.parquet").replace("'", "''")
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")


def attach_keys(prepared: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Give EWP's table our GW code and ISO3 (by EWP code and year, else by EWP code)."""
    out = prepared.merge(frame[["ccode", "year", "gwcode", "iso3"]], on=["ccode", "year"],
                         how="left")
    latest = frame.sort_values("year").drop_duplicates("ccode", keep="last").set_index("ccode")
    out["gwcode"] = out["gwcode"].fillna(out["ccode"].map(latest["gwcode"])).fillna(
        out["ccode"]).astype(int)
    out["iso3"] = out["iso3"].fillna(out["ccode"].map(latest["iso3"]))
    return out


def _check(source: Source, settings: Settings) -> dict[str, object]:
    """Validate one input against its declaration before anything is computed from it (a
    fault stops the build here, naming the file), and describe it for the manifest."""
    read(source, settings)
    path = locate(source, settings)
    return {"name": source.name, "path": source.path, "url": source.url,
            "version": source.version, "licence": source.licence, "citation": source.citation,
            "bytes": path.stat().st_size, "sha256": sha256(path)}


def _point(link: Path, target: Path) -> None:
    """Atomically make ``link`` a symlink to ``target`` (rename over the old link)."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() and not link.is_symlink():
        raise BuildError(f"{link} exists and is not a link made by atrisk; move it away")
    tmp_link = link.with_name(f".{link.name}.new")
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    os.symlink(os.path.relpath(target, link.parent), tmp_link)
    os.replace(tmp_link, link)


def _remove_leftovers(root: Path) -> None:
    """Remove the half-written folders of builds that were killed (``.tmp-<stamp>-<pid>``
    whose process is gone); a build still running in another process keeps its own."""
    for folder in root.glob(".tmp-*"):
        pid = folder.name.rsplit("-", 1)[-1]
        if pid.isdigit() and _alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _prune(root: Path, keep: Path, n: int = 2) -> None:
    """Keep the newest ``n`` builds (the current one among them); drop failed leftovers."""
    builds = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in builds[:-n]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def read_table(settings: Settings, name: str) -> pd.DataFrame:
    """A table of the current build (``atrisk data build`` must have run)."""
    path = settings.data_dir / f"{name}.parquet"
    if not path.is_file():
        raise BuildError(f"{path} not found: run `atrisk data build` first")
    return pd.read_parquet(path)


def read_manifest(settings: Settings) -> dict[str, object]:
    path = settings.data_dir / "manifest.json"
    if not path.is_file():
        raise BuildError(f"{path} not found: run `atrisk data build` first")
    result: dict[str, object] = json.loads(path.read_text())
    return result
