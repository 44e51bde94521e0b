"""What every source shares: its identity, how it is fetched, and validation at the boundary.

A source is read from the local mirror when ``ATRISK_MIRROR`` is set (the mirror keeps the
official files under the same relative paths), otherwise downloaded once from its official URL
into the cache. Everything read is validated before any computation sees it.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import logging
import shutil
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from atrisk.domain.errors import SourceError
from atrisk.settings import Settings, get_settings

log = logging.getLogger(__name__)

Kind = Literal["int", "float", "str"]


@dataclass(frozen=True)
class Source:
    """Identity of one public file: where it comes from and how to cite it."""

    name: str
    path: str  # relative path inside the mirror
    url: str  # official download location
    version: str
    licence: str
    citation: str
    producer: str
    #: The column that dates a row and the last year the data cover: a row dated later is
    #: an error (it would stretch every panel past the data), not news.
    period: tuple[str, int] | None = None


@dataclass(frozen=True)
class Schema:
    """What a valid table looks like: columns and kinds, unique key, plausible ranges."""

    columns: Mapping[str, Kind]
    key: Sequence[str] = ()
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    min_rows: int = 1
    #: Rows with an empty key are dropped (and logged) instead of rejected: some producers ship
    #: rows for territories they could not code.
    drop_unkeyed: bool = False
    #: No two rows may be the same in every column (for files whose natural key may be empty).
    unique_rows: bool = False


def locate(source: Source, settings: Settings | None = None) -> Path:
    """Return a local path to the source file: the mirror's copy, or a cached download."""
    settings = settings or get_settings()
    if settings.mirror is not None:
        path = Path(settings.mirror) / source.path
        if not path.is_file():
            raise SourceError(str(path), f"missing from the mirror (expected {source.name} here)")
        return path
    path = settings.cache_dir / source.path
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        log.info("downloading %s from %s", source.name, source.url)
        try:
            with urllib.request.urlopen(source.url, timeout=120) as resp, open(tmp, "wb") as out:
                shutil.copyfileobj(resp, out)
        except OSError as exc:
            raise SourceError(source.url, f"download failed: {exc}") from exc
        tmp.replace(path)
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_not_truncated(path: Path) -> None:
    """A compressed file cut short fails to decompress; a CSV cut mid-line ends without a line
    break *and* with fewer fields on its last line than its header has."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                while fh.read(1 << 20):
                    pass
            return
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            if fh.tell() == 0:
                raise SourceError(str(path), "file is empty")
            fh.seek(-1, 2)
            last = fh.read(1)
    except (EOFError, OSError, gzip.BadGzipFile) as exc:
        raise SourceError(str(path), f"file is truncated or corrupt ({exc})") from exc
    if last in (b"\n", b"\r"):
        return
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        header = next(csv.reader([fh.readline()]))
        fh.seek(0, 2)
        size = fh.tell()
    with open(path, "rb") as fh:
        fh.seek(max(0, size - 65536))
        tail = fh.read().decode("utf-8", errors="replace").splitlines()[-1]
    fields = next(csv.reader([tail]), [])
    if len(fields) != len(header):
        raise SourceError(str(path), f"file looks truncated: its last line has {len(fields)} "
                          f"field(s) and no line ending; the header has {len(header)}")


def read_csv(source: Source, schema: Schema, settings: Settings | None = None,
             **kwargs: object) -> pd.DataFrame:
    """Read a CSV source and validate it against ``schema``."""
    path = locate(source, settings)
    check_not_truncated(path)
    try:
        frame = pd.read_csv(path, low_memory=False, **kwargs)
    except pd.errors.EmptyDataError as exc:
        raise SourceError(str(path), "file is empty (no header, no rows)") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, EOFError) as exc:
        raise SourceError(str(path), f"not a readable CSV ({exc})") from exc
    frame = validate(frame, schema, str(path))
    check_period(frame, source, str(path))
    check_manifest(path, source, settings)
    return frame


def read_parquet(source: Source, schema: Schema, settings: Settings | None = None) -> pd.DataFrame:
    """Read a Parquet source and validate it against ``schema``."""
    path = locate(source, settings)
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise SourceError(str(path), f"not a readable Parquet file ({exc})") from exc
    frame = validate(frame, schema, str(path))
    check_period(frame, source, str(path))
    check_manifest(path, source, settings)
    return frame


def check_period(frame: pd.DataFrame, source: Source, file: str) -> None:
    """No row dated after the last year ``source.period`` says the data cover."""
    if source.period is None:
        return
    column, last = source.period
    years = pd.to_numeric(frame[column], errors="coerce")
    late = years > last
    if late.any():
        i = int(np.flatnonzero(late.to_numpy())[0])
        raise SourceError(file, f"column {column!r}, line {i + 2}: {years.iloc[i]:g} is after "
                          f"the data's stated end ({last})")


def check_manifest(path: Path, source: Source, settings: Settings | None) -> None:
    """Where the mirror publishes a MANIFEST.tsv (path, bytes, ..., sha256), the file must
    match it: this catches damage the structural checks cannot see (a number cut short)."""
    settings = settings or get_settings()
    if settings.mirror is None:
        return
    manifest = Path(settings.mirror) / "MANIFEST.tsv"
    if not manifest.is_file():
        return
    with open(manifest, encoding="utf-8") as fh:
        rows = {r["path"]: r for r in csv.DictReader(fh, delimiter="\t")}
    expected = rows.get(source.path)
    if expected is None:
        return
    size = path.stat().st_size
    if str(size) != expected["bytes"] or sha256(path) != expected["sha256"]:
        raise SourceError(str(path), f"does not match the mirror's MANIFEST.tsv (expected "
                          f"{expected['bytes']} bytes, sha256 {expected['sha256'][:12]}…; found "
                          f"{size} bytes): truncated or modified")


def validate(frame: pd.DataFrame, schema: Schema, file: str) -> pd.DataFrame:
    """Check columns, kinds, keys and ranges; return the table with columns coerced.

    Row numbers in messages are the file's line numbers (header is line 1).
    """
    missing = [c for c in schema.columns if c not in frame.columns]
    if missing:
        raise SourceError(file, f"missing column(s) {missing}; found {list(frame.columns)[:12]}")
    if len(frame) < schema.min_rows:
        raise SourceError(
            file, f"has {len(frame)} rows, expected at least {schema.min_rows} (truncated?)"
        )
    out = frame.copy()
    for col, kind in schema.columns.items():
        out[col] = _coerce(out[col], kind, col, file)
    for col, (lo, hi) in schema.ranges.items():
        values = out[col]
        bad = values.notna() & ((values < lo) | (values > hi))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise SourceError(
                file,
                f"column {col!r}, line {i + 2}: value {float(values.iloc[i]):g} outside the "
                f"plausible range [{lo}, {hi}]",
            )
    if schema.unique_rows:
        twice = out.duplicated(keep=False)
        if twice.any():
            i = int(np.flatnonzero(twice.to_numpy())[0])
            raise SourceError(file, f"line {i + 2}: the same row appears {int(twice.sum())} "
                              "times")
    if schema.key:
        key = list(schema.key)
        nulls = out[key].isna().any(axis=1)
        if nulls.any() and schema.drop_unkeyed:
            log.info("%s: dropped %d row(s) with an empty key %s", file, int(nulls.sum()), key)
            out = out[~nulls].reset_index(drop=True)
        elif nulls.any():
            i = int(np.flatnonzero(nulls.to_numpy())[0])
            raise SourceError(file, f"line {i + 2}: empty key column(s) {key}")
        dup = out.duplicated(key, keep=False)
        if dup.any():
            i = int(np.flatnonzero(dup.to_numpy())[0])
            first = out.iloc[i][key].to_dict()
            raise SourceError(
                file, f"duplicate key {key} = {first} ({int(dup.sum())} rows share a key)"
            )
    return out


def _coerce(values: pd.Series, kind: Kind, col: str, file: str) -> pd.Series:
    if kind == "str":
        return values.astype("string").str.strip()
    converted = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & (values.astype("string").str.strip() != "") & converted.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SourceError(
            file, f"column {col!r}, line {i + 2}: {values.iloc[i]!r} is not a valid {kind}"
        )
    if kind == "int":
        frac = converted.notna() & (converted != np.round(converted))
        if frac.any():
            i = int(np.flatnonzero(frac.to_numpy())[0])
            raise SourceError(
                file, f"column {col!r}, line {i + 2}: {values.iloc[i]!r} is not a whole number"
            )
        return converted.astype("Int64")
    return converted.astype(float)
