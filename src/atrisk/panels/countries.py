"""The canonical country table: every source is joined to the panel through it.

The Gleditsch–Ward (GW) list is the master: a country-year exists when the state is independent
on 31 December of that year. Each country-year also carries the COW-style code the Early Warning
Project uses (``ccode``) and an ISO 3166 alpha-3 code (from V-Dem's country ids).
"""

from __future__ import annotations

import pandas as pd

from atrisk.settings import Settings
from atrisk.sources import crosswalk, ewp, vdem

#: GW codes whose EWP code differs (EWP's own codes: Germany 255, Serbia 345, unified Yemen 679).
EWP_CODE_BY_GW: dict[int, int] = {260: 255, 340: 345}
YEMEN_UNIFIED_FROM = 1990  # GW keeps 678 for unified Yemen; EWP uses 679 from 1990.

#: Episode locations the episode list codes with a code EWP's panel does not use that year:
#: Serbia (GW 340) is 345 in EWP's panel; Zanzibar (511) had joined Tanzania (510) by 1964.
EPISODE_LOCATION: dict[int, int] = {340: 345, 511: 510}

#: ISO3 where V-Dem's id is missing or not an ISO code.
#: South Vietnam and Tibet have none: RVN and TIB are ours.
ISO3_OVERRIDES: dict[int, str] = {31: "BHS", 80: "BLZ", 315: "CSK", 835: "BRN", 817: "RVN",
                                  816: "VNM", 265: "DDR", 680: "YMD", 711: "TIB"}

#: The GW list ends on 2017-12-31 for states still in existence: treat those as ongoing.
GW_LIST_END = pd.Timestamp("2017-12-31")


def country_years(first_year: int, last_year: int,
                  settings: Settings | None = None) -> pd.DataFrame:
    """One row per independent state and year: ``gwcode, year, ccode, iso3, name``."""
    states = crosswalk.gw_states(settings)
    rows = []
    for spell in states.itertuples(index=False):
        end = pd.Timestamp(f"{last_year}-12-31") if spell.end >= GW_LIST_END else spell.end
        for year in range(max(first_year, spell.start.year), min(last_year, end.year) + 1):
            if spell.start <= pd.Timestamp(f"{year}-12-31") <= end:
                rows.append((spell.gwcode, year, spell.name))
    frame = pd.DataFrame(rows, columns=["gwcode", "year", "name"])
    frame["ccode"] = frame["gwcode"].map(lambda g: EWP_CODE_BY_GW.get(g, g))
    yemen = (frame["gwcode"] == 678) & (frame["year"] >= YEMEN_UNIFIED_FROM)
    frame.loc[yemen, "ccode"] = 679
    iso = iso3_by_gwcode(settings)
    frame["iso3"] = frame["gwcode"].map(iso)
    # EWP's short names where it has one, else GW's; one name per country across its spells.
    short = ewp.country_names(settings).set_index("ccode")["name"]
    frame["name"] = frame["ccode"].map(short).fillna(frame["name"])
    frame["name"] = frame.groupby("gwcode")["name"].transform("last")
    frame = frame.drop_duplicates(["gwcode", "year"])
    return frame[["gwcode", "year", "ccode", "iso3", "name"]].reset_index(drop=True)


def iso3_by_gwcode(settings: Settings | None = None) -> dict[int, str]:
    """ISO3 for each GW code: V-Dem's country id (the one it uses most since 1946)."""
    v = vdem.key_subset(settings)
    v = v[v["year"] >= 1946]
    ids = (v.groupby("gwcode")["country_text_id"]
           .agg(lambda s: s.value_counts().index[0]).to_dict())
    ids = {int(k): str(val) for k, val in ids.items()}
    ids.update(ISO3_OVERRIDES)
    return ids


#: US State Department regions as EWP codes them (Africa is the reference: all dummies 0).
REGIONS: dict[str, str] = {"reg.na": "Americas", "reg.eap": "East Asia and Pacific",
                           "reg.eur": "Europe and Eurasia",
                           "reg.mna": "Middle East and North Africa",
                           "reg.sca": "South and Central Asia"}


#: Fallback for the few small states EWP does not code: the COW/GW numbering is regional.
CODE_BLOCKS: tuple[tuple[int, int, str], ...] = (
    (2, 199, "Americas"), (200, 399, "Europe and Eurasia"), (400, 629, "Africa"),
    (630, 699, "Middle East and North Africa"), (700, 799, "South and Central Asia"),
    (800, 999, "East Asia and Pacific"),
)


def regions(panel: pd.DataFrame) -> pd.Series:
    """Each country's region (by GW code): EWP's coding in the latest year it is coded, else
    the block of its GW code."""
    coded = panel.dropna(subset=list(REGIONS)).sort_values("year").drop_duplicates(
        "gwcode", keep="last").set_index("gwcode")
    name = pd.Series("Africa", index=coded.index, name="region")
    for col, label in REGIONS.items():
        name[coded[col] == 1] = label
    for code in set(panel["gwcode"]) - set(name.index):
        name[code] = next(label for lo, hi, label in CODE_BLOCKS if lo <= code <= hi)
    return name.sort_index()


def countries(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per country (GW code) from a country-year frame, with its first and last year."""
    return (frame.groupby("gwcode")
            .agg(iso3=("iso3", "last"), ccode=("ccode", "last"), name=("name", "last"),
                 first_year=("year", "min"), last_year=("year", "max"))
            .reset_index())
