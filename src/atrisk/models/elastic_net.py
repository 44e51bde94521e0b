"""glmnet's cross-validated elastic-net logit, with every fold solved at once.

EWP picks its penalty by ``cv.glmnet``: ten fold fits and a full-data fit, each along the same
penalty path. One fold's fit at one penalty is a few Newton steps, each a weighted Gram matrix
and a coordinate descent on 40 coefficients; a general solver (glum, glmnet's Fortran) pays
its per-step overhead once per fold, which made the replica's back-test no faster than EWP's
own R. Here the eleven fits share one design matrix and differ only in their row weights (a
fold's held-out rows weigh nothing) and standardisation, so each Newton step is one matrix
product for all of them, the Hessians share the folds' blocks, and each step's quadratic is
solved for all eleven in one batched linear solve.

The objective is glmnet's (and glum's): the mean negative log-likelihood plus
``lambda * (alpha * |b|_1 + (1 - alpha) / 2 * |b|^2)`` on coefficients of predictors
standardised by each fit's own rows (population variance), intercept unpenalised. It is
strictly convex, so the solution does not depend on the solver; ``tests/test_models.py``
checks it against glum's ``GeneralizedLinearRegressorCV`` on real data.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit

#: The Newton steps stop when every coefficient's ``H_jj * step^2`` (its share of the decrease
#: of the objective) is below this in every fit; glmnet's ``thresh`` is 1e-7 of the null
#: deviance (~0.2 here) on the same quantity. Tighter changed no chosen lambda, only time.
TOLERANCE = 1e-8
MAX_NEWTON = 50
MAX_SWEEPS = 1000


@dataclass(frozen=True)
class CrossValidatedPath:
    """A penalty path fitted on every fold and on all rows."""

    lambdas: np.ndarray
    #: Mean held-out deviance, folds x penalties.
    deviance: np.ndarray
    #: The penalty with the lowest mean held-out deviance (glmnet's ``lambda.min``).
    best: int
    #: The all-rows fit at ``best``, on the predictors' own scale.
    intercept: float
    coef: np.ndarray


def cross_validate(x: np.ndarray, y: np.ndarray, fold: np.ndarray, lambdas: np.ndarray,
                   alpha: float, extend: np.ndarray | None = None,
                   past_minimum: int = 0) -> CrossValidatedPath:
    """Fit ``lambdas`` (largest first) on every fold (``fold``: each row's fold, 0..k-1) and
    on all rows. With ``extend``, the path continues into those penalties whenever the lowest
    held-out deviance lies within the last ``past_minimum`` penalties fitted so far."""
    order = np.argsort(fold, kind="stable")  # each fold's rows contiguous
    x, y, fold = np.asarray(x, dtype=float)[order], np.asarray(y, dtype=float)[order], fold[order]
    n = len(y)
    folds = int(fold.max()) + 1
    bounds = np.searchsorted(fold, np.arange(folds + 1))
    sizes = np.append(n - np.diff(bounds), n).astype(float)
    # Row weights, one column per fit: each fold's training rows, then all rows.
    weights = np.zeros((n, folds + 1))
    for k in range(folds):
        train = fold != k
        weights[train, k] = 1.0 / train.sum()
    weights[:, folds] = 1.0 / n
    design = np.hstack([np.ones((n, 1)), np.asarray(x, dtype=float)])
    scale = _standardisation(design, weights)
    held_out = [slice(start, stop) for start, stop in itertools.pairwise(bounds)]
    theta = np.zeros((folds + 1, design.shape[1]))
    mean_y = weights.T @ y
    theta[:, 0] = np.log(mean_y / (1 - mean_y))

    path = np.asarray(lambdas, dtype=float)
    deviance: list[np.ndarray] = []
    coefs: list[np.ndarray] = []
    i = 0
    previous = theta
    while True:
        # Start from the straight line through the last two solutions (the penalties are
        # evenly spaced in log): most of the next solution's change is already there.
        start = 2 * theta - previous if i > 1 else theta
        previous = theta
        theta = _solve(design, y, weights, bounds, sizes, scale, start, path[i], alpha)
        eta = _linear(design, scale, theta)
        deviance.append(np.array([_mean_deviance(y[rows], eta[rows, k])
                                  for k, rows in enumerate(held_out)]))
        coefs.append(scale[folds] @ theta[folds])
        i += 1
        if i == len(path):
            best = int(np.argmin(np.mean(deviance, axis=1)))
            if extend is None or best < len(path) - past_minimum:
                break
            path, extend = np.concatenate([path, extend]), None
    table = np.array(deviance).T
    return CrossValidatedPath(path, table, best, float(coefs[best][0]), coefs[best][1:])


def _standardisation(design: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per fit, the matrix taking standardised coefficients (intercept first) to coefficients
    of the raw predictors; a constant predictor keeps its scale, as in glum."""
    means = weights.T @ design[:, 1:]
    spread = np.sqrt(np.maximum(weights.T @ design[:, 1:] ** 2 - means**2, 0.0))
    spread = np.where(spread < 10 * np.sqrt(np.finfo(float).eps), 1.0, spread)
    fits, p = means.shape
    scale = np.zeros((fits, p + 1, p + 1))
    scale[:, 0, 0] = 1.0
    scale[:, 0, 1:] = -means / spread
    scale[:, np.arange(1, p + 1), np.arange(1, p + 1)] = 1.0 / spread
    return scale


def _solve(design: np.ndarray, y: np.ndarray, weights: np.ndarray, bounds: np.ndarray,
           sizes: np.ndarray, scale: np.ndarray, theta: np.ndarray, lam: float,
           alpha: float) -> np.ndarray:
    """Newton steps, all fits at once, from ``theta`` (standardised coefficients, one row per
    fit), each solving the penalised quadratic model exactly (``_quadratic``)."""
    l1, l2 = lam * alpha, lam * (1 - alpha)
    penalised = np.ones(theta.shape[1], dtype=bool)
    penalised[0] = False
    eta = _linear(design, scale, theta)
    objective = _objective(y, weights, eta, theta, l1, l2)
    for _ in range(MAX_NEWTON):
        mu = expit(eta)
        grad = np.einsum("fij,if->fj", scale, design.T @ (weights * (mu - y[:, None])))
        hess = _hessians(design, bounds, sizes, mu[:, -1], scale)
        step = _quadratic(theta, grad, hess, l1, l2, penalised) - theta
        # Halve the step of any fit whose objective rose (rare along a warm-started path).
        t = np.ones(len(theta))
        for _ in range(30):
            trial = theta + t[:, None] * step
            trial_eta = _linear(design, scale, trial)
            value = _objective(y, weights, trial_eta, trial, l1, l2)
            worse = value > objective + 1e-15
            if not worse.any():
                break
            t[worse] /= 2
        theta, eta, objective = trial, trial_eta, value
        if np.max(np.einsum("fjj->fj", hess) * (t[:, None] * step) ** 2) < TOLERANCE:
            break
    return theta


def _linear(design: np.ndarray, scale: np.ndarray, theta: np.ndarray) -> np.ndarray:
    return design @ np.einsum("fij,fj->if", scale, theta)


def _hessians(design: np.ndarray, bounds: np.ndarray, sizes: np.ndarray, mu: np.ndarray,
              scale: np.ndarray) -> np.ndarray:
    """Each fit's Hessian of the mean log-likelihood, in standardised coefficients.

    The fits' probabilities differ by the little that a tenth of the rows moves them, so
    every fit is given the all-rows fit's weights: then a fold's Hessian is the sum over the
    other folds' blocks, and all eleven cost one pass over the rows. The step is still taken
    on each fit's exact gradient and objective, so only the number of steps depends on it."""
    weight = np.sqrt(mu * (1 - mu))
    blocks = np.empty((len(bounds) - 1, design.shape[1], design.shape[1]))
    for k, (start, stop) in enumerate(itertools.pairwise(bounds)):
        rows = design[start:stop] * weight[start:stop, None]
        blocks[k] = rows.T @ rows
    total = blocks.sum(axis=0)
    raw = np.concatenate([total - blocks, total[None]]) / sizes[:, None, None]
    return np.transpose(scale, (0, 2, 1)) @ raw @ scale


def _quadratic(theta: np.ndarray, grad: np.ndarray, hess: np.ndarray, l1: float, l2: float,
               penalised: np.ndarray) -> np.ndarray:
    """Minimise each fit's ``grad'd + d'Hd/2`` plus the penalty at ``theta + d``.

    Along a warm-started path the coefficients at zero and the signs of the others rarely
    change from one step to the next, and given them the minimum is one linear solve; the
    solve is accepted when it keeps those signs and leaves every zero coefficient's slope
    within the L1 penalty (the optimality conditions). Otherwise one sweep of coordinate
    descent (glmnet's method, which always converges) moves the guess, and the solve is tried
    again from there."""
    fits, p = theta.shape
    ridge = np.diag(l2 * penalised)
    target = np.einsum("fij,fj->fi", hess, theta) - grad
    diagonal = np.einsum("fjj->fj", hess)
    guess = theta.copy()
    for _ in range(MAX_SWEEPS):
        active = (guess != 0) | ~penalised
        sign = np.sign(guess) * penalised
        both = active[:, :, None] & active[:, None, :]
        system = np.where(both, hess + ridge, 0.0) + np.eye(p) * ~active[:, :, None]
        rhs = np.where(active, target - l1 * sign, 0.0)
        solved = np.linalg.solve(system, rhs[:, :, None])[:, :, 0]
        slope = np.einsum("fij,fj->fi", hess, solved) - target
        kept = np.all(~(active & penalised) | (np.sign(solved) == sign), axis=1)
        inside = np.all(active | (np.abs(slope) <= l1 * (1 + 1e-9)), axis=1)
        if np.all(kept & inside):
            return solved
        _sweep(guess, np.einsum("fij,fj->fi", hess, guess) - target, hess, diagonal, l1, l2,
               penalised)
    return guess


def _sweep(new: np.ndarray, slope: np.ndarray, hess: np.ndarray, diagonal: np.ndarray,
           l1: float, l2: float, penalised: np.ndarray) -> None:
    """One cycle of coordinate descent over every coefficient, in place."""
    for j in range(new.shape[1]):
        h = diagonal[:, j]
        old = new[:, j]
        z = h * old - slope[:, j]
        if penalised[j]:
            value = np.sign(z) * np.maximum(np.abs(z) - l1, 0.0) / (h + l2)
        else:
            value = z / h
        change = value - old
        new[:, j] = value
        slope += change[:, None] * hess[:, :, j]


def _objective(y: np.ndarray, weights: np.ndarray, eta: np.ndarray, theta: np.ndarray,
               l1: float, l2: float) -> np.ndarray:
    # The weighted mean of log(1 + e^eta) - y * eta.
    loss = np.einsum("if,if->f", weights, -log_expit(-eta) - y[:, None] * eta)
    beta = theta[:, 1:]
    return loss + l1 * np.abs(beta).sum(axis=1) + l2 / 2 * (beta**2).sum(axis=1)


def _mean_deviance(y: np.ndarray, eta: np.ndarray) -> float:
    return float(-2 * np.mean(y * log_expit(eta) + (1 - y) * log_expit(-eta)))
