"""Time the monthly back-test and print the model table (ViEWS protocol, 2018-2023); score
the year no setting saw (2024, as annual totals against UCDP's country-year data); and print
the validation search on 1995-2017 that chose ``recent_history``'s settings.

Run: ``make bench-monthly`` (or ``uv run python benchmarks/monthly.py``).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from table_format import markdown

from atrisk.domain.horizon import VIEWS_STEPS, MonthlyWindow, monthly_windows
from atrisk.evaluation.monthly_backtest import changes, run, views_rows
from atrisk.evaluation.monthly_metrics import crps, interval_score, pit_tails, summarise
from atrisk.models.monthly import (
    RECENT_HISTORY_SETTINGS,
    MonthlyModel,
    RecentHistory,
    as_paths,
)
from atrisk.models.monthly_registry import BENCHMARKS, MONTHLY_MODELS
from atrisk.panels.build import build, read_table
from atrisk.panels.country_month import TARGETS, YEARLY_TOTALS, known
from atrisk.settings import Settings
from atrisk.sources import ucdp


def main() -> None:
    settings = Settings(build_dir=Path(os.environ.get("ATRISK_BUILD_DIR", "build/bench")))
    build(settings)
    panel = known(read_table(settings, "country_month"))

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        every_step = run(panel, MONTHLY_MODELS, TARGETS, monthly_windows(2018, 2023),
                         draws_out=Path(tmp) / "draws.parquet")
        seconds = time.perf_counter() - start
    print(f"monthly back-test, {len(MONTHLY_MODELS)} models x 2 targets x 6 years x steps "
          f"1-14, every draw written: {seconds:.1f} s\n")
    scored = views_rows(every_step)
    table = summarise(scored, ["target", "model"])
    ref = table[table["model"] == "conflictology_country12"].set_index("target")["crps"]
    table["crps_vs_conflictology"] = table["crps"] / table["target"].map(ref) - 1
    print(markdown(table))
    print("\nCRPS change against conflictology_country12, with a 95% interval from resampling "
          "countries (paired)\n")
    print(markdown(changes(scored)))
    scored["actuals"] = scored["actual"].gt(0).map({True: "non-zero", False: "zero"})
    print("\nOn months with and without deaths\n")
    keep = scored["model"].isin(["conflictology_country12", "recent_history"])
    print(markdown(summarise(scored[keep], ["target", "actuals", "model"])))
    print("\nPIT tails by what the forecast expected: calm (its 95th percentile is 0) or not; "
          "0.05 each when calibrated\n")
    print(markdown(tails_by_forecast(panel)))
    years = scored.assign(year=scored["month"].str[:4])
    by_year = years.pivot_table(index=["target", "year"], columns="model", values="crps",
                                aggfunc="mean").reset_index()
    by_year = by_year[["target", "year", *BENCHMARKS[2:3], "recent_history"]]
    by_year["ratio"] = by_year["recent_history"] / by_year[BENCHMARKS[2]]
    means = by_year.groupby("target", as_index=False).mean(numeric_only=True)
    print("\nCRPS by test year (the last row per target: the mean over the six years; its "
          "ratio is the mean of the yearly ratios, validation's criterion)\n")
    print(markdown(pd.concat([by_year, means.assign(year="mean")]).sort_values(
        ["target", "year"], kind="stable")))

    print("\nCRPS by step 1-14 (steps 1-2: November-December before the test year) and its "
          "ratio to conflictology_country12\n")
    print(markdown(by_step(every_step)))

    print("\nThe country-months with the largest benchmark CRPS, and the change of "
          "recent_history's pooled CRPS against the benchmark's without them and every row "
          "above\n")
    print(markdown(largest_months(scored)))

    print("\nHeld out: 2024 as annual totals (UCDP Organized Violence 25.1)\n")
    held_out, by_country = held_out_2024(panel, settings)
    print(markdown(held_out))
    print("\nThe countries that decide it: summed CRPS of recent_history minus "
          "conflictology_country12's, largest first (of the difference over all countries)\n")
    print(markdown(by_country))

    print("\nValidation on 1995-2017, per target: the CRPS ratio to conflictology_country12 "
          "(mean over years, and over 1995-2011 and 2012-2017 apart; pooled over all "
          "country-months; the change from the shipped settings, paired by year, and its "
          "standard error), one setting changed at a time from the shipped ones\n")
    print(markdown(settings_validation(panel)))

    print("\nSteps 1-2 for fatalities on 1995-2017: the decay extrapolated back or held at "
          "step 3's multiplier, from October and December origins\n")
    print(markdown(near_steps_check(panel)))

    print("\nValidation on 1995-2017 of the month-to-month correlation of recent_history's "
          "paths: CRPS of 6- and 12-month totals and the Brier score of 'a month >= 100 among "
          "the first 6', as ratios to independent months\n")
    print(markdown(paths_validation(panel)))


HELD_OUT_MODELS = {
    "conflictology_country12": MONTHLY_MODELS["conflictology_country12"],
    "recent_history": MONTHLY_MODELS["recent_history"],
    "recent_history, months independent": lambda t: _recent("r", t, paths=0.0),
}

#: Around each target's shipped settings, the values tried one at a time (a value equal to
#: the shipped one is skipped; ``scale`` moves by +-0.1 from the shipped value).
SEARCH: dict[str, list] = {
    "window": [24, 36, 60], "half_life": [2.0, 3.0, 6.0], "scale": [-0.1, 0.1],
    "decay": [0.94, 0.96, 1.0], "jitter": [0.25, 0.5, 0.75], "cap": [None, 3.0, 10.0, 50.0],
    "season": [0.0, 0.2, 0.35]}

#: Settings replaced since the last benchmark, still scored so the change can be checked.
PREVIOUS: dict[str, dict[str, object]] = {
    "fatalities": {"scale": 0.85, "decay": 1.0, "cap": 10.0},  # until session 5
}


def _recent(name: str, target: str, **changes: object) -> RecentHistory:
    return RecentHistory(name, target, **{**RECENT_HISTORY_SETTINGS[target], **changes})


def settings_validation(panel: pd.DataFrame) -> pd.DataFrame:
    """Score each target's shipped ``recent_history`` and its one-setting neighbours on the
    test years 1995-2017, which come before the back-test's. ``vs_shipped`` is the mean
    over years of the change in ratio, ``se`` its standard error: a change is adopted only
    when it gains more than two standard errors."""
    tables = []
    for target in TARGETS:
        shipped = MONTHLY_MODELS["recent_history"](target).params()
        grid = {"conflictology_country12": MONTHLY_MODELS["conflictology_country12"],
                "shipped": MONTHLY_MODELS["recent_history"]}
        if target in PREVIOUS:
            grid["previous settings"] = (lambda kw: lambda t: _recent("p", t, **kw))(
                PREVIOUS[target])
        for key, values in SEARCH.items():
            for value in values:
                if key == "scale":
                    value = round(shipped[key] + value, 2)
                if value == shipped[key]:
                    continue
                name = f"{key}={value}"
                grid[name] = (lambda n, k, v: lambda t: _recent(n, t, **{k: v}))(name, key, value)
        tables.append(validation_table(panel, target, grid))
    return pd.concat(tables, ignore_index=True).round(4)


def yearly_crps(panel: pd.DataFrame, target: str,
                grid: dict[str, Callable[[str], MonthlyModel]]) -> pd.DataFrame:
    """Each model's summed CRPS per test year 1995-2017 (years x models)."""
    scored = views_rows(run(panel, grid, [target], monthly_windows(1995, 2017)))
    return scored.assign(year=scored["month"].str[:4].astype(int)).groupby(
        ["model", "year"])["crps"].sum().unstack("model")


