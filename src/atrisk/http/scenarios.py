"""Where the pages and the API find a published run's what-if kit."""

from __future__ import annotations

from pathlib import Path

from atrisk.domain.errors import NotFoundError
from atrisk.domain.reports import StructuralRunMeta
from atrisk.forecasting import what_if
from atrisk.store.schema import ForecastRun


def what_if_kit(build_dir: Path, run: ForecastRun) -> what_if.Scenario:
    """The model, refits and data a structural run keeps for scenarios."""
    report = run.report
    if not isinstance(report, StructuralRunMeta) or report.directory is None:
        raise NotFoundError(f"run {run.id} was made without what-if data: publish a new "
                            "structural forecast")
    return what_if.load(build_dir / report.directory)
