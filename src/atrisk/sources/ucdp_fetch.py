"""Download UCDP's monthly Candidate releases that are out but not yet here, so the panels
reach the latest month without a new version of atrisk.

UCDP publishes each month's events about a month later as
``https://ucdp.uu.se/downloads/candidateged/GEDEvent_v{YY}_0_{M}.csv`` (``v26_0_2``: February
2026). This asks for every month after the newest one known, in order, and stops at the
first one UCDP does not have yet (HTTP 404). Each file is checked as the build checks it (the
49-column format, dates, at least ``ged.MONTHLY_MIN_EVENTS`` events, none after its month)
before it is kept under UCDP's name in the download cache's events folder, where
``ged.candidate_releases`` finds it; ``atrisk data build`` then applies it.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from atrisk.domain.errors import ConfigError, SourceError
from atrisk.settings import Settings
from atrisk.sources import ged


@dataclass(frozen=True)
class FetchedReleases:
    """The months asked for, the files downloaded, and the first month not published yet."""

    asked: list[str]
    downloaded: list[Path]
    not_yet: str | None

    @property
    def summary(self) -> str:
        after = str(pd.Period(self.asked[0], "M") - 1) if self.asked else "the latest month"
        waiting = f"; UCDP has not published {self.not_yet} yet" if self.not_yet else ""
        return f"{len(self.downloaded)} new Candidate release(s) after {after}{waiting}"


def fetch_new(settings: Settings, until: str | None = None, base_url: str | None = None,
              progress: Callable[[str], None] = lambda _: None) -> FetchedReleases:
    """The releases after the newest month atrisk has (GED's final months and every release
    here), up to ``until`` (default: this month), into the download cache's events folder,
    where ``ged.candidate_releases`` finds them. Without a mirror only."""
    if settings.mirror is not None:
        raise ConfigError(f"ATRISK_MIRROR is set ({settings.mirror}): atrisk reads the "
                          "Candidate releases from the mirror's conflict/ucdp/events/, so put "
                          "new ones there; `atrisk data fetch` fills the download cache used "
                          "without a mirror")
    after = max([ged.FINAL_LAST_MONTH, *(r.last_month for r in ged.candidate_releases(settings))])
    folder = settings.cache_dir / ged.EVENTS_FOLDER
    return fetch_candidates(folder, after, until or datetime.now(UTC).strftime("%Y-%m"),
                            base_url or ged.CANDIDATE_URL, progress)


def file_name(month: str) -> str:
    """UCDP's name of the release holding ``month`` (YYYY-MM)."""
    year, number = int(month[:4]), int(month[5:7])
    return f"GEDEvent_v{year % 100:02d}_0_{number}.csv"


def fetch_candidates(folder: Path, after: str, until: str,
                     base_url: str = ged.CANDIDATE_URL,
                     progress: Callable[[str], None] = lambda _: None) -> FetchedReleases:
    """Download into ``folder`` the releases of the months after ``after`` up to ``until``
    that are not there yet, stopping at the first month UCDP has not published."""
    folder.mkdir(parents=True, exist_ok=True)
    months = [str(m) for m in pd.period_range(after, until, freq="M")[1:]]
    downloaded: list[Path] = []
    for month in months:
        name = file_name(month)
        if any(folder.glob(name + "*")):
            continue
        url = base_url + name
        try:
            with urllib.request.urlopen(url, timeout=120) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return FetchedReleases(months, downloaded, month)
            raise SourceError(url, f"download failed: HTTP {exc.code}") from exc
        except OSError as exc:
            raise SourceError(url, f"download failed: {exc}") from exc
        part = folder / (name.removesuffix(".csv") + ".part.csv")
        part.write_bytes(body)
        try:
            _check(part, month, url)
        except SourceError:
            part.unlink()
            raise
        part.replace(folder / name)
        downloaded.append(folder / name)
        progress(name)
    return FetchedReleases(months, downloaded, None)


def _check(path: Path, month: str, url: str) -> None:
    """The release as the build reads it: the GED format, enough events, none after
    ``month`` (errors name ``url``)."""
    try:
        events = ged.read_events(path).table
    except SourceError as exc:
        raise SourceError(url, exc.problem) from exc
    if len(events) < ged.MONTHLY_MIN_EVENTS:
        raise SourceError(url, f"only {len(events)} events, expected at least "
                          f"{ged.MONTHLY_MIN_EVENTS} (cut short?)")
    late = events["date_start"].dt.strftime("%Y-%m") > month
    if late.any():
        raise SourceError(url, f"{int(late.sum())} event(s) dated after {month}: not the "
                          f"release of {month}")
