"""Response models: what the API promises, field by field (OpenAPI at /docs)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from atrisk.domain.reports import RunMeta, SubnationalRunMeta

#: A moment, always sent with its offset (RFC 3339): the store keeps UTC, and SQLite hands it
#: back without the offset.
Moment = Annotated[datetime, AfterValidator(
    lambda d: d if d.tzinfo is not None else d.replace(tzinfo=UTC))]


class Driver(BaseModel):
    feature: str
    label: str
    contribution: float = Field(description="Effect on the log-odds of the risk.")


class Run(BaseModel):
    id: int
    kind: str
    model: str
    period: str = Field(description="Forecast year (structural) or last data month (monthly).")
    created_at: Moment
    meta: RunMeta = Field(description="A forecast run's inputs (with sha256), code version "
                          "and settings; a back-test's score tables.")
    data_note: str = Field(description="What the run stands on: the last month or year of "
                           "data and which of it is provisional or estimated.")


def run_view(run: Any) -> Run:
    """The API's view of a stored run (``store.schema.ForecastRun``)."""
    return Run(id=run.id, kind=run.kind, model=run.model, period=run.period,
               created_at=run.created_at, meta=run.report, data_note=run.data_note)


class ChangeDriver(BaseModel):
    feature: str
    label: str
    change: float = Field(description="Change in the predictor's push on the log-odds.")


class Change(BaseModel):
    iso3: str
    name: str
    risk_before: float
    risk_after: float
    points: float = Field(description="Change in the 2-year risk, in percentage points.")
    rank_before: int
    rank_after: int
    drivers: list[ChangeDriver] = Field(description="The predictors whose push moved most in "
                                        "the direction of the change (at most two).")
    refit: float | None = Field(description="Change in log-odds the predictors do not account "
                                "for: the refit's new baseline (empty when a run did not store "
                                "every predictor's push).")
    new_year: bool = Field(description="Whether the later run forecasts from a later data "
                           "year; otherwise the change is revised data or a revised model.")
    new_year_points: float | None = Field(description="The part of the change the new data "
                                          "year's inputs made (the later run's model and data, "
                                          "its year against the year before); empty when the "
                                          "runs are not one year apart or the later run did "
                                          "not store its risk from the year before.")
    revision_points: float | None = Field(description="The part revised data and the refit "
                                          "made (the two runs on the same data year); "
                                          "points = new_year_points + revision_points.")
    sentence: str


class Changes(BaseModel):
    before: Run
    after: Run
    items: list[Change] = Field(description="Largest change in risk first.")


class WhatIfIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    iso3: str = Field(min_length=3, max_length=3)
    presets: list[Literal["coup_attempt", "battle_deaths_1000", "movement_bottom_10",
                          "neighbour_mass_killing", "one_sided_100"]] = Field(
        default=[], max_length=5, description="Scenarios in plain words (see the Methods page).")
    inputs: dict[Annotated[str, Field(max_length=60)], float] = Field(
        default={}, max_length=60, description="Any predictor of the published model set to a "
        "value; values outside the range seen in training are refused.")


class WhatIfChange(BaseModel):
    feature: str
    label: str
    before: float | None
    after: float


class WhatIf(BaseModel):
    run: Run
    iso3: str
    changes: list[WhatIfChange]
    risk_before: float
    risk: float
    interval: tuple[float | None, float | None] = Field(description="80% interval of the "
                                                        "changed risk (bootstrap refits).")
    rank_before: int
    rank: int
    rank_interval: tuple[int | None, int | None]
    sentence: str


class PriorityItem(BaseModel):
    iso3: str
    name: str
    risk: float = Field(description="2-year risk of a new mass-killing episode.")
    rank: int
    rank_interval: tuple[int | None, int | None]
    p_top10: float | None
    expected_12: float = Field(description="Expected civilian deaths in the next 12 months.")
    interval_12: tuple[float, float] = Field(description="Its 80% interval.")
    expected_24: float
    interval_24: tuple[float, float]
    ongoing_12: float = Field(description="Of the 12 months: what is already happening "
                              "(the monthly model).")
    new_24: float = Field(description="Of the 24 months: the 2-year risk times a new "
                          "episode's toll.")
    covered: bool = Field(description="Whether a prevention plan is active.")
    lives_saved: float = Field(description="Effectiveness x expected deaths over 24 months.")
    per_unit: float = Field(description="Lives saved per unit of cost.")
    worth_it: bool = Field(description="Whether lives saved per unit reach the threshold.")
    break_even: float | None = Field(description=(
        "The effectiveness (share of the 24-month deaths averted) at which acting reaches the "
        "threshold at this cost; empty where no share would."))


