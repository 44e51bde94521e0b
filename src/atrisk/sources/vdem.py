"""Varieties of Democracy (V-Dem Institute, University of Gothenburg), public extracts.

Coppedge, M. et al. (2025). V-Dem Country-Year Dataset v15. Varieties of Democracy Project.
Licence CC BY-SA 4.0.
"""

from __future__ import annotations

import pandas as pd

from atrisk.settings import Settings
from atrisk.sources.base import Schema, Source, read, validate

FIRST_YEAR = 1900

#: Indices used as predictors (all in [0, 1] except the regime type, 0-3).
INDICES: tuple[str, ...] = (
    "v2x_polyarchy", "v2x_libdem", "v2x_freexp_altinf", "v2x_frassoc_thick", "v2xcl_dmove",
    "v2xcs_ccsi", "v2x_corr", "v2x_clphy", "v2xcl_disc",
)


KEY_SUBSET = Source(
    name="vdem_key_subset",
    path="vdem/vdem_key_subset.parquet",
    url="https://v-dem.net/data/the-v-dem-dataset/",
    version="v15 (with v13-v16 extracts joined)",
    licence="CC BY-SA 4.0",
    citation="Coppedge et al. (2025). V-Dem Country-Year Dataset v15. V-Dem Project.",
    producer="V-Dem Institute",
    schema=Schema(
        columns={**{c: "float" for c in INDICES}, "country_text_id": "str",
                 "country_name": "str", "year": "int", "gwcode_dd": "int",
                 "v2x_regime": "float", "v2pepwrses": "float"},
        key=("country_text_id", "year"),
        ranges={"year": (1700, 2100), "v2x_regime": (0, 3), **{c: (0, 1) for c in INDICES}},
        min_rows=25000),
    period=("year", 2024),
)


def key_subset(settings: Settings | None = None) -> pd.DataFrame:
    """V-Dem indices by Gleditsch–Ward code and year, with V-Dem's ISO-like country id."""
    frame = read(KEY_SUBSET, settings)
    # Before 1900 V-Dem codes predecessor entities to one GW code (Piedmont-Sardinia and Italy
    # in 1861); atrisk's panels begin in 1946, so only the 20th century on is kept and checked.
    frame = frame[frame["year"] >= FIRST_YEAR].dropna(subset=["gwcode_dd"])
    frame = validate(frame.rename(columns={"gwcode_dd": "gwcode"}),
                     Schema(columns={"gwcode": "int", "year": "int"}, key=("gwcode", "year")),
                     KEY_SUBSET.path)
    frame["gwcode"] = frame["gwcode"].astype(int)
    return frame[["gwcode", "year", "country_text_id", "country_name", "v2x_regime",
                  "v2pepwrses", *INDICES]]
