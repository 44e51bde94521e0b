"""The public inputs the Early Warning Project cleaned for its 2025 model, one reader each.

Each file is keyed by EWP's country code ``ccode`` (COW with EWP's own codes, see
``atrisk.panels.countries``) and year, except HIEF which is keyed by country name.
"""

from __future__ import annotations

import pandas as pd

from atrisk.settings import Settings
from atrisk.sources.base import Kind, Schema, Source, read
from atrisk.sources.ewp import REPO

_INPUT = f"{REPO}/c9dc11121b31fc6c092dfec5e5b7771ff2a3b6c4/2.Make-new-base-data/input/"
_KEY = ("ccode", "year")
_YEARS = {"year": (1900, 2100)}


def _src(name: str, file: str, producer: str, version: str, licence: str, citation: str,
         schema: Schema, last: int, column: str = "year", official: str | None = None) -> Source:
    return Source(name=name, path=f"ewp/inputs/{file}", url=official or _INPUT + file,
                  version=version, licence=licence, citation=citation, producer=producer,
                  schema=schema, period=(column, last))


_VDEM_RECODES = ("pol_killing_approved", "social_inequality", "even_civilrights", "partyban",
                 "judicialreform", "religiousfreedom", "freediscussion", "ses_power_dist",
                 "vdem_popsize_log2", "repress_civilsoc", "social_power_dist", "minorityrule",
                 "partyban.new.0", "partyban.new.1", "partyban.new.2", "v2csgender_binary",
                 "v2mecenefm_binary", "v2csreprss_ord", "v2pepwrsoc_ord")
_VDEM_COLUMNS: dict[str, Kind] = {**{c: "float" for c in _VDEM_RECODES}, "COWcode": "int",
                                  "year": "int", "country_name": "str"}
_WDI_NAMES = {"wdi.popsize.new": "wdi_pop", "wdi.gdppcgrow.new": "wdi_gdppc_growth",
              "wdi.gdppc.new": "wdi_gdppc", "wdi.imrate.new": "wdi_imr",
              "wdi.trade.new": "wdi_trade"}
_REGION_COLUMNS: dict[str, Kind] = {"year": "int", "ccode": "int", "reg.eap": "float",
                                    "reg.sca": "float", "reg.mna": "float", "reg.eur": "float",
                                    "reg.na": "float"}

VDEM = _src("vdem_ewp", "vdem_ewp2025_extract.csv", "V-Dem Institute", "v15 (EWP extract)",
            "CC BY-SA 4.0",
            "Coppedge et al. (2025). V-Dem Dataset v15. Varieties of Democracy Project.",
            Schema(columns=_VDEM_COLUMNS, key=("COWcode", "year"), ranges=_YEARS,
                   min_rows=10000), 2024)
WDI = _src("wdi_ewp", "wdi.csv", "World Bank", "WDI 2025 (EWP extract)", "CC BY 4.0",
           "World Bank (2025). World Development Indicators.",
           Schema(columns={"ccode": "int", "year": "int", "iso3c": "str",
                           **{c: "float" for c in _WDI_NAMES}},
                  key=_KEY, drop_unkeyed=True, min_rows=10000,
                  ranges={**_YEARS, "wdi.imrate.new": (0, 1000)}), 2024)
UN_IMR = _src("un_imr", "un_imr_clean.csv", "UN DESA Population Division", "WPP 2024",
              "CC BY 3.0 IGO", "United Nations (2024). World Population Prospects 2024.",
              Schema(columns={"iso3c": "str", "year": "int", "un_imr": "float", "ccode": "int"},
                     key=_KEY, drop_unkeyed=True, ranges={**_YEARS, "un_imr": (0, 1000)},
                     min_rows=10000), 2024)
EPR = _src("epr_discrim", "epr-clean.csv", "ETH Zurich, ICR", "EPR Core 2021",
           "Public research data (cite Vogt et al. 2015)",
           "Vogt et al. (2015). Integrating Data on Ethnicity, Geography, and Conflict: The "
           "Ethnic Power Relations Data Set Family. JCR 59(7).",
           Schema(columns={"year": "int", "discrimpop": "float", "ccode": "int"}, key=_KEY,
                  ranges={**_YEARS, "discrimpop": (0, 1)}, min_rows=9000, drop_unkeyed=True),
           2021)
HIEF = _src("hief", "hief.csv", "Drazanova (EUI)", "HIEF 2019", "CC BY 4.0",
            "Drazanova, L. (2019). Historical Index of Ethnic Fractionalization Dataset.",
            Schema(columns={"Country": "str", "Year": "int", "efindex": "float"},
                   key=("Country", "Year"), ranges={"efindex": (0, 1)}, min_rows=5000),
            2013, "Year")
