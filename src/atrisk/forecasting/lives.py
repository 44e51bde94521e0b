"""Lives at stake: the civilians each country may lose in the next 12 and 24 months.

Two parts, added draw by draw so the interval covers both:

- **What is already happening**: the monthly model's draws of civilian deaths, summed over
  its 12 months (the 24-month figure adds 12 more months at each draw's twelfth month: the
  monthly model does not look further, so the last month it sees is assumed to persist).
- **What a new episode would take**: the chance of a new mass-killing episode (the annual
  model's 1-year and 2-year risks) times the civilian toll such an episode takes in its first
  year (two years), learned from every episode that began since UCDP's records start (1989):
  UCDP one-sided deaths in the onset year (and the year after), by what predicts severity that
  is known before an onset, the country's population and its electoral democracy (V-Dem), and
  by who leads the killing (state-led or not, itself learned from the same inputs), in a
  log-normal regression (``TollModel``). Drawn as: an onset with the risk's probability; if
  so, state-led with its chance, and a toll from that kind's log-normal.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from atrisk.models.toll import TollModel

QUANTILES = (0.1, 0.9)
SEED = 2024


def lives_at_stake(draws: pd.DataFrame, risks: pd.DataFrame, tolls: tuple[TollModel, TollModel],
                   seed: int = SEED) -> pd.DataFrame:
    """Per country: expected civilian deaths in the next 12 and 24 months with their 80%
    intervals, and each part's expectation.

    ``draws``: the monthly model's civilian-death draws (``iso3, month, draw, value``);
    ``risks``: per ``iso3`` the annual ``risk_1yr`` and ``risk_2yr`` and the ``SEVERITY``
    inputs of the data year; ``tolls``: the one-year and the two-year ``TollModel``."""
    rng = np.random.default_rng(seed)
    isos, cube = _paths(draws)
    ongoing = {12: cube.sum(axis=2)}  # country x draw
    ongoing[24] = ongoing[12] + 12 * cube[:, :, -1]
    rows = risks.drop_duplicates("iso3").set_index("iso3").reindex(isos)
    # Severity inputs a country lacks are filled with the mean of all countries (as in the
    # back-test, evaluation.lives_backtest), so every country gets a toll.
    log_means = {(h, kind): toll.log_mean(rows, kind)
                 for h, toll in zip((12, 24), tolls, strict=True) for kind in (True, False)}
    state = {h: toll.state_probability(rows) for h, toll in zip((12, 24), tolls, strict=True)}
    expected = {h: toll.expected(rows) for h, toll in zip((12, 24), tolls, strict=True)}
    sigma = {12: tolls[0].sigma, 24: tolls[1].sigma}
    risk = {12: rows["risk_1yr"].to_numpy(dtype=float),
            24: rows["risk_2yr"].to_numpy(dtype=float)}
    known = set(risks["iso3"])
    out = []
    for i, iso3 in enumerate(isos):
        if iso3 not in known:
            continue
        n = cube.shape[1]
        totals, news = {}, {}
        for h in (12, 24):
            onset = rng.random(n) < risk[h][i]
            led = rng.random(n) < state[h][i]
            centre = np.where(led, log_means[h, True][i], log_means[h, False][i])
            size = np.expm1(rng.normal(centre, sigma[h], n))
            totals[h] = ongoing[h][i] + onset * size
            news[h] = risk[h][i] * float(expected[h][i])
        mean = {h: float(ongoing[h][i].mean()) for h in (12, 24)}
        out.append({
            "iso3": iso3, "ongoing_12": mean[12], "ongoing_24": mean[24],
            "new_12": news[12], "new_24": news[24],
            "expected_12": mean[12] + news[12], "expected_24": mean[24] + news[24],
            **{f"{'low' if q < 0.5 else 'high'}_{h}": float(np.quantile(totals[h], q))
               for h in (12, 24) for q in QUANTILES},
        })
    table = pd.DataFrame(out)
    return table.sort_values("expected_12", ascending=False).reset_index(drop=True)


def _paths(draws: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """The draws as a country x draw x month cube (months in order), and the countries."""
    isos, iso_codes = _sorted_codes(draws["iso3"])
    kept, draw_codes = _sorted_codes(draws["draw"])
    months, month_codes = _sorted_codes(draws["month"])
    shape = (len(isos), len(kept), len(months))
    flat = (iso_codes * shape[1] + draw_codes) * shape[2] + month_codes
    cube = np.bincount(flat, weights=draws["value"].to_numpy(dtype=float),
                       minlength=int(np.prod(shape)))
    return [str(x) for x in isos], cube.reshape(shape)


def _sorted_codes(values: pd.Series) -> tuple[list[object], np.ndarray]:
    """The distinct values in order and each row's position among them (the draws' text
    columns are dictionary-encoded and millions of rows long: read through their codes)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.int64)
        labels = np.asarray(values.cat.categories.astype(str))
    else:  # draw numbers: 0..999
        codes = values.to_numpy().astype(np.int64)
        labels = np.arange(int(codes.max()) + 1 if len(codes) else 0)
    used = np.flatnonzero(np.bincount(codes, minlength=len(labels)))
    order = used[np.argsort(labels[used], kind="stable")]
    rank = np.full(len(labels), -1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    return list(labels[order]), rank[codes]


def sentence(at_stake: Mapping[str, float]) -> str:
    """A country's lives at stake in words, for its page and its brief."""
    n = "{:,.0f}".format
    return (f"About {n(at_stake['expected_12'])} civilians may be killed in the next 12 months "
            f"(80% interval {n(at_stake['low_12'])}–{n(at_stake['high_12'])}) and "
            f"{n(at_stake['expected_24'])} in 24 ({n(at_stake['low_24'])}–"
            f"{n(at_stake['high_24'])}): {n(at_stake['ongoing_12'])} of the 12 months' from what "
            f"is already happening, {n(at_stake['new_24'])} of the 24 months' from the chance "
            "of a new episode.")
