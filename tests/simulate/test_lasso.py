"""The batched LARS lasso-CV against its KKT conditions and scikit-learn's LassoCV."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from flopcast.simulate.dgp import fold_sizes
from flopcast.simulate.lasso import lasso_cv


def _data(b, n, p, k, seed=0):
    rng = np.random.default_rng(seed)
    beta = np.zeros(p)
    beta[:k] = 1.0
    x = rng.standard_normal((b, n, p))
    y = x @ beta + rng.standard_normal((b, n))
    sizes = fold_sizes(n, 5)
    edges = np.cumsum([0, *sizes])
    parts = list(itertools.pairwise(edges))
    grams = [np.swapaxes(x[:, a:c], 1, 2) @ x[:, a:c] for a, c in parts]
    xty = [np.einsum("bnp,bn->bp", x[:, a:c], y[:, a:c]) for a, c in parts]
    yty = [(y[:, a:c] ** 2).sum(1) for a, c in parts]
    return x, y, grams, xty, yty, sizes


@pytest.mark.parametrize("n,p", [(60, 25), (24, 50)])
def test_kkt_at_chosen_penalty(n, p):
    """At the chosen λ the full-data coefficients satisfy the lasso KKT conditions:
    X'(y - Xβ)/n = λ sign(β_j) on the support and |.| <= λ off it."""
    x, y, grams, xty, yty, sizes = _data(5, n, p, 3)
    res = lasso_cv(grams, xty, yty, sizes, patience=None)
    for i in range(5):
        corr = x[i].T @ (y[i] - x[i] @ res.coef[i]) / n
        lam = res.alpha[i]
        on = res.coef[i] != 0
        assert np.all(np.abs(corr) <= lam * (1 + 1e-8))
        np.testing.assert_allclose(corr[on], lam * np.sign(res.coef[i][on]), rtol=1e-8)
        assert np.isfinite(res.cv_error[i]).all() and res.path_flop[i] > 0


# (400, 120): the experiment's p, paths of ~120 knots per fold, so the incremental direction and
# correlations run past the periodic exact refresh (every 64 steps).
@pytest.mark.parametrize("n,p", [(60, 25), (24, 50), (400, 120)])
def test_matches_scikit_learn_lassocv(n, p):
    sklearn = pytest.importorskip("sklearn.linear_model")
    from sklearn.model_selection import KFold

    x, y, grams, xty, yty, sizes = _data(4, n, p, 3, seed=1)
    full = lasso_cv(grams, xty, yty, sizes, patience=None)
    early = lasso_cv(grams, xty, yty, sizes, patience=10)
    for i in range(4):
        ref = sklearn.LassoCV(
            cv=KFold(5), alphas=100, eps=1e-3, fit_intercept=False, tol=1e-12, max_iter=1_000_000
        ).fit(x[i], y[i])
        assert full.alpha[i] == pytest.approx(ref.alpha_, rel=1e-12)
        np.testing.assert_allclose(full.coef[i], ref.coef_, atol=1e-8)
        np.testing.assert_allclose(full.cv_error[i], ref.mse_path_.mean(axis=1), rtol=1e-7)
        assert early.alpha_index[i] == full.alpha_index[i]
        assert early.knots[i] <= full.knots[i]
