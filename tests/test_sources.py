"""Every loader reads the real file, and rejects broken copies with a message naming the file,
the column or line, and what was expected."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from atrisk.domain.errors import SourceError
from atrisk.settings import Settings
from atrisk.sources import crosswalk, ewp, ewp_inputs, ucdp, vdem
from atrisk.sources.base import Source

# (loader, source, a numeric column to break, key columns or None)
CSV_LOADERS: list[tuple[Callable[..., pd.DataFrame], Source, str, tuple[str, ...] | None]] = [
    (crosswalk.gw_states, crosswalk.GW_STATES, "gwcode", ("gwcode", "startdate")),
    (crosswalk.gw_capitals, crosswalk.GW_CAPITALS, "lat", ("gwcode", "stdate")),
    (ewp.episodes, ewp.EPISODES, "startyear", ("mk_event_code",)),
    (ewp.country_names, ewp.COUNTRY_NAMES, "ccode", ("ccode",)),
    (ewp.prepared, ewp.PREPARED, "un_imr_sqrt", ("ccode", "year")),
    (ewp_inputs.vdem, ewp_inputs.VDEM, "pol_killing_approved", ("COWcode", "year")),
    (ewp_inputs.wdi, ewp_inputs.WDI, "wdi.gdppcgrow.new", ("ccode", "year")),
    (ewp_inputs.un_imr, ewp_inputs.UN_IMR, "un_imr", ("ccode", "year")),
    (ewp_inputs.epr, ewp_inputs.EPR, "discrimpop", ("ccode", "year")),
    (ewp_inputs.hief, ewp_inputs.HIEF, "efindex", ("Country", "Year")),
    (ewp_inputs.coups, ewp_inputs.COUPS, "cou.any", ("ccode", "year")),
    (ewp_inputs.battledeaths, ewp_inputs.BATTLEDEATHS, "battledeaths", ("country", "year")),
    (ewp_inputs.iccpr, ewp_inputs.ICCPR, "ios.iccpr1", ("ccode", "year")),
    (ewp_inputs.regions, ewp_inputs.REGIONS, "reg.eap", ("ccode", "year")),
    (ucdp.organized_violence, ucdp.ORGANIZED_VIOLENCE, "os_total_deaths_best_cy",
     ("country_id_cy", "year_cy")),
]
IDS = [source.name for _, source, _, _ in CSV_LOADERS]


def _copy(mirror: Path, tmp_path: Path, source: Source,
          manifest: bool = True) -> tuple[Settings, Path]:
    target = tmp_path / "mirror" / source.path
    target.parent.mkdir(parents=True)
    shutil.copy(mirror / source.path, target)
    if manifest:
        shutil.copy(mirror / "MANIFEST.tsv", tmp_path / "mirror" / "MANIFEST.tsv")
    return Settings(mirror=tmp_path / "mirror", build_dir=tmp_path / "b"), target


@pytest.mark.parametrize(("loader", "source", "column", "key"), CSV_LOADERS, ids=IDS)
def test_loader_reads_the_real_file(loader, source, column, key, settings: Settings) -> None:
    frame = loader(settings)
    assert len(frame) > 100
    assert not frame.empty


@pytest.mark.parametrize(("loader", "source", "column", "key"), CSV_LOADERS, ids=IDS)
def test_truncated_file_is_rejected(loader, source, column, key, mirror, tmp_path) -> None:
    settings, path = _copy(mirror, tmp_path, source)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2].rstrip(b"\n")[:-3])
    with pytest.raises(SourceError, match="truncated|rows, expected at least") as err:
        loader(settings)
    assert source.path.split("/")[-1] in str(err.value)


@pytest.mark.parametrize(("loader", "source", "column", "key"), CSV_LOADERS, ids=IDS)
def test_missing_column_is_named(loader, source, column, key, mirror, tmp_path) -> None:
    settings, path = _copy(mirror, tmp_path, source)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.drop(columns=column).to_csv(path, index=False)
    with pytest.raises(SourceError, match=f"missing column.*{column}"):
        loader(settings)


@pytest.mark.parametrize(("loader", "source", "column", "key"), CSV_LOADERS, ids=IDS)
def test_wrong_type_names_column_and_line(loader, source, column, key, mirror,
                                          tmp_path) -> None:
    settings, path = _copy(mirror, tmp_path, source)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[3, column] = "twelve"
    frame.to_csv(path, index=False)
    with pytest.raises(SourceError, match=f"column '{column}', line 5: 'twelve' is not a valid"):
        loader(settings)


@pytest.mark.parametrize(("loader", "source", "column", "key"),
                         [c for c in CSV_LOADERS if c[3]], ids=[i for i, c in
                                                                 zip(IDS, CSV_LOADERS,
                                                                     strict=True) if c[3]])
def test_duplicate_keys_are_rejected(loader, source, column, key, mirror, tmp_path) -> None:
    settings, path = _copy(mirror, tmp_path, source)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    pd.concat([frame, frame.iloc[[10]]]).to_csv(path, index=False)
    with pytest.raises(SourceError, match="duplicate key"):
        loader(settings)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    settings = Settings(mirror=tmp_path, build_dir=tmp_path / "b")
    with pytest.raises(SourceError, match="gw_states.csv: missing from the mirror"):
        crosswalk.gw_states(settings)


def test_out_of_range_value_is_rejected(mirror: Path, tmp_path: Path) -> None:
    settings, path = _copy(mirror, tmp_path, ewp_inputs.EPR)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "discrimpop"] = "1.7"
    frame.to_csv(path, index=False)
    with pytest.raises(SourceError, match=r"'discrimpop', line 2: value 1.7 outside"):
        ewp_inputs.epr(settings)


def test_parquet_source_rejects_garbage(mirror: Path, tmp_path: Path) -> None:
    settings, path = _copy(mirror, tmp_path, vdem.KEY_SUBSET)
    path.write_bytes(b"not parquet at all\n")
    with pytest.raises(SourceError, match="vdem_key_subset.parquet: not a readable Parquet"):
        vdem.key_subset(settings)


def test_episode_kind_must_be_known(mirror: Path, tmp_path: Path) -> None:
    settings, path = _copy(mirror, tmp_path, ewp.EPISODES, manifest=False)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, "State-Led or Non-State-Led"] = "Unknown"
    frame.to_csv(path, index=False)
    with pytest.raises(SourceError, match="line 2: 'unknown' is neither"):
        ewp.episodes(settings)


def test_without_a_mirror_the_official_url_is_downloaded_once(mirror: Path,
                                                              tmp_path: Path) -> None:
    from dataclasses import replace

    from atrisk.sources.base import Schema, locate, read_csv

    source = replace(crosswalk.GW_STATES, url=(mirror / crosswalk.GW_STATES.path).as_uri())
    settings = Settings(mirror=None, build_dir=tmp_path / "b", cache_dir=tmp_path / "cache")
    path = locate(source, settings)
    assert path == tmp_path / "cache" / source.path and path.is_file()
    frame = read_csv(source, Schema(columns={"gwcode": "int"}, min_rows=100), settings)
    assert len(frame) == 216
    broken = replace(source, path="elsewhere/x.csv", url=(tmp_path / "nope.csv").as_uri())
    with pytest.raises(SourceError, match="download failed"):
        locate(broken, settings)


def test_a_value_cut_short_is_caught_by_the_manifest(mirror: Path, tmp_path: Path) -> None:
    settings, path = _copy(mirror, tmp_path, ewp_inputs.BATTLEDEATHS)
    text = path.read_text()
    path.write_text(text.replace("12225", "1222", 1))  # a plausible, well-formed wrong value
    with pytest.raises(SourceError, match="does not match the mirror's MANIFEST.tsv"):
        ewp_inputs.battledeaths(settings)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda f: f.drop(columns="v2x_clphy"), r"missing column\(s\) \['v2x_clphy'\]"),
    (lambda f: f.assign(v2x_regime=f["v2x_regime"].astype(str).where(
        f.index != 3, "autocracy")), "column 'v2x_regime', line 5: 'autocracy' is not a valid"),
    (lambda f: pd.concat([f, f[f["year"] == 2000].iloc[[0]]]), "duplicate key"),
])
def test_parquet_source_validation(edit, message, mirror: Path, tmp_path: Path) -> None:
    settings, path = _copy(mirror, tmp_path, vdem.KEY_SUBSET, manifest=False)
    edit(pd.read_parquet(path)).to_parquet(path)
    with pytest.raises(SourceError, match=message):
        vdem.key_subset(settings)


def test_a_duplicated_evidence_row_is_refused(mirror: Path, tmp_path: Path) -> None:
    """The USHMM evidence file has no key a row must fill (tools without factors have an
    empty factor), so a row repeated whole is what is refused."""
    from atrisk.sources import ushmm

    copy = tmp_path / ushmm.TOOLS_EVIDENCE.path
    copy.parent.mkdir(parents=True)
    lines = (mirror / ushmm.TOOLS_EVIDENCE.path).read_bytes().splitlines(keepends=True)
    copy.write_bytes(b"".join([*lines, lines[-1]]))
    settings = Settings(mirror=tmp_path, build_dir=tmp_path / "build")
    with pytest.raises(SourceError, match=r"ushmm_lessons_learned_all_factors_3\.csv: line "
                                          r"\d+: the same row appears 2 times"):
        ushmm.tool_evidence(settings)
