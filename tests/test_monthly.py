"""Monthly panel, benchmark definitions, metrics by hand, the model contract and the
no-look-ahead rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atrisk.domain.horizon import MonthlyWindow, monthly_windows, rolling_origins
from atrisk.evaluation.monthly_backtest import run
from atrisk.evaluation.monthly_metrics import crps, ignorance, interval_score, score_rows
from atrisk.models.monthly import (
    N_DRAWS,
    Conflictology,
    DrawForecast,
    ExactlyZero,
    GlobalBootstrap,
    LastHistorical,
    MonthlyModel,
    NegBinHistory,
    RecentHistory,
    as_paths,
)
from atrisk.models.monthly_registry import MONTHLY_MODELS
from atrisk.panels.country_month import reconcile


@pytest.fixture(scope="module")
def monthly(built) -> pd.DataFrame:
    from atrisk.panels.build import read_table

    return read_table(built, "country_month")


def test_every_country_in_every_month_of_its_existence(monthly, built) -> None:
    from atrisk.panels.build import read_table

    assert not monthly.duplicated(["gwcode", "month"]).any()
    counts = monthly.groupby("gwcode")["month"].agg(["min", "max", "size"])
    spans = counts.apply(lambda r: len(pd.period_range(r["min"], r["max"], freq="M")), axis=1)
    assert (spans == counts["size"]).all()  # no gaps
    assert counts.loc[626, "min"] == "2011-07"  # South Sudan from independence
    assert counts.loc[2, "min"] == "1989-01" and counts.loc[2, "max"] == "2026-02"
    countries = read_table(built, "countries")
    alive = countries[countries["last_year"] >= 2023]["gwcode"]
    assert set(alive) <= set(monthly.loc[monthly["month"] == "2023-12", "gwcode"])
    rwa = monthly[(monthly["iso3"] == "RWA") & (monthly["month"] == "1994-04")].iloc[0]
    assert rwa["civilian_deaths"] == 740098
    assert monthly["civilian_deaths"].dropna().ge(0).all()  # missing: unknown (Niger)


HISTORY = pd.DataFrame({
    "gwcode": [1] * 14 + [2] * 14,
    "iso3": ["AAA"] * 14 + ["BBB"] * 14,
    "month": [str(pd.Period("2020-01", "M") + i) for i in range(14)] * 2,
    "civilian_deaths": [0.0] * 2 + list(range(1, 13)) + [0.0] * 13 + [50.0],
})


def test_exactly_zero() -> None:
    fc = ExactlyZero("z", "civilian_deaths").fit(HISTORY).predict(HISTORY, [3, 4])
    assert fc.draws.shape == (4, N_DRAWS) and not fc.draws.any()
    assert list(fc.keys["month"]) == ["2021-05", "2021-05", "2021-06", "2021-06"]


def test_last_historical_is_poisson_around_the_last_month() -> None:
    fc = LastHistorical("l", "civilian_deaths").fit(HISTORY).predict(HISTORY, [3])
    by = dict(zip(fc.keys["iso3"], fc.draws, strict=True))
    assert by["AAA"].mean() == pytest.approx(12, rel=0.1)
    assert by["BBB"].mean() == pytest.approx(50, rel=0.1)
    assert by["BBB"].var() == pytest.approx(50, rel=0.25)  # Poisson: variance = mean


def test_conflictology_draws_only_the_last_12_months() -> None:
    fc = Conflictology("c", "civilian_deaths", 12).fit(HISTORY).predict(HISTORY, [3])
    by = dict(zip(fc.keys["iso3"], fc.draws, strict=True))
    assert set(np.unique(by["AAA"])) == set(map(float, range(1, 13)))  # months 3-14
    assert set(np.unique(by["BBB"])) == {0.0, 50.0}
    assert (by["BBB"] == 50).mean() == pytest.approx(1 / 12, abs=0.03)


def test_negative_binomial_has_the_last_12_months_mean_and_variance() -> None:
    """AAA's last 12 months (1..12: mean 6.5, variance 13) are over-dispersed: negative
    binomial draws with that mean and variance; BBB's (eleven 0s and a 50) too; a country
    whose last 12 months were calm draws zeros, and one whose months vary less than a
    Poisson's draws a Poisson."""
    history = pd.concat([HISTORY, pd.DataFrame({
        "gwcode": [3] * 14 + [4] * 14, "iso3": ["CCC"] * 14 + ["DDD"] * 14,
        "month": [str(pd.Period("2020-01", "M") + i) for i in range(14)] * 2,
        "civilian_deaths": [0.0] * 14 + [5.0, 6.0] * 7})], ignore_index=True)
    model = NegBinHistory("n", "civilian_deaths").fit(history)
    fc = model.predict(history, [3, 4])
    assert fc.draws.shape == (8, N_DRAWS) and (fc.draws == np.round(fc.draws)).all()
    by = dict(zip(fc.keys["iso3"] + fc.keys["month"], fc.draws, strict=True))
    aaa = by["AAA2021-05"]
    assert aaa.mean() == pytest.approx(6.5, rel=0.1)
    assert aaa.var(ddof=1) == pytest.approx(13.0, rel=0.25)
    bbb = by["BBB2021-05"]
    assert bbb.mean() == pytest.approx(50 / 12, rel=0.2) and (bbb == 0).mean() > 0.5
    assert not by["CCC2021-05"].any()
    ddd = by["DDD2021-05"]  # mean 5.5, variance 0.27 < mean
    assert ddd.mean() == pytest.approx(5.5, rel=0.1)
    assert ddd.var() == pytest.approx(5.5, rel=0.25)
    assert not np.array_equal(aaa, by["AAA2021-06"])  # months drawn independently


