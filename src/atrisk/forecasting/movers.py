"""What moved a country's risk between two structural runs, and by how much.

Each run stores every predictor's push on the country's log-odds (coefficient x deviation
from the training average for the logit, SHAP values for the trees; ``contributions``). The
change in log-odds between two runs is the sum of the changes in those pushes plus what the
refit itself moved (the model's baseline: new training years, revised data); the drivers of
the change are the predictors whose push moved most in the direction of the change.

A change between runs a year apart is also split in two with the later run's risk from the
year before's inputs (the same model, the same data; ``risk_2yr_year_before``): what the new
year's data moved (later run, later year against later run, earlier year) and what revisions
moved (the later run against the earlier on the same data year: revised data and the refit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import logit

from atrisk.panels.labels import label

#: How many drivers a change is explained by, and the smallest push worth naming.
TOP = 2
SMALLEST = 0.02


@dataclass(frozen=True)
class Driver:
    feature: str
    label: str
    #: Change in the predictor's push on the log-odds between the two runs.
    change: float


@dataclass(frozen=True)
class Move:
    """One country's change from run ``before`` to run ``after``."""

    iso3: str
    name: str
    before: int
    after: int
    risk_before: float
    risk_after: float
    rank_before: int
    rank_after: int
    drivers: tuple[Driver, ...]
    #: Change in log-odds the predictors do not account for: the refit's new baseline
    #: (unknown when either run did not store every predictor's push).
    refit: float | None
    #: The data years the two runs forecast from (before, after).
    years: tuple[int, int]
    #: The change in points split into what the new data year moved and what revised data
    #: and the refit moved (None when the runs are not one or zero years apart, or the
    #: later run did not store its risk from the year before).
    new_year_points: float | None = None
    revision_points: float | None = None

    @property
    def new_year(self) -> bool:
        """Whether the later run forecasts from a later data year (else: revised data or
        model, or an older year published later)."""
        return self.years[1] > self.years[0]

    @property
    def points(self) -> float:
        """Change in risk, in percentage points."""
        return 100 * (self.risk_after - self.risk_before)

    def sentence(self) -> str:
        ranks = (f"rank {self.rank_before} → {self.rank_after}"
                 if self.rank_before != self.rank_after else f"rank {self.rank_after} kept")
        text = f"{self.points:+.1f} points since run {self.before} ({ranks})"
        if self.drivers:
            named = " and ".join(f"{d.label} ({d.change:+.2f})" for d in self.drivers)
            text += f", mostly {named} on the log-odds"
        if self.refit is not None and abs(self.refit) >= SMALLEST:
            text += f"; the refit itself moved it {self.refit:+.2f}"
        first, second = self.years
        why = (f"a new data year, {first} → {second}" if second > first else
               "the same data year, revised" if second == first else
               f"the later run forecasts from older data, {first} → {second}")
        if second > first and self.new_year_points is not None \
                and self.revision_points is not None:
            why += (f": {self.new_year_points:+.1f} from {second}'s data, "
                    f"{self.revision_points:+.1f} from revised data and the refit")
        return f"{text} ({why})."


@dataclass(frozen=True)
class RunRow:
    """What a stored run says about one country (``store.schema.StructuralForecast``)."""

    iso3: str
    name: str
    rank: int
    probability: float
    contributions: Mapping[str, float] | None
    #: The run's risk from the year before's inputs (None for runs stored without it).
    probability_year_before: float | None = None


def moves(before: Sequence[RunRow], after: Sequence[RunRow], before_id: int, after_id: int,
          years: tuple[int, int]) -> list[Move]:
    """Every country in both runs (``years``: the data years each forecasts from), largest
    change in risk first."""
    old = {r.iso3: r for r in before}
    out = []
    for new in after:
        if new.iso3 not in old:
            continue
        prior = old[new.iso3]
        total = float(logit(np.clip(new.probability, 1e-9, 1 - 1e-9))
                      - logit(np.clip(prior.probability, 1e-9, 1 - 1e-9)))
        drivers: tuple[Driver, ...] = ()
        refit = None
        if new.contributions is not None and prior.contributions is not None:
            features = set(new.contributions) | set(prior.contributions)
            change = {f: new.contributions.get(f, 0.0) - prior.contributions.get(f, 0.0)
                      for f in features}
            refit = round(total - sum(change.values()), 4)
            sign = 1.0 if total >= 0 else -1.0
            ranked = sorted((f for f in change if sign * change[f] >= SMALLEST),
                            key=lambda f: -sign * change[f])[:TOP]
            drivers = tuple(Driver(f, label(f), round(change[f], 4)) for f in ranked)
        out.append(Move(new.iso3, new.name, before_id, after_id, prior.probability,
                        new.probability, prior.rank, new.rank, drivers, refit, years,
                        *_split(prior, new, years)))
    return sorted(out, key=lambda m: -abs(m.risk_after - m.risk_before))


def _split(prior: RunRow, new: RunRow, years: tuple[int, int]
           ) -> tuple[float | None, float | None]:
    """(new year, revisions) in points: see the module docstring."""
    points = 100 * (new.probability - prior.probability)
    if years[1] == years[0]:
        return 0.0, round(points, 4)
    if years[1] != years[0] + 1 or new.probability_year_before is None:
        return None, None
    new_year = 100 * (new.probability - new.probability_year_before)
    return round(new_year, 4), round(points - new_year, 4)
