"""Scoring functions against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atrisk.evaluation.metrics import onset_years, proper_scores, restrict_to_common, summarise


def _forecasts() -> pd.DataFrame:
    # Two countries, data years 2000 and 2001; country 1 has an onset in 2002.
    return pd.DataFrame({
        "model": ["m"] * 4, "ccode": [1, 2, 1, 2], "data_year": [2000, 2000, 2001, 2001],
        "probability": [0.30, 0.10, 0.05, 0.20], "onset_next2": [1.0, 0.0, 1.0, 0.0],
    })


ONSETS = pd.DataFrame({"ccode": [1, 2, 1, 2, 1, 2], "year": [2001, 2001, 2002, 2002, 2003, 2003],
                       "mk_onset": [0, 0, 1, 0, 0, 0]})


def test_best_of_two_forecasts_scores_the_onset() -> None:
    table = onset_years(_forecasts(), ONSETS).set_index(["ccode", "year"])
    # 2002 is scored by max(forecast from 2001 data, from 2000 data) = max(0.05, 0.30).
    assert table.loc[(1, 2002), "risk"] == pytest.approx(0.30)
    assert table.loc[(1, 2002), "best_rank"] == 1
    assert table.loc[(2, 2002), "risk"] == pytest.approx(0.20)
    assert table.loc[(1, 2001), "risk"] == pytest.approx(0.30)  # only the y-1 forecast
    strict = onset_years(_forecasts(), ONSETS, strict=True).set_index(["ccode", "year"])
    assert strict.loc[(1, 2002), "risk"] == pytest.approx(0.05)
    assert strict.loc[(1, 2002), "best_rank"] == 2


def test_summary_by_hand() -> None:
    table = onset_years(_forecasts(), ONSETS)
    row = summarise(table).iloc[0]
    # Scored rows: (1,2001)=.30, (2,2001)=.10, (1,2002)=.30*, (2,2002)=.20, (1,2003)=.05,
    # (2,2003)=.20; the onset .30 ties the highest non-onset .30 -> AUC = (4 + 0.5) / 5.
    assert row["n"] == 6 and row["onsets"] == 1
    assert row["auc"] == pytest.approx(4.5 / 5)
    assert row["top10"] == 1
    # Above 4%: all six rows, one onset -> 5 false positives per true positive.
    assert row["fp_per_tp_4pct"] == pytest.approx(5.0)


def test_proper_scores_by_hand() -> None:
    s = proper_scores(_forecasts()).iloc[0]
    p = np.array([0.30, 0.10, 0.05, 0.20])
    y = np.array([1, 0, 1, 0])
    assert s["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert s["log_loss"] == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def test_common_rows_only() -> None:
    f = pd.concat([_forecasts(), _forecasts().iloc[:3].assign(model="n")])
    common = restrict_to_common(f)
    assert set(zip(common["ccode"], common["data_year"], strict=True)) == {
        (1, 2000), (2, 2000), (1, 2001)}


def test_calibration_by_hand() -> None:
    from atrisk.evaluation.metrics import calibration

    table = calibration(_forecasts(), edges=(0.0, 0.15, 1.0)).set_index("bin")
    low, high = table.iloc[0], table.iloc[1]
    assert low["n"] == 2 and low["mean_forecast"] == pytest.approx(0.075)
    assert low["observed"] == pytest.approx(0.5)  # 0.10 -> 0, 0.05 -> 1
    assert high["n"] == 2 and high["observed"] == pytest.approx(0.5)  # 0.30 -> 1, 0.20 -> 0
