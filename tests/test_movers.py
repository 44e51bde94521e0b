"""What moved a country's risk between two structural runs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import logit

from atrisk.forecasting.movers import RunRow, moves
from atrisk.forecasting.structural import forecast
from atrisk.settings import Settings


def test_drivers_of_a_change_by_hand() -> None:
    before = [RunRow("SDN", "Sudan", 9, 0.10, {"coup": 0.0, "deaths": 0.5, "imr": 0.3}),
              RunRow("NOR", "Norway", 150, 0.001, None)]
    after = [RunRow("SDN", "Sudan", 4, 0.20, {"coup": 0.6, "deaths": 0.7, "imr": 0.29}),
             RunRow("NOR", "Norway", 151, 0.001, None), RunRow("SSD", "South Sudan", 3, .3, {})]
    found = moves(before, after, 3, 5, years=(2023, 2024))
    assert [m.iso3 for m in found] == ["SDN", "NOR"]  # largest change first; SSD is new
    sudan = found[0]
    assert [d.feature for d in sudan.drivers] == ["coup", "deaths"]  # imr moved the other way
    total = logit(0.20) - logit(0.10)
    assert sudan.refit == pytest.approx(total - (0.6 + 0.2 - 0.01), abs=1e-4)
    assert sudan.sentence().startswith("+10.0 points since run 3 (rank 9 → 4), mostly ")
    assert "(a new data year, 2023 → 2024)" in sudan.sentence()
    older = moves(after, before, 5, 3, years=(2024, 2023))[0]  # an old year published later
    assert "forecasts from older data, 2024 → 2023" in older.sentence() and not older.new_year
    same = moves(before, after, 3, 5, years=(2024, 2024))[0]
    assert "(the same data year, revised)" in same.sentence()
    assert found[1].drivers == () and found[1].refit is None
    assert found[1].sentence() == ("+0.0 points since run 3 (rank 150 → 151) "
                                   "(a new data year, 2023 → 2024).")


def test_a_change_splits_into_the_new_year_and_revisions_by_hand() -> None:
    before = [RunRow("SDN", "Sudan", 9, 0.10, None, 0.08)]
    after = [RunRow("SDN", "Sudan", 4, 0.20, None, 0.13)]  # 0.13 from 2023's revised inputs
    sudan = moves(before, after, 3, 5, years=(2023, 2024))[0]
    assert sudan.new_year_points == pytest.approx(7.0)  # 0.13 -> 0.20: 2024's data
    assert sudan.revision_points == pytest.approx(3.0)  # 0.10 -> 0.13: same year, revised
    assert ": +7.0 from 2024's data, +3.0 from revised data and the refit)" in sudan.sentence()
    same = moves(before, after, 3, 5, years=(2024, 2024))[0]
    assert (same.new_year_points, same.revision_points) == (0.0, pytest.approx(10.0))
    for years in ((2021, 2024), (2024, 2023)):  # not a year apart: no split
        far = moves(before, after, 3, 5, years=years)[0]
        assert far.new_year_points is None and far.revision_points is None
    unstored = moves(before, [RunRow("SDN", "Sudan", 4, 0.20, None)], 3, 5, years=(2023, 2024))
    assert unstored[0].revision_points is None and "from revised" not in unstored[0].sentence()


def test_a_real_change_adds_up(built: Settings) -> None:
    """Two real runs a data year apart: for every country the change in log-odds is the sum
    of the predictors' changes in push plus the refit's, and the named drivers moved in the
    direction of the change."""
    runs = [forecast(built, year, model="simple", bootstrap=0).table for year in (2024, 2025)]

    def rows(table) -> list[RunRow]:
        return [RunRow(r.iso3, r.name, int(r.rank), float(r.risk_2yr),
                       json.loads(r.contributions_json), r.risk_2yr_year_before)
                for r in table.itertuples()]

    found = moves(rows(runs[0]), rows(runs[1]), 1, 2, years=(2023, 2024))
    assert len(found) >= 160
    for m in found:
        total = logit(m.risk_after) - logit(m.risk_before)
        assert all(np.sign(d.change) == np.sign(total) for d in m.drivers)
        assert m.new_year_points + m.revision_points == pytest.approx(m.points, abs=1e-3)
    # Same build, so the two runs differ on 2023 only by the refit (one more training year):
    # the later run's risk from 2023 is the earlier run's forecast up to that refit.
    earlier = runs[0].set_index("iso3")["risk_2yr"]
    later = runs[1].set_index("iso3")["risk_2yr_year_before"].reindex(earlier.index)
    assert later.notna().mean() > 0.95
    assert np.corrcoef(logit(earlier[later.notna()]), logit(later.dropna()))[0, 1] > 0.99
    # The refit's part is one number for every country: the model's baseline moved.
    assert np.ptp([m.refit for m in found]) < 1e-3


def test_changes_between_two_published_runs(store: str, publish_to, forecasts,
                                            built: Settings) -> None:
    """A second run in which one predictor pushes Norway's risk up: the API, the overview and
    Norway's page name that predictor as what moved it; the refit moved nothing."""
    from fastapi.testclient import TestClient
    from scipy.special import expit

    from atrisk.app import create_app
    from atrisk.store.publish import publish_structural

    publish_to(store)
    first = forecasts["structural"]
    table = first.table.copy()
    i = table.index[table["iso3"] == "NOR"][0]
    pushes = json.loads(table.at[i, "contributions_json"])
    feature = sorted(pushes)[0]
    pushes[feature] += 2.0
    table.at[i, "contributions_json"] = json.dumps(pushes)
    table.at[i, "risk_2yr"] = expit(logit(table.at[i, "risk_2yr"]) + 2.0)
    publish_structural(store, table, first.meta)
    settings = Settings(mirror=built.mirror, build_dir=built.build_dir, database_url=store)
    client = TestClient(create_app(settings))

    body = client.get("/api/forecasts/structural/changes").json()
    norway = body["items"][0]
    assert body["after"]["id"] > body["before"]["id"] and body["before"]["kind"] == "structural"
    assert norway["iso3"] == "NOR" and norway["points"] > 0
    assert [d["feature"] for d in norway["drivers"]] == [feature]
    assert norway["drivers"][0]["change"] == pytest.approx(2.0)
    assert norway["refit"] == pytest.approx(0.0, abs=1e-3)
    # Same data year: all of it is revision (here, the altered model), none the new year.
    assert norway["new_year_points"] == 0.0
    assert norway["revision_points"] == pytest.approx(norway["points"], abs=1e-3)
    assert all(item["points"] == 0 for item in body["items"][1:])
    one = client.get("/api/forecasts/structural/changes?iso3=nor").json()["items"]
    assert [item["iso3"] for item in one] == ["NOR"]
    missing = client.get("/api/forecasts/structural/changes?before=99999")
    assert missing.status_code == 404 and "99999" in missing.json()["error"]

    overview = client.get("/").text
    assert "Largest moves since run" in overview
    risers = overview[overview.index('id="movers"'):overview.index('id="ranking"')]
    assert "Norway" in risers and "mostly" in risers
    page = client.get("/countries/NOR").text
    assert 'id="what-moved"' in page and norway["drivers"][0]["label"] in page
