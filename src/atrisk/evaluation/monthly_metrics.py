"""Scores for draw forecasts, as the ViEWS prediction challenge defines them.

- CRPS in its ensemble form (``scoringrules.crps_ensemble``), lower is better.
- Ignorance: -log2 of the probability the draws give the bin of the actual, with ViEWS's bin
  edges, an overflow bin and one pseudo-count per bin.
- MIS (mean interval score) of the central 90% interval (alpha = 0.1).
- Brier scores of P(>= 1), P(>= 25), P(>= 100), P(>= 1,000).
- Coverage of the central 90% interval (calibration: 0.90 is right; checked separately on
  months with deaths, where history-based forecasts are known to be too narrow).
- PIT tails: how often the actual falls below the draws' 5th or above their 95th percentile
  (0.05 each when calibrated), by the non-randomised PIT for counts (Czado, Gneiting and
  Held, 2009). Coverage counts a zero as inside an interval of [0, 0], so on a panel of mostly
  calm months it reads high whatever the tails do; the PIT tails do not.

A model is compared with a benchmark by the relative change of its mean score, with an
interval from resampling countries (``change_interval``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scoringrules as sr
from scipy.stats import bootstrap

IGN_EDGES = np.array([0, 0.5, 2.5, 5.5, 10.5, 25.5, 50.5, 100.5, 250.5, 500.5, 1000.5])
THRESHOLDS = (1, 25, 100, 1000)
ALPHA = 0.1
#: Central intervals whose coverage the reliability check reads (0.9 is ``coverage90``).
COVERAGE_LEVELS = (0.5, 0.8, 0.9, 0.98)


def crps(actual: np.ndarray, draws: np.ndarray, ordered: bool = False) -> np.ndarray:
    """``ordered``: each row's draws are already sorted (saves scoringrules the sort)."""
    return np.asarray(sr.crps_ensemble(actual.astype(float), draws.astype(float),
                                       sorted_ensemble=ordered))


def ignorance(actual: np.ndarray, draws: np.ndarray) -> np.ndarray:
    n_bins = len(IGN_EDGES)  # ten bounded bins plus the overflow bin
    # Draws below each upper edge, per row; bin i holds those from edge i up to edge i + 1
    # (bin 0 everything below edge 1; the overflow bin everything from the last edge).
    below = np.stack([(draws < edge).sum(axis=1) for edge in IGN_EDGES[1:]], axis=1)
    cumulative = np.column_stack([np.zeros(len(draws)), below, np.full(len(draws),
                                                                       draws.shape[1])])
    counts = np.diff(cumulative, axis=1)
    probs = (counts + 1.0) / (draws.shape[1] + n_bins)
    truth = np.clip(np.searchsorted(IGN_EDGES, actual, side="right") - 1, 0, n_bins - 1)
    return -np.log2(probs[np.arange(len(draws)), truth])


def central_interval(draws: np.ndarray, alpha: float = ALPHA, ordered: bool = False
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Each row's central ``1 - alpha`` interval of the draws (numpy's linear quantiles);
    ``ordered``: each row's draws are already sorted, so the quantiles are read, not
    searched for."""
    if not ordered:
        lower, upper = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=1)
        return lower, upper
    return _sorted_quantile(draws, alpha / 2), _sorted_quantile(draws, 1 - alpha / 2)


def _sorted_quantile(ordered: np.ndarray, q: float) -> np.ndarray:
    """``np.quantile(ordered, q, axis=1)`` of sorted rows, to the last bit: numpy's linear
    method (the virtual index ``(n - 1) q``, and its two-sided interpolation)."""
    n = ordered.shape[1]
    virtual = np.float64(n - 1) * np.float64(q)
    below = int(np.floor(virtual))
    if below >= n - 1:
        return ordered[:, -1].astype(np.result_type(ordered, np.float64))
    gamma = virtual - np.float64(below)
    a, b = ordered[:, below], ordered[:, below + 1]
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


def interval_score(actual: np.ndarray, draws: np.ndarray, alpha: float = ALPHA,
                   interval: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    lower, upper = interval if interval is not None else central_interval(draws, alpha)
    return ((upper - lower) + (2 / alpha) * np.maximum(lower - actual, 0)
            + (2 / alpha) * np.maximum(actual - upper, 0))


def coverage(actual: np.ndarray, draws: np.ndarray, alpha: float = ALPHA,
             interval: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """1 where the actual lies inside the central (1 - alpha) interval of the draws."""
    lower, upper = interval if interval is not None else central_interval(draws, alpha)
    return ((actual >= lower) & (actual <= upper)).astype(float)


def pit_tails(actual: np.ndarray, draws: np.ndarray, tail: float = 0.05
              ) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the share of the actual's PIT below ``tail`` and above ``1 - tail``.

    For counts the PIT is uniform between P(X < y) and P(X <= y) (a tie with draws spreads
    it), so the shares are fractions, and their means are ``tail`` each when calibrated."""
    below = (draws < actual[:, None]).mean(axis=1)
    upto = (draws <= actual[:, None]).mean(axis=1)

    def cdf(u: float) -> np.ndarray:  # P(PIT <= u) for each row
        width = upto - below
        inside = np.clip((u - below) / np.where(width > 0, width, 1.0), 0.0, 1.0)
        return np.where(width > 0, inside, (u >= below).astype(float))

    return cdf(tail), 1.0 - cdf(1.0 - tail)