def test_the_negative_binomial_mixture_takes_45_45_10() -> None:
    model = MONTHLY_MODELS["history_learned_negbin"]("fatalities")
    params = model.params()
    assert params["share"] == 0.45 and params["history_and_negbin"]["share"] == 0.9
    assert {type(model.first).__name__, type(model.second.first).__name__,
            type(model.second.second).__name__} == {"QuantileBoost", "RecentHistory",
                                                     "NegBinHistory"}


def test_bootstrap_draws_from_the_global_pool() -> None:
    fc = GlobalBootstrap("b", "civilian_deaths", 240).fit(HISTORY).predict(HISTORY, [3])
    pool = set(HISTORY["civilian_deaths"])
    assert set(np.unique(fc.draws)) <= pool
    assert fc.draws[0].mean() == pytest.approx(fc.draws[1].mean(), rel=0.2)  # same for all


@pytest.mark.parametrize("name", sorted(MONTHLY_MODELS))
def test_monthly_model_contract(name: str, monthly) -> None:
    model = MONTHLY_MODELS[name]("civilian_deaths")
    assert isinstance(model, MonthlyModel)
    history = monthly[monthly["month"].between("2014-01", "2022-10")]  # learned: a quick fit
    fc = model.fit(history).predict(history, range(3, 15))
    assert isinstance(fc, DrawForecast)
    assert fc.draws.shape == (len(fc.keys), N_DRAWS)
    assert set(fc.keys["month"]) == {str(pd.Period("2023-01", "M") + i) for i in range(12)}
    assert (fc.draws >= 0).all()


def test_no_look_ahead_in_the_backtest(monthly) -> None:
    seen: list[tuple[str, str]] = []

    class Spy(ExactlyZero):
        def fit(self, history):
            seen.append((str(history["month"].max()), self.target))
            return super().fit(history)

    scored = run(monthly, {"spy": lambda t: Spy("spy", t)}, ["fatalities"],
                 monthly_windows(2019, 2020))
    assert seen == [("2018-10", "fatalities"), ("2019-10", "fatalities")]
    # steps 1-14: November and December before each test year, then January-December
    assert set(scored["step"]) == set(range(1, 15))
    assert sorted(set(scored["month"]))[:2] == ["2018-11", "2018-12"]
    assert set(scored.loc[scored["step"] >= 3, "month"].str[:4]) == {"2019", "2020"}
    assert MonthlyWindow(2019).steps == tuple(range(1, 15))


