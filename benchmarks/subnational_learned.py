"""Learned shares, tried on validation only and not adopted (docs/benchmarks.md, "Where in
the country"): ``national_shares`` with each unit's share learned by a Poisson regression
instead of set by hand. Tried first on the 2005-2011 cells (where it tied, and gained 0.2%
with the distance to the border), then, by a rule fixed before that run, adopted if its mean
CRPS relative to the best benchmark over the twelve validation rows (three countries, cells
and regions, both targets, 2000-2011) fell below ``national_shares``'. It did not. About 8
minutes on 2 cores; both models dealt out ``recent_history`` on the country's own months.

Run: ``uv run python benchmarks/subnational_learned.py --first 2000 --last 2011
--model national_shares --model learned_shares --own-totals``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import PoissonRegressor
from subnational import main  # benchmarks/, beside this script

from atrisk.domain import priogrid
from atrisk.models.monthly import _wide
from atrisk.models.subnational import NationalShares, _around


class LearnedShares(NationalShares):
    """``national_shares`` with each unit's share learned instead of set by hand: a Poisson
    regression (log link) of a unit's deaths in the 12 months after each of the last
    ``years`` origins, a year apart, on features of its history at that origin (decayed sums
    with half-lives of 3, 12 and 48 months, the neighbouring cells' 12-month decayed sum, the
    whole history, the months since its last death, all as ``log1p``), so the weights of
    recent, neighbouring and long-run violence are what predicted the following year in this
    country. The regression's expected deaths at the forecast's origin, mixed with an even
    spread (``even``), are the shares; the totals are dealt out as ``national_shares`` does.
    """

    def __init__(self, name: str, target: str, years: int = 10, alpha: float = 1e-3,
                 even: float = 0.05, concentration: float = 0.1, seed: int = 0) -> None:
        super().__init__(name, target, even=even, concentration=concentration, seed=seed)
        self.years = years
        self.alpha = alpha

    def shares(self, history: pd.DataFrame) -> pd.Series:
        wide = _wide(history, self.target, 12 * (self.years + 1) + 120).fillna(0.0)
        units = wide.index.get_level_values("gwcode")
        values = wide.to_numpy()
        whole = (history.groupby("gwcode")[self.target].sum()
                 .reindex(units).fillna(0.0).to_numpy())
        before = np.cumsum(values[:, ::-1], axis=1)[:, ::-1]  # deaths after each month
        last = values.shape[1] - 1
        cells = np.issubdtype(np.asarray(units).dtype, np.integer)
        X, y = [], []
        for k in range(1, self.years + 1):
            t = last - 12 * k
            later = before[:, t + 1] - (before[:, t + 13] if t + 13 <= last else 0.0)
            X.append(self._features(values[:, : t + 1], whole - before[:, t + 1], units,
                                    cells))
            y.append(later)
        target = np.concatenate(y)
        if target.sum() <= 0:  # nothing to learn from: the hand-set shares
            return super().shares(history)
        scale = target.mean()
        model = PoissonRegressor(alpha=self.alpha, max_iter=1000).fit(np.vstack(X),
                                                                        target / scale)
        expected = model.predict(self._features(values, whole, units, cells))
        mix = expected / expected.sum() + self.even / len(units)
        return pd.Series(mix / mix.sum(), index=wide.index)

    @staticmethod
    def _features(values: np.ndarray, whole: np.ndarray, units: pd.Index,
                  cells: bool) -> np.ndarray:
        """Each unit's features at the last month of ``values`` (units x months)."""
        ages = np.arange(values.shape[1] - 1, -1, -1)
        decayed = {h: values @ (0.5 ** (ages / h)) for h in (3, 12, 48)}
        gids = np.asarray(units, dtype=np.int64) if cells else None
        around = _around(gids, decayed[12]) if gids is not None else np.zeros(len(units))
        border = _to_border(gids) if gids is not None else np.zeros(len(units))
        seen = values > 0
        since = np.where(seen.any(axis=1), np.argmax(seen[:, ::-1], axis=1), 120)
        since = np.minimum(since, 120)
        return np.log1p(np.column_stack([decayed[3], decayed[12], decayed[48], around,
                                         np.maximum(whole, 0.0), since, border]))


def _to_border(cells: np.ndarray) -> np.ndarray:
    """Each cell's distance (km, between centres) to the nearest of the country's cells
    that has a neighbour outside the country (0 for those)."""
    inside = np.isin(priogrid.neighbours(cells), cells).all(axis=1)
    lat, lon = priogrid.centre(cells)
    edge = ~inside
    if not edge.any():
        return np.zeros(len(cells))
    return priogrid.distance_km(lat[:, None], lon[:, None], lat[edge][None, :],
                                lon[edge][None, :]).min(axis=1)


if __name__ == "__main__":
    main({"learned_shares": lambda target: LearnedShares("learned_shares", target)})
