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


    @property
    def label(self) -> str:
        return str(self.test_year)


#: What a rolling origin forecasts: the next twelve months.
ROLLING_STEPS: tuple[int, ...] = tuple(range(1, 13))


@dataclass(frozen=True)
class RollingOrigin:
    """One origin of the rolling back-test: data through ``last_data_month``, forecasts for
    the next twelve months, as far as ``last_month`` (the last month with actuals)."""

    last_data_month: str
    last_month: str

    @property
    def label(self) -> str:
        return self.last_data_month

    @property
    def steps(self) -> tuple[int, ...]:
        year, month = (int(x) for x in self.last_data_month.split("-"))
        end_year, end_month = (int(x) for x in self.last_month.split("-"))
        room = (end_year - year) * 12 + end_month - month
        return tuple(s for s in ROLLING_STEPS if s <= room)

    @property
    def step_groups(self) -> tuple[tuple[int, ...], ...]:
        return (self.steps,)


def rolling_origins(first: str = "2017-12", last: str = "2024-11",
                    last_month: str = "2024-12") -> tuple[RollingOrigin, ...]:
    """An origin at every month from ``first`` to ``last`` (last data months), each
    forecasting steps 1-12 within ``last_month``."""
    if last < first or last_month <= last:
        raise ValueError(f"origins {first}…{last} need actuals after them (to {last_month})")
    year, month = (int(x) for x in first.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(RollingOrigin(f"{year:04d}-{month:02d}", last_month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(out)


def monthly_windows(first: int = 2018, last: int = 2023) -> tuple[MonthlyWindow, ...]:
    """ViEWS test years ``first`` … ``last`` inclusive."""
    if last < first:
        raise ValueError(f"last test year {last} is before the first {first}")
    return tuple(MonthlyWindow(year) for year in range(first, last + 1))
