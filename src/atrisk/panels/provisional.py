"""A provisional country-year: the year after the latest complete one, before most of its
data exist.

EWP's annual inputs (V-Dem, the World Bank, the UN, EPR, the episode list) arrive a year or
more after the year they describe, so the annual forecast speaks from data a year old. Some
inputs are out sooner: UCDP's Candidate events (deaths by type of violence), coups (Powell &
Thyne) and population. ``provisional_year`` carries every input forward from the year before
and puts in those that exist, then derives the features again with the panel's own code, so
the same function makes the provisional forecast and measures its cost in the back-test
(where the year's own values of the same inputs stand in for the early releases).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from atrisk.domain.errors import ConfigError
from atrisk.panels.candidates import coded_events
from atrisk.panels.country_year import derive_features
from atrisk.panels.neighbours import SPILLOVER, add_spillover
from atrisk.settings import Settings
from atrisk.sources import early_annual, ged, ucdp

#: The raw inputs a provisional year takes from the year itself; everything else is carried.
UPDATED: tuple[str, ...] = (
    "ucdp_sb_deaths", "ucdp_ns_deaths", "ucdp_os_deaths", "ucdp_os_govt_deaths",
    "ucdp_os_nsgroup_deaths", "coup_attempt", "wdi_pop",
)
#: What the forecast says it carried (the inputs not in ``UPDATED``).
CARRIED = ("V-Dem indices and EWP's recodes", "GDP per capita and its growth, trade (World Bank)",
           "infant mortality (UN, World Bank)", "ethnic discrimination (EPR), fractionalisation",
           "ICCPR ratification", "battle deaths (UCDP battle-related deaths)",
           "mass-killing episodes (ongoing carried; no new onset known)")


def provisional_year(panel: pd.DataFrame, updates: pd.DataFrame,
                     capitals: pd.DataFrame) -> pd.DataFrame:
    """``panel`` (derived country-years) with one more year: the last year's rows carried
    forward, the ``UPDATED`` columns of ``updates`` (``gwcode`` and any of them) put in where
    they have a value, episodes moved on a year, outcomes unknown, and every feature derived
    again."""
    year = int(panel["year"].max()) + 1
    new = panel[panel["year"] == year - 1].copy()
    new["year"] = year
    given = updates.drop_duplicates("gwcode").set_index("gwcode")
    for col in UPDATED:
        if col in given:
            value = new["gwcode"].map(given[col])
            new[col] = value.where(value.notna(), new[col]).astype(float)
    onsets = [c for c in new.columns if c.startswith("mk_onset") and c != "mk_onset_prev_year"]
    new["mk_onset_prev_year"] = new["mk_onset"]
    new[onsets] = 0  # an onset this year is not known yet: none is recorded
    new["mk_years_since_onset"] = new["mk_years_since_onset"] + 1
    outcomes = [c for c in new.columns if c.startswith("onset_next")]
    new[outcomes] = np.nan
    out = pd.concat([panel, new], ignore_index=True)
    out = derive_features(out.drop(columns=list(SPILLOVER.values())))
    return add_spillover(out, capitals).sort_values(["gwcode", "year"]).reset_index(drop=True)


def carried_rows(panel: pd.DataFrame, year: int, capitals: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``year`` as a provisional forecast would have had them: the year before
    carried forward with ``year``'s own ``UPDATED`` inputs (the back-test's cost check)."""
    before = panel[panel["year"] < year]
    now = panel.loc[panel["year"] == year, ["gwcode", *UPDATED]]
    out = provisional_year(before, now, capitals)
    return out[out["year"] == year].reset_index(drop=True)


def early_updates(panel: pd.DataFrame, settings: Settings | None = None) -> pd.DataFrame:
    """The ``UPDATED`` inputs of the year after ``panel``'s last, from what is published
    early: UCDP Candidate deaths by type (a release must cover the whole year), coup attempts,
    and population (the year's growth applied to the panel's own last value)."""
    year = int(panel["year"].max()) + 1
    releases = [r for r in ged.candidate_releases(settings)
                if set(str(m) for m in pd.period_range(f"{year}-01", f"{year}-12", freq="M"))
                <= set(r.months)]
    if not releases:
        raise ConfigError(f"no UCDP Candidate release covers all of {year}: a provisional "
                          f"{year} needs its deaths")
    events = coded_events(releases[-1], ucdp.country_ids(settings), settings)
    events = events[events["date_start"].dt.year == year].rename(
        columns={"country_id": "gwcode"})
    name = events["conflict_name"].astype(str)
    one_sided = events["type_of_violence"] == 3
    kinds = {"ucdp_sb_deaths": events["type_of_violence"] == 1,
             "ucdp_ns_deaths": events["type_of_violence"] == 2,
             "ucdp_os_deaths": one_sided,
             # UCDP's split of one-sided deaths: by governments, by named non-state groups
             # (unidentified perpetrators, "XXX…", are neither).
             "ucdp_os_govt_deaths": one_sided & name.str.startswith("Government of"),
             "ucdp_os_nsgroup_deaths": one_sided & ~name.str.startswith(("Government of",
                                                                         "XXX"))}
    countries = panel.loc[panel["year"] == year - 1, ["gwcode", "wdi_pop"]]
    out = countries[["gwcode"]].copy()
    for col, mask in kinds.items():
        out[col] = out["gwcode"].map(events[mask].groupby("gwcode")["best"].sum()).fillna(0.0)
    coups = early_annual.coup_attempts(settings)
    out["coup_attempt"] = out["gwcode"].map(
        coups[coups["year"] == year].set_index("gwcode")["coup_attempt"]).fillna(0.0)
    pop = early_annual.population(settings).pivot_table(index="gwcode", columns="year",
                                                        values="pop")
    growth = (pop[year] / pop[year - 1]) if year in pop and year - 1 in pop else pd.Series()
    out["wdi_pop"] = (countries["wdi_pop"] * countries["gwcode"].map(growth)).to_numpy()
    return out
