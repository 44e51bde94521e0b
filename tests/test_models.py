"""One contract test over every model (STYLE.md §2), on a small slice of the real panel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atrisk.domain.errors import ModelError
from atrisk.models.base import Forecast, StructuralModel
from atrisk.models.registry import MODELS, TARGETS


@pytest.fixture(scope="module")
def slices(built) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    from atrisk.panels.build import read_table

    out = {}
    for name in ("panel", "ewp_prepared"):
        t = read_table(built, name)
        out["atrisk" if name == "panel" else "ewp"] = (
            t[(t["year"] >= 1985) & (t["year"] <= 2005)], t[t["year"] == 2010])
    return out


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_contract(name: str, slices) -> None:
    spec = MODELS[name]
    train, test = slices[spec.dataset]
    model = spec.build(TARGETS[spec.dataset]["onset_next2"])
    assert isinstance(model, StructuralModel)
    assert not [k for k in vars(model) if k.endswith("_")], "constructor must not fit"
    with pytest.raises(ModelError):
        model.predict(test)
    assert model.fit(train) is model
    forecast = model.predict(test)
    assert isinstance(forecast, Forecast)
    assert forecast.model == name
    p = forecast.probability
    assert len(p) > 100 and np.all((p >= 0) & (p <= 1))
    assert p.std() > 0, "a model must discriminate between countries"
    contrib = model.contributions(test)
    assert len(contrib) == len(p) and contrib.shape[1] >= 2
    assert np.isfinite(contrib.to_numpy()).all()


def test_forecast_rejects_bad_probabilities() -> None:
    keys = pd.DataFrame({"gwcode": [2], "ccode": [2], "iso3": ["USA"], "year": [2000]})
    with pytest.raises(ModelError, match="within"):
        Forecast("x", keys, np.array([1.5]))
    with pytest.raises(ModelError, match="probabilities for"):
        Forecast("x", keys, np.array([0.1, 0.2]))


def test_models_do_not_train_on_unknown_futures(slices) -> None:
    from atrisk.models.base import training_rows

    train, _ = slices["atrisk"]
    rows = training_rows(train.assign(onset_next2=train["onset_next2"].where(
        train["year"] < 2000)), "onset_next2")
    assert rows["year"].max() == 1999
    with pytest.raises(ModelError, match="no target column"):
        MODELS["lgbm"].build("no_such_target").fit(train)


def test_every_feature_has_a_plain_language_label() -> None:
    from atrisk.panels.country_year import FEATURES
    from atrisk.panels.labels import LABELS
    from atrisk.sources.ewp import PREPARED_PREDICTORS

    assert [f for f in (*FEATURES, *PREPARED_PREDICTORS) if f not in LABELS] == []
