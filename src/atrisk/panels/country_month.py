"""The country-month panel: every country of the canonical table in every month of its
existence from GED's first month to the latest month any UCDP release covers, each month
carrying the ``vintage`` it comes from and its ``status``:

- ``final``: GED 25.1 (through 2024-12);
- ``provisional``: a UCDP Candidate release (2025 on), revised when the next GED is final.
  Its ``*_sd`` columns hold the spread, on the log scale, that the forecast draws such a
  month with: the revisions measured on 2021 and, where ``civilian_estimated``, the civilian
  estimator's error (``candidates``);
- ``partial``: a month only late-coded events of the next release reach (its own release is
  missing): unknown, not calm, so its targets are missing and ``events`` says what arrived;
- ``unknown``: a month between releases that no release in the mirror reaches.

Months after the latest release are not in the panel: nobody has reported them. The releases
are the registered ones and every monthly release file found beside them
(``ged.candidate_releases``), so a new month needs the file, not code.

Targets: ``civilian_deaths`` (GED ``deaths_civilians`` summed) and ``fatalities`` (GED
``best`` summed). A state exists in a month when it is independent at the month's end.

Final months are checked against UCDP's own country-year totals (Organized Violence 25.1, the
same events summed by UCDP). A country-year whose months hold fewer deaths than UCDP records
is unknown, not zero: its months are left missing, so no model learns or is scored on a false
calm. (The aggregated GED file in the mirror has no rows for Niger: its events are counted
under Nigeria, every year.) Months holding more deaths than UCDP records are kept and
reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from atrisk.domain.vintage import DataBasis
from atrisk.panels import candidates
from atrisk.panels.candidates import TARGETS
from atrisk.panels.countries import GW_LIST_END, iso3_by_gwcode
from atrisk.settings import Settings
from atrisk.sources import crosswalk, ged, ucdp

__all__ = ["TARGETS", "CountryMonth", "build_country_month", "month_grid", "reconcile",
           "data_through", "known", "basis", "apply_release", "Spread"]

#: The statuses whose counts are known (the others: ``partial``, ``unknown``).
KNOWN = ("final", "provisional")


def month_grid(first: str, last: str, settings: Settings | None = None) -> pd.DataFrame:
    """``gwcode, iso3, month`` for every state-month from ``first`` to ``last`` (YYYY-MM)."""
    states = crosswalk.gw_states(settings)
    iso = iso3_by_gwcode(settings)
    months = pd.period_range(first, last, freq="M")
    ends = months.to_timestamp(how="end").normalize()
    rows = []
    last_day = pd.Timestamp(ends[-1])
    for spell in states.itertuples(index=False):
        end = last_day if spell.end >= GW_LIST_END else spell.end
        alive = (ends >= spell.start) & (ends <= end)
        for m in months[alive]:
            rows.append((spell.gwcode, str(m)))
    grid = pd.DataFrame(rows, columns=["gwcode", "month"]).drop_duplicates()
    grid["iso3"] = grid["gwcode"].map(iso)
    return grid[["gwcode", "iso3", "month"]]


@dataclass(frozen=True)
class CountryMonth:
    """The panel and the tables that explain it."""

    panel: pd.DataFrame
    #: GED rows that found no state-month, with the reason.
    unmatched: pd.DataFrame
    #: Country-years that disagree with UCDP's country-year totals, with what was done.
    check: pd.DataFrame
    #: One row per vintage: status, first and last month, how civilian deaths were known.
    vintages: pd.DataFrame
    #: Candidate 2021 against GED 25.1 final, per target (``candidates.Revision``).
    revisions: pd.DataFrame
    #: The same by type of violence, over the year.
    revisions_by_type: pd.DataFrame
    #: The civilian-death estimator against months whose truth is known.
    estimator_check: pd.DataFrame


def build_country_month(settings: Settings | None = None) -> CountryMonth:
    """GED final months, then every Candidate release after them, on one grid."""
    final = ged.country_month(settings)
    yearly = ucdp.organized_violence(settings)
    ids = ucdp.country_ids(settings)
    registered = ged.candidate_releases(settings)
    releases = [candidates.release_months(r, ids, settings) for r in registered]
    last = max([ged.FINAL_LAST_MONTH, *(r.last_month for r in registered)])
    grid = month_grid(ged.GED_FIRST_MONTH, last, settings)

    merged = grid.merge(final, on=["iso3", "month"], how="left")
    is_final = merged["month"] <= ged.FINAL_LAST_MONTH
    for col in (*TARGETS, "events"):
        merged.loc[is_final, col] = merged.loc[is_final, col].fillna(0.0)
    merged["vintage"] = pd.Series(ged.FINAL_VINTAGE, index=merged.index).where(is_final)
    merged["status"] = pd.Series("final", index=merged.index).where(is_final)
    merged["civilian_estimated"] = False
    merged["civilian_deaths_sd"] = merged["fatalities_sd"] = 0.0
    probe = final.merge(grid[["iso3", "month"]], on=["iso3", "month"], how="left",
                        indicator=True)
    missed = probe[(probe["_merge"] == "left_only") & (probe["fatalities"] > 0)]
    report = (missed.groupby("iso3")
              .agg(first_month=("month", "min"), last_month=("month", "max"),
                   rows=("month", "size"), fatalities=("fatalities", "sum"))
              .reset_index())
    report["reason"] = "explained: deaths in a month the state was not independent on its last day"
    panel, check = reconcile(merged.sort_values(["gwcode", "month"]).reset_index(drop=True),
                             yearly)

    feb = releases[registered.index(ged.CANDIDATE_2026_02)]
    measured = measure(final, yearly, ids, feb, settings)
    last_final_year = int(ged.FINAL_LAST_MONTH[:4])
    spread = Spread(revision={r.target: r.log_ratio_sd for r in measured.revisions},
                    estimate=measured.checks[0].log_ratio_sd)
    shares = candidates.CivilianShares().fit(yearly, last_final_year)

    vintages = [_vintage_row(ged.FINAL_VINTAGE, ged.COUNTRY_MONTH.name, "final",
                             ged.GED_FIRST_MONTH, ged.FINAL_LAST_MONTH, "reported")]
    for release, months in zip(registered, releases, strict=True):
        vintages += apply_release(panel, release, months, shares, spread)
    unreached = panel["status"].isna()  # a month no release in the mirror covers
    panel.loc[unreached, "status"] = "unknown"
    panel["civilian_estimated"] = panel["civilian_estimated"].astype(bool)
    return CountryMonth(panel=panel, unmatched=report, check=check,
                        vintages=pd.DataFrame(vintages),
                        revisions=candidates.as_table(measured.revisions),
                        revisions_by_type=measured.by_type,
                        estimator_check=candidates.as_table(measured.checks))


@dataclass(frozen=True)
class Measured:
    revisions: list[candidates.Revision]
    by_type: pd.DataFrame
    checks: list[candidates.EstimatorCheck]


def measure(final: pd.DataFrame, yearly: pd.DataFrame, ids: dict[str, int],
            feb: pd.DataFrame, settings: Settings | None) -> Measured:
    """What becoming final does to Candidate counts (2021 in both forms), and the civilian
    estimator's error on months whose civilian deaths are known (2021; 2026-02)."""
    gw = {iso: code for code, iso in iso3_by_gwcode(settings).items()}
    c21 = candidates.release_months(ged.CANDIDATE_2021, ids, settings)
    final21 = final[final["month"].str.startswith("2021")]
    final21 = final21.assign(gwcode=final21["iso3"].map(gw))
    feb = feb[feb["month"] == ged.CANDIDATE_2026_02.last_month]
    return Measured(
        revisions=candidates.revisions(c21, final21),
        by_type=candidates.revisions_by_type(c21, yearly, 2021),
        checks=[candidates.check_estimator(c21, c21["civilian_deaths"], yearly, 2020,
                                           "Candidate 2021 (its own civilian counts)"),
                candidates.check_estimator(feb, feb["civilian_deaths"], yearly,
                                           int(ged.FINAL_LAST_MONTH[:4]),
                                           "Candidate 26.0.2, 2026-02 (its own civilian "
                                           "counts)")])


