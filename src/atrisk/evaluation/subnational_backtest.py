"""The sub-national back-test: yearly origins (data through October of Y-1, forecasts for
January-December of Y), every cell (or region) of each country with a complete event
history, scored as ViEWS scores (CRPS, ignorance with its bins, MIS) against the benchmarks.
Years before ``VALIDATION_END`` are where settings are chosen; later years are the test.

Each model's units are also summed, draw by draw, to the country's total and scored beside
the national forecast: a sub-national forecast whose sum is worse than the national one would
be adding noise, not places.

Given the country-month panel (``countries``), the national forecast is the shipped national
model's (``monthly_registry.DEFAULT``, fitted on every country's months through the origin),
and ``national_shares`` (alone or as half of ``history_and_shares``) deals out its draws, as
the live forecast deals out the published national run's; without it, ``recent_history`` on
the country's own months (its units' sum)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from atrisk.domain.horizon import VIEWS_STEPS, monthly_windows
from atrisk.evaluation.monthly_metrics import crps, score_rows
from atrisk.models.monthly import RECENT_HISTORY_SETTINGS, RecentHistory
from atrisk.models.monthly_registry import DEFAULT, MONTHLY_MODELS
from atrisk.models.subnational import deal_out, national_history, unit_history
from atrisk.panels.subnational import UnitPanel

#: Settings are chosen on test years before this one; it and later years are the test.
VALIDATION_END = 2012
TARGETS = ("civilian_deaths", "fatalities")
#: The national forecast's name among the country totals' models.
NATIONAL = "national"


@dataclass(frozen=True)
class SubnationalBacktest:
    """Scores per unit-month (``scores``) and of each model's country totals (``totals``)."""

    scores: pd.DataFrame
    totals: pd.DataFrame


def run(panels: Sequence[UnitPanel], models: Mapping[str, Callable], first: int, last: int,
        targets: Sequence[str] = TARGETS,
        progress: Callable[[str], None] = lambda _: None,
        countries: pd.DataFrame | None = None) -> SubnationalBacktest:
    """Back-test ``models`` on every panel for test years ``first``..``last`` (each panel
    only up to the last year its history covers); ``countries``: see the module docstring."""
    scores, totals = [], []
    steps = list(VIEWS_STEPS)
    national = _National(countries, {panel.iso3 for panel in panels})
    for panel in panels:
        final = panel.table[panel.table["month"] <= panel.last_month]  # no Candidate months
        history = unit_history(final, panel.iso3)
        end = min(last, int(panel.last_month[:4]) - (not panel.last_month.endswith("-12")))
        truth = history.set_index(["gwcode", "month"])
        country = national_history(history).set_index("month")
        progress(f"{panel.iso3} {panel.level}: {first}-{end}, {len(models)} models")
        for window in monthly_windows(first, end):
            past = history[history["month"] <= window.last_data_month]
            months = [str(pd.Period(window.last_data_month, "M") + s) for s in steps]
            for target in targets:
                total = country[target].reindex(months).to_numpy(dtype=float)
                draws = national.draws(panel.iso3, past, target, steps)
                totals.append(_total_rows(panel, target, NATIONAL, window.test_year, months,
                                          total, draws))
                for name, factory in models.items():
                    fc = deal_out(factory(target).fit(past), past, steps, draws)
                    keys = pd.MultiIndex.from_frame(fc.keys[["gwcode", "month"]])
                    actual = truth[target].reindex(keys).to_numpy(dtype=float)
                    scores.append(pd.concat([fc.keys.assign(
                        level=panel.level, target=target, model=name,
                        test_year=window.test_year, actual=actual),
                        score_rows(actual, fc.draws)], axis=1))
                    summed = pd.DataFrame(fc.draws).groupby(fc.keys["step"].to_numpy()).sum()
                    totals.append(_total_rows(panel, target, name, window.test_year, months,
                                              total, summed.reindex(steps).to_numpy()))
    return SubnationalBacktest(pd.concat(scores, ignore_index=True),
                               pd.concat(totals, ignore_index=True))


class _National:
    """The national forecast's draws (steps x draws) of a country from a unit history's
    origin: the shipped model's on every country's months, each origin and target forecast
    once for all countries, or ``recent_history`` on the units' sum."""

    def __init__(self, countries: pd.DataFrame | None, kept: set[str]) -> None:
        self.countries = countries
        self.kept = kept  # the countries whose draws are kept (all would fill the memory)
        self.made: dict[tuple[str, str], pd.DataFrame] = {}

    def draws(self, iso3: str, past: pd.DataFrame, target: str, steps: list[int]
              ) -> np.ndarray:
        origin = str(past["month"].max())
        if self.countries is None:
            own = national_history(past)
            model = RecentHistory("recent_history", target, **RECENT_HISTORY_SETTINGS[target])
            return model.fit(own).predict(own, steps).draws
        if (origin, target) not in self.made:
            every = self.countries[self.countries["month"] <= origin]
            fc = MONTHLY_MODELS[DEFAULT](target).fit(every).predict(every, steps)
            keep = fc.keys["iso3"].isin(self.kept).to_numpy()
            self.made[origin, target] = pd.DataFrame(
                fc.draws[keep], index=pd.MultiIndex.from_frame(fc.keys.loc[keep,
                                                                           ["iso3", "step"]]))
        made = self.made[origin, target]
        if iso3 not in made.index.get_level_values("iso3"):
            raise ValueError(f"the national model has no forecast for {iso3} from {origin}")
        return made.loc[iso3].reindex(steps).to_numpy()


def _total_rows(panel: UnitPanel, target: str, model: str, year: int, months: list[str],
                actual: np.ndarray, draws: np.ndarray) -> pd.DataFrame:
    """The CRPS of a model's country totals (months x draws) in one test year."""
    return pd.DataFrame({"iso3": panel.iso3, "level": panel.level, "target": target,
                         "model": model, "test_year": year, "month": months,
                         "actual": actual,
                         "crps": crps(actual, np.sort(draws, axis=1), ordered=True)})


def period(test_year: pd.Series) -> pd.Series:
    return np.where(test_year < VALIDATION_END, "validation", "test")


def summary(result: SubnationalBacktest) -> pd.DataFrame:
    """Mean CRPS, ignorance and MIS by country, level, target, period and model, with each
    model's CRPS relative to every benchmark's."""
    scored = result.scores.assign(period=period(result.scores["test_year"]))
    keys = ["iso3", "level", "target", "period", "model"]
    table = scored.groupby(keys, as_index=False)[["crps", "ign", "mis"]].mean()
    return table.assign(rows=scored.groupby(keys).size().to_numpy())


def totals_summary(result: SubnationalBacktest) -> pd.DataFrame:
    """Mean CRPS of the country totals by country, level, target, period and model."""
    totals = result.totals.assign(period=period(result.totals["test_year"]))
    return totals.groupby(["iso3", "level", "target", "period", "model"],
                          as_index=False)["crps"].mean()