def validation_table(panel: pd.DataFrame, target: str,
                     grid: dict[str, Callable[[str], MonthlyModel]]) -> pd.DataFrame:
    """Score ``grid`` (which holds ``conflictology_country12`` and ``shipped``) on the test
    years 1995-2017: each model's yearly CRPS ratio to the benchmark, its mean, and the
    change from the shipped model paired by year with its standard error."""
    years = yearly_crps(panel, target, grid)
    ratio = years.div(years["conflictology_country12"], axis=0)
    early = ratio.index < 2012
    change = ratio.sub(ratio["shipped"], axis=0)  # paired by year
    return pd.DataFrame({
        "target": target, "model": ratio.columns, "ratio": ratio.mean().to_numpy(),
        "ratio_1995_2011": ratio[early].mean().to_numpy(),
        "ratio_2012_2017": ratio[~early].mean().to_numpy(),
        "pooled": (years.sum() / years["conflictology_country12"].sum()).to_numpy(),
        "vs_shipped": change.mean().to_numpy(),
        "se": (change.std(ddof=1) / np.sqrt(len(change))).to_numpy(),
        "better_years": (change < 0).sum().to_numpy(),
        "worse_years": (change > 0).sum().to_numpy(),
    }).sort_values("ratio")


def by_step(scored: pd.DataFrame) -> pd.DataFrame:
    """Mean CRPS by target and step for the benchmark and ours, and their ratio."""
    keep = scored["model"].isin(["conflictology_country12", "recent_history"])
    table = scored[keep].pivot_table(index=["target", "step"], columns="model", values="crps",
                                     aggfunc="mean").reset_index()
    table["ratio"] = table["recent_history"] / table["conflictology_country12"]
    return table.round(4)