@dataclass(frozen=True)
class Spread:
    """The log-scale sd a provisional month is drawn with, per target: Candidate-to-final
    revisions, and the civilian estimator's error where a release has no civilian split."""

    revision: dict[str, float]
    estimate: float


def apply_release(panel: pd.DataFrame, release: ged.Release, months: pd.DataFrame,
                  shares: candidates.CivilianShares, spread: Spread) -> list[dict[str, str]]:
    """Write a Candidate release's country-months into ``panel`` (in place) where no final
    month exists, zero for a state-month the release covers without an event; mark months
    only its late-coded events reach as partial. Returns the vintage rows it adds."""
    open_rows = (panel["status"] != "final").to_numpy()
    covered = panel["month"].isin(release.months).to_numpy() & open_rows
    counts = months.set_index(["gwcode", "month"])
    found = counts.reindex(pd.MultiIndex.from_frame(panel[["gwcode", "month"]]))
    if release.slim:
        by_type = found.reset_index().fillna({c: 0.0 for c in ged.VIOLENCE_TYPES.values()})
        found["civilian_deaths"] = shares.predict(by_type)
    rows = []
    if covered.any():
        for col in (*TARGETS, "events"):
            panel.loc[covered, col] = found.loc[covered, col].fillna(0.0).to_numpy()
        panel.loc[covered, "vintage"] = release.vintage
        panel.loc[covered, "status"] = "provisional"
        panel.loc[covered, "civilian_estimated"] = release.slim
        panel.loc[covered, "civilian_deaths_sd"] = np.hypot(
            spread.revision["civilian_deaths"], spread.estimate if release.slim else 0.0)
        panel.loc[covered, "fatalities_sd"] = spread.revision["fatalities"]
        first, last = panel.loc[covered, "month"].min(), panel.loc[covered, "month"].max()
        rows.append(_vintage_row(release.vintage, release.source.name, "provisional",
                                 first, last, "estimated" if release.slim else "reported"))
    for month in sorted(set(months["month"]) - set(release.months)):
        hit = (panel["month"] == month) & panel["status"].isna()
        if not hit.any():  # late-coded events of a month already known: no change
            continue
        n = counts.xs(month, level="month")["events"]
        panel.loc[hit, "events"] = panel.loc[hit, "gwcode"].map(n).fillna(0.0).to_numpy()
        panel.loc[hit, "vintage"] = release.vintage
        panel.loc[hit, "status"] = "partial"
        rows.append(_vintage_row(release.vintage, release.source.name, "partial", month, month,
                                 "unknown"))
    return rows


