"""Sub-national panels and models on the three complete event histories in the mirror
(Central African Republic, GED 23.1; Mexico and Myanmar, GED 24.1): the PRIO-GRID
arithmetic, cells and regions that add up to the country, and the benchmarks' definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atrisk.domain import priogrid
from atrisk.domain.errors import NotFoundError
from atrisk.models.monthly import N_DRAWS
from atrisk.models.subnational import NationalShares, subnational_models, unit_history
from atrisk.panels import subnational
from atrisk.settings import Settings
from atrisk.sources import ged

COUNTRIES = ("CAF", "MEX", "MMR")


def test_grid_arithmetic_places_known_coordinates_in_their_cells() -> None:
    assert priogrid.cell_of(19.42847, -99.12766) == 157122  # Mexico City, GED event 182027
    assert priogrid.cell_of(5.399784, 26.486881) == 137213  # south-east CAR, GED event 36210
    assert priogrid.cell_of(-90, -180) == 1 and priogrid.cell_of(90, 180) == 360 * 720
    lat, lon = priogrid.centre(157122)
    south, west, north, east = priogrid.bounds(157122)
    assert (south, west, north, east) == (19.0, -99.5, 19.5, -99.0)
    assert south < 19.42847 < north and west < -99.12766 < east
    assert (lat, lon) == (19.25, -99.25)
    ring = priogrid.neighbours(720)  # the last cell of the first row: wraps east to cell 1
    assert 1 in ring and (ring == -1).sum() == 3  # nothing south of the southernmost row
    assert priogrid.distance_km(0, 0, 0, 1) == pytest.approx(111.19, abs=0.01)
    with pytest.raises(ValueError):
        priogrid.cell_of(91, 0)


@pytest.mark.parametrize("iso3", COUNTRIES)
def test_every_event_falls_in_the_cell_ged_gives_it(iso3: str, settings: Settings) -> None:
    events = ged.history_events(subnational.history_for(iso3, settings), settings)
    given = pd.to_numeric(events["priogrid_gid"]).to_numpy()
    assert (priogrid.cell_of(events["latitude"], events["longitude"]) == given).all()


@pytest.mark.parametrize("iso3", COUNTRIES)
def test_cells_and_regions_add_up_to_the_country(iso3: str, settings: Settings) -> None:
    history = subnational.history_for(iso3, settings)
    months = ged.to_country_month(ged.history_events(history, settings)).set_index("month")
    february = ged.release_events(ged.CANDIDATE_2026_02, settings)
    february = ged.to_country_month(february[february["country_id"] == ged.HISTORY_GW[iso3]])
    for level in subnational.LEVELS:
        panel = subnational.unit_panel(iso3, level, settings)
        table = panel.table
        n_months = len(pd.period_range(ged.GED_FIRST_MONTH, "2026-02", freq="M"))
        assert len(table) == len(panel.units) * n_months  # every unit, every month
        assert table["month"].max() == "2026-02"  # the latest release; later months unknown
        final = table[table["month"] <= history.last_month]
        assert (final["vintage"] == history.vintage).all() and (final["status"] == "final").all()
        total = final.groupby("month")[["civilian_deaths", "fatalities", "events"]].sum()
        for column in ("civilian_deaths", "fatalities", "events"):
            expected = months[column].reindex(total.index).fillna(0.0)
            np.testing.assert_allclose(total[column].to_numpy(), expected.to_numpy())
        # Candidate 26.0.2 covers February 2026 in full: its events placed, adding up to the
        # release's country-month; the months between are unknown, not calm
        feb = table[table["month"] == "2026-02"]
        assert (feb["status"] == "provisional").all()
        assert (feb["vintage"] == "candidate-26.0.2").all()
        for column in ("civilian_deaths", "fatalities", "events"):
            assert feb[column].sum() == february.loc[february["month"] == "2026-02",
                                                     column].sum() > 0
        between = table[(table["month"] > history.last_month) & (table["month"] < "2026-02")]
        assert between[["civilian_deaths", "fatalities", "events"]].isna().all().all()
        assert set(between["status"]) <= {"unknown", "partial"}
        assert panel.provisional_vintages() == ["candidate-26.0.2"]
        assert panel.recent_through() == history.last_month
        assert panel.complete_through(history.last_month)
        assert not panel.complete_through("2026-02")
        if iso3 == "MEX":  # one late-coded January event came with February's release
            assert set(table.loc[table["month"] == "2026-01", "status"]) == {"partial"}


def test_cells_cover_the_country_and_every_event(settings: Settings) -> None:
    cells = subnational.unit_panel("CAF", "cell", settings).units
    inside = subnational.country_cells("CAF", settings)
    assert 180 < len(inside) < 230  # 623,000 km2 in cells of ~3,000 km2
    assert set(inside) <= set(cells["unit"])
    bangui = priogrid.cell_of(4.3612, 18.5550)
    assert bangui in set(cells["unit"])
    assert (cells["south"] < cells["lat"]).all() and (cells["lat"] < cells["north"]).all()


def test_a_region_renamed_by_ged_is_one_region(settings: Settings) -> None:
    regions = set(subnational.unit_panel("MMR", "region", settings).units["unit"])
    assert {"Bago", "Kayin", "Magway", "Sagaing", subnational.UNLOCATED} <= regions
    assert not any(name.endswith(("division", "region", "state")) for name in regions)
    mexico = set(subnational.unit_panel("MEX", "region", settings).units["unit"])
    assert "Ciudad de México" in mexico and "Distrito Federal" not in mexico


def test_a_country_without_a_complete_history_says_why(settings: Settings) -> None:
    with pytest.raises(NotFoundError, match="CAF, MEX, MMR"):
        subnational.unit_panel("SDN", "cell", settings)


def _history(settings: Settings, last: str) -> pd.DataFrame:
    table = subnational.unit_panel("CAF", "cell", settings).table
    return unit_history(table[table["month"] <= last], "CAF")


def test_benchmarks_are_the_views_definitions_at_cell_level(settings: Settings) -> None:
    history = _history(settings, "2013-10")
    models = subnational_models()
    cells = history["gwcode"].nunique()
    last = history[history["month"] == "2013-10"].set_index("gwcode")["civilian_deaths"]
    year = history[history["month"] > "2012-10"].pivot(index="gwcode", columns="month",
                                                       values="civilian_deaths")
    pool = set(history.loc[history["month"] > "1993-10", "civilian_deaths"])  # 240 months
    for name in ("exactly_zero", "last_historical", "conflictology_country12",
                 "bootstrap240"):
        fc = models[name]("civilian_deaths").fit(history).predict(history, [3])
        assert fc.draws.shape == (cells, N_DRAWS)
        by_cell = pd.DataFrame(fc.draws, index=fc.keys["gwcode"])
        if name == "exactly_zero":
            assert not fc.draws.any()
        elif name == "last_historical":  # Poisson around the last month
            np.testing.assert_allclose(by_cell.mean(axis=1), last.reindex(by_cell.index),
                                       atol=4 * np.sqrt(last.max() / N_DRAWS) + 0.05)
        elif name == "conflictology_country12":  # values the cell had in its last 12 months
            for cell in year.index[year.sum(axis=1) > 0]:
                assert set(by_cell.loc[cell]) <= set(year.loc[cell])
        else:  # any cell's value in the last 240 months, the same pool for every cell
            assert set(np.unique(fc.draws)) <= pool and fc.draws.max() > 0


def test_national_shares_add_up_to_the_national_draws(settings: Settings) -> None:
    history = _history(settings, "2013-10")
    model = NationalShares("national_shares", "civilian_deaths").fit(history)
    national = np.random.default_rng(1).poisson(40, size=(2, N_DRAWS)).astype(float)
    fc = model.predict(history, [3, 4], national=national)
    per_step = fc.draws.reshape(2, -1, N_DRAWS).sum(axis=1)
    np.testing.assert_array_equal(per_step, national)
    share = model.shares(history)
    assert share.sum() == pytest.approx(1.0) and (share > 0).all()
    busiest = history[history["month"] > "2012-10"].groupby("gwcode")["civilian_deaths"].sum()
    assert share.idxmax()[0] in set(busiest.nlargest(5).index)


def test_the_forecast_shares_the_national_draws_among_cells(built: Settings, forecasts,
                                                             tmp_path) -> None:
    """`atrisk forecast subnational`: every cell and month of the latest national run, in
    the long format with the cell in place of the country, adding up to the national draws."""
    from typer.testing import CliRunner

    from atrisk.cli.main import app
    from atrisk.forecasting.subnational import latest_monthly_run

    national_run = latest_monthly_run(built)  # the shared build's newest (other tests add runs)
    out = tmp_path / "caf.parquet"
    env = {"ATRISK_MIRROR": str(built.mirror), "ATRISK_BUILD_DIR": str(built.build_dir),
           "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["forecast", "subnational", "--country", "CAF", "--out",
                                      str(out)], env=env)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # as printed, wrapped to the terminal
    assert "GED events through 2022-12" in said and "Ouaka" in said
    draws = pd.read_parquet(out)
    assert list(draws.columns) == ["priogrid_gid", "iso3", "month", "target", "model", "draw",
                                   "value"]
    national = pd.read_parquet(national_run.draws_file, filters=[("iso3", "==", "CAF")])
    assert sorted(draws["month"].unique()) == sorted(national["month"].astype(str).unique())
    cells = subnational.unit_panel("CAF", "cell", built).units
    assert draws["priogrid_gid"].nunique() == len(cells)
    summed = draws.groupby(["target", "month", "draw"])["value"].sum()
    national = national.assign(target=national["target"].astype(str),
                               month=national["month"].astype(str))
    expected = national.groupby(["target", "month", "draw"])["value"].sum().round()
    np.testing.assert_allclose(summed.sort_index().to_numpy(),
                               expected.reindex(summed.sort_index().index).to_numpy())

    regions = CliRunner().invoke(app, ["forecast", "subnational", "--country", "MMR",
                                       "--level", "region", "--out", str(out)], env=env)
    assert regions.exit_code == 0, regions.output
    assert "adm1" in pd.read_parquet(out).columns
    refused = CliRunner().invoke(app, ["forecast", "subnational", "--country", "SDN", "--out",
                                       str(out)], env=env)
    assert refused.exit_code != 0
    assert "no complete event history for SDN" in " ".join(refused.output.split())


def test_a_history_that_reaches_the_origin_adds_the_units_own_months(
        built: Settings, forecasts, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Myanmar's history runs through 2023-12, the shared monthly run's last month: half the
    draws are each region's own ``recent_history`` (``history_and_shares``), half the national
    draws shared out; the Central African Republic's ends in 2022-12, so its draws are all
    shared out (``national_shares``)."""
    from atrisk.forecasting import subnational as forecasting
    from atrisk.models.subnational import SHARE

    national_run = forecasts["monthly"].meta
    assert national_run.last_data_month == "2023-12"
    monkeypatch.setattr(forecasting, "latest_monthly_run", lambda _: national_run)
    run = forecasting.forecast_subnational(built, "MMR", tmp_path / "mmr.parquet", "region")
    assert run.meta.model == "history_and_shares" and run.meta.settings["share"] == SHARE
    draws = pd.read_parquet(tmp_path / "mmr.parquet")
    assert set(draws["model"]) == {"history_and_shares"}
    national = pd.read_parquet(national_run.draws_file, filters=[("iso3", "==", "MMR")])
    national = national[national["target"].astype(str) == "civilian_deaths"]
    national = (national.assign(month=national["month"].astype(str))
                .groupby(["month", "draw"])["value"].sum().round())
    k = int(SHARE * N_DRAWS)
    civilian = draws[draws["target"] == "civilian_deaths"]
    shared = civilian[civilian["draw"] < k].groupby(["month", "draw"])["value"].sum()
    np.testing.assert_allclose(shared.to_numpy(), national.reindex(shared.index).to_numpy())
    table = subnational.unit_panel("MMR", "region", built).table
    history = unit_history(table[table["month"] <= "2023-12"], "MMR")
    own = subnational_models()["recent_history"]("civilian_deaths").fit(history).predict(
        history, list(range(1, 13)))
    first = civilian[(civilian["month"] == "2024-01") & (civilian["draw"] >= k)]
    got = first.pivot_table(index="adm1", columns="draw", values="value")
    step1 = (own.keys["step"] == 1).to_numpy()
    expected = pd.DataFrame(own.draws[step1, k:],
                            index=own.keys.loc[step1, "gwcode"].astype(str))
    np.testing.assert_allclose(got.reindex(expected.index).to_numpy(), expected.to_numpy())

    caf = forecasting.forecast_subnational(built, "CAF", tmp_path / "caf.parquet", "region")
    assert caf.meta.model == "national_shares"


