"""Scoring alarms against surges of civilian deaths, by hand."""

from __future__ import annotations

import pandas as pd

from atrisk.evaluation.signals import score_alarms, surge_onsets


def _months(deaths: list[float | None]) -> pd.DataFrame:
    months = [str(m) for m in pd.period_range("2020-01", periods=len(deaths), freq="M")]
    return pd.DataFrame({"iso3": "AAA", "month": months, "civilian_deaths": deaths})


def test_a_surge_needs_three_known_calm_months_before_it() -> None:
    #            Jan Feb Mar  Apr  May  Jun Jul Aug Sep  Oct   Nov
    deaths = [0, 10, 20, 150, 300, 0, 0, 0, 120, None, 500]
    onsets = surge_onsets(_months(deaths))
    # April (after Jan-Mar below 100) and September (after Jun-Aug); May follows a surge
    # month; November follows an unknown month.
    assert onsets["month"].tolist() == ["2020-04", "2020-09"]
    assert onsets["start"].iloc[0] == pd.Timestamp("2020-04-01")


def test_hits_leads_seen_and_false_alarms_by_hand() -> None:
    onsets = pd.DataFrame({"iso3": ["AAA", "AAA", "BBB"],
                           "start": pd.to_datetime(["2020-04-01", "2020-09-01",
                                                    "2020-06-01"])})
    alarms = pd.DataFrame({"iso3": ["AAA", "AAA", "AAA", "BBB", "CCC"],
                           "at": pd.to_datetime(["2020-02-10", "2020-02-17",  # 51 days ahead
                                                 "2020-09-05",  # after: seen, not a hit
                                                 "2020-01-05",  # 148 days before: neither
                                                 "2020-05-01"])})  # no surge at all
    score = score_alarms("x", alarms, onsets, ["AAA", "BBB", "CCC"],
                         pd.Timestamp("2020-01-01"), pd.Timestamp("2020-12-31"))
    assert (score.surges, score.hits, score.seen) == (3, 1, 2)
    assert score.median_lead_days == (pd.Timestamp("2020-04-01")
                                      - pd.Timestamp("2020-02-10")).days
    # episodes: AAA Feb (hit), AAA Sep (no surge after it), BBB Jan (none within 90 days),
    # CCC May (none)
    assert (score.episodes, score.false_alarms) == (4, 3)
    assert abs(score.country_years - 3 * 365 / 365.25) < 1e-9
