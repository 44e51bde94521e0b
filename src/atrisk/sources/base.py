"""What every source shares: its identity, how it is fetched, and validation at the boundary.

A source is read from the local mirror when ``ATRISK_MIRROR`` is set (the mirror keeps the
official files under the same relative paths), otherwise downloaded once from its official URL
into the cache. Everything read is validated before any computation sees it.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import logging
import shutil
import urllib.request
import zipfile
import zlib
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


@dataclass(frozen=True, eq=False)
class Source:
    """One public file: where it comes from, how to cite it, and what a valid copy holds.

    This is the one declaration of a source: ``read`` checks every file against it, and the
    fault-injection suite is generated from it.
    """

    name: str
    path: str  # relative path inside the mirror (.csv, .csv.gz, .csv.zip or .parquet)
    url: str  # official download location
    version: str
    licence: str
    citation: str
    producer: str
    schema: Schema | None = None
    #: The column that dates a row and the data's stated end: a year (int), or an ISO month
    #: or day (``"2024-12"``, ``"2017-12-31"``) compared with the column's leading characters.
    #: A row dated later is an error (it would stretch every panel past the data), not news.
    period: tuple[str, int | str] | None = None


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


#: Validated tables by (source, path, size, mtime): enough for one build's inputs.
_READ: dict[tuple[str, str, int, int], pd.DataFrame] = {}
_READ_KEEP = 32


def read(source: Source, settings: Settings | None = None) -> pd.DataFrame:
    """The source's table, checked against its declaration: readable UTF-8 text (or Parquet),
    not cut short, the declared columns, kinds, key and ranges, nothing dated after the stated
    end, and the mirror's MANIFEST where there is one. Any failure is a ``SourceError`` naming
    the file and the problem.

    A file already read and unchanged since (same size and modification time) is not parsed
    again: the build checks every input first and its panels then read them.
    """
    if source.schema is None:
        raise TypeError(f"source {source.name!r} declares no schema")
    path = locate(source, settings)
    stat = path.stat()
    memo = (source.name, str(path), stat.st_size, stat.st_mtime_ns)
    if memo not in _READ:
        frame = validate(parse_file(path), source.schema, str(path))
        check_period(frame, source, str(path))
        check_manifest(path, source, settings)
        _READ[memo] = frame
        while len(_READ) > _READ_KEEP:
            _READ.pop(next(iter(_READ)))
    return _READ[memo].copy()


def parse_file(path: Path) -> pd.DataFrame:
    """Parse a Parquet file, or CSV text from a plain, gzipped or zipped file, refusing an
    empty, truncated or non-UTF-8 file with its name and the problem."""
    if path.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            raise SourceError(str(path), f"not a readable Parquet file ({exc})") from exc
    data = _text_bytes(path)
    _check_text(data, str(path))
    try:
        return pd.read_csv(io.BytesIO(data), low_memory=False)
    except pd.errors.EmptyDataError as exc:
        raise SourceError(str(path), "file is empty (no header, no rows)") from exc
    except pd.errors.ParserError as exc:
        raise SourceError(str(path), f"not a readable CSV ({exc})") from exc


def _text_bytes(path: Path) -> bytes:
    """The file's CSV bytes, decompressed: a gzip or zip archive cut short fails here."""
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as fh:
                return fh.read()
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                inner = [n for n in archive.namelist()
                         if n.lower().endswith(".csv") and not n.startswith("__")]
                if not inner:
                    raise SourceError(str(path), "the zip archive holds no .csv file")
                return archive.read(inner[0])
        return path.read_bytes()
    except (EOFError, OSError, zipfile.BadZipFile, gzip.BadGzipFile, zlib.error) as exc:
        raise SourceError(str(path), f"file is truncated or corrupt ({exc})") from exc


def _check_text(data: bytes, file: str) -> None:
    """Empty, not UTF-8, or cut mid-line: each named plainly (pandas' own messages do not
    name the file, and some of these it would accept)."""
    if not data.strip():
        raise SourceError(file, "file is empty")
    for bom, name in ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
                      (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16")):
        if data.startswith(bom):
            raise SourceError(file, f"file is encoded as {name}; expected UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(file, f"file is not UTF-8 text (byte {data[exc.start]:#04x} at "
                          f"offset {exc.start}; another encoding such as Latin-1?)") from exc
    if "\x00" in text[:4096]:
        raise SourceError(file, "file holds NUL characters; expected UTF-8 text (UTF-16?)")
    if text.endswith(("\n", "\r")):
        return
    lines = text.splitlines()
    header = next(csv.reader([lines[0].lstrip("\ufeff")]))
    fields = next(csv.reader([lines[-1]]), [])
    if len(lines) > 1 and len(fields) != len(header):
        raise SourceError(file, f"file looks truncated: its last line has {len(fields)} "
                          f"field(s) and no line ending; the header has {len(header)}")


def check_period(frame: pd.DataFrame, source: Source, file: str) -> None:
    """No row dated after the end ``source.period`` states (a year, or an ISO month or day)."""
    if source.period is None:
        return
    column, last = source.period
    if isinstance(last, int):
        years = pd.to_numeric(frame[column], errors="coerce")
        late = (years > last).fillna(False)
        shown = years.map(lambda v: f"{v:g}")
    else:
        shown = frame[column].astype("string").str.strip().str.slice(0, len(last))
        late = (shown > last).fillna(False)
    if late.any():
        i = int(np.flatnonzero(late.to_numpy())[0])
        raise SourceError(file, f"column {column!r}, line {i + 2}: {shown.iloc[i]} is after "
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
