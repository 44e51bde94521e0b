"""The UN Framework of Analysis for Atrocity Crimes (2014) as versioned data: its 14 risk
factors in our own words, and which risk factors each model predictor measures."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from atrisk.domain.errors import ConfigError

DATA = Path(__file__).parent / "data"
GROUPS = ("all atrocity crimes", "genocide", "crimes against humanity", "war crimes")


class RiskFactor(BaseModel):
    id: int = Field(ge=1, le=14)
    key: str
    name: str
    applies_to: str
    summary: str
    indicators: list[str] = Field(min_length=2)


class Framework(BaseModel):
    version: str
    citation: str
    url: str
    factors: list[RiskFactor] = Field(alias="factor")
    predictors: dict[str, list[int]]
    controls: dict[str, str]

    @model_validator(mode="after")
    def _consistent(self) -> Framework:
        ids = [f.id for f in self.factors]
        if ids != list(range(1, 15)):
            raise ValueError(f"the framework has 14 risk factors numbered 1-14, not {ids}")
        if unknown := {f.applies_to for f in self.factors} - set(GROUPS):
            raise ValueError(f"unknown groups of crimes: {sorted(unknown)}")
        for name, factors in self.predictors.items():
            if not factors or not set(factors) <= set(ids):
                raise ValueError(f"predictor {name!r} maps to unknown factors {factors}")
        if both := set(self.predictors) & set(self.controls):
            raise ValueError(f"predictors both mapped and controls: {sorted(both)}")
        return self

    def factor(self, factor_id: int) -> RiskFactor:
        return self.factors[factor_id - 1]

    def factors_of(self, predictor: str) -> list[RiskFactor]:
        """The risk factors a model predictor measures (none for controls)."""
        return [self.factor(i) for i in self.predictors.get(predictor, [])]


@lru_cache(maxsize=1)
def framework(path: Path = DATA / "risk_factors.toml") -> Framework:
    """The packaged framework, validated (a broken data file is a clear error)."""
    try:
        return Framework.model_validate(tomllib.loads(path.read_text()))
    except (OSError, tomllib.TOMLDecodeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