def largest_months(scored: pd.DataFrame, n: int = 4) -> pd.DataFrame:
    """Per target, the ``n`` country-months that cost ``conflictology_country12`` most, and
    what the pooled comparison becomes without them (a few lumps can decide six years)."""
    rows = []
    for target, part in scored.groupby("target"):
        crps = part.pivot_table(index=["iso3", "month", "actual"], columns="model",
                                values="crps")[[BENCHMARKS[2], "recent_history"]]
        total = crps.sum()
        top = crps.sort_values(BENCHMARKS[2], ascending=False).head(n)
        dropped = top.cumsum()
        for k, ((iso3, month, actual), row) in enumerate(top.iterrows()):
            left = total - dropped.iloc[k]
            rows.append({"target": target, "iso3": iso3, "month": month, "actual": int(actual),
                         BENCHMARKS[2]: round(row[BENCHMARKS[2]]),
                         "recent_history": round(row["recent_history"]),
                         "share_of_benchmark_total": row[BENCHMARKS[2]] / total[BENCHMARKS[2]],
                         "change_without": left["recent_history"] / left[BENCHMARKS[2]] - 1})
    return pd.DataFrame(rows).round(4)


def tails_by_forecast(panel: pd.DataFrame) -> pd.DataFrame:
    """Where the upper tail's excess comes from: months forecast calm that were not, or
    violence beyond a violent forecast (back-test years, the same draws as the table)."""
    rows = []
    truth = panel.set_index(["gwcode", "month"])
    for window in monthly_windows(2018, 2023):
        history = panel[panel["month"] <= window.last_data_month]
        for target in TARGETS:
            for name in ("conflictology_country12", "recent_history"):
                fc = MONTHLY_MODELS[name](target).fit(history).predict(history, VIEWS_STEPS)
                actual = truth[target].reindex(pd.MultiIndex.from_frame(
                    fc.keys[["gwcode", "month"]])).to_numpy(dtype=float)
                keep = ~np.isnan(actual)
                below, above = pit_tails(actual[keep], fc.draws[keep])
                calm = np.quantile(fc.draws[keep], 0.95, axis=1) == 0
                rows.append(pd.DataFrame({"target": target, "model": name, "below": below,
                                          "above": above, "forecast": np.where(
                                              calm, "calm", "violent")}))
    frame = pd.concat(rows, ignore_index=True)
    table = frame.groupby(["target", "model", "forecast"]).agg(
        months=("above", "size"), pit_below5=("below", "mean"), pit_above95=("above", "mean"),
        above95_sum=("above", "sum")).reset_index()
    total = table.groupby(["target", "model"])["above95_sum"].transform("sum")
    table["share_of_upper_tail"] = table.pop("above95_sum") / total
    return table.round(4)


