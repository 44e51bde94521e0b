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


def test_replica_agrees_with_glum_on_the_full_path(slices) -> None:
    """The replica's own solver cross-validates only the first penalties of glmnet's path;
    on real data it must choose the lambda glum's cross-validation chooses on the full
    100-step path with the same folds, with the same held-out deviances and forecasts (to
    glum's convergence tolerance)."""
    import warnings

    from glum import GeneralizedLinearRegressorCV
    from sklearn.model_selection import KFold

    from atrisk.models.base import training_rows
    from atrisk.models.logit import FIRST_LAMBDAS, SEED, ElasticNetLogit, lambda_path
    from atrisk.sources.ewp import PREPARED_PREDICTORS

    train, test = slices["ewp"]
    replica = ElasticNetLogit("r", PREPARED_PREDICTORS, target="mk_onset_1or2").fit(train)
    rows = training_rows(train, "mk_onset_1or2").dropna(subset=list(PREPARED_PREDICTORS))
    x = rows[list(PREPARED_PREDICTORS)].astype(float).to_numpy()
    y = rows["mk_onset_1or2"].astype(float).to_numpy()
    full = GeneralizedLinearRegressorCV(
        family="binomial", l1_ratio=0.5, n_alphas=100, min_alpha_ratio=1e-4,
        scale_predictors=True, cv=KFold(10, shuffle=True, random_state=SEED))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full.fit(x, y)
    path = replica.path_
    assert lambda_path(x, y, 0.5) == pytest.approx(full.alphas_, rel=1e-12)
    assert len(path.lambdas) == FIRST_LAMBDAS  # the short path sufficed
    assert path.lambdas[path.best] == pytest.approx(full.alpha_, rel=1e-12)
    assert path.deviance == pytest.approx(full.deviance_path_[:, 0, :FIRST_LAMBDAS], abs=1e-3)
    complete = test.dropna(subset=list(PREPARED_PREDICTORS))
    ours = replica.predict(complete).probability
    theirs = full.predict(complete[list(PREPARED_PREDICTORS)].astype(float).to_numpy())
    assert len(ours) > 100
    assert ours == pytest.approx(theirs, abs=2e-3)


def test_ridge_logit_is_scikit_learns_logistic_regression_cv(slices) -> None:
    """The ridge logit is solved with every fold at once, but the model is scikit-learn's
    ``LogisticRegressionCV``: on real data the same penalty, held-out scores and forecasts as
    the library's, and coefficients nearer the exact optimum than the library gets at its
    default tolerance."""
    import warnings

    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    from atrisk.models.base import training_rows
    from atrisk.models.logit import CS, SEED, RidgeLogit
    from atrisk.panels.country_year import FEATURES

    train, test = slices["atrisk"]
    ours = RidgeLogit("logit", FEATURES).fit(train)
    rows = training_rows(train, "onset_next2")
    y = rows["onset_next2"].astype(int).to_numpy()
    z = ours._standardised(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        library = LogisticRegressionCV(
            Cs=CS, cv=StratifiedKFold(5, shuffle=True, random_state=SEED),
            scoring="neg_log_loss", solver="newton-cholesky", max_iter=200).fit(z, y)
        exact = LogisticRegression(C=library.C_[0], solver="newton-cholesky", tol=1e-12,
                                   max_iter=1000).fit(z, y)
    path = ours.path_
    assert path.lambdas * CS * len(y) == pytest.approx(1.0)  # lambda = 1 / (C n)
    assert CS[path.best] == pytest.approx(library.C_[0])
    # scikit-learn's held-out mean log-likelihoods are -1/2 the mean deviances (each to its
    # solver's tolerance: the library's fold fits stop further from the optimum).
    assert -path.deviance / 2 == pytest.approx(library.scores_[1], abs=2e-3)
    assert path.coef == pytest.approx(exact.coef_[0], abs=1e-4)
    assert path.intercept == pytest.approx(exact.intercept_[0], abs=1e-4)
    ours_error = np.abs(path.coef - exact.coef_[0]).max()
    assert ours_error <= np.abs(library.coef_[0] - exact.coef_[0]).max() + 1e-5
    theirs = library.predict_proba(ours._standardised(test))[:, 1]
    assert ours.predict(test).probability == pytest.approx(theirs, rel=5e-3, abs=1e-5)


def test_elastic_net_meets_the_optimality_conditions(slices) -> None:
    """At the chosen lambda the all-rows fit is the penalised optimum: on standardised
    predictors each coefficient's slope is -lambda*alpha*sign (with the ridge part) where it
    is not zero, and within lambda*alpha of zero where it is (the elastic net's optimality
    conditions, checked independently of the solver)."""
    from scipy.special import expit

    from atrisk.models.base import training_rows
    from atrisk.models.logit import ElasticNetLogit
    from atrisk.sources.ewp import PREPARED_PREDICTORS

    train, _ = slices["ewp"]
    replica = ElasticNetLogit("r", PREPARED_PREDICTORS, target="mk_onset_1or2").fit(train)
    rows = training_rows(train, "mk_onset_1or2").dropna(subset=list(PREPARED_PREDICTORS))
    x = rows[list(PREPARED_PREDICTORS)].astype(float).to_numpy()
    y = rows["mk_onset_1or2"].astype(float).to_numpy()
    path = replica.path_
    lam = path.lambdas[path.best]
    spread = x.std(axis=0)
    beta = path.coef * spread  # standardised coefficients
    mu = expit(path.intercept + x @ path.coef)
    assert np.mean(mu - y) == pytest.approx(0, abs=1e-6)  # the unpenalised intercept
    slope = ((x - x.mean(axis=0)) / spread).T @ (mu - y) / len(y) + lam * 0.5 * beta
    at_zero = beta == 0
    assert 0 < at_zero.sum() < len(beta)
    assert np.abs(slope[at_zero]).max() <= lam * 0.5 + 1e-6
    assert slope[~at_zero] == pytest.approx(-lam * 0.5 * np.sign(beta[~at_zero]), abs=1e-6)


def test_the_rise_bound_is_never_below_the_objectives_rise() -> None:
    """The elastic net skips computing its objective when ``_rise_bound`` says a step did not
    raise it: the bound must hold for any step, large or small, on any fit."""
    from atrisk.models.elastic_net import _Fits, _objective, _rise_bound, _standardisation

    rng = np.random.default_rng(7)
    n, p, fits = 400, 6, 3
    design = np.hstack([np.ones((n, 1)), rng.normal(size=(n, p))])
    y = (rng.random(n) < 0.2).astype(float)
    weights = rng.random((n, fits)) * (rng.random((n, fits)) < 0.9)
    weights /= weights.sum(axis=0)
    problem = _Fits(design, y, weights, (weights * y[:, None]).T @ design,
                    _standardisation(design, weights), np.array([0, n]), np.ones(fits))
    for size in (1e-4, 1e-2, 0.3, 2.0):
        theta = rng.normal(size=(fits, p + 1)) * (rng.random((fits, p + 1)) < 0.7)
        step = rng.normal(scale=size, size=theta.shape)
        eta, after = problem.linear(theta), problem.linear(theta + step)
        mu = 1 / (1 + np.exp(-eta))
        rise = (_objective(problem, after, theta + step, 0.01, 0.02)
                - _objective(problem, eta, theta, 0.01, 0.02))
        bound = _rise_bound(weights, mu, after - eta, problem.gradient(mu), theta, step,
                            0.01, 0.02)
        assert np.all(rise <= bound + 1e-12), (size, rise, bound)
