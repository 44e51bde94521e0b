"""How sure a rank is: the chances of a top-10 and top-30 place and the rank interval, from
the bootstrap refits of the structural forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atrisk.forecasting.rank_certainty import rank_certainty, sentence


def test_chances_and_interval_by_hand() -> None:
    # 40 countries, 10 refits: country 0 always first; countries 9 and 10 swap the 10th
    # place from one refit to the next; the rest keep their order.
    risk = np.tile(np.linspace(0.9, 0.1, 40)[:, None], (1, 10))
    risk[9, ::2], risk[10, ::2] = risk[10, 0], risk[9, 0]
    out = rank_certainty(pd.DataFrame(risk, index=range(40)))
    assert out.loc[0].tolist() == [1.0, 1.0, 1, 1]
    assert out.loc[9, "p_top10"] == out.loc[10, "p_top10"] == 0.5
    assert (out.loc[9, "rank_low"], out.loc[9, "rank_high"]) == (10, 11)
    assert out.loc[35, "p_top30"] == 0.0 and out.loc[35, "rank_low"] == 36
    assert out["p_top10"].sum() == pytest.approx(10)
    assert out["p_top30"].sum() == pytest.approx(30)


def test_ties_still_give_ten_top_ten_places() -> None:
    out = rank_certainty(pd.DataFrame(np.full((25, 4), 0.1)))
    assert out["p_top10"].sum() == pytest.approx(10)


def test_no_refits_no_certainty() -> None:
    out = rank_certainty(pd.DataFrame(index=[1, 2]))
    assert out.isna().all().all()
    assert "not known" in sentence(3, None, None, None, None)


def test_the_sentence_reads_well() -> None:
    text = sentence(12, 0.35, 1.0, 8, 21)
    assert text == ("Ranked 12th. Refitted on resampled countries, the model ranked between "
                    "8th and 21st in 80% of them: a 35% chance of a top-10 place and 100% of "
                    "a top-30 place.")
    assert "ranked 1st in 80%" in sentence(1, 1.0, 1.0, 1, 1)
    assert "between 2nd and 3rd" in sentence(2, 1.0, 1.0, 2, 3)
    assert "111th" in sentence(111, 0.0, 0.0, 101, 111)


def test_published_forecast_carries_rank_certainty(forecasts) -> None:
    """On the real forecast (EWP's simple model, 10 refits): the chances add up, each rank
    interval is ordered, and a country whose interval lies within the top 10 has at least a
    90% chance of a top-10 place; the risk interval still holds the estimate."""
    table = forecasts["structural"].table
    assert table["p_top10"].sum() == pytest.approx(10)
    assert table["p_top30"].sum() == pytest.approx(30)
    assert (table["rank_low"] <= table["rank_high"]).all()
    assert (table.loc[table["rank_high"] <= 10, "p_top10"] >= 0.9).all()
    assert (table.loc[table["rank_low"] > 30, "p_top30"] <= 0.1).all()
    assert ((table["low_80"] <= table["risk_2yr"] + 1e-12)
            & (table["risk_2yr"] <= table["high_80"] + 1e-12)).all()