def held_out_2024(panel: pd.DataFrame, settings: Settings
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CRPS and MIS of each model's 2024 annual totals (its 12 monthly draws summed draw by
    draw) against UCDP's country-year totals, from the ViEWS origin (data to 2023-10) and
    from the forecast's (to 2023-12); and the three countries where ``recent_history`` and
    the benchmark differ most."""
    yearly = ucdp.organized_violence(settings)
    truth = yearly[yearly["year"] == 2024].set_index("gwcode")
    iso3 = panel.drop_duplicates("gwcode").set_index("gwcode")["iso3"]
    rows, countries = [], []
    for origin, steps in (("2023-10", range(3, 15)), ("2023-12", range(1, 13))):
        history = panel[panel["month"] <= origin]
        for target, column in YEARLY_TOTALS.items():
            per_country = {}
            for name, factory in HELD_OUT_MODELS.items():
                fc = factory(target).fit(history).predict(history, list(steps))
                totals = pd.DataFrame(fc.draws).groupby(fc.keys["gwcode"].to_numpy()).sum()
                totals = totals[totals.index.isin(truth.index)]
                actual = truth.loc[totals.index, column].to_numpy(dtype=float)
                scores = crps(actual, totals.to_numpy())
                per_country[name] = pd.DataFrame({
                    "crps": scores, "median": np.median(totals.to_numpy(), axis=1),
                    "actual": actual}, index=totals.index)
                rows.append({"data_to": origin, "target": target, "model": name,
                             "countries": len(totals), "crps": float(scores.mean()),
                             "mis": float(interval_score(actual, totals.to_numpy()).mean())})
            ours, ref = per_country["recent_history"], per_country["conflictology_country12"]
            diff = (ours["crps"] - ref["crps"]).sort_values(key=abs, ascending=False)
            for gw in diff.index[:3]:
                countries.append({"data_to": origin, "target": target, "iso3": iso3[gw],
                                  "difference": diff[gw], "of_total": diff.sum(),
                                  "actual": ours.loc[gw, "actual"],
                                  "median_ours": ours.loc[gw, "median"],
                                  "median_benchmark": ref.loc[gw, "median"]})
    deaths = ["difference", "of_total", "actual", "median_ours", "median_benchmark"]
    countries_table = pd.DataFrame(countries)
    countries_table[deaths] = countries_table[deaths].round().astype(int)
    return pd.DataFrame(rows), countries_table


@dataclass(frozen=True)
class DecemberWindow(MonthlyWindow):
    """A year forecast from data through December before it, as ``atrisk forecast monthly``
    does (steps 1-12)."""

    @property
    def last_data_month(self) -> str:
        return f"{self.test_year - 1}-12"

    @property
    def steps(self) -> tuple[int, ...]:
        return tuple(range(1, 13))

    @property
    def step_groups(self) -> tuple[tuple[int, ...], ...]:
        return (self.steps,)


def near_steps_check(panel: pd.DataFrame) -> pd.DataFrame:
    """Steps 1-2, which the ViEWS protocol never scores but a forecast from the latest month
    shows first: fatalities' decay extrapolated back (``first_decay_step=1``: 1.14 and 1.09
    times the recent level) or held at step 3's 1.05 (shipped), from October origins (steps
    1-2 are November-December) and December ones (January-February), 1995-2017: the mean
    yearly CRPS ratio to the benchmark and the held-minus-extrapolated change paired by
    year."""
    models = {"conflictology_country12": MONTHLY_MODELS["conflictology_country12"],
              "extrapolated": lambda t: _recent("r", t, first_decay_step=1),
              "held (shipped)": MONTHLY_MODELS["recent_history"]}
    rows = []
    for origin, windows in (("October", list(monthly_windows(1995, 2017))),
                            ("December", [DecemberWindow(y) for y in range(1995, 2018)])):
        scored = run(panel, models, ["fatalities"], windows)
        near = scored[scored["step"] <= 2]
        years = near.groupby(["model", "last_data_month"])["crps"].sum().unstack("model")
        ratio = years.div(years["conflictology_country12"], axis=0)
        change = ratio["held (shipped)"] - ratio["extrapolated"]
        for model in models:
            rows.append({"origin": origin, "model": model, "ratio": ratio[model].mean(),
                         "pooled": years[model].sum() / years["conflictology_country12"].sum(),
                         "held_minus_extrapolated": change.mean(),
                         "se": change.std(ddof=1) / np.sqrt(len(change)),
                         "held_better_years": int((change < 0).sum())})
    return pd.DataFrame(rows).round(4)


def paths_validation(panel: pd.DataFrame, rhos: tuple[float, ...] = (0.0, 0.5, 0.8, 0.9)
                     ) -> pd.DataFrame:
    """Which path correlation makes sums over months score best on years before the
    back-test (monthly scores do not depend on it): CRPS of 6- and 12-month totals (mean over
    years of the ratio to independent months) and the Brier score of the outlook's event,
    a month with >= 100 deaths among the first 6 (ratio to independent months)."""
    rows = []
    truth = panel.set_index(["gwcode", "month"])
    for window in monthly_windows(1995, 2017):
        history = panel[panel["month"] <= window.last_data_month]
        for target in TARGETS:
            fc = _recent("r", target, paths=0.0).fit(history).predict(history, VIEWS_STEPS)
            n = len(fc.keys) // len(VIEWS_STEPS)
            blocks = [fc.draws[i * n:(i + 1) * n] for i in range(len(VIEWS_STEPS))]
            actual = truth[target].reindex(pd.MultiIndex.from_frame(
                fc.keys[["gwcode", "month"]])).to_numpy(dtype=float).reshape(-1, n)
            known = ~np.isnan(actual).any(axis=0)
            event = (actual[:6].max(axis=0) >= 100)[known]
            for rho in rhos:
                joined = as_paths(blocks, VIEWS_STEPS, rho, np.random.default_rng(1))
                p = (np.max(joined[:6], axis=0) >= 100).mean(axis=1)[known]
                row = {"target": target, "rho": rho, "year": window.test_year,
                       "brier": float(((p - event) ** 2).sum()), "n": int(known.sum())}
                for months in (6, 12):
                    total = np.sum(joined[:months], axis=0)[known]
                    row[f"crps_{months}"] = float(crps(actual[:months].sum(axis=0)[known],
                                                       total).sum())
                rows.append(row)
    frame = pd.DataFrame(rows)
    base = frame[frame["rho"] == 0.0].set_index(["target", "year"])
    at = pd.MultiIndex.from_frame(frame[["target", "year"]])
    for months in (6, 12):
        frame[f"crps_{months}"] /= base[f"crps_{months}"].reindex(at).to_numpy()
    table = frame.groupby(["target", "rho"]).agg(
        crps_6m_ratio=("crps_6", "mean"), crps_12m_ratio=("crps_12", "mean"),
        brier=("brier", "sum"), n=("n", "sum"))
    brier = table.pop("brier") / table.pop("n")
    table["outlook_brier_ratio"] = brier / brier.xs(0.0, level="rho").reindex(
        table.index.get_level_values("target")).to_numpy()
    return table.round(4).reset_index()


if __name__ == "__main__":
    main()
