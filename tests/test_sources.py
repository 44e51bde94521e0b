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

# Each loader over its real file (the faults each declaration refuses: test_faults.py).
CSV_LOADERS: list[tuple[Callable[..., pd.DataFrame], Source]] = [
    (crosswalk.gw_states, crosswalk.GW_STATES),
    (crosswalk.gw_capitals, crosswalk.GW_CAPITALS),
    (ewp.episodes, ewp.EPISODES),
    (ewp.country_names, ewp.COUNTRY_NAMES),
    (ewp.prepared, ewp.PREPARED),
    (ewp_inputs.vdem, ewp_inputs.VDEM),
    (ewp_inputs.wdi, ewp_inputs.WDI),
    (ewp_inputs.un_imr, ewp_inputs.UN_IMR),
    (ewp_inputs.epr, ewp_inputs.EPR),
    (ewp_inputs.hief, ewp_inputs.HIEF),
    (ewp_inputs.coups, ewp_inputs.COUPS),
    (ewp_inputs.battledeaths, ewp_inputs.BATTLEDEATHS),
    (ewp_inputs.iccpr, ewp_inputs.ICCPR),
    (ewp_inputs.regions, ewp_inputs.REGIONS),
    (ucdp.organized_violence, ucdp.ORGANIZED_VIOLENCE),
]
IDS = [source.name for _, source in CSV_LOADERS]


def _copy(mirror: Path, tmp_path: Path, source: Source,
          manifest: bool = True) -> tuple[Settings, Path]:
    target = tmp_path / "mirror" / source.path
    target.parent.mkdir(parents=True)
    shutil.copy(mirror / source.path, target)
    if manifest:
        shutil.copy(mirror / "MANIFEST.tsv", tmp_path / "mirror" / "MANIFEST.tsv")
    return Settings(mirror=tmp_path / "mirror", build_dir=tmp_path / "b"), target


@pytest.mark.parametrize(("loader", "source"), CSV_LOADERS, ids=IDS)
def test_loader_reads_the_real_file(loader, source, settings: Settings) -> None:
    frame = loader(settings)
    assert len(frame) > 100
    assert not frame.empty


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

    from atrisk.sources.base import locate, read

    source = replace(crosswalk.GW_STATES, url=(mirror / crosswalk.GW_STATES.path).as_uri())
    settings = Settings(mirror=None, build_dir=tmp_path / "b", cache_dir=tmp_path / "cache")
    path = locate(source, settings)
    assert path == tmp_path / "cache" / source.path and path.is_file()
    frame = read(source, settings)
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


