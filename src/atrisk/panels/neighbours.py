"""Violence next door: conflict and mass killing spill across borders, so each country-year
gets the violence of the states whose capitals lie within ``RADIUS_KM`` of its own.

Distances are great-circle distances between capitals (a proxy for contiguity that needs no
border data); a state is never its own neighbour. Only same-year values are used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RADIUS_KM = 1500.0
EARTH_KM = 6371.0

#: Panel column -> neighbourhood feature (sum over neighbours, log2(1 + x)).
SPILLOVER: dict[str, str] = {
    "ucdp_os_deaths": "nb_os_deaths_log2",
    "ucdp_sb_deaths": "nb_sb_deaths_log2",
    "mk_ongoing": "nb_mk_ongoing",
}


def neighbours(capitals: pd.DataFrame, radius_km: float = RADIUS_KM) -> pd.DataFrame:
    """Square 0/1 matrix (GW code x GW code): 1 where capitals are within ``radius_km``."""
    lat = np.radians(capitals["lat"].to_numpy())
    lng = np.radians(capitals["lng"].to_numpy())
    dlat = lat[:, None] - lat[None, :]
    dlng = lng[:, None] - lng[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlng / 2) ** 2
    km = 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    near = (km <= radius_km).astype(float)
    np.fill_diagonal(near, 0.0)
    codes = capitals["gwcode"].astype(int).to_numpy()
    return pd.DataFrame(near, index=codes, columns=codes)


def add_spillover(panel: pd.DataFrame, capitals: pd.DataFrame,
                  radius_km: float = RADIUS_KM) -> pd.DataFrame:
    """Add, per country-year, the neighbours' summed violence in the same year."""
    matrix = neighbours(capitals, radius_km)
    out = panel.copy()
    for column, feature in SPILLOVER.items():
        wide = out.pivot_table(index="year", columns="gwcode", values=column, aggfunc="first")
        wide = wide.reindex(columns=matrix.index)
        observed = wide.notna()
        summed = wide.fillna(0.0).to_numpy() @ matrix.to_numpy().T
        # A year with no observed values anywhere (e.g. UCDP before 1989) stays missing.
        summed[~observed.any(axis=1).to_numpy()] = np.nan
        long = pd.DataFrame(summed, index=wide.index, columns=matrix.index).stack(
            future_stack=True).rename(feature).reset_index().rename(columns={"level_1": "gwcode"})
        long.columns = ["year", "gwcode", feature]
        out = out.merge(long, on=["year", "gwcode"], how="left")
        if feature.endswith("_log2"):
            out[feature] = np.log2(1 + out[feature])
    return out
