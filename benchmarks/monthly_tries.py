"""Ideas for ``recent_history``'s fatalities that were tried on the validation years
1995-2017 and not adopted, kept runnable so docs/benchmarks.md's figures can be checked.

Each variant is scored against the shipped model, paired by year (the rule: adopt only a
gain of more than two standard errors). Run: ``uv run python benchmarks/monthly_tries.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from monthly import validation_table, yearly_crps
from table_format import markdown

from atrisk.models.monthly import (
    N_DRAWS,
    RECENT_HISTORY_SETTINGS,
    DrawForecast,
    MonthlyModel,
    RecentHistory,
    _resample,
    _wide,
)
from atrisk.models.monthly_registry import MONTHLY_MODELS
from atrisk.panels.build import build, read_table
from atrisk.panels.country_month import known
from atrisk.settings import Settings

TARGET = "fatalities"


class EventsTimesRatio(RecentHistory):
    """A draw is a month's event count (drawn with the shipped weights) times a deaths per
    event drawn from the window's months in proportion to their events, so a toll booked as
    one event weighs as one event (weight also ``0.5 ** (age / ratio_half_life)``)."""

    def __init__(self, name: str, target: str, ratio_half_life: float,
                 **settings: Any) -> None:
        super().__init__(name, target, **settings)
        self.ratio_half_life = ratio_half_life

    def predict(self, history: pd.DataFrame, steps: Sequence[int]) -> DrawForecast:
        self.events_ = _wide(history, "events", self.window)
        return super().predict(history, steps)

    def _draws(self, wide, rng, step):
        deaths = self._capped(wide.to_numpy())
        events = np.nan_to_num(self.events_.reindex(wide.index).to_numpy())
        ages = np.arange(wide.shape[1] - 1, -1, -1)
        weights = self._weights(wide.shape[1], step)
        columns = np.where(np.isnan(deaths), np.nan, np.arange(wide.shape[1])[None, :])
        picked = _resample(columns, weights, rng).astype(int)  # rows with no month: column 0
        out = np.take_along_axis(events, picked, axis=1)
        per_event = np.where(events > 0, np.nan_to_num(deaths) / np.maximum(events, 1), 0.0)
        ratio_weights = 0.5 ** (ages / self.ratio_half_life) * events
        for i in np.flatnonzero(ratio_weights.sum(axis=1) > 0):
            p = ratio_weights[i] / ratio_weights[i].sum()
            out[i] *= rng.choice(per_event[i], size=N_DRAWS, p=p)
        out *= self.scale * self.decay ** (step - 3)
        noise = rng.normal(0.0, self.jitter, out.shape) * (out > 0)
        return np.round(np.maximum(np.expm1(np.log1p(out) + noise), 0.0))


class QuantileAverage(RecentHistory):
    """The shipped draws' quantiles averaged with ``conflictology_country12``'s (weight
    ``benchmark_weight``): sharper than a mixture of the two sets of draws."""

    def __init__(self, name: str, target: str, benchmark_weight: float,
                 **settings: Any) -> None:
        super().__init__(name, target, **settings)
        self.benchmark_weight = benchmark_weight

    def _draws(self, wide, rng, step):
        ours = np.sort(super()._draws(wide, rng, step), axis=1)
        theirs = np.sort(_resample(wide.to_numpy()[:, -12:], np.ones(12), rng), axis=1)
        return np.round((1 - self.benchmark_weight) * ours + self.benchmark_weight * theirs)


class CivilianAndRest(RecentHistory):
    """Fatalities as two parts of the same drawn month: its civilian deaths with the civilian
    model's settings (killing of civilians persists) plus the rest, mostly combatants, with
    the fatalities settings (wars' battle deaths fall away with the horizon)."""

    def predict(self, history: pd.DataFrame, steps: Sequence[int]) -> DrawForecast:
        self.civilian_ = _wide(history, "civilian_deaths", self.window)
        return super().predict(history, steps)

    def _draws(self, wide, rng, step):
        total = wide.to_numpy()
        civilian = np.fmin(self.civilian_.reindex(wide.index).to_numpy(), total)
        part = RecentHistory("part", "civilian_deaths",
                             **RECENT_HISTORY_SETTINGS["civilian_deaths"])
        values = (part._capped(civilian) * part.scale * part.decay ** (step - 3)
                  + self._capped(total - civilian) * self.scale * self.decay ** (step - 3))
        out = _resample(values, self._weights(wide.shape[1], step), rng)
        noise = rng.normal(0.0, self.jitter, out.shape) * (out > 0)
        return np.round(np.maximum(np.expm1(np.log1p(out) + noise), 0.0))


class CivilianPlusRest:
    """Fatalities as the shipped civilian-deaths draws plus draws of the rest (fatalities
    less civilian deaths) from ``recent_history`` with the fatalities settings, paired at
    random: each part forecast on its own."""

    def __init__(self, name: str, target: str, seed: int = 0) -> None:
        self.name, self.target, self.seed = name, target, seed

    def params(self) -> dict[str, Any]:
        return {"seed": self.seed}

    def fit(self, history: pd.DataFrame) -> CivilianPlusRest:
        return self

    def predict(self, history: pd.DataFrame, steps: Sequence[int]) -> DrawForecast:
        history = history.assign(rest=(history["fatalities"]
                                       - history["civilian_deaths"]).clip(lower=0))
        civilian = RecentHistory("civilian", "civilian_deaths", seed=self.seed,
                                 **RECENT_HISTORY_SETTINGS["civilian_deaths"])
        rest = RecentHistory("rest", "rest", seed=self.seed + 1,
                             **RECENT_HISTORY_SETTINGS["fatalities"])
        a = civilian.fit(history).predict(history, steps)
        b = rest.fit(history).predict(history, steps)
        if not a.keys.equals(b.keys):
            raise ValueError("the two parts forecast different rows")
        return DrawForecast(self.name, self.target, a.keys, a.draws + b.draws)


class GrowingHalfLife(RecentHistory):
    """The half-life grows with the step, ``half_life + growth * (step - 3)``: a forecast
    further ahead leans on more of the country's own past (reverting towards its 36-month
    level rather than only falling towards calm)."""

    def __init__(self, name: str, target: str, growth: float, **settings: Any) -> None:
        super().__init__(name, target, **settings)
        self.growth = growth

    def _weights(self, months: int, step: int) -> np.ndarray:
        grown = RecentHistory("grown", self.target, window=self.window,
                              half_life=self.half_life + self.growth * (step - 3),
                              season=self.season)
        return grown._weights(months, step)


def _variant(cls: type[RecentHistory], **extra: float):
    return lambda target: cls("variant", target, **{**RECENT_HISTORY_SETTINGS[target], **extra})


def repeated_streams(panel: pd.DataFrame, name: str,
                     factory: Callable[[str, int], MonthlyModel], seeds: Sequence[int]
                     ) -> pd.DataFrame:
    """A variant against the shipped model over several random streams (both draw with each
    seed): a single stream's gain near two standard errors may be its luck."""
    grid: dict[str, Callable[[str], MonthlyModel]] = {
        "conflictology_country12": MONTHLY_MODELS["conflictology_country12"]}
    for seed in seeds:
        grid[f"shipped {seed}"] = lambda target, seed=seed: RecentHistory(
            "shipped", target, seed=seed, **RECENT_HISTORY_SETTINGS[target])
        grid[f"variant {seed}"] = lambda target, seed=seed: factory(target, seed)
    years = yearly_crps(panel, TARGET, grid)
    ratio = years.div(years["conflictology_country12"], axis=0)
    change = (ratio[[f"variant {s}" for s in seeds]].mean(axis=1)
              - ratio[[f"shipped {s}" for s in seeds]].mean(axis=1))
    return pd.DataFrame([{"model": name, "streams": len(seeds),
                          "vs_shipped": change.mean(),
                          "se": change.std(ddof=1) / np.sqrt(len(change)),
                          "better_years": int((change < 0).sum()),
                          "worse_years": int((change > 0).sum())}])


def main() -> None:
    settings = Settings(build_dir=Path(os.environ.get("ATRISK_BUILD_DIR", "build/bench")))
    build(settings)
    panel = known(read_table(settings, "country_month"))
    grid = {"conflictology_country12": MONTHLY_MODELS["conflictology_country12"],
            "shipped": MONTHLY_MODELS["recent_history"]}
    for half_life in (3.0, 12.0, 36.0):
        grid[f"events x deaths per event, half-life {half_life:g}"] = _variant(
            EventsTimesRatio, ratio_half_life=half_life)
    for weight in (0.2, 0.35, 0.5):
        grid[f"quantiles averaged with the benchmark's, weight {weight:g}"] = _variant(
            QuantileAverage, benchmark_weight=weight)
    grid["civilian and rest of the same month"] = _variant(CivilianAndRest)
    grid["civilian plus rest, forecast apart"] = lambda target: CivilianPlusRest(
        "variant", target)
    for growth in (0.5, 1.0):
        grid[f"half-life growing by {growth:g} a step"] = _variant(GrowingHalfLife,
                                                                   growth=growth)
    print(f"Tried for {TARGET} on 1995-2017 (CRPS ratio to conflictology_country12; "
          "vs_shipped is the change paired by year, se its standard error)\n")
    print(markdown(validation_table(panel, TARGET, grid).round(4)))
    print("\nThe one near two standard errors, over three more random streams:\n")
    print(markdown(repeated_streams(
        panel, "civilian plus rest, forecast apart",
        lambda target, seed: CivilianPlusRest("variant", target, seed=seed + 5),
        (10, 20, 30)).round(4)))


if __name__ == "__main__":
    main()
