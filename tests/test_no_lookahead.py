"""No look-ahead: features of year t are the same whether or not later data exist, and the
back-test never trains on a country-year after the last training year."""

from __future__ import annotations

import numpy as np
import pandas as pd

from atrisk.domain.horizon import structural_windows
from atrisk.evaluation.backtest import backtest
from atrisk.models.base import KEYS, Forecast
from atrisk.models.registry import ModelSpec
from atrisk.panels.country_year import FEATURES, derive_features

CUT = 2005


def test_features_do_not_change_when_later_years_are_removed(panel: pd.DataFrame) -> None:
    full = derive_features(panel).set_index(["gwcode", "year"]).sort_index()
    cut = derive_features(panel[panel["year"] <= CUT]).set_index(["gwcode", "year"]).sort_index()
    past = full.loc[cut.index]
    changed = [f for f in FEATURES if f != "year" and not np.allclose(
        past[f].to_numpy(dtype=float), cut[f].to_numpy(dtype=float), equal_nan=True)]
    assert changed == []


class _Spy:
    """A model that records the years it was trained on."""

    seen: list[tuple[int, int]] = []

    def __init__(self, target: str) -> None:
        self.name, self.target = "spy", target

    def fit(self, panel: pd.DataFrame) -> _Spy:
        self.max_year_ = int(panel["year"].max())
        return self

    def predict(self, panel: pd.DataFrame) -> Forecast:
        _Spy.seen.append((self.max_year_, int(panel["year"].max())))
        return Forecast("spy", panel[list(KEYS)], np.full(len(panel), 0.01))

    def contributions(self, panel: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(index=panel.index)


def test_backtest_trains_only_on_years_up_to_the_cutoff(panel: pd.DataFrame) -> None:
    _Spy.seen.clear()
    spec = ModelSpec("spy", "atrisk", "records training years", _Spy)
    out = backtest([spec], {"atrisk": panel}, panel, structural_windows(1995, 2000))
    # Each window once (the largest are fitted first, so no large fit runs alone at the end).
    assert sorted(_Spy.seen) == [(last, last + 2) for last in range(1995, 2001)]
    assert (out["data_year"] == out["last_train_year"] + 2).all()
    assert set(out.columns) >= {"ccode", "gwcode", "iso3", "data_year", "last_train_year",
                                "model", "probability", "onset_next2"}
