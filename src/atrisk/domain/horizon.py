"""Forecast horizons and back-test windows as frozen value objects."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StructuralWindow:
    """One fold of EWP's 'fully out-of-sample' back-test.

    Fit on country-years up to ``last_train_year`` (their two-year outcomes reach
    ``last_train_year + 2``, known once that year's data arrive), then forecast from the data
    of ``data_year = last_train_year + 2`` the onset of a new episode in ``data_year + 1`` or
    ``data_year + 2``.
    """

    last_train_year: int

    @property
    def data_year(self) -> int:
        return self.last_train_year + 2

    @property
    def target_years(self) -> tuple[int, int]:
        return (self.data_year + 1, self.data_year + 2)


def structural_windows(first: int = 1991, last: int = 2021) -> tuple[StructuralWindow, ...]:
    """EWP's back-test folds, last training years ``first`` … ``last`` inclusive."""
    if last < first:
        raise ValueError(f"last training year {last} is before the first {first}")
    return tuple(StructuralWindow(year) for year in range(first, last + 1))


#: The ViEWS protocol's steps: January-December of the test year from data through October.
VIEWS_STEPS: tuple[int, ...] = tuple(range(3, 15))
#: The two months before them (November and December of the year before): what users of a
#: forecast from the latest data see first, scored too but apart from the ViEWS headline.
NEAR_STEPS: tuple[int, ...] = (1, 2)


@dataclass(frozen=True)
class MonthlyWindow:
    """One fold of the ViEWS protocol: data through October of the previous year, forecasts
    for January-December of ``test_year`` (steps 3-14 after the last data month), and for
    November-December before it (steps 1-2)."""

    test_year: int

    @property
    def last_data_month(self) -> str:
        return f"{self.test_year - 1}-10"

    @property
    def steps(self) -> tuple[int, ...]:
        return NEAR_STEPS + VIEWS_STEPS

    @property
    def step_groups(self) -> tuple[tuple[int, ...], ...]:
        """Steps 3-14, then 1-2, drawn apart: each month's draws are what they were before
        steps 1-2 were scored, so the ViEWS figures reproduce."""
        return (VIEWS_STEPS, NEAR_STEPS)


def monthly_windows(first: int = 2018, last: int = 2023) -> tuple[MonthlyWindow, ...]:
    """ViEWS test years ``first`` … ``last`` inclusive."""
    if last < first:
        raise ValueError(f"last test year {last} is before the first {first}")
    return tuple(MonthlyWindow(year) for year in range(first, last + 1))