COUPS = _src("coups", "all-coups.csv", "Powell & Thyne; Center for Systemic Peace",
             "2025 (EWP merge)", "Public research data",
             "Powell, J. & Thyne, C. (2011). Global Instances of Coups from 1950 to 2010. JPR.",
             Schema(columns={"ccode": "int", "year": "int", "cou.any": "float"}, key=_KEY,
                    drop_unkeyed=True, ranges={**_YEARS, "cou.any": (0, 1)}, min_rows=500),
             2024)
BATTLEDEATHS = _src("battledeaths", "battledeaths.csv", "UCDP", "Battle-related deaths 25.1",
                    "CC BY 4.0",
                    "Davies, Pettersson & Oberg (2025). Organized violence 1989-2024. JPR.",
                    Schema(columns={"country": "str", "year": "int", "battledeaths": "float"},
                           key=("country", "year"), ranges={"battledeaths": (0, 1e7)},
                           min_rows=900), 2024)
ICCPR = _src("iccpr", "iccpr-data.csv", "UN Treaty Collection", "2025 (EWP extract)",
             "Public domain (UN treaty records)",
             "United Nations Treaty Collection: ICCPR ratification status.",
             Schema(columns={"year": "int", "ccode": "int", "ios.iccpr1": "float"}, key=_KEY,
                    drop_unkeyed=True, ranges={**_YEARS, "ios.iccpr1": (0, 1)}, min_rows=9000),
             2022)
REGIONS = _src("regions", "reg-data.csv", "US Department of State", "2025 (EWP coding)",
               "Public domain", "US Department of State regional bureaus, coded by EWP.",
               Schema(columns=_REGION_COLUMNS, key=_KEY, drop_unkeyed=True, ranges=_YEARS,
                      min_rows=9000), 2022)


def vdem(settings: Settings | None = None) -> pd.DataFrame:
    """V-Dem v15 variables and EWP's ordinal/binary recodes, by ``ccode, year``."""
    frame = read(VDEM, settings)
    return frame.rename(columns={"COWcode": "ccode"})[["ccode", "year", *_VDEM_RECODES]]


def wdi(settings: Settings | None = None) -> pd.DataFrame:
    """GDP per capita (growth), population, infant mortality and trade, by ``ccode, year``."""
    return read(WDI, settings).rename(columns=_WDI_NAMES)[
        ["ccode", "year", "iso3c", "wdi_pop", "wdi_gdppc_growth", "wdi_gdppc", "wdi_imr",
         "wdi_trade"]]


def un_imr(settings: Settings | None = None) -> pd.DataFrame:
    """UN WPP infant mortality per 1,000 live births, by ``ccode, year``."""
    return read(UN_IMR, settings)[["ccode", "year", "iso3c", "un_imr"]]


def epr(settings: Settings | None = None) -> pd.DataFrame:
    """Share of population in politically discriminated ethnic groups, by ``ccode, year``."""
    return read(EPR, settings)[["ccode", "year", "discrimpop"]]


def hief(settings: Settings | None = None) -> pd.DataFrame:
    """Ethnic fractionalisation index, by country *name* and year (matched in the panel)."""
    return read(HIEF, settings).rename(columns={"Country": "country", "Year": "year"})[
        ["country", "year", "efindex"]]


def coups(settings: Settings | None = None) -> pd.DataFrame:
    """Whether any coup was attempted (successful or not), by ``ccode, year``."""
    frame = read(COUPS, settings)
    return frame.rename(columns={"cou.any": "coup_attempt"})[["ccode", "year", "coup_attempt"]]


def battledeaths(settings: Settings | None = None) -> pd.DataFrame:
    """UCDP battle-related deaths (best estimate), by country *name* and year."""
    return read(BATTLEDEATHS, settings)[["country", "year", "battledeaths"]]


def iccpr(settings: Settings | None = None) -> pd.DataFrame:
    """Whether the country has ratified the ICCPR's first optional protocol, by ``ccode, year``."""
    frame = read(ICCPR, settings)
    return frame.rename(columns={"ios.iccpr1": "iccpr1"})[["ccode", "year", "iccpr1"]]


def regions(settings: Settings | None = None) -> pd.DataFrame:
    """US State Department region dummies (Africa is the reference), by ``ccode, year``."""
    return read(REGIONS, settings)[list(_REGION_COLUMNS)]