class Passing(BaseModel):
    effectiveness: float
    countries: int = Field(description="Countries whose break-even effectiveness this is at "
                           "or above.")
    uncovered: int = Field(description="Of them, those with no active prevention plan.")


class ToolEffects(BaseModel):
    """How often the studies in the USHMM review "Tools for Atrocity Prevention" (2025) found
    a toolkit tool, on average, decreased violence, had no or mixed effects, or increased it:
    how often, not how much (the review records no effect sizes)."""

    key: str
    name: str
    review_tools: list[str] = Field(description="The review's tools the findings are about.")
    findings: int
    decreases: float | None = Field(description="Share of the findings: decreased violence "
                                    "(empty when the review has no such study).")
    no_or_mixed: float | None
    increases: float | None = Field(description="Share that found it increased violence or "
                                    "had adverse consequences.")
    civilian_findings: int = Field(description="Findings on violence against civilians and "
                                   "mass atrocities alone.")
    civilian_decreases: float | None


class Priorities(BaseModel):
    effectiveness: float
    cost: float
    threshold: float
    items: list[PriorityItem] = Field(description="Largest expected toll first.")
    passing: list[Passing] = Field(description=(
        "How many countries pass the threshold across a range of effectiveness (1% to 50%), "
        "at the given cost: the decision's sensitivity to the assumption nobody knows."))
    tool_effects: list[ToolEffects] = Field(description=(
        "What research says about each prevention tool's average effect: evidence to set the "
        "effectiveness by, not an estimate of it."))


class StructuralItem(BaseModel):
    iso3: str
    gwcode: int
    name: str
    probability: float = Field(description="Risk of a new mass-killing episode within 2 years.")
    interval: tuple[float | None, float | None] = Field(description="80% interval.")
    probability_1yr: float
    rank: int
    rank_interval: tuple[int | None, int | None] = Field(
        description="The ranks the country kept in 80% of the bootstrap refits (empty for "
        "runs made without them).")
    p_top10: float | None = Field(description="Share of the bootstrap refits that ranked the "
                                  "country in the top 10 (these add up to 10 over countries).")
    p_top30: float | None = Field(description="Share of the refits that ranked it in the "
                                  "top 30.")
    drivers: list[Driver]


def structural_item(row: Any) -> StructuralItem:
    """The API's view of a stored structural forecast row."""
    return StructuralItem(
        iso3=row.iso3, gwcode=row.gwcode, name=row.name, probability=row.probability,
        interval=(row.low_80, row.high_80), probability_1yr=row.probability_1yr,
        rank=row.rank, rank_interval=(row.rank_low, row.rank_high), p_top10=row.p_top10,
        p_top30=row.p_top30, drivers=[Driver(**d) for d in row.drivers])


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


class OutlookItem(BaseModel):
    target: str
    months: int = Field(description="The outlook covers the run's first `months` months.")
    expected_total: float = Field(description="Expected deaths summed over those months.")
    p_month_ge_100: float = Field(description="Chance that at least one of those months has "
                                              ">= 100 deaths (read from the draws as paths).")


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
    structural_data: str | None = Field(description="What the structural forecast stands on.")
    monthly: list[MonthlyItem]
    outlook: list[OutlookItem]
    monthly_data: str | None = Field(description="What the monthly forecast stands on, e.g. "
                                     "'data through 2026-02; 2025-01–2026-02 from UCDP "
                                     "Candidate releases, provisional'.")


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
    created_at: Moment


class AuditOut(BaseModel):
    id: int
    at: Moment
    user_id: int | None
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]