def test_rolling_origins_cover_every_month_and_never_reach_past_the_last() -> None:
    origins = rolling_origins()
    assert len(origins) == 84  # 2017-12 ... 2024-11
    assert (origins[0].last_data_month, origins[-1].last_data_month) == ("2017-12", "2024-11")
    assert origins[0].steps == tuple(range(1, 13)) and origins[-1].steps == (1,)
    months = {str(pd.Period(o.last_data_month, "M") + s) for o in origins for s in o.steps}
    assert min(months) == "2018-01" and max(months) == "2024-12" and len(months) == 84
    with pytest.raises(ValueError, match="need actuals after them"):
        rolling_origins("2020-01", "2024-12", "2024-12")


def test_no_look_ahead_in_the_rolling_backtest(monthly, tmp_path) -> None:
    """Each origin fits on months up to it only, and its draws are the same whatever
    happened after it: every month after 2022-10 is replaced, and origin 2022-10's draws
    are compared draw by draw (later origins, which saw the replaced months, differ)."""
    seen: list[str] = []

    class Spy(RecentHistory):
        def fit(self, history):
            seen.append(str(history["month"].max()))
            return super().fit(history)

    origins = rolling_origins("2022-10", "2022-12", "2023-02")
    later = monthly["month"] > "2022-10"
    panels = {"as is": monthly,
              "future replaced": monthly.assign(fatalities=monthly["fatalities"].where(
                  ~later, 5000.0))}
    draws = {}
    for label, panel in panels.items():
        seen.clear()
        out = tmp_path / f"{label.replace(' ', '_')}.parquet"
        scored = run(panel, {"spy": lambda t: Spy("spy", t)}, ["fatalities"], origins,
                     draws_out=out)
        assert seen == ["2022-10", "2022-11", "2022-12"]
        assert scored.groupby("last_data_month")["step"].max().to_dict() == {
            "2022-10": 4, "2022-11": 3, "2022-12": 2}  # never past the last month
        draws[label] = pd.read_parquet(out)
    first = {k: v[v["last_data_month"] == "2022-10"].reset_index(drop=True)
             for k, v in draws.items()}
    pd.testing.assert_series_equal(first["as is"]["value"], first["future replaced"]["value"])
    assert (first["future replaced"]["actual"] == 5000.0).all()  # the truth did change
    later_draws = {k: v[v["last_data_month"] == "2022-12"]["value"].to_numpy()
                   for k, v in draws.items()}
    assert not np.array_equal(later_draws["as is"], later_draws["future replaced"])


def test_targets_side_by_side_score_as_one_process(monthly) -> None:
    """``jobs=2`` (a process per target, steps relayed to the parent) gives the very rows of
    one process, in the same order."""
    origins = rolling_origins("2022-10", "2022-12", "2023-02")
    history = monthly[monthly["status"].isin(["final", "provisional"])]
    models = {name: MONTHLY_MODELS[name] for name in ("recent_history", "negbin12")}
    said: dict[int, list[str]] = {1: [], 2: []}
    scored = {jobs: run(history, models, ["civilian_deaths", "fatalities"], origins,
                        progress=said[jobs].append, jobs=jobs) for jobs in (1, 2)}
    pd.testing.assert_frame_equal(scored[1], scored[2])
    assert sorted(said[1]) == sorted(said[2]) and len(said[2]) == 3 * 2 * 2


def test_crps_by_hand() -> None:
    # Draws {0, 1, 2}, actual 1: E|X-y| = 2/3, E|X-X'|/2 = 4/9 -> CRPS = 2/9.
    draws = np.tile([0.0, 1.0, 2.0], (1, 1))
    assert crps(np.array([1.0]), draws)[0] == pytest.approx(2 / 9)
    assert crps(np.array([0.0]), np.zeros((1, 5)))[0] == pytest.approx(0.0)


