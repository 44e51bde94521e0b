"""The provisional structural year: carried forward but for the inputs published early, the
same rows in the back-test's cost check, and the rule that decides whether it is published."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from atrisk.domain.errors import ConfigError
from atrisk.domain.horizon import structural_windows
from atrisk.domain.reports import CarryForwardCost
from atrisk.evaluation.backtest import CARRIED, backtest, report
from atrisk.forecasting.structural import forecast, provisional_verdict
from atrisk.models.registry import MODELS
from atrisk.panels.build import LAST_OBSERVED, read_table
from atrisk.panels.provisional import UPDATED, carried_rows, early_updates
from atrisk.settings import Settings
from atrisk.sources import crosswalk, ged


@pytest.fixture(scope="module")
def capitals(built: Settings) -> pd.DataFrame:
    return crosswalk.gw_capitals(built)


def test_a_carried_year_takes_only_the_early_inputs_from_itself(panel: pd.DataFrame,
                                                                 capitals) -> None:
    rows = carried_rows(panel, 2020, capitals).set_index("gwcode")
    now = panel[panel["year"] == 2020].set_index("gwcode")
    before = panel[panel["year"] == 2019].set_index("gwcode")
    both = rows.index.intersection(now.index)
    assert len(both) > 160 and (rows["year"] == 2020).all()
    for col in UPDATED:  # the year's own value, as the early releases give it
        np.testing.assert_array_equal(rows.loc[both, col], now.loc[both, col].astype(float))
    for col in ("v2x_libdem", "wdi_gdppc", "discrimpop", "mk_ongoing_count"):  # carried
        np.testing.assert_array_equal(rows.loc[both, col].astype(float),
                                      before.loc[both, col].astype(float))
    assert (rows["mk_onset"] == 0).all() and rows["onset_next2"].isna().all()
    np.testing.assert_array_equal(rows.loc[both, "ucdp_os_deaths_log2"],
                                  now.loc[both, "ucdp_os_deaths_log2"])  # derived again
    assert (rows.loc[both, "v2x_libdem_change3"] != now.loc[both, "v2x_libdem_change3"]).any()


def test_a_carried_year_never_looks_ahead(panel: pd.DataFrame, capitals) -> None:
    later = panel["year"] > 2020
    scrambled = panel.copy()
    scrambled.loc[later, ["v2x_libdem", "ucdp_os_deaths"]] = 999.0
    pd.testing.assert_frame_equal(carried_rows(scrambled, 2020, capitals),
                                  carried_rows(panel, 2020, capitals))


def test_the_early_inputs_of_2025_by_hand(panel: pd.DataFrame, built: Settings,
                                          mirror: Path) -> None:
    sudan = {"os": 0, "govt": 0, "sb": 0}
    with open(mirror / ged.CANDIDATE_2025.source.path, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["country"] != "Sudan":
                continue
            if r["type_of_violence"] == "3":
                sudan["os"] += int(r["best"])
                sudan["govt"] += int(r["best"]) * r["conflict_name"].startswith("Government of")
            elif r["type_of_violence"] == "1":
                sudan["sb"] += int(r["best"])
    updates = early_updates(panel, built).set_index("gwcode")
    assert updates.loc[625, ["ucdp_os_deaths", "ucdp_os_govt_deaths", "ucdp_sb_deaths"]
                       ].tolist() == [sudan["os"], sudan["govt"], sudan["sb"]]
    assert set(updates.index[updates["coup_attempt"] == 1]) == {404, 580}  # 2025's two
    assert updates["wdi_pop"].notna().mean() > 0.9


def test_a_provisional_forecast_is_labelled_with_what_it_carried(built: Settings) -> None:
    run = forecast(built, 2026, model="lgbm", bootstrap=0, provisional=True)
    assert run.meta.provisional is True and run.meta.data_year == 2025
    note = run.meta.data_note
    assert note.startswith("provisional: 2025 carried forward from 2024 but for UCDP "
                           "Candidate deaths") and "V-Dem" in note
    assert len(run.table) >= 165 and run.table["risk_2yr"].between(0, 1).all()
    with pytest.raises(ConfigError, match="it is for 2026, not 2027"):
        forecast(built, 2027, model="lgbm", bootstrap=0, provisional=True)
    with pytest.raises(ConfigError, match="EWP's table cannot be carried forward"):
        forecast(built, 2026, model="simple", bootstrap=0, provisional=True)


def test_the_backtest_measures_what_a_year_early_costs(panel: pd.DataFrame, capitals) -> None:
    windows = structural_windows(2017, 2019)
    made = backtest([MODELS["lgbm"]], {"atrisk": panel}, panel, windows,
                    carry_forward=capitals)
    assert set(made["model"]) == {"lgbm", "lgbm" + CARRIED}
    published = report(made, panel[["ccode", "year", "mk_onset"]], LAST_OBSERVED,
                       model="lgbm", models=["lgbm"], first=2017, last=2019, out=Path("x"))
    assert {r.model for r in published.scores} == {"lgbm"}  # headline without twins
    cost = published.carry_forward_cost[0]
    assert cost.model == "lgbm" and cost.n > 400
    assert cost.auc_loss == pytest.approx(cost.auc_full - cost.auc_carried)


def test_a_rerun_reads_its_fits_back_without_making_the_carried_rows(
        panel: pd.DataFrame, capitals, tmp_path: Path, monkeypatch) -> None:
    """A back-test run again on unchanged inputs reads every fit back, with its forecasts
    from the carried-forward rows, and does not make those rows again (they were most of a
    re-run's time); the same table to the last bit. Other capitals are another key."""
    import atrisk.evaluation.backtest as module

    windows = structural_windows(2018, 2019)
    first = backtest([MODELS["logit"]], {"atrisk": panel}, panel, windows,
                     carry_forward=capitals, cache=tmp_path)

    def unexpected(*_: object, **__: object) -> pd.DataFrame:
        raise AssertionError("carried-forward rows made")

    monkeypatch.setattr(module, "carried_rows", unexpected)
    again = backtest([MODELS["logit"]], {"atrisk": panel}, panel, windows,
                     carry_forward=capitals, cache=tmp_path)
    pd.testing.assert_frame_equal(first, again)
    assert set(again["model"]) == {"logit", "logit" + CARRIED}
    moved = capitals.assign(lat=capitals["lat"] + 1.0)
    with pytest.raises(AssertionError, match="rows made"):
        backtest([MODELS["logit"]], {"atrisk": panel}, panel, windows, carry_forward=moved,
                 cache=tmp_path)


def test_publishing_a_provisional_run_needs_a_small_measured_cost() -> None:
    row = CarryForwardCost(model="ensemble", n=5332, onsets=39, auc_full=0.86,
                           auc_carried=0.855, auc_loss=0.005, top30_full=26.0,
                           top30_carried=29.0, top30_loss=-3.0)
    ok, why = provisional_verdict([row], "ensemble")
    assert ok and "AUC from 0.860 to 0.855" in why and "from 26 to 29" in why
    worse = row.model_copy(update={"auc_carried": 0.83, "auc_loss": 0.03})
    assert provisional_verdict([worse], "ensemble")[0] is False
    fewer = row.model_copy(update={"top30_carried": 23.0, "top30_loss": 3.0})
    assert provisional_verdict([fewer], "ensemble")[0] is False
    ok, why = provisional_verdict([], "ensemble")
    assert not ok and "run `atrisk backtest structural` first" in why


def test_the_build_panel_itself_is_untouched(built: Settings) -> None:
    assert int(read_table(built, "panel")["year"].max()) == LAST_OBSERVED
