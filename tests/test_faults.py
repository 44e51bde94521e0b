"""Fault injection, generated from the build's own input list (and the sub-national panels'
tabular event histories): every file atrisk reads × every way a careless provider or a broken
download damages a file. Each case must be refused
with an error naming the file and the problem; at the build level the last good build stays
current. The sources × faults table is printed in the test output.

The mirror copy here has no MANIFEST.tsv (as when files are downloaded), so the declared
schemas themselves are what refuse each fault.
"""

from __future__ import annotations

import gzip
import io
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from atrisk.domain.errors import SourceError
from atrisk.panels.build import SOURCES, build
from atrisk.settings import Settings
from atrisk.sources.base import Source, read
from atrisk.sources.ged import CANDIDATE_2021, CANDIDATE_RELEASES, EVENT_HISTORIES

#: Every tabular file atrisk reads: the build's inputs and the sub-national event histories
#: (the Central African Republic's is GeoJSON, which these text faults do not fit).
READ: tuple[Source, ...] = SOURCES + tuple(h.source for h in EVENT_HISTORIES
                                           if not h.source.path.endswith(".geojson"))


class NotApplicable(Exception):
    """The fault cannot happen to this kind of file (say, an encoding for Parquet)."""


# --- reading and writing a file in its own container (plain, gzip, zip, Parquet) ------------

def _is_parquet(path: Path) -> bool:
    return path.suffix == ".parquet"


def _csv_bytes(path: Path) -> bytes:
    if path.suffix == ".gz":
        return gzip.decompress(path.read_bytes())
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return archive.read(_inner(archive))
    return path.read_bytes()


def _inner(archive: zipfile.ZipFile) -> str:
    return next(n for n in archive.namelist() if n.endswith(".csv") and not n.startswith("__"))


def _write_csv_bytes(path: Path, data: bytes) -> None:
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    elif path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            name = _inner(archive)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, data)
    else:
        path.write_bytes(data)


def _table(path: Path) -> pd.DataFrame:
    if _is_parquet(path):
        return pd.read_parquet(path)
    return pd.read_csv(io.BytesIO(_csv_bytes(path)), dtype=str, keep_default_na=False)


def _write_table(path: Path, frame: pd.DataFrame) -> None:
    if _is_parquet(path):
        frame.to_parquet(path, index=False)
    else:
        _write_csv_bytes(path, frame.to_csv(index=False).encode())


# --- the faults -------------------------------------------------------------------------------