def test_ignorance_by_hand() -> None:
    # 8 draws of 0 and 2 of 30: bin 0 has 8 + 1 pseudo-count out of 10 + 11.
    draws = np.array([[0.0] * 8 + [30.0] * 2])
    assert ignorance(np.array([0.0]), draws)[0] == pytest.approx(-np.log2(9 / 21))
    assert ignorance(np.array([28.0]), draws)[0] == pytest.approx(-np.log2(3 / 21))
    assert ignorance(np.array([5000.0]), draws)[0] == pytest.approx(-np.log2(1 / 21))


def test_interval_score_by_hand() -> None:
    draws = np.linspace(0, 100, 1001)[None, :]  # 5% = 5, 95% = 95
    assert interval_score(np.array([50.0]), draws)[0] == pytest.approx(90)
    assert interval_score(np.array([105.0]), draws)[0] == pytest.approx(90 + 20 * 10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_intervals_read_from_sorted_draws_are_numpys(dtype: type) -> None:
    """The scores read each row's quantiles from its sorted draws instead of searching for
    them: the same numbers as ``np.quantile``, to the last bit, for every interval scored."""
    from atrisk.evaluation.monthly_metrics import central_interval

    rng = np.random.default_rng(3)
    for draws in (np.round(rng.lognormal(2, 2, (2000, 1000))), rng.normal(size=(300, 7))):
        ordered = np.sort(draws.astype(dtype), axis=1)
        for alpha in (0.02, 0.1, 0.2, 0.5, 0.0, 1.0):
            expected = central_interval(ordered, alpha)
            got = central_interval(ordered, alpha, ordered=True)
            for e, g in zip(expected, got, strict=True):
                assert e.dtype == g.dtype
                np.testing.assert_array_equal(e, g)


def test_brier_of_thresholds() -> None:
    draws = np.array([[0.0] * 750 + [30.0] * 250])
    s = score_rows(np.array([30.0]), draws).iloc[0]
    assert s["brier_1"] == pytest.approx(0.75 ** 2)
    assert s["brier_25"] == pytest.approx(0.75 ** 2)
    assert s["brier_100"] == pytest.approx(0.0)


def test_coverage_by_hand() -> None:
    from atrisk.evaluation.monthly_metrics import coverage

    draws = np.linspace(0, 100, 1001)[None, :].repeat(3, axis=0)
    assert coverage(np.array([50.0, 4.0, 96.0]), draws).tolist() == [1.0, 0.0, 0.0]


def test_interval_calibration_by_hand() -> None:
    """Draws 0..99: the central 50% interval is [24.75, 74.25], the 98% one [0.99, 98.01].
    An actual of 50 is inside every interval; 90 only inside the 90% and 98% ones."""
    from atrisk.evaluation.monthly_metrics import interval_calibration

    draws = np.tile(np.arange(100.0), (2, 1))
    draws = np.repeat(draws, 10, axis=1)  # 1,000 draws
    scored = score_rows(np.array([50.0, 90.0]), draws).assign(target="t", model="m")
    table = interval_calibration(scored, ["target", "model"]).set_index("level")
    assert table["observed"].to_dict() == {0.5: 0.5, 0.8: 0.5, 0.9: 1.0, 0.98: 1.0}
    assert set(table["months"]) == {2}


def test_pit_tails_by_hand() -> None:
    from atrisk.evaluation.monthly_metrics import pit_tails

    # Draws 0, 0, 1, 2: P(X < y) and P(X <= y) are 0 and 0.5 for y = 0 (PIT uniform on
    # [0, 0.5], a tenth of it below 0.05); 0.5 and 0.75 for y = 1; 0.75 and 1 for y = 2 (a
    # fifth above 0.95); 1 and 1 for y = 5 (all of it above 0.95).
    draws = np.array([[0.0] * 250 + [1.0] * 250 + [2.0] * 250 + [0.0] * 250])
    below, above = pit_tails(np.array([0.0, 1.0, 2.0, 5.0]), draws.repeat(4, axis=0))
    assert below == pytest.approx([0.1, 0.0, 0.0, 0.0])
    assert above == pytest.approx([0.0, 0.0, 0.2, 1.0])


def test_pit_tails_tell_calibrated_from_too_low() -> None:
    from atrisk.evaluation.monthly_metrics import pit_tails

    rng = np.random.default_rng(0)
    mean = rng.gamma(0.3, 20.0, 4000)  # mostly calm, some violent months
    actual = rng.poisson(mean).astype(float)
    right = rng.poisson(mean[:, None], (4000, 1000)).astype(float)
    below, above = pit_tails(actual, right)
    assert below.mean() == pytest.approx(0.05, abs=0.01)
    assert above.mean() == pytest.approx(0.05, abs=0.01)
    low = rng.poisson(0.5 * mean[:, None], (4000, 1000)).astype(float)  # too low
    assert pit_tails(actual, low)[1].mean() > 0.15


def _scored(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["iso3", "month", "model", "crps"]).assign(
        target="fatalities", last_data_month="2022-10")


def test_change_interval_pairs_the_models_and_resamples_whole_countries() -> None:
    from atrisk.evaluation.monthly_backtest import changes
    from atrisk.evaluation.monthly_metrics import change_interval

    # Country A: the model's CRPS is half the benchmark's over three months (-50%); in B's
    # one month it is 15 against 10 (+50%). Pooled, 5 + 15 = 20 against 20: no change. Resampling
    # countries gives AA (-0.5), AB or BA (0) and BB (+0.5), so the 95% interval is the two
    # countries' own changes. Resampling months instead would rarely draw B's only month
    # four times (1 in 256), and its upper end would be well below +0.5.
    rows = [(iso, m, model, v) for iso, months, ref, ours in
            [("AAA", ["2023-01", "2023-02", "2023-03"], 10 / 3, 5 / 3),
             ("BBB", ["2023-01"], 10.0, 15.0)]
            for m in months for model, v in [("ref", ref), ("ours", ours)]]
    rows.append(("CCC", "2023-01", "ours", 1000.0))  # only one model scored it: left out
    out = change_interval(_scored(rows), "ours", "ref", n_resamples=20000).iloc[0]
    assert out["countries"] == 2
    assert out["change"] == pytest.approx(0.0)
    assert out["low"] == pytest.approx(-0.5) and out["high"] == pytest.approx(0.5)

    # 10% lower in every country, whatever its size: every resample says -10% when the
    # scores are paired (drawn unpaired, the ratio would swing with which countries came).
    rng = np.random.default_rng(1)
    ref = rng.gamma(0.5, 100.0, 40)
    rows = [(f"C{i:02d}", "2023-01", model, v) for i, r in enumerate(ref)
            for model, v in [("ref", r), ("ours", 0.9 * r)]]
    out = change_interval(_scored(rows), "ours", "ref").iloc[0]
    assert (out["change"], out["low"], out["high"]) == pytest.approx((-0.1, -0.1, -0.1))
    table = changes(_scored(rows), reference="ref")
    assert list(table["model"]) == ["ours"] and table["change"].iloc[0] == pytest.approx(-0.1)
    assert changes(_scored(rows), reference="absent").empty


def _months(values: dict[str, list[float]], first: str = "2020-01") -> pd.DataFrame:
    rows = [(gw, iso, str(pd.Period(first, "M") + i), v)
            for gw, (iso, series) in enumerate(values.items(), start=1)
            for i, v in enumerate(series)]
    return pd.DataFrame(rows, columns=["gwcode", "iso3", "month", "fatalities"])


def test_recent_history_caps_a_one_off_spike_but_not_a_new_war() -> None:
    quiet = [10.0] * 36
    spike = quiet.copy()
    spike[30] = 10_000.0  # one month, five months before the origin
    history = _months({"SPK": spike, "WAR": [10.0] * 33 + [5000.0] * 3,
                       "NEW": [10.0] * 35 + [5000.0]})
    model = RecentHistory("r", "fatalities", jitter=0.0, season=0.0)
    fc = model.fit(history).predict(history, [3])
    by = dict(zip(fc.keys["iso3"], fc.draws, strict=True))
    assert by["SPK"].max() == round(10 * 10 * 0.85)  # capped at 10 x the typical 10
    assert (by["SPK"] == 85).mean() == pytest.approx(0.5 ** (5 / 3) / sum(
        0.5 ** (k / 3) for k in range(36)), abs=0.03)
    assert by["WAR"].max() == 4250  # three months at the new level are its level
    assert by["NEW"].max() == 4250  # the latest month is never capped
    uncapped = RecentHistory("r", "fatalities", jitter=0.0, season=0.0, cap=None)
    assert uncapped.fit(history).predict(history, [3]).draws[0].max() == 8500


def test_recent_history_decays_with_the_horizon_as_set_per_target() -> None:
    history = _months({"AAA": [100.0] * 36})
    model = RecentHistory("r", "fatalities", scale=1.05, decay=0.96, jitter=0.0, season=0.0)
    fc = model.fit(history).predict(history, [1, 3, 14])
    # steps 1-2 hold step 3's multiplier: the decay is not extrapolated back above it
    assert list(fc.draws.max(axis=1)) == [105, 105, round(105 * 0.96**11)]
    assert (fc.draws.min(axis=1) == fc.draws.max(axis=1)).all()
    back = RecentHistory("r", "fatalities", scale=1.05, decay=0.96, jitter=0.0, season=0.0,
                         first_decay_step=1)
    assert back.fit(history).predict(history, [1]).draws.max() == round(105 / 0.96**2)
    fatalities = MONTHLY_MODELS["recent_history"]("fatalities").fit(history).params()
    assert fatalities | {"seed": 0} == {
        "window": 36, "half_life": 3.0, "scale": 1.05, "decay": 0.96, "jitter": 0.5,
        "cap": 50.0, "season": 0.2, "paths": 0.5, "first_decay_step": 3,
        "seed": 0}  # no fitted state (origin_, spread_)
    assert MONTHLY_MODELS["recent_history"]("civilian_deaths").params()["decay"] == 1.0


def test_recent_history_weights_the_same_calendar_month() -> None:
    januaries = [100.0 if i % 12 == 0 else 0.0 for i in range(36)]  # 2020-01 ... 2022-12
    history = _months({"JAN": januaries})
    plain = RecentHistory("r", "fatalities", jitter=0.0, season=0.0).fit(history)
    seasonal = RecentHistory("r", "fatalities", jitter=0.0, season=0.2).fit(history)
    january, june = 1, 6  # steps from 2022-12
    p = {(m.season, s): (m.predict(history, [s]).draws > 0).mean()
         for m in (plain, seasonal) for s in (january, june)}
    assert p[(0.2, january)] > p[(0.0, january)] + 0.1
    assert p[(0.2, june)] == pytest.approx(p[(0.0, june)], abs=0.03)


def test_paths_keep_each_month_and_correlate_neighbouring_months() -> None:
    rng = np.random.default_rng(0)
    blocks = [rng.poisson(50, (3, N_DRAWS)).astype(float) for _ in range(12)]
    steps = list(range(3, 15))
    for rho in (0.0, 0.8, 1.0):
        joined = as_paths(blocks, steps, rho, np.random.default_rng(1))
        for before, after in zip(blocks, joined, strict=True):  # every monthly score unchanged
            assert np.array_equal(np.sort(before, axis=1), np.sort(after, axis=1))
    def rank_corr(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.corrcoef(a.argsort().argsort(), b.argsort().argsort())[0, 1])
    independent = as_paths(blocks, steps, 0.0, np.random.default_rng(1))
    assert abs(rank_corr(independent[0][0], independent[1][0])) < 0.1
    joined = as_paths(blocks, steps, 0.8, np.random.default_rng(1))
    assert 0.7 < rank_corr(joined[0][0], joined[1][0]) < 0.85  # Spearman of 0.8 is 0.79
    assert rank_corr(joined[0][0], joined[11][0]) < 0.3  # 0.8 ** 11: far months barely
    same = as_paths(blocks, steps, 1.0, np.random.default_rng(1))
    assert rank_corr(same[0][0], same[11][0]) > 0.99
    totals = [np.sum(j, axis=0)[0].std() for j in (independent, joined, same)]
    assert totals[0] < totals[1] < totals[2]  # a year's total is wider than under independence


def test_recent_history_draws_paths_the_benchmarks_do_not() -> None:
    history = _months({"AAA": list(np.random.default_rng(2).poisson(40, 36).astype(float))})
    def lag1(model: MonthlyModel) -> float:
        d = model.fit(history).predict(history, [1, 2]).draws
        return float(np.corrcoef(d[0].argsort().argsort(), d[1].argsort().argsort())[0, 1])
    assert lag1(RecentHistory("r", "fatalities")) > 0.35  # Spearman of a Gaussian 0.5 is 0.48
    assert abs(lag1(RecentHistory("r", "fatalities", paths=0.0))) < 0.1
    assert abs(lag1(Conflictology("c", "fatalities"))) < 0.1


def test_outlook_reads_each_draw_as_a_path() -> None:
    from atrisk.forecasting.monthly import outlook_of

    keys = pd.DataFrame({"gwcode": [1, 2] * 7, "iso3": ["AAA", "BBB"] * 7,
                         "step": np.repeat(np.arange(1, 8), 2)})
    draws = np.zeros((14, N_DRAWS))
    draws[0, :250] = 100.0  # AAA: step 1 reaches 100 in a quarter of the paths
    draws[2, :250] = 100.0  # step 2, the same paths: still a quarter
    draws[4, 500:600] = 150.0  # step 3, other paths: another tenth
    draws[12, :] = 1000.0  # step 7 is past the 6-month outlook
    draws[1::2] = 10.0  # BBB: ten deaths every month, never a month of 100
    out = outlook_of(keys, draws).set_index("iso3")
    assert out.loc["AAA", "p_month_ge_100"] == pytest.approx(0.35)
    assert out.loc["AAA", "expected_total"] == pytest.approx(25 + 25 + 15)
    assert out.loc["BBB", "p_month_ge_100"] == 0.0
    assert out.loc["BBB", "expected_total"] == 60.0


def test_countries_whose_recent_months_are_unknown_get_no_forecast() -> None:
    history = _months({"AAA": [5.0] * 36, "UNK": [float("nan")] * 36})
    for name in MONTHLY_MODELS:
        fc = MONTHLY_MODELS[name]("fatalities").fit(history).predict(history, [3])
        assert list(fc.keys["iso3"]) == ["AAA"], name


def test_reconcile_blanks_years_missing_deaths_and_reports_extra_ones() -> None:
    panel = _months({"NER": [0.0] * 24, "NGA": [10.0] * 24, "OK": [1.0] * 24})
    panel["civilian_deaths"] = 0.0
    panel["events"] = 1.0
    yearly = pd.DataFrame({"gwcode": [1, 1, 2, 2, 3, 3], "year": [2020, 2021] * 3,
                           "ucdp_all_deaths": [0, 30, 120, 90, 12, 12],
                           "ucdp_civilian_deaths": [0] * 6})
    out, check = reconcile(panel, yearly)
    blank = out[out["fatalities"].isna()]
    assert set(blank["iso3"]) == {"NER"} and set(blank["month"].str[:4]) == {"2021"}
    assert blank["events"].isna().all()
    assert out.loc[out["iso3"] == "NGA", "fatalities"].eq(10).all()  # kept, reported
    found = zip(check["iso3"], check["year"], check["action"].str[:4], strict=True)
    assert sorted(found) == [("NER", 2021, "unkn"), ("NGA", 2021, "kept")]


def test_the_mirror_folds_niger_into_nigeria_and_the_panel_says_so(monthly, built) -> None:
    from atrisk.panels.build import read_table

    check = read_table(built, "country_month_check")
    assert set(check["iso3"]) == {"NER", "NGA"}
    niger = monthly[(monthly["iso3"] == "NER") & (monthly["month"].between("2015-01",
                                                                            "2023-12"))]
    assert len(niger) == 108 and niger["fatalities"].isna().all()
    known = monthly[monthly["status"] != "partial"]
    assert known.loc[known["iso3"] != "NER", "fatalities"].notna().all()
