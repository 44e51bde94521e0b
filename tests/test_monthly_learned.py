"""The learned monthly model (``quantile_boost``) and the mixture of draws: features that
never look past their month, a fit that learns only from months through its yearly cut-off,
quantiles read as draws, zeros for calm countries, and the mixture's share of draws."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from atrisk.models.monthly import N_DRAWS, ExactlyZero, LastHistorical
from atrisk.models.monthly_learned import FEATURES, LEVELS, QuantileBoost, path_features
from atrisk.models.monthly_mixture import Mixture


def _months(values: dict[str, list[float]], first: str = "2015-01") -> pd.DataFrame:
    rows = [(gw, iso, str(pd.Period(first, "M") + i), v, v / 2)
            for gw, (iso, series) in enumerate(values.items(), start=1)
            for i, v in enumerate(series)]
    return pd.DataFrame(rows, columns=["gwcode", "iso3", "month", "fatalities",
                                       "civilian_deaths"])


def _history(months: int = 96) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    wars = {f"W{i:02d}": list(rng.poisson(rng.gamma(1.0, 40.0), months).astype(float))
            for i in range(30)}
    return _months(wars | {"CALM": [0.0] * months})


def test_features_never_use_a_later_month() -> None:
    rng = np.random.default_rng(0)
    own = rng.poisson(0.7, (4, 60)).astype(float)  # some months without deaths
    other = rng.poisson(2.0, (4, 60)).astype(float)
    before = path_features(own, other)
    changed_own, changed_other = own.copy(), other.copy()
    changed_own[:, 40:] = 999.0
    changed_other[:, 40:] = 999.0
    after = path_features(changed_own, changed_other)
    assert set(before) == set(FEATURES[1:])
    for name in before:
        np.testing.assert_array_equal(before[name][:, :40], after[name][:, :40], name)
        assert not np.array_equal(before[name][:, 40:], after[name][:, 40:]), name


@pytest.mark.parametrize("how", ["mean", "max"])
def test_rolling_along_rows_is_pandas_rolling_of_each_row(how: str) -> None:
    """The features' rolling windows, computed in one pass, are pandas' per-column rolling
    to the last bit (unknown months, rows that start late, windows longer than a row)."""
    from atrisk.models.monthly_learned import rolling

    rng = np.random.default_rng(5)
    values = np.log1p(rng.poisson(rng.gamma(0.5, 30.0, (40, 1)), (40, 90)).astype(float))
    values[rng.random(values.shape) < 0.1] = np.nan
    values[3, :50] = np.nan
    values[4] = np.nan
    for months in (1, 3, 12, 36, 200):
        per_column = pd.DataFrame(values.T).rolling(months, min_periods=1)
        expected = (per_column.mean() if how == "mean" else per_column.max()).to_numpy().T
        np.testing.assert_array_equal(rolling(values, months, how), expected)


def test_months_since_the_last_death_count_from_the_latest() -> None:
    own = np.array([[0.0, 3.0, 0.0, 0.0, 1.0, 0.0]])
    since = path_features(own, own)["since"][0]
    assert list(since[1:]) == [0, 1, 2, 0, 1]


def test_the_fit_learns_only_from_months_through_the_last_december() -> None:
    history = _history()  # 2015-01 ... 2022-12
    through_october = history[history["month"] <= "2022-10"]
    through_december = history[history["month"] <= "2021-12"]
    a = QuantileBoost("q", "fatalities", rounds=5, refit_months=12).fit(through_october)
    b = QuantileBoost("q", "fatalities", rounds=5, refit_months=12).fit(through_december)
    assert a.boosters_ is b.boosters_  # the same training data: one fit, reused
    # a month after the cut-off changes the features of the forecast, not the fit
    changed = through_october.copy()
    changed.loc[changed["month"] == "2022-10", "fatalities"] = 10_000.0
    c = QuantileBoost("q", "fatalities", rounds=5, refit_months=12).fit(changed)
    assert c.boosters_ is a.boosters_
    assert c.predict(changed, [1]).draws.mean() > a.predict(through_october, [1]).draws.mean()
    # a month before it changes the fit
    earlier = through_october.copy()
    earlier.loc[earlier["month"] == "2021-06", "fatalities"] = 10_000.0
    assert QuantileBoost("q", "fatalities", rounds=5, refit_months=12).fit(earlier) \
        .boosters_ is not a.boosters_


def test_stored_fits_predict_as_the_fits_they_were_written_from(tmp_path, monkeypatch
                                                                ) -> None:
    """A fit kept on disk is read back (no refit) and predicts the same draws; data the fit
    learned from (either target) changes its key; the store keeps only the newest fits and
    removes what killed runs left half-written."""
    from atrisk.models import monthly_learned

    history = _history()
    model = QuantileBoost("q", "fatalities", rounds=5, refit_months=12)
    killed = tmp_path / "fatalities-2021-12-0.123.part"  # a killed run's half-written fit
    killed.write_text("half a model")
    os.utime(killed, (1, 1))
    with monthly_learned.stored_fits(tmp_path):
        fitted = model.fit(history)
        assert not killed.exists()
        draws = fitted.predict(history, [1, 2]).draws
        (stored,) = tmp_path.glob("*.txt")
        monthly_learned._FITS.clear()
        again = QuantileBoost("q", "fatalities", rounds=5, refit_months=12).fit(history)
        assert again.boosters_ is not fitted.boosters_  # read back from the file
        np.testing.assert_array_equal(again.predict(history, [1, 2]).draws, draws)
        other = history.copy()
        other.loc[other["month"] == "2021-06", "civilian_deaths"] += 1.0
        QuantileBoost("q", "fatalities", rounds=5, refit_months=12).fit(other)
        assert len(list(tmp_path.glob("*.txt"))) == 2
        monkeypatch.setattr(monthly_learned, "_KEEP_STORED", 1)
        QuantileBoost("q", "fatalities", rounds=6, refit_months=12).fit(history)
        assert len(list(tmp_path.glob("*.txt"))) == 1 and not stored.exists()
    monthly_learned._FITS.clear()
    QuantileBoost("q", "fatalities", rounds=5, refit_months=12).fit(history)
    assert len(list(tmp_path.glob("*.txt"))) == 1  # outside the block nothing is written


@pytest.mark.parametrize(("origin", "cutoff"), [
    ("2019-12", "2019-12"), ("2020-01", "2019-12"), ("2022-11", "2019-12"),
    ("2022-12", "2022-12"), ("2026-02", "2025-12")])
def test_the_shipped_model_refits_every_third_december(origin: str, cutoff: str) -> None:
    assert QuantileBoost("q", "fatalities").cutoff(pd.Period(origin, "M")) == \
        pd.Period(cutoff, "M")


def test_training_rows_pair_each_month_with_a_known_later_month() -> None:
    history = _months({"AAA": [1.0] * 24, "BBB": [0.0] * 24})
    model = QuantileBoost("q", "fatalities")
    _, _, values, feats = model._inputs(history)
    X, y = model._training_rows(feats, values)
    # AAA only (BBB never had a death): 24 - s rows for each step s = 1..12
    assert len(y) == sum(24 - s for s in range(1, 13))
    assert (X[:, 0] >= 1).all() and (X[:, 0] <= 12).all()
    np.testing.assert_allclose(y, np.log1p(1.0))


def test_draws_follow_the_fitted_quantiles_and_calm_countries_draw_zeros() -> None:
    history = _history()
    model = QuantileBoost("q", "fatalities", rounds=30).fit(history)
    fc = model.predict(history, [1, 6, 12])
    assert fc.draws.shape == (len(fc.keys), N_DRAWS)
    calm = fc.keys["iso3"].eq("CALM").to_numpy()
    assert calm.sum() == 3 and (fc.draws[calm] == 0).all()
    X = np.zeros((1, len(FEATURES)))
    X[0, 0] = 1.0
    X[0, 1:] = np.log1p(40.0)
    draws = model._quantile_draws(X)[0]
    assert (np.diff(draws) >= 0).all()  # read off a sorted quantile function
    quantiles = np.sort([b.predict(X)[0] for b in model.boosters_])
    assert draws.min() == pytest.approx(max(quantiles[0], 0.0))
    assert draws.max() == pytest.approx(quantiles[-1])
    assert len(LEVELS) == len(model.boosters_)


def test_any_share_of_the_draws_is_a_sample_of_the_whole_forecast() -> None:
    """A mixture takes draws by index, so no model may leave its draws in quantile order:
    a single month's draws (no paths to join) are shuffled, the same values in any order."""
    history = _history()
    model = QuantileBoost("q", "fatalities", rounds=30).fit(history)
    one = model.predict(history, [1])
    many = model.predict(history, [1, 2])
    first = (many.keys["step"] == 1).to_numpy()
    np.testing.assert_array_equal(np.sort(one.draws, axis=1), np.sort(many.draws[first], axis=1))
    war = one.keys["iso3"].eq("W00").to_numpy()
    upper = one.draws[war, 500:].mean()
    lower = one.draws[war, :500].mean()
    assert abs(upper - lower) < 0.25 * one.draws[war].std()  # halves alike, not low and high


