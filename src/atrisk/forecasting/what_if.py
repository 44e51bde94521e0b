"""What-if scenarios: the published structural model's risk for a country whose inputs are
changed, with its 80% interval and rank range from the same bootstrap refits.

A run keeps what a scenario needs beside its forecast (``save``): the fitted 2-year model,
its bootstrap refits, the data year's rows and each input's range in the training years. A
scenario changes one or more inputs of one country (a preset in plain words tied to the UN
Framework of Analysis for Atrocity Crimes, or any predictor directly), keeps the other
countries as they are, and says where the country would stand. Values outside the range seen
in training are refused: the model has never learned what they do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from scipy.special import expit, logit

from atrisk.domain.errors import ConfigError, NotFoundError
from atrisk.domain.fields import optional_float, optional_int
from atrisk.forecasting.rank_certainty import rank_certainty
from atrisk.models.base import StructuralModel
from atrisk.panels.labels import label

FILE = "what_if.joblib"
EPS = 1e-6


@dataclass(frozen=True)
class Scenario:
    """What a run keeps for scenarios."""

    model: StructuralModel
    refits: Sequence[StructuralModel]
    #: The data year's rows (one per country, ``gwcode`` and ``iso3`` among them).
    current: pd.DataFrame
    #: Each input's smallest and largest value in the training years.
    ranges: pd.DataFrame
    features: tuple[str, ...]


@dataclass(frozen=True)
class Preset:
    title: str
    #: The UN Framework of Analysis's risk factor it speaks to.
    factor: str
    changes: Callable[[pd.Series, pd.DataFrame], dict[str, float]]


@dataclass(frozen=True)
class Change:
    feature: str
    label: str
    before: float | None
    after: float


@dataclass(frozen=True)
class Outcome:
    iso3: str
    changes: tuple[Change, ...]
    risk_before: float
    risk: float
    low_80: float | None
    high_80: float | None
    rank_before: int
    rank: int
    rank_low: int | None
    rank_high: int | None
    presets: tuple[str, ...] = field(default=())

    def sentence(self) -> str:
        what = "; ".join(f"{c.label} {_value(c.before)} → {_value(c.after)}"
                         for c in self.changes)
        interval = ("" if self.low_80 is None or self.high_80 is None else
                    f" (80% interval {100 * self.low_80:.1f}–{100 * self.high_80:.1f}%)")
        return (f"If {what}: risk {100 * self.risk_before:.1f}% → {100 * self.risk:.1f}%"
                f"{interval}, rank {self.rank_before} → {self.rank}.")


def _deaths(column: str, deaths: float) -> Callable[[pd.Series, pd.DataFrame], dict[str, float]]:
    """A year's deaths of one kind raised to at least ``deaths``, with its 3-year sum and its
    change from last year moved alike (they are made from the same counts)."""
    def changes(row: pd.Series, _: pd.DataFrame) -> dict[str, float]:
        old = float(row.get(f"{column}_log2", 0.0) or 0.0)
        new = max(old, float(np.log2(1 + deaths)))
        added = (2**new - 1) - (2**old - 1)
        out = {f"{column}_log2": new}
        if f"{column}_log2_3yr" in row.index and pd.notna(row[f"{column}_log2_3yr"]):
            out[f"{column}_log2_3yr"] = float(np.log2(2 ** row[f"{column}_log2_3yr"] + added))
        if f"{column}_log2_change" in row.index and pd.notna(row[f"{column}_log2_change"]):
            out[f"{column}_log2_change"] = float(row[f"{column}_log2_change"]) + new - old
        return out
    return changes


def _battle(row: pd.Series, rows: pd.DataFrame) -> dict[str, float]:
    out = _deaths("ucdp_sb_deaths", 1000)(row, rows)
    out["battledeaths_log2"] = max(float(row.get("battledeaths_log2", 0.0) or 0.0),
                                   float(np.log2(1001)))
    return out


PRESETS: dict[str, Preset] = {
    "coup_attempt": Preset(
        "a coup attempt this year", "Risk factor 2: record of serious violations; "
        "risk factor 1: situations of armed conflict or other forms of instability",
        lambda row, _: {"coup_attempt": max(float(row["coup_attempt"]), 1.0),
                        "coup_try_5yr": max(float(row["coup_try_5yr"]), 1.0)}),
    "battle_deaths_1000": Preset(
        "armed conflict reaches 1,000 battle deaths", "Risk factor 1: situations of armed "
        "conflict or other forms of instability", _battle),
    "movement_bottom_10": Preset(
        "freedom of movement falls to the level of the bottom 10% of countries",
        "Risk factor 2: record of serious violations of human rights",
        lambda row, rows: {"v2xcl_dmove": min(float(row["v2xcl_dmove"]),
                                              float(rows["v2xcl_dmove"].quantile(0.1)))}),
    "neighbour_mass_killing": Preset(
        "a mass killing is under way in a neighbour", "Risk factor 8: triggering factors; "
        "risk factor 1: instability in the region",
        lambda row, _: {"nb_mk_ongoing": max(float(row["nb_mk_ongoing"]), 1.0)}),
    "one_sided_100": Preset(
        "armed groups or the state kill 100 civilians in one-sided violence this year",
        "Risk factor 2: record of serious violations; risk factor 7: enabling circumstances",
        _deaths("ucdp_os_deaths", 100)),
}


def save(path: Path, scenario: Scenario) -> None:
    joblib.dump(scenario, path / FILE, compress=3)


@lru_cache(maxsize=4)
def load(path: Path) -> Scenario:
    """A run's scenario kit (read once per run and process)."""
    file = path / FILE
    if not file.is_file():
        raise NotFoundError(f"run {path.name} was made without what-if data: publish a new "
                            "structural forecast")
    loaded = joblib.load(file)
    if not isinstance(loaded, Scenario):
        raise NotFoundError(f"{file} is not a what-if file")
    return loaded


