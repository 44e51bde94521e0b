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


@dataclass(frozen=True)
class MonthlyWindow:
    """One fold of the ViEWS protocol: data through October of the previous year, forecasts
    for January-December of ``test_year`` (steps 3-14 after the last data month)."""

    test_year: int

    @property
    def last_data_month(self) -> str:
        return f"{self.test_year - 1}-10"

    @property
    def steps(self) -> tuple[int, ...]:
        return tuple(range(3, 15))


def monthly_windows(first: int = 2018, last: int = 2023) -> tuple[MonthlyWindow, ...]:
    """ViEWS test years ``first`` … ``last`` inclusive."""
    if last < first:
        raise ValueError(f"last test year {last} is before the first {first}")
    return tuple(MonthlyWindow(year) for year in range(first, last + 1))
