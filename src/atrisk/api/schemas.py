"""Response models: what the API promises, field by field (OpenAPI at /docs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Error(BaseModel):
    ok: bool = False
    error: str
    status: int


class Driver(BaseModel):
    feature: str
    label: str
    contribution: float = Field(description="Effect on the log-odds of the risk.")


class Run(BaseModel):
    id: int
    kind: str
    model: str
    period: str = Field(description="Forecast year (structural) or last data month (monthly).")
    created_at: datetime
    meta: dict[str, Any] = Field(description="Inputs (with sha256), code version, settings.")


class StructuralItem(BaseModel):
    iso3: str
    gwcode: int
    name: str
    probability: float = Field(description="Risk of a new mass-killing episode within 2 years.")
    interval: tuple[float | None, float | None] = Field(description="80% interval.")
    probability_1yr: float
    rank: int
    drivers: list[Driver]


class StructuralPage(BaseModel):
    run: Run
    total: int
    limit: int
    offset: int
    items: list[StructuralItem]


class MonthlyItem(BaseModel):
    iso3: str
    gwcode: int
    target: str
    month: str
    step: int
    mean: float
    median: float
    q10: float
    q90: float
    p_ge_1: float
    p_ge_25: float
    p_ge_100: float
    p_ge_1000: float


class MonthlyPage(BaseModel):
    run: Run
    items: list[MonthlyItem]


class Country(BaseModel):
    iso3: str
    gwcode: int
    ccode: int
    name: str
    first_year: int
    last_year: int
    region: str | None = Field(default=None, description="US State Department region.")


class CountryDetail(Country):
    structural: StructuralItem | None
    monthly: list[MonthlyItem]


class Health(BaseModel):
    ok: bool
    database: str
    structural_run: int | None
    monthly_run: int | None


class PastForecast(BaseModel):
    run_id: int
    forecast_year: int = Field(description="First of the two years the forecast covers.")
    probability: float
    interval: tuple[float | None, float | None]
    rank: int


class BacktestForecast(BaseModel):
    model: str
    data_year: int = Field(description="Year of the data; the forecast covers the 2 after.")
    probability: float
    onset_next2: float | None = Field(description="1 if an episode began in the 2 years.")


class CountryHistory(BaseModel):
    iso3: str
    published: list[PastForecast]
    backtest_run: int | None
    backtest: list[BacktestForecast] = Field(
        description="Out-of-sample back-test forecasts of the back-test's main model.")


class Backtest(BaseModel):
    run: Run = Field(description="The run; its meta holds every score table.")


class Me(BaseModel):
    email: str
    name: str
    role: str = Field(description="viewer, analyst or admin.")


class AssessmentOut(BaseModel):
    id: int
    iso3: str
    factor_id: int = Field(description="UN Framework risk factor (1-14).")
    version: int
    level: int = Field(description="0 absent, 1 low, 2 elevated, 3 severe.")
    trend: str
    confidence: str
    evidence: str
    sources: list[dict[str, str]]
    framework_version: str
    author_id: int
    created_at: datetime


class AuditOut(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]
