"""What a published run says about itself: the metadata of a forecast run and the scores of
a back-test, as typed records. They are stored as JSON with the run, read back by the pages,
the API and the CLI, and published as they are at ``/api/.../runs``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from atrisk.domain.vintage import DataBasis


class _Record(BaseModel):
    # Runs stored by an older atrisk may carry fields since dropped (ignored) and lack fields
    # added since (those have defaults), so every published run stays readable.
    model_config = ConfigDict(extra="ignore", frozen=True)


class Input(_Record):
    """One file the build read (from its manifest): where it came from and its hash."""

    name: str
    path: str
    url: str
    version: str
    licence: str
    citation: str = ""
    bytes: int
    sha256: str


class StructuralRunMeta(_Record):
    """A structural (annual) forecast run."""

    kind: Literal["structural"] = "structural"
    created: str
    model: str
    model_description: str
    forecast_year: int
    data_year: int
    bootstrap: int
    seed: int
    code_version: str
    inputs: list[Input]
    build_created: str
    n_countries: int
    provisional: bool = False
    data_note: str = Field(default_factory=lambda data: (
        f"data through {data['data_year']} (annual sources: V-Dem, World Bank, UN, EPR, "
        "UCDP final)"))
    #: The run's folder under the build folder (its tables and what-if kit); runs stored
    #: before it was recorded have none.
    directory: str | None = None


class MonthlyRunMeta(_Record):
    """A monthly forecast run (the draws stay in Parquet at ``draws_file``)."""

    kind: Literal["monthly"] = "monthly"
    created: str
    model: str
    last_data_month: str
    months: list[str] = []
    draws: int
    code_version: str
    inputs: list[Input]
    build_created: str
    draws_file: str = ""
    outlook_months: int = 6
    settings: dict[str, dict[str, Any]] = Field(
        default={}, description="The model's settings for each target.")
    data: DataBasis | None = Field(
        default=None, description="What the run stands on: last month and vintages.")

    @property
    def data_note(self) -> str:
        return self.data.describe() if self.data else f"data through {self.last_data_month}"


class SubnationalRunMeta(_Record):
    """A sub-national forecast run: a national monthly forecast shared among a country's
    cells or regions (the draws stay in Parquet at ``draws_file``)."""

    kind: Literal["subnational"] = "subnational"
    created: str
    iso3: str
    level: Literal["cell", "region"]
    model: str
    settings: dict[str, Any] = {}
    national_model: str
    national_last_data_month: str
    months: list[str]
    history: str = Field(description="The complete event history the places come from.")
    history_vintage: str
    history_last_month: str
    candidate_vintages: list[str] = Field(
        default=[], description="The UCDP Candidate releases (with coordinates) whose events "
        "follow the history.")
    candidate_months: list[str] = Field(
        default=[], description="The months after the history those releases make known.")
    last_12_through: str | None = Field(
        default=None, description="The last of the 12 known months in a row that each "
        "place's last-12-months figure sums.")
    units: int
    draws: int
    code_version: str
    draws_file: str
    outlook_months: int

    @property
    def data_note(self) -> str:
        later = ""
        if self.candidate_months:
            span = self.candidate_months[0]
            if len(self.candidate_months) > 1:
                span += f" to {self.candidate_months[-1]}"
            later = (f" and Candidate events of {span} "
                     f"({', '.join(self.candidate_vintages)})")
        return (f"how many: the national forecast from data through "
                f"{self.national_last_data_month}; where: GED events through "
                f"{self.history_last_month} ({self.history_vintage}){later}; model "
                f"{self.model}")


class Score(_Record):
    """A structural model's scores on the back-test's country-years."""

    model: str
    n: int
    onsets: int
    auc: float | None
    pr_auc: float | None
    top10: int
    top20: int
    top30: int
    recall30: float | None
    fp_per_tp_4pct: float | None
    n_2yr: int
    brier: float | None
    log_loss: float | None


class CalibrationBin(_Record):
    model: str
    bin: str
    n: int
    mean_forecast: float | None
    observed: float | None
    onsets: int


class RocPoint(_Record):
    model: str
    fpr: float
    tpr: float


class CarryForwardCost(_Record):
    """What forecasting a year early (data carried forward) cost a model in the back-test."""

    model: str
    n: int
    onsets: int
    auc_full: float
    auc_carried: float
    top30_full: float
    top30_carried: float
    auc_loss: float
    top30_loss: float


class _Backtest(_Record):
    """What every back-test report names: its headline model, the models it ran, when, and
    where its forecasts or scores were written."""

    model: str
    models: list[str] = []
    created: str
    out: str


class StructuralBacktestReport(_Backtest):
    """A structural back-test: the side-by-side scores, their strict variant (forecast from
    y-1 only), calibration, ROC and the cost of forecasting a year early."""

    kind: Literal["backtest_structural"] = "backtest_structural"
    first: int
    last: int
    last_observed: int | None = None
    scores: list[Score]
    scores_strict: list[Score] = []
    calibration: list[CalibrationBin] = []
    roc: list[RocPoint] = []
    carry_forward_cost: list[CarryForwardCost] = []


class MonthlyScore(_Record):
    """Mean scores of a monthly model on one target (and one step, year, or months with or
    without deaths, when the table is split that way)."""

    target: str
    model: str
    step: int | None = None
    year: int | None = None
    actuals: Literal["zero", "non-zero"] | None = None
    crps: float | None
    ign: float | None
    mis: float | None
    coverage90: float | None
    pit_below5: float | None
    pit_above95: float | None
    brier_1: float | None
    brier_25: float | None
    brier_100: float | None
    brier_1000: float | None


class CrpsChange(_Record):
    """A model's CRPS change against the reference, with a 95% interval from resampling
    countries (-0.1 is 10% lower)."""

    target: str
    model: str
    reference: str
    countries: int
    change: float
    low: float
    high: float


class MonthlyBacktestReport(_Backtest):
    """A monthly back-test's score tables (ViEWS steps 3-14, and by step 1-14)."""

    kind: Literal["backtest_monthly"] = "backtest_monthly"
    first: int
    last: int
    scores: list[MonthlyScore]
    scores_by_actuals: list[MonthlyScore] = []
    scores_by_step: list[MonthlyScore] = []
    crps_change: list[CrpsChange] = []


