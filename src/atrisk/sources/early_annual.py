"""Annual inputs published soon after the year ends, before V-Dem, the World Bank's full
indicators or the episode list: coup attempts (Powell & Thyne, by GW country-year, through
2025) and population (World Bank, by GW code, through 2025). The provisional structural
forecast (``atrisk.panels.provisional``) takes them for the year its other inputs lack.
"""

from __future__ import annotations

import pandas as pd

from atrisk.settings import Settings
from atrisk.sources.base import Schema, Source, read

COUPS_GW = Source(
    name="powell_thyne_coups_gw",
    path="conflict/powell_thyne_coups_gw_country_year.csv",
    url="https://www.uky.edu/~clthyn2/coup_data/powell_thyne_coups_final.txt",
    version="country-year, GW codes, 1950-2025",
    licence="Public research data",
    citation="Powell, J. & Thyne, C. (2011). Global Instances of Coups from 1950 to 2010. "
             "JPR 48(2).",
    producer="Powell & Thyne (country-year by GW code)",
    schema=Schema(columns={"gwcode": "int", "year": "int", "pt_attempt": "int"},
                  key=("gwcode", "year"), ranges={"year": (1950, 2100), "pt_attempt": (0, 1)},
                  min_rows=12000),
    period=("year", 2025),
)
POPULATION_GW = Source(
    name="wdi_population_gw",
    path="wdi/population.csv",
    url="https://api.worldbank.org/v2/en/indicator/SP.POP.TOTL?downloadformat=csv",
    version="WDI population by GW code, 1816-2025",
    licence="CC BY 4.0",
    citation="World Bank (2025). World Development Indicators: population, total.",
    producer="World Bank (by GW code, from V-Dem's demspaces)",
    schema=Schema(columns={"gwcode": "int", "year": "int", "pop": "float"},
                  key=("gwcode", "year"), ranges={"year": (1800, 2100), "pop": (0, 2e7)},
                  min_rows=20000),
    period=("year", 2025),
)


def coup_attempts(settings: Settings | None = None) -> pd.DataFrame:
    """``gwcode, year, coup_attempt`` (1 when any coup was attempted that year)."""
    frame = read(COUPS_GW, settings)
    return frame.rename(columns={"pt_attempt": "coup_attempt"})[
        ["gwcode", "year", "coup_attempt"]]


def population(settings: Settings | None = None) -> pd.DataFrame:
    """``gwcode, year, pop`` (thousands)."""
    return read(POPULATION_GW, settings)[["gwcode", "year", "pop"]]