def exceedance(draws: np.ndarray, threshold: float) -> np.ndarray:
    """P(value >= threshold) from the draws."""
    return (draws >= threshold).mean(axis=1)


def score_rows(actual: np.ndarray, draws: np.ndarray) -> pd.DataFrame:
    """Every score for every row (one forecast distribution and its actual)."""
    ordered = np.sort(draws, axis=1)  # sorted once: CRPS and both quantiles use it
    interval = central_interval(ordered, ordered=True)
    out = {"crps": crps(actual, ordered, ordered=True), "ign": ignorance(actual, draws),
           "mis": interval_score(actual, draws, interval=interval),
           "coverage90": coverage(actual, draws, interval=interval)}
    out["pit_below5"], out["pit_above95"] = pit_tails(actual, draws)
    for k in THRESHOLDS:
        p = exceedance(draws, k)
        out[f"brier_{k}"] = (p - (actual >= k)) ** 2
    for level in COVERAGE_LEVELS:  # the reliability of every interval, not only the 90%
        if level != 1 - ALPHA:
            out[coverage_column(level)] = coverage(
                actual, ordered, interval=central_interval(ordered, 1 - level, ordered=True))
    return pd.DataFrame(out)


def coverage_column(level: float) -> str:
    """The scores' column holding the coverage of the central ``level`` interval."""
    return f"coverage{round(100 * level)}"


def interval_calibration(scored: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Observed coverage of each central interval (``COVERAGE_LEVELS``), by ``by``: one row
    per group and level (calibrated forecasts lie on the diagonal)."""
    columns = {coverage_column(level): level for level in COVERAGE_LEVELS}
    means = scored.groupby(by, sort=False)[list(columns)].mean().reset_index()
    long = means.melt(id_vars=by, var_name="column", value_name="observed")
    long["level"] = long["column"].map(columns)
    months = scored.groupby(by, sort=False).size().rename("months").reset_index()
    return long.drop(columns="column").merge(months, on=by)


def summarise(scored: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Mean of each score by the given columns (e.g. target and model)."""
    cols = ["crps", "ign", "mis", "coverage90", "pit_below5", "pit_above95",
            *[f"brier_{k}" for k in THRESHOLDS]]
    return scored.groupby(by, sort=False)[cols].mean().reset_index()


def change_interval(scored: pd.DataFrame, model: str, reference: str, score: str = "crps",
                    level: float = 0.95, n_resamples: int = 4000, seed: int = 0
                    ) -> pd.DataFrame:
    """Per target, ``model``'s mean ``score`` relative to ``reference``'s on the rows both
    scored (``change`` -0.1 is 10% lower), and a ``level`` interval from resampling countries.

    Countries are resampled whole, with both models' scores paired: a country's months move
    together (a war lasts years), and on the raw scale a few countries decide the mean, so the
    interval says how much the comparison rests on which countries happened to be at war."""
    # A month forecast from several origins (rolling origins) is paired origin by origin.
    keys = ["target", "iso3", "last_data_month", "month"]
    pair = (scored[scored["model"] == model].set_index(keys)[score].rename("model").to_frame()
            .join(scored[scored["model"] == reference].set_index(keys)[score]
                  .rename("reference"), how="inner"))
    rows = []
    for target, part in pair.groupby(level="target", sort=False):
        sums = part.groupby(level="iso3").sum()
        a, b = sums["model"].to_numpy(), sums["reference"].to_numpy()

        def ratio(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
            return a.sum(axis=axis) / b.sum(axis=axis) - 1

        res = bootstrap((a, b), ratio, paired=True, vectorized=True, method="percentile",
                        confidence_level=level, n_resamples=n_resamples,
                        rng=np.random.default_rng(seed))
        rows.append({"target": target, "model": model, "reference": reference,
                     "countries": len(sums), "change": float(ratio(a, b)),
                     "low": float(res.confidence_interval.low),
                     "high": float(res.confidence_interval.high)})
    return pd.DataFrame(rows)