class IntervalCoverage(_Record):
    """How often the actual fell inside a model's central ``level`` interval."""

    target: str
    model: str
    level: float
    observed: float
    months: int


class RollingBacktestReport(_Backtest):
    """The rolling-origin back-test: an origin at every month, steps 1-12, pooled; by step,
    by year of the month forecast, on months with and without deaths; each model's CRPS
    change against the reference over all the months and over the last year alone."""

    kind: Literal["backtest_rolling"] = "backtest_rolling"
    first_origin: str
    last_origin: str
    origins: int
    scores: list[MonthlyScore]
    scores_by_step: list[MonthlyScore]
    scores_by_year: list[MonthlyScore]
    scores_by_actuals: list[MonthlyScore]
    crps_change: list[CrpsChange]
    #: The same change on the months of the last year only (2024: no setting saw them).
    crps_change_last_year: list[CrpsChange]
    #: Reliability on months with deaths: observed coverage of the 50, 80, 90, 98% intervals.
    calibration_nonzero: list[IntervalCoverage] = []


RunMeta = (StructuralRunMeta | MonthlyRunMeta | StructuralBacktestReport | MonthlyBacktestReport
           | RollingBacktestReport)

_BY_KIND: dict[str, type[RunMeta]] = {
    "structural": StructuralRunMeta, "monthly": MonthlyRunMeta,
    "backtest_structural": StructuralBacktestReport, "backtest_monthly": MonthlyBacktestReport,
    "backtest_rolling": RollingBacktestReport}


def parse_meta(kind: str, stored: dict[str, Any]) -> RunMeta:
    """A stored run's metadata as the record of its kind."""
    return _BY_KIND[kind].model_validate({**stored, "kind": kind})
