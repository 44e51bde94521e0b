"""Where acting pays most: countries ranked by the civilian lives at stake, with how sure
their risk rank is, whether anyone is working on them, and the lives an effort could save.

The "value of acting" follows Mueller & Rauh (J. European Economic Association 2022, "The
hard problem of prediction for conflict prevention"): what prevention is worth depends on the
harm expected, the share of it an effort averts, and what the effort costs. Both are the
analyst's assumptions, not findings: the defaults are placeholders to move. The evidence
beside them (``toolkit.average_effects``: how often studies found each tool reduced violence)
says how often a tool worked, not by how much; no published estimate gives the share of deaths
an effort averts. So beside the analyst's own figure each country also gets the question
turned round, as decision analysis does with a parameter nobody knows: its **break-even
effectiveness**, the share of the deaths an effort must avert for acting to pass the
threshold, and the page counts the countries that pass across a range of effectiveness.
Whether a tool can plausibly avert that share is the judgement the evidence informs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from atrisk.store.schema import StructuralForecast

#: The analyst's assumptions: share of the expected deaths an effort averts, its cost in
#: units of effort (e.g. a mission-year), and the lives saved per unit that justify it.
EFFECTIVENESS, COST, THRESHOLD = 0.1, 1.0, 50.0
#: The effectiveness range the page shows side by side: from an effort that averts one death
#: in a hundred to one that halves the toll (no study measured a share; these span the
#: plausible, they do not estimate it).
RANGE: tuple[float, ...] = (0.01, 0.05, 0.1, 0.25, 0.5)


class Assumptions(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    effectiveness: float = Field(EFFECTIVENESS, ge=0, le=1, description=(
        "Share of the expected civilian deaths over 24 months that an effort averts."))
    cost: float = Field(COST, ge=0.001, le=1e6, description="Cost of an effort, in units "
                        "the analyst chooses (e.g. one mission-year).")
    threshold: float = Field(THRESHOLD, ge=0, le=1e9, description="Lives saved per unit of "
                             "cost above which acting is marked as worth it.")


@dataclass(frozen=True)
class Priority:
    iso3: str
    name: str
    risk: float
    rank: int
    p_top10: float | None
    rank_low: int | None
    rank_high: int | None
    expected_12: float
    low_12: float
    high_12: float
    expected_24: float
    low_24: float
    high_24: float
    ongoing_12: float
    new_24: float
    covered: bool
    lives_saved: float
    per_unit: float
    worth_it: bool
    #: The share of the expected deaths an effort must avert to pass the threshold (None
    #: where no share would: fewer deaths expected than the threshold asks per unit of cost).
    break_even: float | None


@dataclass(frozen=True)
class Passing:
    """How many countries pass the threshold at one effectiveness, and how many of those
    have no active plan."""

    effectiveness: float
    countries: int
    uncovered: int


def priorities(rows: Sequence[StructuralForecast], lives: Mapping[str, Mapping[str, float]],
               planned: set[str], assume: Assumptions) -> list[Priority]:
    """``rows``: the structural run's stored rows; ``lives``: per ISO3 the lives-at-stake
    figures; ``planned``: countries with an active plan. Largest expected toll first."""
    out = []
    for r in rows:
        iso3 = r.iso3
        if iso3 not in lives:
            continue
        life = lives[iso3]
        saved = assume.effectiveness * life["expected_24"]
        out.append(Priority(
            iso3=iso3, name=r.name, risk=r.probability,
            rank=r.rank, p_top10=r.p_top10,
            rank_low=r.rank_low, rank_high=r.rank_high,
            expected_12=life["expected_12"], low_12=life["low_12"], high_12=life["high_12"],
            expected_24=life["expected_24"], low_24=life["low_24"], high_24=life["high_24"],
            ongoing_12=life["ongoing_12"], new_24=life["new_24"], covered=iso3 in planned,
            lives_saved=saved, per_unit=saved / assume.cost,
            worth_it=saved / assume.cost >= assume.threshold,
            break_even=_break_even(life["expected_24"], assume)))
    return sorted(out, key=lambda p: -p.expected_12)


def _break_even(expected_24: float, assume: Assumptions) -> float | None:
    """The effectiveness at which lives saved per unit reach the threshold; None where even
    averting every expected death would not."""
    if assume.threshold == 0:
        return 0.0
    if expected_24 <= 0:
        return None
    needed = assume.threshold * assume.cost / expected_24
    return needed if needed <= 1 else None


def passing(table: Sequence[Priority], levels: Sequence[float] = RANGE) -> list[Passing]:
    """At each effectiveness in ``levels``: the countries whose break-even it reaches (the
    analyst's cost and threshold held)."""
    return [Passing(level, sum(p.break_even is not None and p.break_even <= level
                               for p in table),
                    sum(p.break_even is not None and p.break_even <= level and not p.covered
                        for p in table))
            for level in levels]
