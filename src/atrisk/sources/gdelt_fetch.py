"""Download GDELT 2.0's newest event exports, so the watch sees today's news.

GDELT publishes an export every 15 minutes and lists each one, with its size and MD5, in
``masterfilelist.txt`` (every export since 2015) and ``lastupdate.txt`` (the newest). This
reads a list, keeps the exports of the last ``days`` days, and downloads those not already
here, checking each file's size and MD5 against the list before it is kept (a file cut short
or altered in transit is refused, naming its URL). ``atrisk events build`` then reads the
downloaded folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import shutil
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from atrisk.domain.errors import SourceError
from atrisk.sources.gdelt import MASTER_LIST_URL

#: An export's name starts with the time stamp of its 15 minutes (UTC).
STAMP = re.compile(r"(\d{14})\.export\.CSV\.zip$")


@dataclass(frozen=True)
class Listed:
    """One export as a GDELT file list names it."""

    url: str
    size: int
    md5: str
    stamp: dt.datetime

    @property
    def name(self) -> str:
        return self.url.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Fetched:
    listed: int
    downloaded: list[Path]
    kept: list[Path]
    folder: Path


def listed_exports(text: str, source: str) -> list[Listed]:
    """The event exports a ``masterfilelist.txt`` or ``lastupdate.txt`` names (``size md5
    url`` per line; mentions and GKG files left out), oldest first."""
    out = []
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=" "), start=1):
        if len(row) != 3 or not row[2].endswith(".export.CSV.zip"):
            continue
        size, md5, url = row
        stamp = STAMP.search(url)
        if not size.isdigit() or not re.fullmatch(r"[0-9a-f]{32}", md5) or stamp is None:
            raise SourceError(source, f"line {number} is not 'size md5 url' of an export: "
                              f"{' '.join(row)[:120]!r}")
        out.append(Listed(url, int(size), md5,
                          dt.datetime.strptime(stamp[1], "%Y%m%d%H%M%S")))
    return sorted(out, key=lambda e: e.stamp)


def fetch(folder: Path, days: float = 1.0, list_url: str = MASTER_LIST_URL,
          now: dt.datetime | None = None,
          progress: Callable[[str], None] = lambda _: None) -> Fetched:
    """Download into ``folder`` every export of the ``days`` days before ``now`` (default: the
    newest listed export's time) that is not there yet."""
    listed = listed_exports(_get(list_url).decode("utf-8", "replace"), list_url)
    if not listed:
        raise SourceError(list_url, "lists no event export (*.export.CSV.zip)")
    end = now or listed[-1].stamp
    wanted = [e for e in listed if end - dt.timedelta(days=days) < e.stamp <= end]
    folder.mkdir(parents=True, exist_ok=True)
    downloaded = []
    for export in wanted:
        path = folder / export.name
        if path.is_file() and path.stat().st_size == export.size:
            continue
        body = _get(export.url)
        if len(body) != export.size:
            raise SourceError(export.url, f"{len(body):,} bytes downloaded, the list says "
                              f"{export.size:,}: cut short")
        if hashlib.md5(body, usedforsecurity=False).hexdigest() != export.md5:
            raise SourceError(export.url, "its MD5 differs from the list's: altered or "
                              "corrupted in transit")
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(body)
        tmp.replace(path)
        downloaded.append(path)
        progress(export.name)
    kept = sorted(folder.glob("*.export.CSV.zip"))
    return Fetched(len(listed), downloaded, kept, folder)


def downloaded(folder: Path) -> list[Path]:
    """The exports fetched into ``folder`` so far, oldest first."""
    return sorted(folder.glob("*.export.CSV.zip")) if folder.is_dir() else []


def _get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            buffer = io.BytesIO()
            shutil.copyfileobj(response, buffer)
            return buffer.getvalue()
    except OSError as exc:
        raise SourceError(url, f"download failed: {exc}") from exc