def _vintage_row(vintage: str, source: str, status: str, first: str, last: str,
                 civilian: str) -> dict[str, str]:
    return {"vintage": vintage, "source": source, "status": status, "first_month": first,
            "last_month": last, "civilian_deaths": civilian}


def known(panel: pd.DataFrame) -> pd.DataFrame:
    """The months a model may learn from or be scored on: final and provisional ones."""
    if "status" not in panel:
        return panel
    return panel[panel["status"].isin(KNOWN)]


def data_through(panel: pd.DataFrame) -> str:
    """The latest month with data (final or provisional): forecasts start after it."""
    return str(known(panel)["month"].max())


def basis(panel: pd.DataFrame, through: str, since: str | None = None) -> DataBasis:
    """What a forecast from the months up to ``through`` stands on (its vintages, and which
    months are provisional, estimated or partial among those from ``since`` on)."""
    rows = panel[(panel["month"] <= through) & (panel["month"] >= (since or ""))]
    by_month = rows.drop_duplicates("month").set_index("month").sort_index()

    def span(mask: pd.Series) -> tuple[str, str] | None:
        months = by_month.index[mask.to_numpy()]
        return (str(months.min()), str(months.max())) if len(months) else None

    return DataBasis(
        through=through,
        vintages=tuple(dict.fromkeys(by_month["vintage"].dropna().astype(str))),
        provisional=span(by_month["status"] == "provisional"),
        estimated=span(by_month["civilian_estimated"].astype(bool)),
        partial=tuple(str(m) for m in by_month.index[(by_month["status"] == "partial")
                                                     .to_numpy()]))


#: Panel target -> UCDP country-year column holding the same deaths summed by UCDP.
YEARLY_TOTALS = {"fatalities": "ucdp_all_deaths", "civilian_deaths": "ucdp_civilian_deaths"}


def reconcile(panel: pd.DataFrame, yearly: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blank the months of country-years that miss deaths UCDP records; report every
    complete year whose months and UCDP's total differ (``action`` says what was done)."""
    p = panel.assign(year=panel["month"].str[:4].astype(int))
    sums = p.groupby(["gwcode", "iso3", "year"])[list(YEARLY_TOTALS)].sum().reset_index()
    last = pd.Period(str(p["month"].max()), freq="M")
    last_full_year = last.year if last.month == 12 else last.year - 1
    complete = sums[sums["year"] <= last_full_year]
    both = complete.merge(yearly[["gwcode", "year", *YEARLY_TOTALS.values()]],
                          on=["gwcode", "year"], how="inner")
    short = pd.Series(False, index=both.index)
    over = pd.Series(False, index=both.index)
    for target, total in YEARLY_TOTALS.items():
        short |= both[target] < both[total]
        over |= both[target] > both[total]
    both["action"] = None
    both.loc[over, "action"] = "kept: months hold more deaths than UCDP's country-year total"
    both.loc[short, "action"] = ("unknown: months miss deaths UCDP's country-year total "
                                 "records; left missing")
    check = both[short | over].reset_index(drop=True)
    blank = check.loc[check["action"].str.startswith("unknown"), ["gwcode", "year"]]
    hit = p.set_index(["gwcode", "year"]).index.isin(pd.MultiIndex.from_frame(blank))
    out = panel.copy()
    out.loc[hit, [*YEARLY_TOTALS, "events"]] = float("nan")
    return out, check