def cut_mid_line(path: Path, source: Source) -> None:
    if _is_parquet(path):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        return
    data = _csv_bytes(path)
    _write_csv_bytes(path, data[: len(data) // 2].rstrip(b"\r\n")[:-3])


def cut_at_line_end(path: Path, source: Source) -> None:
    frame = _table(path)
    _write_table(path, frame.head(len(frame) // 2))


def drop_column(path: Path, source: Source) -> None:
    assert source.schema is not None
    frame = _table(path)
    _write_table(path, frame.drop(columns=next(iter(source.schema.columns))))


def duplicate_row(path: Path, source: Source) -> None:
    assert source.schema is not None
    frame = _table(path)
    key = list(source.schema.key)
    complete = frame[key].replace("", pd.NA).notna().all(axis=1) if key else frame.index >= 0
    row = frame[complete].iloc[[len(frame[complete]) // 2]]
    _write_table(path, pd.concat([frame, row], ignore_index=True))


def text_in_numeric_column(path: Path, source: Source) -> None:
    assert source.schema is not None
    column = next(c for c, kind in source.schema.columns.items() if kind != "str")
    frame = _table(path)
    frame[column] = frame[column].astype("string")
    frame.loc[frame.index[3], column] = "twelve"
    _write_table(path, frame)


def dated_after_end(path: Path, source: Source) -> None:
    if source.period is None:
        raise NotApplicable("undated")
    column, last = source.period
    frame = _table(path)
    values = frame[column].astype("string")
    if isinstance(last, int):
        latest = pd.to_numeric(values, errors="coerce").idxmax()
        frame[column] = values
        frame.loc[latest, column] = str(last + 7)
    else:
        latest = values.str.slice(0, len(last)).idxmax()
        later = f"{int(last[:4]) + 7}{last[4:]}"
        frame[column] = values
        frame.loc[latest, column] = later + str(values[latest])[len(last):]
    _write_table(path, frame)


def empty_file(path: Path, source: Source) -> None:
    if _is_parquet(path):
        path.write_bytes(b"")
    else:
        _write_csv_bytes(path, b"")


def other_encoding(path: Path, source: Source) -> None:
    if _is_parquet(path):
        raise NotApplicable("binary format")
    _write_csv_bytes(path, _csv_bytes(path).decode("utf-8").encode("utf-16"))


@dataclass(frozen=True)
class Fault:
    name: str
    apply: Callable[[Path, Source], None]
    #: What the refusal must say (a regular expression over the problem).
    says: str


FAULTS: tuple[Fault, ...] = (
    Fault("cut mid-line", cut_mid_line, r"truncated|not a readable"),
    Fault("cut at a line end", cut_at_line_end, r"rows, expected at least \d+ \(truncated\?\)"),
    Fault("column dropped", drop_column, r"missing column"),
    Fault("row duplicated", duplicate_row, r"duplicate key|the same row appears"),
    Fault("text in a number", text_in_numeric_column, r"'twelve' is not a valid"),
    Fault("dated after the end", dated_after_end, r"is after the data's stated end"),
    Fault("empty file", empty_file, r"empty|not a readable Parquet"),
    Fault("other encoding", other_encoding, r"UTF-16"),
)


@pytest.fixture(scope="module")
def copy(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A writable copy of every input, without MANIFEST.tsv."""
    root = tmp_path_factory.mktemp("faults")
    for source in READ:
        target = root / "mirror" / source.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(mirror / source.path, target)
    return Settings(mirror=root / "mirror", build_dir=root / "build")


def _outcome(source: Source, fault: Fault, settings: Settings) -> str:
    """Inject ``fault`` into the source's file, read it, restore it; say what happened."""
    assert settings.mirror is not None
    target = Path(settings.mirror) / source.path
    original = target.read_bytes()
    try:
        fault.apply(target, source)
        read(source, settings)
    except NotApplicable as why:
        return f"n/a ({why})"
    except SourceError as refused:
        if not refused.file.endswith(source.path):
            return f"WRONG FILE {refused.file}"
        if not re.search(fault.says, refused.problem):
            return f"UNCLEAR: {refused.problem[:80]}"
        return "refused"
    finally:
        target.write_bytes(original)
    return "ACCEPTED"


def test_every_source_declares_its_schema_and_coverage() -> None:
    """One declaration per source: the schema and the stated end the suite is generated from
    (a Candidate release's stated end is the last month it covers)."""
    assert len(SOURCES) >= 22
    assert all(source.schema is not None for source in SOURCES)
    for release in (CANDIDATE_2021, *CANDIDATE_RELEASES):
        assert release.source.period is not None
        assert release.source.period[1] == release.last_month
    undated = {s.name for s in SOURCES if s.period is None}
    assert undated == {"ewp_country_names", "ushmm_prevention_tools"}


@pytest.mark.slow
def test_every_fault_in_every_source_is_refused(copy: Settings, record_property) -> None:
    table = {source.name: [_outcome(source, fault, copy) for fault in FAULTS]
             for source in READ}
    width = max(map(len, table))
    lines = [" " * width + " | " + " | ".join(f.name for f in FAULTS)]
    for name, outcomes in table.items():
        cells = [o.split(" (")[0].ljust(len(f.name)) for o, f in zip(outcomes, FAULTS,
                                                                      strict=True)]
        lines.append(name.ljust(width) + " | " + " | ".join(cells))
    record_property("printed", "fault injection: every build input x every fault\n"
                    + "\n".join(lines))  # shown after the run (conftest), workers or not
    failures = {(name, fault.name): outcome for name, outcomes in table.items()
                for fault, outcome in zip(FAULTS, outcomes, strict=True)
                if outcome != "refused" and not outcome.startswith("n/a")}
    assert not failures
    refused = sum(o == "refused" for outcomes in table.values() for o in outcomes)
    assert refused >= len(READ) * len(FAULTS) - 6  # only undated and Parquet cases skip


@pytest.mark.slow
def test_a_faulty_input_stops_the_build_and_keeps_the_last_good_one(copy: Settings) -> None:
    """Each fault, in a different input each time: the build stops while checking its inputs,
    names the file, and ``build/data`` still points at the last good build."""
    good = build(copy)
    assert copy.mirror is not None
    sources = [s for s in SOURCES if s.period is not None and not s.path.endswith(".parquet")]
    for i, fault in enumerate(FAULTS):
        source = sources[(5 * i) % len(sources)]
        target = Path(copy.mirror) / source.path
        original = target.read_bytes()
        fault.apply(target, source)
        try:
            with pytest.raises(SourceError) as refused:
                build(copy)
        finally:
            target.write_bytes(original)
        assert refused.value.file.endswith(source.path), (fault.name, source.name)
        assert re.search(fault.says, refused.value.problem), (fault.name, refused.value)
        assert copy.data_dir.resolve() == good.path.resolve()
        assert not list((copy.build_dir / "builds").glob(".tmp-*"))
