"""The fits of a structural back-test: independent, so they run in parallel processes, and
determined by their inputs, so a fit whose data, settings and model code did not change is
read back from disk instead of refitted.

A fit's key hashes the model (name, dataset, description), the source code of
``atrisk.models`` and the versions of the libraries that fit it, the panel it is cut from,
its window, and what makes the carried-forward rows it also forecasts (the capitals and the
source code of ``atrisk.panels``; the rows themselves are made only for fits not stored).
Anything else that could change the result changes one of those.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from atrisk.domain.horizon import StructuralWindow
from atrisk.models.base import KEYS, Forecast
from atrisk.models.parallel import map_processes
from atrisk.models.registry import TARGETS, ModelSpec

#: Libraries whose version can change a fitted model.
_LIBRARIES = ("lightgbm", "scikit-learn", "numpy", "scipy", "pandas")


@dataclass(frozen=True)
class FitTask:
    """One model fitted on one window's training years; forecasts from the data year (and,
    when given, from the data year's carried-forward rows)."""

    spec: ModelSpec
    window: StructuralWindow
    train: pd.DataFrame
    test: pd.DataFrame
    #: ``panel_digest`` of the panel ``train`` and ``test`` are cut from.
    panel: str
    #: ``carried_digest`` when the fit also forecasts the window's carried-forward rows.
    carry: str | None = None
    #: Those rows, once made (only fits that are not stored need them).
    carried: pd.DataFrame | None = None

    def key(self) -> str:
        digest = hashlib.sha256()
        for part in (self.spec.name, self.spec.dataset, self.spec.description, _code_digest(),
                     self.panel, str(self.window.last_train_year),
                     str(self.window.data_year), self.carry or "-"):
            digest.update(part.encode() + b"\0")
        return digest.hexdigest()[:40]


@dataclass(frozen=True)
class Fitted:
    """What one fit forecast: from the data year, and from its carried-forward rows."""

    plain: Forecast
    carried: Forecast | None


def panel_digest(frame: pd.DataFrame) -> str:
    """A digest of a table's columns and values (row order included)."""
    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def carried_digest(capitals: pd.DataFrame) -> str:
    """What makes a window's carried-forward rows besides its panel and data year: the
    capitals (for the neighbours) and the source code of ``atrisk.panels``."""
    digest = hashlib.sha256(panel_digest(capitals).encode())
    for path in sorted((Path(__file__).parents[1] / "panels").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def stored_fits(tasks: Sequence[FitTask], cache_dir: Path | None,
                progress: Callable[[str], None] = lambda _: None) -> list[Fitted | None]:
    """Each task's forecasts where ``cache_dir`` holds a fit with its key, else None."""
    out = [_load(cache_dir, task) if cache_dir is not None else None for task in tasks]
    for task, stored in zip(tasks, out, strict=True):
        if stored is not None:
            progress(f"{task.spec.name} L={task.window.last_train_year} (unchanged)")
    return out


def run_fits(tasks: Sequence[FitTask], jobs: int = 1, cache_dir: Path | None = None,
             progress: Callable[[str], None] = lambda _: None) -> list[Fitted]:
    """Every task's forecasts, in order, fitted in ``jobs`` processes (and stored in
    ``cache_dir`` when given)."""
    results: list[Fitted | None] = [None] * len(tasks)
    # Largest training sets first, so no large fit is left to run alone at the end.
    todo = sorted(range(len(tasks)), key=lambda i: -len(tasks[i].train))
    for i, fitted in zip(todo, map_processes(_fit, [tasks[i] for i in todo], jobs),
                         strict=True):
        results[i] = fitted
        if cache_dir is not None:
            _store(cache_dir, tasks[i], fitted)
        progress(f"{tasks[i].spec.name} L={tasks[i].window.last_train_year}")
    return [r for r in results if r is not None]


def _fit(task: FitTask) -> Fitted:
    if task.carry is not None and task.carried is None:
        raise ValueError(f"{task.spec.name} L={task.window.last_train_year}: the carried-"
                         "forward rows were not made before fitting")
    model = task.spec.build(TARGETS[task.spec.dataset]["onset_next2"]).fit(task.train)
    return Fitted(model.predict(task.test),
                  None if task.carried is None else model.predict(task.carried))


@cache
def _code_digest() -> str:
    """The source of ``atrisk.models`` and the versions of the fitting libraries."""
    digest = hashlib.sha256()
    for path in sorted((Path(__file__).parents[1] / "models").glob("*.py")):
        digest.update(path.read_bytes())
    for name in _LIBRARIES:
        digest.update(f"{name}={importlib.metadata.version(name)}".encode())
    return digest.hexdigest()


def _path(cache_dir: Path, task: FitTask) -> Path:
    return cache_dir / f"{task.spec.name}-{task.window.last_train_year}-{task.key()}.parquet"


def _store(cache_dir: Path, task: FitTask, fitted: Fitted) -> None:
    parts = [f.to_frame().assign(variant=v) for v, f in (("plain", fitted.plain),
                                                           ("carried", fitted.carried))
             if f is not None]
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = _path(cache_dir, task)
    tmp = path.with_suffix(".part")
    pd.concat(parts, ignore_index=True).to_parquet(tmp, index=False)
    tmp.replace(path)


def _load(cache_dir: Path, task: FitTask) -> Fitted | None:
    path = _path(cache_dir, task)
    if not path.is_file():
        return None
    frame = pd.read_parquet(path)

    def part(variant: str) -> Forecast:
        rows = frame[frame["variant"] == variant]
        return Forecast(task.spec.name, rows[list(KEYS)].reset_index(drop=True),
                        rows["probability"].to_numpy())

    return Fitted(part("plain"), None if task.carry is None else part("carried"))
