"""Early Warning Project (US Holocaust Memorial Museum & Dartmouth College), 2025 edition.

The mass-killing episode list is the outcome of record. EWP's definition: a mass killing occurs
when armed groups deliberately kill >= 1,000 non-combatant civilians, targeted as members of a
group, over 12 months or less; an onset is the start of a new episode (new perpetrator or new
target group), coded in the country where the killing takes place.
The prepared modelling table is used only for the ``ewp_replica`` model and as a cross-check.
"""

from __future__ import annotations

import pandas as pd

from atrisk.settings import Settings
from atrisk.sources.base import Schema, Source, read

REPO = "https://raw.githubusercontent.com/EarlyWarningProject/2025-Statistical-Risk-Assessment"
_CITE = ("Early Warning Project (2025). Statistical Risk Assessment 2025-26. United States "
         "Holocaust Memorial Museum and Dartmouth College. https://earlywarningproject.ushmm.org")
_LICENCE = "Public research data; no licence file (cite the Early Warning Project)"
_PRODUCER = "Early Warning Project (USHMM Simon-Skjodt Center and Dartmouth College)"

EPISODES = Source(
    name="ewp_episodes",
    path="ewp/mk_master_2025__mk_events.csv",
    url=f"{REPO}/6e7576318893e7cfaa92aa81a228f11f7be031ea/1.Buildcountryyears_and_mk_data/"
    "EWP%20mass%20killing%20events%20master%20list_2025.xlsx",
    version="2025 (episodes starting 1945-2023)",
    licence=_LICENCE, citation=_CITE, producer=_PRODUCER,
    schema=Schema(
        columns={"country": "str", "mk_event_name": "str", "mk_event_summary": "str",
                 "startyear": "int", "endyear": "int", "mk_event_code": "str",
                 "State-Led or Non-State-Led": "str", "mk_location_cow": "int"},
        key=("mk_event_code",),
        ranges={"startyear": (1900, 2100), "endyear": (1900, 2100),
                "mk_location_cow": (2, 999)},
        min_rows=100),
    period=("startyear", 2024),
)

#: EWP's 38 predictors plus ``year`` (model_3Sep2025.R, ``predictornames.fullest``).
PREPARED_PREDICTORS: tuple[str, ...] = (
    "widetargeting", "narrowtargeting", "v2csgender_binary", "v2mecenefm_binary",
    "partyban.new.0", "partyban.new.1", "partyban.new.2", "minorityrule", "judicialreform",
    "religiousfreedom", "pol_killing_approved", "freediscussion", "social_inequality",
    "even_civilrights", "repress_civilsoc", "social_power_dist", "ses_power_dist",
    "popsize.log2", "gdppcgrowth", "un_imr_sqrt", "efindex", "discrimpop", "reg.na", "reg.eap",
    "reg.sca", "reg.mna", "reg.eur", "ios.iccpr1", "battledeaths.log2", "coup.try.5yr",
    "mk_ongoing_count_log2", "mean_mk_onset_interaction", "mk_onset_prev_year", "newcountry",
    "mk_ever", "year_sq", "year", "countryage.new.log2", "includesnonstate",
)
PREPARED_OUTCOMES: tuple[str, ...] = ("mk_onset", "mk_onset_1", "mk_onset_2", "mk_onset_1or2")


PREPARED = Source(
    name="ewp_prepared",
    path="ewp/prepared2024predictors-2025-09-03.csv",
    url=f"{REPO}/3a31c0a8b0e32b4882c2eeb6503e726bbb27a2b4/3.Modeling/"
    "prepared2024predictors-2025-09-03.csv",
    version="2025-09-03 (data through 2024)",
    licence=_LICENCE, citation=_CITE, producer=_PRODUCER,
    schema=Schema(
        columns={**{c: "float" for c in PREPARED_PREDICTORS if c != "year"},
                 **{c: "int" for c in PREPARED_OUTCOMES},
                 "ewp_name": "str", "year": "int", "ccode": "int"},
        key=("ccode", "year"),
        ranges={"year": (1900, 2100), "un_imr_sqrt": (0, 25), "efindex": (0, 1)},
        min_rows=5000),
    period=("year", 2024),
)

def episodes(settings: Settings | None = None) -> pd.DataFrame:
    """One row per mass-killing episode: code, name, location ccode, start/end year, type."""
    frame = read(EPISODES, settings)
    kind = frame["State-Led or Non-State-Led"].str.lower()
    bad = ~kind.isin(["state-led", "non-state-led"])
    if bad.any():
        from atrisk.domain.errors import SourceError

        i = int(bad.to_numpy().nonzero()[0][0])
        raise SourceError(
            EPISODES.path,
            f"column 'State-Led or Non-State-Led', line {i + 2}: {kind.iloc[i]!r} is neither "
            "'State-Led' nor 'Non-State-Led'",
        )
    return pd.DataFrame({
        "code": frame["mk_event_code"],
        "country": frame["country"],
        "name": frame["mk_event_name"],
        "summary": frame["mk_event_summary"],
        "ccode": frame["mk_location_cow"].astype(int),
        "start_year": frame["startyear"].astype(int),
        "end_year": frame["endyear"],  # <NA> while ongoing
        "state_led": kind.eq("state-led"),
    })


def prepared(settings: Settings | None = None) -> pd.DataFrame:
    """EWP's modelling table (country-years 1960-2024): predictors and outcomes as published.

    Caution (EWP): outcomes whose future is not yet observed are 0 there, not missing.
    """
    return read(PREPARED, settings)


COUNTRY_NAMES = Source(
    name="ewp_country_names",
    path="ewp/countrynamesheet_complete.csv",
    url=f"{REPO}/6e7576318893e7cfaa92aa81a228f11f7be031ea/1.Buildcountryyears_and_mk_data/"
    "countrynamesheet_complete.csv",
    version="2025",
    licence=_LICENCE, citation=_CITE, producer=_PRODUCER,
    schema=Schema(columns={"ccode": "int", "ewp_name": "str"}, key=("ccode",),
                  ranges={"ccode": (2, 999)}, min_rows=150),
)


def country_names(settings: Settings | None = None) -> pd.DataFrame:
    """EWP's short country names (e.g. 'Iran', 'Burma/Myanmar') by EWP code."""
    frame = read(COUNTRY_NAMES, settings)
    return frame.rename(columns={"ewp_name": "name"})[["ccode", "name"]]
