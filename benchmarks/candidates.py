"""UCDP Candidate data: how much Candidate counts move when they become final, how well the
civilian-death estimator does where the truth is known, and how its settings were chosen
(country-years 1995-2017 only). Run: ``uv run python benchmarks/candidates.py``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from table_format import markdown

from atrisk.panels.build import build, read_table
from atrisk.panels.candidates import CivilianShares
from atrisk.settings import Settings
from atrisk.sources import ucdp

YEARS = (1, 3, 5, 10, 20)
PRIORS = (10.0, 30.0, 100.0, 300.0, 1000.0)


def share_validation(yearly: pd.DataFrame) -> pd.DataFrame:
    """Each country-year 1995-2017 estimated from its deaths by type, with shares learned
    from the years before it: mean absolute error and estimated / true total, per setting."""
    frame = yearly.fillna(0.0).rename(columns={
        "ucdp_sb_deaths": "deaths_state_based", "ucdp_ns_deaths": "deaths_non_state",
        "ucdp_os_deaths": "deaths_one_sided"})
    truth = (frame["ucdp_sb_civilian_deaths"] + frame["ucdp_ns_civilian_deaths"]
             + frame["deaths_one_sided"])
    rows = []
    for years in YEARS:
        for prior in PRIORS:
            errors, est_total, true_total = [], 0.0, 0.0
            for year in range(1995, 2018):
                now = frame["year"] == year
                est = CivilianShares(years, prior).fit(yearly.fillna(0.0), year - 1).predict(
                    frame[now])
                errors.append(np.abs(est - truth[now].to_numpy()))
                est_total += est.sum()
                true_total += truth[now].sum()
            rows.append({"years": years, "prior": prior,
                         "mae": float(np.concatenate(errors).mean()),
                         "estimated_over_true": est_total / true_total})
    return pd.DataFrame(rows).sort_values("mae").round(4)


def main() -> None:
    settings = Settings(build_dir=Path(os.environ.get("ATRISK_BUILD_DIR", "build/bench")))
    start = time.perf_counter()
    build(settings)
    print(f"data build (Candidate releases, revisions and estimator checks included): "
          f"{time.perf_counter() - start:.1f} s\n")
    for table, title in (
        ("data_vintages", "UCDP vintages of the country-month panel"),
        ("candidate_revisions", "Candidate 2021 against GED 25.1 final, per country-month "
         "(log ratio = log(final / Candidate) where both have deaths)"),
        ("candidate_revisions_by_type", "The same by type of violence, summed over 2021 "
         "(final: UCDP's country-year data)"),
        ("civilian_estimator_check", "The civilian-death estimator on months whose civilian "
         "deaths are known (country-months with deaths either way)"),
    ):
        print(f"\n{title}\n")
        print(markdown(read_table(settings, table)))
    print("\nChoosing the estimator's settings on country-years 1995-2017 (shares from the "
          "`years` before each year, shrunk by `prior` deaths towards the world's share)\n")
    print(markdown(share_validation(ucdp.organized_violence(settings)).head(10)))


if __name__ == "__main__":
    main()
