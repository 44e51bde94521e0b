"""The country-month panel with vintages: GED final months, UCDP Candidate releases after
them, civilian deaths estimated where a release lacks them, what revisions do, and the
forecast from the latest month that says what it stands on. Checked against the raw files."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from atrisk.forecasting.monthly import forecast_monthly
from atrisk.models.monthly import RecentHistory
from atrisk.panels import candidates
from atrisk.panels.build import read_table
from atrisk.panels.country_month import Spread, apply_release, basis, data_through, known
from atrisk.settings import Settings
from atrisk.sources import ged, ucdp


@pytest.fixture(scope="module")
def monthly(built: Settings) -> pd.DataFrame:
    return read_table(built, "country_month")


def _row(monthly: pd.DataFrame, iso3: str, month: str) -> pd.Series:
    return monthly[(monthly["iso3"] == iso3) & (monthly["month"] == month)].iloc[0]


def _yearly_by_hand(mirror: Path) -> dict[tuple[int, int], dict[str, float]]:
    wanted = [f"{k}_{c}_cy" for k in ("sb", "ns")
              for c in ("deaths_civilians", "total_deaths_best")]
    with open(mirror / ucdp.ORGANIZED_VIOLENCE.path, encoding="utf-8") as fh:
        return {(int(r["country_id_cy"]), int(r["year_cy"])): {k: float(r[k] or 0)
                                                                for k in wanted}
                for r in csv.DictReader(fh)}


def test_a_2025_candidate_month_by_hand(monthly: pd.DataFrame, mirror: Path) -> None:
    """Sudan, October 2025 (El Fasher), summed from the raw 2025 Candidate file, and its
    civilian deaths estimated from Sudan's 2024 shares, also by hand."""
    deaths = {1: 0, 2: 0, 3: 0}
    events = 0
    with open(mirror / ged.CANDIDATE_2025.source.path, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["country"] == "Sudan" and r["date"].startswith("2025-10"):
                deaths[int(r["type_of_violence"])] += int(r["best"])
                events += 1
    row = _row(monthly, "SDN", "2025-10")
    assert (row["fatalities"], row["events"]) == (sum(deaths.values()), events)
    assert (row["vintage"], row["status"], row["civilian_estimated"]) == (
        "candidate-25.0.x", "provisional", True)
    yearly = _yearly_by_hand(mirror)
    year = {k: v for k, v in yearly.items() if k[1] == 2024}

    def share(kind: str, gw: int) -> float:
        civ, total = f"{kind}_deaths_civilians_cy", f"{kind}_total_deaths_best_cy"
        world = sum(v[civ] for v in year.values()) / sum(v[total] for v in year.values())
        return (year[(gw, 2024)][civ] + 100 * world) / (year[(gw, 2024)][total] + 100)

    expected = deaths[3] + share("sb", 625) * deaths[1] + share("ns", 625) * deaths[2]
    assert row["civilian_deaths"] == pytest.approx(expected)
    assert deaths[3] <= row["civilian_deaths"] <= row["fatalities"]
    # a provisional month carries the spread of revisions and of the estimate
    assert row["civilian_deaths_sd"] > row["fatalities_sd"] > 0


def test_an_unknown_month_stays_unknown(monthly: pd.DataFrame, mirror: Path) -> None:
    """January 2026 has no release of its own: only February's late-coded events reach it.
    It is partial (not calm), and no month after the latest release is in the panel."""
    late = Counter()
    with gzip.open(mirror / ged.CANDIDATE_2026_02.source.path, "rt", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["date_start"].startswith("2026-01"):
                late[int(r["country_id"])] += 1
    january = monthly[monthly["month"] == "2026-01"]
    assert set(january["status"]) == {"partial"}
    assert january["civilian_deaths"].isna().all() and january["fatalities"].isna().all()
    assert january.set_index("gwcode")["events"].loc[list(late)].to_dict() == dict(late)
    assert monthly["month"].max() == "2026-02" == data_through(monthly)
    assert "2026-01" not in set(known(monthly)["month"])
    february = monthly[monthly["month"] == "2026-02"]
    assert set(february["status"]) == {"provisional"} and february["fatalities"].notna().all()
    assert not february["civilian_estimated"].any()  # this release has the civilian split


def test_the_final_value_wins_where_both_exist(monthly: pd.DataFrame, built: Settings) -> None:
    """The 2021 Candidate release, applied over GED 25.1's final 2021, changes nothing; on
    months not yet final it is what the panel holds."""
    ids = ucdp.country_ids(built)
    c21 = candidates.release_months(ged.CANDIDATE_2021, ids, built)
    spread = Spread(revision={"civilian_deaths": 0.5, "fatalities": 0.6}, estimate=0.0)
    shares = candidates.CivilianShares()
    panel = monthly[monthly["month"].str.startswith("2021")].reset_index(drop=True)
    after = panel.copy()
    assert apply_release(after, ged.CANDIDATE_2021, c21, shares, spread) == []
    pd.testing.assert_frame_equal(after, panel)
    eth = c21[(c21["gwcode"] == 530) & (c21["month"] == "2021-01")].iloc[0]
    assert _row(panel, "ETH", "2021-01")["fatalities"] != eth["fatalities"]  # they differ

    open_months = panel.assign(status=None, vintage=None)
    rows = apply_release(open_months, ged.CANDIDATE_2021, c21, shares, spread)
    assert [r["status"] for r in rows] == ["provisional"]
    got = open_months[(open_months["iso3"] == "ETH") & (open_months["month"] == "2021-01")]
    assert got["fatalities"].item() == eth["fatalities"]
    assert got["vintage"].item() == "candidate-21.0.x"
    assert got["fatalities_sd"].item() == 0.6


def test_civilian_shares_by_hand() -> None:
    yearly = pd.DataFrame({
        "gwcode": [1, 2], "year": [2024, 2024],
        "ucdp_sb_deaths": [1000.0, 0.0], "ucdp_sb_civilian_deaths": [500.0, 0.0],
        "ucdp_ns_deaths": [0.0, 300.0], "ucdp_ns_civilian_deaths": [0.0, 30.0]})
    shares = candidates.CivilianShares(years=1, prior=100).fit(yearly, 2024)
    months = pd.DataFrame({"gwcode": [1, 2, 3], "deaths_state_based": [10.0, 10.0, 10.0],
                           "deaths_non_state": [0.0, 10.0, 0.0],
                           "deaths_one_sided": [5.0, 0.0, 1.0]})
    sb1 = (500 + 100 * 0.5) / 1100  # shrunk towards the world's 50%
    sb2 = (0 + 100 * 0.5) / 100
    ns2 = (30 + 100 * 0.1) / 400
    assert shares.predict(months) == pytest.approx([5 + 10 * sb1, 10 * sb2 + 10 * ns2,
                                                    1 + 10 * 0.5])


def test_estimator_and_revisions_are_measured_against_known_months(built: Settings,
                                                                   mirror: Path) -> None:
    check = read_table(built, "civilian_estimator_check").set_index("shares_through")
    assert set(check.index) == {2020, 2024}
    assert check.loc[2024, "true_total"] == 1659  # 2026-02's own civilian counts
    # on February 2026 the learned shares beat one world share per type
    assert check.loc[2024, "mean_absolute_error"] < check.loc[2024, "world_share_mae"]
    assert (check["log_ratio_sd"] > 0).all()

    revisions = read_table(built, "candidate_revisions").set_index("target")
    frame = ged.read_events(mirror / ged.CANDIDATE_2021.source.path).table
    assert revisions.loc["fatalities", "candidate_total"] == frame["best"].sum()
    assert revisions.loc["civilian_deaths", "candidate_total"] == frame["deaths_civilians"].sum()
    final = pd.read_csv(mirror / ged.COUNTRY_MONTH.path)
    final21 = final[final["year_month"].str.startswith("2021")]
    assert revisions.loc["fatalities", "final_total"] == final21["ucdp_fatalities_best"].sum()
    assert revisions.loc["fatalities", "final_total"] > 2 * revisions.loc[
        "fatalities", "candidate_total"]  # 2021's Candidate counts missed half the deaths
    by_type = read_table(built, "candidate_revisions_by_type").set_index("type")
    assert by_type.loc["state-based", "final_over_candidate"] > 2


def test_provisional_months_widen_the_draws_and_final_ones_change_nothing() -> None:
    months = [str(pd.Period("2023-01", "M") + i) for i in range(36)]
    history = pd.DataFrame({"gwcode": 1, "iso3": "AAA", "month": months,
                            "fatalities": 100.0, "fatalities_sd": 0.0})
    plain = history.drop(columns="fatalities_sd")
    model = RecentHistory("r", "fatalities", jitter=0.0, season=0.0, cap=None)
    a = model.fit(history).predict(history, [1, 2, 3]).draws
    b = model.fit(plain).predict(plain, [1, 2, 3]).draws
    np.testing.assert_array_equal(a, b)  # all final: the very same draws
    history.loc[history["month"] >= "2025-01", "fatalities_sd"] = 0.6
    wide = model.fit(history).predict(history, [1, 2, 3]).draws
    assert np.std(wide) > 10 * max(np.std(a), 1e-9)
    assert np.median(wide) == pytest.approx(np.median(a), rel=0.15)


def test_forecast_from_the_latest_month_by_default(built: Settings, tmp_path: Path) -> None:
    run = forecast_monthly(built, None, tmp_path / "d.parquet", model="recent_history")
    months = sorted(set(run.summary["month"]))
    assert months[0] == "2026-03" and months[-1] == "2027-02" and len(months) == 12
    assert run.meta.last_data_month == "2026-02"
    stands_on = run.meta.data
    assert stands_on is not None
    assert stands_on.vintages == ("ged-25.1", "candidate-25.0.x", "candidate-26.0.2")
    assert stands_on.describe() == (
        "data through 2026-02; 2025-01–2026-02 from UCDP Candidate releases, provisional; "
        "civilian deaths 2025-01–2025-12 estimated; 2026-01 only partly known (treated as "
        "unknown)")
    draws = pd.read_parquet(tmp_path / "d.parquet")
    assert list(draws.columns) == ["iso3", "gwcode", "month", "last_data_month", "target",
                                   "model", "draw", "value"]
    assert set(draws["last_data_month"]) == {"2026-02"}
    sudan = run.summary.query("iso3 == 'SDN' and target == 'civilian_deaths'")
    assert (sudan["q90"] > sudan["median"]).all()


def test_an_earlier_origin_stands_on_final_data(monthly: pd.DataFrame) -> None:
    assert basis(monthly, "2023-12", since="2021-01").describe() == (
        "data through 2023-12; UCDP GED, final")


def _mirror_with(mirror: Path, tmp_path: Path, extra: dict[str, str]) -> Path:
    """A copy of the mirror (links) whose events folder also holds ``extra`` files."""
    out = tmp_path / "mirror"
    events = Path(ged.CANDIDATE_2026_02.source.path).parent
    for path in mirror.rglob("*"):
        if path.is_file():
            link = out / path.relative_to(mirror)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
    for name, text in extra.items():
        (out / events / name).write_text(text, encoding="utf-8")
    return out


def test_a_monthly_release_dropped_into_the_mirror_extends_the_panels(
        mirror: Path, tmp_path: Path) -> None:
    """More data, no code: a file under UCDP's monthly name (here March 2026, made from
    February's release moved a month on) is read, validated and applied like the registered
    releases, in the country panel and in the places of the sub-national panels; a cut one
    is refused by name."""
    from atrisk.domain.errors import SourceError
    from atrisk.panels import subnational
    from atrisk.panels.country_month import build_country_month

    march = _march(mirror)
    there = _mirror_with(mirror, tmp_path, {"GEDEvent_v26_0_3.csv": march.to_csv(index=False)})
    settings = Settings(mirror=there, build_dir=tmp_path / "build")
    releases = ged.candidate_releases(settings)
    assert [r.vintage for r in releases] == ["candidate-25.0.x", "candidate-26.0.2",
                                             "candidate-26.0.3"]
    assert releases[-1].months == ("2026-03",)

    panel = build_country_month(settings).panel
    assert panel["month"].max() == "2026-03"
    mmr = panel[panel["iso3"] == "MMR"].set_index("month")
    assert (mmr.loc["2026-03", "status"], mmr.loc["2026-03", "vintage"]) == (
        "provisional", "candidate-26.0.3")
    in_march = march[(march["country_id"] == "775") & march["date_start"].str.startswith("2026-03")]
    assert mmr.loc["2026-03", "fatalities"] == in_march["best"].astype(int).sum() > 0
    assert mmr.loc["2026-02", "vintage"] == "candidate-26.0.2"  # late-coded events: no change

    regions = subnational.unit_panel("MMR", "region", settings).table
    placed = regions[regions["month"] == "2026-03"]
    assert (placed["status"] == "provisional").all()
    assert placed["fatalities"].sum() == mmr.loc["2026-03", "fatalities"]

    cut = _mirror_with(mirror, tmp_path / "cut",
                       {"GEDEvent_v26_0_3.csv": march.head(50).to_csv(index=False)})
    with pytest.raises(SourceError, match="GEDEvent_v26_0_3.csv.*expected at least 500"):
        build_country_month(Settings(mirror=cut, build_dir=tmp_path / "build"))


def _march(mirror: Path, months: int = 1) -> pd.DataFrame:
    """February 2026's release moved ``months`` on: a stand-in for March's (or later)."""
    with gzip.open(mirror / ged.CANDIDATE_2026_02.source.path, "rt", encoding="utf-8") as fh:
        march = pd.read_csv(fh, dtype=str, keep_default_na=False)
    for col in ("date_start", "date_end"):
        moved = pd.to_datetime(march[col].str[:10]) + pd.DateOffset(months=months)
        march[col] = moved.dt.strftime("%Y-%m-%d") + march[col].str[10:]
    return march


def test_data_fetch_downloads_the_releases_ucdp_has_published_since(
        mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`atrisk data fetch` against a local stand-in for UCDP's folder holding March 2026:
    March is downloaded under UCDP's name (and then found by the build), April, not yet
    published, ends the run; a second run downloads nothing; a release cut short is refused,
    naming its URL, and not kept. With a mirror set it says where the files go instead.
    `atrisk refresh` without a mirror fetches before it builds, and builds anyway, with a
    warning, when UCDP cannot be reached."""
    import http.server
    import threading

    from typer.testing import CliRunner

    from atrisk.cli.main import app

    served = tmp_path / "ucdp"
    served.mkdir()
    march = _march(mirror)
    march.to_csv(served / "GEDEvent_v26_0_3.csv", index=False)
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args) -> None:  # the output is the command's only
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    cache = tmp_path / "cache"
    env = {"ATRISK_MIRROR": "", "ATRISK_CACHE_DIR": str(cache), "COLUMNS": "200"}  # empty: none
    command = ["data", "fetch", "--until", "2026-06", "--base-url", base]
    try:
        first = CliRunner().invoke(app, command, env=env)
        assert first.exit_code == 0, first.output
        said = " ".join(first.output.split())
        assert "1 new Candidate release(s) after 2026-02" in said
        assert "UCDP has not published 2026-04 yet" in said
        folder = cache / "conflict" / "ucdp" / "events"
        assert [p.name for p in folder.iterdir()] == ["GEDEvent_v26_0_3.csv"]
        found = ged.candidate_releases(Settings(mirror=None, cache_dir=cache))
        assert found[-1].months == ("2026-03",) and found[-1].vintage == "candidate-26.0.3"
        again = CliRunner().invoke(app, command, env=env)
        assert "0 new Candidate release(s) after 2026-03" in " ".join(again.output.split())

        march.head(50).to_csv(served / "GEDEvent_v26_0_4.csv", index=False)
        cut = CliRunner().invoke(app, command, env=env)
        assert cut.exit_code != 0  # `atrisk` prints the error in one line (cli.main.run)
        assert "GEDEvent_v26_0_4.csv: only 50 events" in str(cut.exception)
        assert sorted(p.name for p in folder.iterdir()) == ["GEDEvent_v26_0_3.csv"]
    finally:
        server.shutdown()
    refused = CliRunner().invoke(app, command, env={**env, "ATRISK_MIRROR": str(mirror)})
    assert refused.exit_code != 0 and "put new ones there" in str(refused.exception)

    # `atrisk refresh` without a mirror asks UCDP first, then builds; unreachable, it warns
    from atrisk.cli import main

    built_with: list[list[str]] = []
    monkeypatch.setattr(main, "data_build", lambda: built_with.append(
        sorted(p.name for p in folder.iterdir())))
    monkeypatch.setattr(main, "forecast_structural", lambda **_: None)
    (served / "GEDEvent_v26_0_4.csv").unlink()
    _march(mirror, 2).to_csv(served / "GEDEvent_v26_0_4.csv", index=False)  # April
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(ged, "CANDIDATE_URL", f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        fresh = CliRunner().invoke(app, ["refresh", "--no-monthly"], env=env)
    finally:
        server.shutdown()
    assert fresh.exit_code == 0, fresh.output
    assert "1 new Candidate release(s) after 2026-03" in " ".join(fresh.output.split())
    assert built_with == [["GEDEvent_v26_0_3.csv", "GEDEvent_v26_0_4.csv"]]  # then built
    monkeypatch.setattr(ged, "CANDIDATE_URL", "http://127.0.0.1:9/")  # nothing listens
    offline = CliRunner().invoke(app, ["refresh", "--no-monthly"], env=env)
    assert offline.exit_code == 0, offline.output
    said = " ".join(offline.output.split())
    assert "new UCDP Candidate releases not checked" in said and "download failed" in said
    assert len(built_with) == 2