def test_country_page_and_api_show_the_cells_and_regions(built: Settings, forecasts, publish_to,
                                                          tmp_path) -> None:
    from fastapi.testclient import TestClient

    from atrisk.app import create_app
    from atrisk.forecasting.subnational import forecast_subnational
    from atrisk.store.db import migrate

    for level in subnational.LEVELS:
        forecast_subnational(built, "CAF", tmp_path / f"{level}.parquet", level)
    url = f"sqlite:///{tmp_path / 'atrisk.db'}"
    migrate(url)
    publish_to(url)
    client = TestClient(create_app(Settings(mirror=built.mirror, build_dir=built.build_dir,
                                            database_url=url)))
    page = client.get("/countries/CAF").text
    assert 'id="chart-cells"' in page and 'id="regions"' in page and "Ouaka" in page
    assert "GED events through 2022-12" in page
    other = client.get("/countries/SDN").text
    assert 'id="places-why"' in other and "no complete event history for SDN" in other

    body = client.get("/api/forecasts/subnational/CAF").json()
    cells = body["items"]
    assert body["run"]["level"] == "cell" and len(cells) == body["run"]["units"]
    expected = [c["expected"] for c in cells]
    assert expected == sorted(expected, reverse=True)
    assert all(c["north"] - c["south"] == 0.5 for c in cells)
    regions = client.get("/api/forecasts/subnational/caf?level=region&format=csv")
    assert regions.headers["content-type"].startswith("text/csv")
    assert regions.text.splitlines()[0].startswith("unit,region,lat,lon")
    missing = client.get("/api/forecasts/subnational/SDN")
    assert missing.status_code == 404 and "complete event history" in missing.text
    assert client.get("/api/forecasts/subnational/CAF?level=province").status_code == 422
    from atrisk.store import accounts
    from atrisk.store.db import session

    with session(url) as s:
        viewer = accounts.add_user(s, "viewer@example.org", "a long pass phrase", "viewer")
        token = accounts.new_token(s, viewer, "test")
    brief = client.get("/countries/CAF/brief.html", headers={"authorization": f"Bearer {token}"})
    assert brief.status_code == 200 and 'id="brief-cells"' in brief.text
    assert 'id="brief-lives"' in brief.text and "civilians may be killed" in brief.text


