"""Outcome coding from the episode list, including futures that are not yet observed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atrisk.panels.outcomes import add_targets, episode_years


def _frame(years: range) -> pd.DataFrame:
    return pd.DataFrame({"gwcode": 500, "ccode": 500, "year": list(years)})


EPISODES = pd.DataFrame({
    "ccode": [500, 500], "start_year": [2000, 2003],
    "end_year": pd.array([2001, pd.NA], dtype="Int64"), "state_led": [True, False],
})


def test_onsets_ongoing_and_history() -> None:
    out = episode_years(_frame(range(1998, 2006)), EPISODES, last_observed=2005).set_index(
        "year")
    assert out.loc[2000, "mk_onset"] == 1 and out.loc[2000, "mk_onset_state"] == 1
    assert out.loc[2003, "mk_onset_nonstate"] == 1 and out.loc[2003, "mk_onset_state"] == 0
    assert out.loc[1999, "mk_onset"] == 0
    assert out.loc[2001, "mk_ongoing_count"] == 1  # first episode ends in 2001
    assert out.loc[2002, "mk_ongoing_count"] == 0
    assert out.loc[2005, "mk_ongoing_count"] == 1  # open-ended second episode
    assert out.loc[1999, "mk_ever"] == 0 and out.loc[2000, "mk_ever"] == 1
    assert out.loc[2001, "mk_onset_prev_year"] == 1
    assert out.loc[2004, "mk_years_since_onset"] == 1


def test_targets_look_ahead_and_unknown_futures_are_missing() -> None:
    frame = _frame(range(1998, 2006))
    panel = frame.merge(episode_years(frame, EPISODES, 2005), on=["ccode", "year"])
    out = add_targets(panel, last_observed=2005).set_index("year")
    assert out.loc[1999, "onset_next1"] == 1
    assert out.loc[1998, "onset_next1"] == 0
    assert out.loc[1998, "onset_next2"] == 1  # onset in 2000 is within 1999..2000
    assert out.loc[2001, "onset_next2"] == 1 and out.loc[2001, "onset_next2_nonstate"] == 1
    assert out.loc[2001, "onset_next2_state"] == 0
    assert out.loc[2003, "onset_next2"] == 0
    # 2004 + 2 = 2006 is not observed yet: missing, never 0.
    assert pd.isna(out.loc[2004, "onset_next2"]) and out.loc[2004, "onset_next1"] == 0
    assert pd.isna(out.loc[2005, "onset_next1"]) and pd.isna(out.loc[2005, "onset_next2"])


def test_onsets_agree_with_ewp_country_years(panel: pd.DataFrame, built) -> None:
    from atrisk.panels.build import read_table

    ewp = read_table(built, "ewp_prepared")
    both = ewp.merge(panel, on=["ccode", "year"], suffixes=("_ewp", ""))
    assert len(both) > 9000
    assert (both["mk_onset_ewp"] == both["mk_onset"]).all()
    known = both[both["year"] <= 2022]
    assert np.array_equal(known["mk_onset_1or2"].to_numpy(),
                          known["onset_next2"].astype(int).to_numpy())
    # EWP writes 0 for unobserved futures; we keep them missing.
    assert both.loc[both["year"] >= 2023, "onset_next2"].isna().all()


@pytest.mark.parametrize(("gwcode", "year", "ccode"),
                         [(260, 2000, 255), (340, 2010, 345), (678, 1995, 679),
                          (678, 1985, 678), (680, 1985, 680)])
def test_country_codes_follow_ewp(panel: pd.DataFrame, gwcode: int, year: int,
                                  ccode: int) -> None:
    row = panel[(panel["gwcode"] == gwcode) & (panel["year"] == year)]
    assert row["ccode"].tolist() == [ccode]


def test_country_years_are_unique_and_have_iso3(panel: pd.DataFrame) -> None:
    assert not panel.duplicated(["gwcode", "year"]).any()
    assert not panel.duplicated(["ccode", "year"]).any()
    assert panel["iso3"].notna().all()
    assert not panel[["iso3", "year"]].duplicated().any()