def test_a_mixture_takes_its_share_of_draws_from_each_model() -> None:
    history = _months({"AAA": [7.0] * 24})
    mix = Mixture("m", "fatalities", LastHistorical("l", "fatalities"),
                  ExactlyZero("z", "fatalities"), share=0.3).fit(history)
    fc = mix.predict(history, [1, 2])
    assert (fc.draws[:, 300:] == 0).all()
    assert (fc.draws[:, :300] > 0).mean() > 0.99  # Poisson(7) draws
    assert mix.params()["share"] == 0.3
    with pytest.raises(ValueError, match="strictly between"):
        Mixture("m", "fatalities", ExactlyZero("z", "fatalities"),
                ExactlyZero("z", "fatalities"), share=1.0)


def test_a_mixture_keeps_the_first_models_draws_where_the_second_has_none() -> None:
    history = _months({"AAA": [7.0] * 24, "NEW": [np.nan] * 23 + [7.0]})
    history.loc[(history["iso3"] == "NEW") & (history["month"] < "2016-12"), "fatalities"] = \
        np.nan
    first = LastHistorical("l", "fatalities")

    class OnlyAAA(ExactlyZero):
        def predict(self, history, steps):
            return super().predict(history[history["iso3"] == "AAA"], steps)

    fc = Mixture("m", "fatalities", first, OnlyAAA("z", "fatalities")).fit(history) \
        .predict(history, [1])
    by = dict(zip(fc.keys["iso3"], fc.draws, strict=True))
    assert (by["AAA"][500:] == 0).all() and (by["NEW"][500:] > 0).mean() > 0.99