def test_the_map_draws_cells_as_squares_the_right_way_round() -> None:
    """d3 (Vega's maps) reads a polygon's ring by its winding: counter-clockwise would be the
    whole globe but the square."""
    from atrisk.http.charts import cell_map

    south, west, north, east = priogrid.bounds(157122)
    spec = cell_map([{"unit": "157122", "south": south, "west": west, "north": north,
                      "east": east, "expected": 2.0, "p_ge_serious": 0.1}], None)
    ring = np.asarray(spec["layer"][0]["data"]["values"][0]["geometry"]["coordinates"][0])
    x, y = ring[:, 0], ring[:, 1]
    signed_area = 0.5 * np.sum(x[:-1] * y[1:] - x[1:] * y[:-1])
    assert signed_area == pytest.approx(-0.25)  # clockwise, 0.5 x 0.5 degrees


def test_the_full_ged_needs_only_more_data(settings: Settings, tmp_path, monkeypatch) -> None:
    """With UCDP's full release in the mirror, every country's panel comes from it, by the
    same code (here a stand-in release holding Mexico's and Myanmar's events)."""
    import dataclasses
    import gzip
    import zipfile

    mirror = tmp_path / "mirror"
    events = mirror / "conflict" / "ucdp" / "events"
    events.mkdir(parents=True)
    (mirror / "geo").symlink_to(settings.mirror / "geo")  # type: ignore[operator]
    for name in ("ged241_mexico.csv.gz", "ged241_myanmar.csv.gz", "GEDEvent_v26_0_2.csv.gz"):
        (events / name).symlink_to(settings.mirror / "conflict/ucdp/events" / name)  # type: ignore[operator]
    parts = [gzip.decompress((events / n).read_bytes()).decode().splitlines()
             for n in ("ged241_mexico.csv.gz", "ged241_myanmar.csv.gz")]
    with zipfile.ZipFile(events / "ged251-csv.zip", "w") as archive:
        archive.writestr("GEDEvent_v25_1.csv", "\n".join(parts[0] + parts[1][1:]) + "\n")
    full = dataclasses.replace(ged.FULL_HISTORY, source=dataclasses.replace(
        ged.FULL_HISTORY.source, schema=dataclasses.replace(ged.SCHEMA, min_rows=20000)))
    monkeypatch.setattr(ged, "FULL_HISTORY", full)
    there = settings.model_copy(update={"mirror": mirror})
    assert subnational.history_for("SDN", there) is full
    assert subnational.countries_with_histories(there) == ()
    panel = subnational.unit_panel("MMR", "region", there, gwcode=775)
    alone = subnational.unit_panel("MMR", "region", settings)
    assert set(panel.units["unit"]) == set(alone.units["unit"])
    assert panel.table["civilian_deaths"].sum() == alone.table["civilian_deaths"].sum()
    assert panel.table["vintage"].iloc[0] == "ged-25.1"
    # after GED 25.1's 2024-12: 2025 unknown here (no places), February 2026 provisional
    assert set(panel.table.loc[panel.table["month"].str.startswith("2025"), "status"]) == {
        "unknown"}
    assert panel.known_months()[-2:] == ["2024-12", "2026-02"]