def run(kit: Scenario, iso3: str, presets: Sequence[str] = (),
        inputs: Mapping[str, float] | None = None) -> Outcome:
    """The country's risk, interval, rank and rank range with the presets' and ``inputs``'
    changes applied (``inputs`` last, so a direct value wins)."""
    rows = kit.current.reset_index(drop=True)
    found = rows.index[rows["iso3"] == iso3.upper()]
    if len(found) == 0:
        raise NotFoundError(f"no forecast for {iso3!r} in this run")
    i = int(found[0])
    row = rows.loc[i]
    wanted: dict[str, float] = {}
    for key in presets:
        if key not in PRESETS:
            raise ConfigError(f"unknown scenario {key!r}; choose from {sorted(PRESETS)}")
        try:
            wanted.update(PRESETS[key].changes(row, rows))
        except KeyError as missing:
            raise ConfigError(f"the scenario {PRESETS[key].title!r} needs {missing}, which "
                              "the published model's data do not have") from None
    wanted.update({feature: float(value) for feature, value in (inputs or {}).items()})
    unknown = sorted(set(wanted) - set(kit.features))
    if unknown:
        raise ConfigError(f"not inputs of the published model: {', '.join(unknown)}")
    if not wanted:
        raise ConfigError("a scenario changes at least one input (a preset or an input value)")
    for feature, value in wanted.items():
        low, high = kit.ranges.loc[feature, "low"], kit.ranges.loc[feature, "high"]
        if not np.isfinite(value) or not low <= value <= high:
            raise ConfigError(f"{label(feature)} ({feature}) = {value:g} is outside the range "
                              f"seen in training ({low:g} to {high:g}): the model has never "
                              "learned what it does")
    changed = rows.copy()
    for feature, value in wanted.items():
        changed.loc[i, feature] = value
    base, after = _risks(kit.model, rows), _risks(kit.model, changed)
    draws_after = _draws(kit, changed, after)
    log_odds = logit(draws_after.loc[i].clip(EPS, 1 - EPS)) if draws_after.shape[1] else None
    certainty = rank_certainty(draws_after)
    return Outcome(
        iso3=str(row["iso3"]),
        changes=tuple(Change(f, label(f), optional_float(row.get(f)), v)
                      for f, v in wanted.items()),
        risk_before=float(base[i]), risk=float(after[i]),
        low_80=None if log_odds is None else float(expit(log_odds.quantile(0.1))),
        high_80=None if log_odds is None else float(expit(log_odds.quantile(0.9))),
        rank_before=_rank(base, i), rank=_rank(after, i),
        rank_low=optional_int(certainty.loc[i, "rank_low"]),
        rank_high=optional_int(certainty.loc[i, "rank_high"]),
        presets=tuple(presets))


def _risks(model: StructuralModel, rows: pd.DataFrame) -> np.ndarray:
    forecast = model.predict(rows)
    return forecast.to_frame().set_index("gwcode")["probability"].reindex(
        rows["gwcode"]).to_numpy()


def _draws(kit: Scenario, rows: pd.DataFrame, point: np.ndarray) -> pd.DataFrame:
    """The refits' risks placed around ``point``, as the published interval places them."""
    if len(kit.refits) < 2:
        return pd.DataFrame(index=rows.index)
    z = logit(np.column_stack([_risks(m, rows) for m in kit.refits]).clip(EPS, 1 - EPS))
    centre = logit(np.clip(point, EPS, 1 - EPS))
    return pd.DataFrame(expit(z - np.median(z, axis=1, keepdims=True) + centre[:, None]),
                        index=rows.index)


def _rank(risks: np.ndarray, i: int) -> int:
    return int(np.sum(risks > risks[i])) + 1


def _value(value: float | None) -> str:
    return "missing" if value is None else f"{value:.3g}"