class ActionOut(BaseModel):
    id: int
    tool: str
    owner: str
    partners: list[str]
    start: date | None
    due: date | None
    budget: float | None
    status: str
    notes: str


class PlanEventOut(BaseModel):
    id: int
    action_id: int | None
    user_id: int
    at: Moment
    kind: str
    text: str


class PlanOut(BaseModel):
    id: int
    iso3: str
    title: str
    status: str
    risk_at_start: float | None
    run_at_start: int | None
    created_by: int
    created_at: Moment
    actions: list[ActionOut] = []
    history: list[PlanEventOut] = []


class EvidenceOut(BaseModel):
    factor: str
    kind: str
    direction: str = Field(description="helps, hurts or mixed, by the count of findings.")
    greater: int
    lesser: int
    no_mixed: int
    present: bool | None = Field(description="Whether it holds in the country (None: "
                                             "a design choice, or unknown).")


class SuggestionOut(BaseModel):
    tool: str
    name: str
    family: str
    score: float
    reasons: list[str]
    factors: list[int]
    partners: list[str]
    lead_time_months: tuple[int, int]
    evidence: list[EvidenceOut]


class PlanProgressOut(BaseModel):
    plan_id: int
    iso3: str
    risk_at_start: float | None
    risk_now: float | None
    deaths_before: float | None
    deaths_since: float | None
    months_since: int


class CoverageOut(BaseModel):
    min_risk: float
    uncovered: list[StructuralItem] = Field(description="Above the risk, no active plan.")
    covered: int
    overdue: list[ActionOut]
    progress: list[PlanProgressOut]
    data_to: str


class AlertOut(BaseModel):
    id: int
    rule_id: int
    iso3: str
    message: str
    value: float
    run_id: int | None = Field(description="The forecast run that raised it; null for a "
                                           "news signal.")
    created_at: Moment
    acknowledged_at: Moment | None
    acknowledged_by: str | None = Field(
        default=None, description="E-mail of who acknowledged it (any member of the team can).")
    team_id: int | None


class RuleOut(BaseModel):
    id: int
    name: str
    kind: str
    threshold: float
    iso3: str | None
    webhook_url: str | None
    email: str | None
    active: bool
    created_at: Moment
    team_id: int | None


class RuleCreated(RuleOut):
    webhook_secret: str | None = Field(
        default=None, description="Signs each webhook body (HMAC-SHA256); shown only here.")


class Signal(BaseModel):
    """One escalation signal of one country on one day (``atrisk events signals``)."""

    iso3: str
    date: date
    signal: str = Field(description="gdelt_violent_share, gdelt_atrocity_share, "
                                    "hdx_fatalities or agreement.")
    value: float = Field(description="A z-score, 30-day deaths, or the number of sources "
                                     "that agree.")
    level: Literal["none", "medium", "high"]
    detail: str
    admin1: str | None = Field(default=None, description="For a region's signal: the "
                               "source's code of the first-level region (GDELT: FIPS ADM1, "
                               "ICEWS: the province); empty for the country's own.")
    place: str | None = Field(default=None, description="The region's name, as the events "
                              "give it.")


class SignalsLatest(BaseModel):
    as_of: date = Field(description="The latest day of the event tables.")
    signals: list[Signal]


class SubnationalPlace(BaseModel):
    """One cell or region of a sub-national forecast."""

    unit: str = Field(description="PRIO-GRID id (cells) or region name (regions).")
    expected: float = Field(description="Expected civilian deaths over the outlook's months.")
    p_ge_25: float = Field(description="Chance of at least 25 civilian deaths in them.")
    last_12_months: float = Field(description="Civilian deaths in the 12 months to the "
                                  "run's last_12_through (the latest 12 months in a row "
                                  "whose places are known).")
    region: str | None = Field(default=None, description="Cells: the region most of its "
                               "events were in.")
    lat: float | None = None
    lon: float | None = None
    south: float | None = None
    west: float | None = None
    north: float | None = None
    east: float | None = None


class Subnational(BaseModel):
    """A country's latest sub-national forecast: the national monthly forecast shared among
    its cells or regions."""

    run: SubnationalRunMeta
    data_note: str
    items: list[SubnationalPlace]
