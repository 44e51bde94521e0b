"""How sure a country's rank is: is it really 10th, or could it as well be 20th?

The bootstrap refits that make the 80% risk interval (``structural._bootstrap_draws``) each
rank every country; how often a country lands in the top 10 or top 30 across the refits, and
the range its rank keeps in 80% of them, say how firm its place in the ranking is. Ties within
a refit are broken by order, so every refit has exactly 10 countries in its top 10 and the
top-10 chances add up to 10 over all countries.
"""

from __future__ import annotations

import pandas as pd

#: The ranks EWP's users act on: the top 10 and the top 30 of its list.
TOPS = (10, 30)
#: The rank interval covers the same 80% of refits as the risk interval.
LOW, HIGH = 0.1, 0.9


def rank_certainty(draws: pd.DataFrame) -> pd.DataFrame:
    """Per country (``draws``' index): ``p_top10``, ``p_top30``, ``rank_low`` and ``rank_high``
    from ``draws`` (countries x refits, each a risk); all missing with fewer than 2 refits."""
    columns = [f"p_top{k}" for k in TOPS] + ["rank_low", "rank_high"]
    if draws.shape[1] < 2:
        return pd.DataFrame(index=draws.index, columns=columns, dtype=float)
    ranks = draws.rank(ascending=False, method="first")
    out = pd.DataFrame({f"p_top{k}": (ranks <= k).mean(axis=1) for k in TOPS})
    out["rank_low"] = ranks.quantile(LOW, axis=1, interpolation="lower")
    out["rank_high"] = ranks.quantile(HIGH, axis=1, interpolation="higher")
    return out[columns]


def sentence(rank: int, p_top10: float | None, p_top30: float | None, rank_low: int | None,
             rank_high: int | None) -> str:
    """The rank's certainty in words, for the country page and the brief."""
    if p_top10 is None or p_top30 is None or rank_low is None or rank_high is None:
        return (f"Ranked {_ordinal(rank)}; this run was made without bootstrap refits, so "
                "how sure the rank is is not known.")
    where = (f"ranked {_ordinal(rank_low)} in 80% of them" if rank_low == rank_high else
             f"ranked between {_ordinal(rank_low)} and {_ordinal(rank_high)} in 80% of them")
    return (f"Ranked {_ordinal(rank)}. Refitted on resampled countries, the model {where}: "
            f"a {100 * p_top10:.0f}% chance of a top-10 place and {100 * p_top30:.0f}% of a "
            "top-30 place.")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