def test_the_backtest_scores_units_and_country_totals(settings: Settings) -> None:
    from atrisk.evaluation import subnational_backtest as backtest

    models = {k: v for k, v in subnational_models().items()
              if k in ("exactly_zero", "national_shares", "history_and_shares")}
    panel = subnational.unit_panel("CAF", "region", settings)
    result = backtest.run([panel], models, 2011, 2012)
    scores = result.scores
    assert set(scores["model"]) == set(models) and set(scores["test_year"]) == {2011, 2012}
    assert scores.groupby(["model", "target", "test_year"]).size().eq(
        12 * len(panel.units)).all()  # every region, January to December
    zero = scores[scores["model"] == "exactly_zero"]
    np.testing.assert_allclose(zero["crps"], zero["actual"])  # CRPS of 0 is the actual
    table = backtest.summary(result)
    assert set(table["period"]) == {"validation", "test"}
    totals = result.totals.set_index(["model", "target", "month"])["crps"]
    national = totals.xs(backtest.NATIONAL, level="model")
    shares = totals.xs("national_shares", level="model")
    np.testing.assert_allclose(shares.sort_index(), national.sort_index())  # same totals


def test_the_backtest_deals_out_the_national_model_fitted_on_every_country(
        built: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given the country-month panel, the totals ``national_shares`` deals out are the
    shipped national model's on every country's months through the origin (as live), not a
    model of the units' own sum; ``recent_history`` stands in for the shipped model here, as
    its LightGBM fits take a minute."""
    from atrisk.domain.horizon import VIEWS_STEPS
    from atrisk.evaluation import subnational_backtest as backtest
    from atrisk.evaluation.monthly_metrics import crps
    from atrisk.models.monthly_registry import MONTHLY_MODELS
    from atrisk.panels.build import read_table
    from atrisk.panels.country_month import known

    monkeypatch.setattr(backtest, "DEFAULT", "recent_history")
    countries = known(read_table(built, "country_month"))
    panel = subnational.unit_panel("CAF", "region", built)
    models = {"national_shares": subnational_models()["national_shares"]}
    shipped = backtest.run([panel], models, 2012, 2012, targets=["civilian_deaths"],
                           countries=countries).totals.set_index(["model", "month"])["crps"]
    own = backtest.run([panel], models, 2012, 2012, targets=["civilian_deaths"]
                       ).totals.set_index(["model", "month"])["crps"]
    np.testing.assert_allclose(shipped.loc["national_shares"], shipped.loc[backtest.NATIONAL])
    every = countries[countries["month"] <= "2011-10"]
    fc = MONTHLY_MODELS["recent_history"]("civilian_deaths").fit(every).predict(
        every, list(VIEWS_STEPS))
    caf = (fc.keys["iso3"] == "CAF").to_numpy()
    months = fc.keys.loc[caf, "month"].to_numpy()
    actual = (unit_history(panel.table, "CAF").groupby("month")["civilian_deaths"].sum()
              .reindex(months).to_numpy(dtype=float))
    expected = crps(actual, np.sort(fc.draws[caf], axis=1), ordered=True)
    np.testing.assert_allclose(shipped.loc[backtest.NATIONAL].loc[months], expected)
    assert not np.allclose(own.loc[backtest.NATIONAL].loc[months], expected)


def test_candidate_events_with_places_carry_the_units_to_the_origin(
        built: Settings, forecasts, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """More data, no code: a history that ends in 2020-12 followed by a Candidate release
    with coordinates for all of 2021 (UCDP's 2021 releases) gives every region known months
    through 2021-12, so a national run from 2021-12 is dealt out by ``history_and_shares``,
    the last 12 months are 2021's, and the data note names the release."""
    import dataclasses

    from atrisk.domain.reports import MonthlyRunMeta
    from atrisk.forecasting import subnational as forecasting
    from atrisk.models.subnational import CURRENT

    mirror = tmp_path / "mirror"
    events = mirror / "conflict" / "ucdp" / "events"
    events.mkdir(parents=True)
    (mirror / "geo").symlink_to(built.mirror / "geo")  # type: ignore[operator]
    (events / ged.CANDIDATE_2021.source.path.split("/")[-1]).symlink_to(
        built.mirror / ged.CANDIDATE_2021.source.path)  # type: ignore[operator]
    full = pd.read_csv(built.mirror / ged.HISTORY_MMR.source.path,  # type: ignore[operator]
                       dtype=str, keep_default_na=False)
    full[full["date_start"].str[:7] <= "2020-12"].to_csv(events / "ged241_myanmar.csv.gz",
                                                         index=False)
    source = ged.HISTORY_MMR.source
    short = dataclasses.replace(ged.HISTORY_MMR, last_month="2020-12", source=dataclasses.replace(
        source, period=("date_start", "2020-12"),
        schema=dataclasses.replace(source.schema, min_rows=2000)))
    monkeypatch.setattr(ged, "EVENT_HISTORIES", (short,))
    monkeypatch.setattr(ged, "CANDIDATE_RELEASES", (ged.CANDIDATE_2021,))
    there = built.model_copy(update={"mirror": mirror})

    panel = subnational.unit_panel("MMR", "region", there)
    table = panel.table
    year = table[table["month"].str.startswith("2021")]
    assert (year["status"] == "provisional").all()
    assert (year["vintage"] == "candidate-21.0.x").all()
    release = ged.release_events(ged.CANDIDATE_2021, there)
    release = ged.to_country_month(release[release["country_id"] == 775]).set_index("month")
    by_month = year.groupby("month")["civilian_deaths"].sum()
    np.testing.assert_allclose(by_month.to_numpy(),
                               release["civilian_deaths"].reindex(by_month.index).fillna(0.0))
    assert panel.complete_through("2021-12") and panel.recent_through() == "2021-12"

    months = [str(m) for m in pd.period_range("2022-01", "2022-12", freq="M")]
    rng = np.random.default_rng(0)
    national = pd.DataFrame(
        [(m, t, d, float(v)) for m in months for t in forecasting.TARGETS
         for d, v in enumerate(rng.poisson(60, N_DRAWS))],
        columns=["month", "target", "draw", "value"]).assign(iso3="MMR")
    national.to_parquet(tmp_path / "national.parquet", index=False)
    national_run = MonthlyRunMeta.model_validate(
        forecasts["monthly"].meta.model_dump()
        | {"last_data_month": "2021-12", "draws_file": str(tmp_path / "national.parquet")})
    monkeypatch.setattr(forecasting, "latest_monthly_run", lambda _: national_run)
    run = forecasting.forecast_subnational(there, "MMR", tmp_path / "mmr.parquet", "region")
    assert run.meta.model == CURRENT
    assert run.meta.candidate_months == [str(m) for m in
                                         pd.period_range("2021-01", "2021-12", freq="M")]
    assert run.meta.last_12_through == "2021-12"
    assert "Candidate events of 2021-01 to 2021-12 (candidate-21.0.x)" in run.meta.data_note
    last12 = year.groupby("unit")["civilian_deaths"].sum()
    got = run.outlook.set_index("unit")["last_12_months"]
    np.testing.assert_allclose(got.to_numpy(), last12.reindex(got.index).fillna(0.0))
