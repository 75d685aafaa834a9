"""The data-generating process of the Figure 1 experiment, sampled through sufficient statistics.

Model (Thompson et al. 2020, §1, read as a sparse linear model): ``x ~ N(0, I_p)``,
``y = x'β + ε``, ``ε ~ N(0, σ²)``, with ``β_j = coefficient`` for the ``k`` relevant features
(the first ``k``, without loss of generality for an isotropic design) and 0 for the other ``p - k``.
The optimal predictor is ``f(x) = x'β``.

Every estimator in the experiment (OLS, minimum-norm OLS, lasso with K-fold cross-validation) only
sees the data through the per-fold sufficient statistics ``G_f = X_f'X_f``, ``c_f = X_f'y_f`` and
``s_f = y_f'y_f``. They are drawn here from their exact joint distribution:

* fold with ``n_f >= p``: Bartlett decomposition. With ``X_f = Q R`` (Haar ``Q``), ``R'`` is lower
  triangular with ``R_ii ~ χ_{n_f - i + 1}`` and standard normal entries below the diagonal, so
  ``G_f = R'R``; rotating the noise by the independent Haar ``Q`` gives ``X_f'ε = σ R'z`` and
  ``ε'ε = σ²(z'z + χ²_{n_f - p})`` with ``z ~ N(0, I_p)`` (Bartlett 1933; Anderson 2003, §7.2).
  Cost ``O(p³)`` instead of ``O(n_f p²)`` and ``n_f p`` random draws;
* fold with ``n_f < p``: the rows are drawn explicitly (the Gram is singular).

Nothing is approximated: the statistics have exactly the distribution they would have if ``X_f``
and ``ε`` were drawn row by row (``tests/simulate`` checks this against explicit draws).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FoldStats:
    """Sufficient statistics of a batch of simulated data sets, one fold each.

    Attributes
    ----------
    gram : ndarray, shape (B, p, p)
        ``X_f'X_f`` per simulation.
    xty : ndarray, shape (B, p)
        ``X_f'y_f``.
    yty : ndarray, shape (B,)
        ``y_f'y_f``.
    n : int
        Rows in the fold.
    rows : tuple of (X, y) or None
        The explicit rows ``X`` (B, n, p) and ``y`` (B, n) when the fold was drawn row by row
        (``n < p``), else ``None``.
    """

    gram: np.ndarray
    xty: np.ndarray
    yty: np.ndarray
    n: int
    rows: tuple[np.ndarray, np.ndarray] | None = None


def true_coefficients(features: int, relevant: int, coefficient: float = 1.0) -> np.ndarray:
    """``β``: ``coefficient`` on the first ``relevant`` of ``features`` entries, 0 elsewhere."""
    beta = np.zeros(features)
    beta[:relevant] = coefficient
    return beta


def fold_sizes(n: int, folds: int) -> list[int]:
    """Sizes of ``folds`` contiguous folds of ``n`` rows (the first ``n % folds`` get one more),
    as scikit-learn's ``KFold`` splits them."""
    base, extra = divmod(n, folds)
    return [base + (1 if f < extra else 0) for f in range(folds)]


def bartlett_factor(rng: np.random.Generator, batch: int, n: int, p: int) -> np.ndarray:
    """Lower-triangular ``L`` (batch, p, p) with ``L L' ~ Wishart_p(n, I)``; needs ``n >= p``."""
    factor = np.zeros((batch, p, p))
    rows, cols = np.tril_indices(p, -1)
    # One flat index per entry (numpy's fast scatter); same row-major order as the (rows, cols) pairs.
    factor.reshape(batch, p * p)[:, rows * p + cols] = rng.standard_normal((batch, len(rows)))
    idx = np.arange(p)
    factor[:, idx, idx] = np.sqrt(rng.chisquare(n - idx, size=(batch, p)))
    return factor


def sample_fold(rng: np.random.Generator, batch: int, n: int, beta: np.ndarray, sigma: float) -> FoldStats:
    """Draw the sufficient statistics of ``batch`` independent folds of ``n`` rows.

    Parameters
    ----------
    rng : numpy Generator
    batch : int
        Number of independent simulations.
    n : int
        Rows per fold (>= 1).
    beta : ndarray, shape (p,)
        True coefficients.
    sigma : float
        Noise standard deviation (units of y).
    """
    p = beta.shape[0]
    if n >= p:
        lower = bartlett_factor(rng, batch, n, p)
        z = rng.standard_normal((batch, p))
        rest = rng.chisquare(n - p, size=batch) if n > p else np.zeros(batch)
        gram = np.matmul(lower, np.swapaxes(lower, 1, 2))  # BLAS reads the transposed view
        noise = sigma * np.einsum("bij,bj->bi", lower, z)  # X'ε = σ L z
        xty = gram @ beta + noise
        yty = (
            np.einsum("i,bij,j->b", beta, gram, beta)
            + 2.0 * noise @ beta
            + sigma**2 * (np.einsum("bi,bi->b", z, z) + rest)
        )
        return FoldStats(gram, xty, yty, n)
    x = rng.standard_normal((batch, n, p))
    y = x @ beta + sigma * rng.standard_normal((batch, n))
    gram = np.matmul(np.swapaxes(x, 1, 2), x)
    xty = np.einsum("bnp,bn->bp", x, y)
    yty = np.einsum("bn,bn->b", y, y)
    return FoldStats(gram, xty, yty, n, (x, y))


def sample_folds(
    rng: np.random.Generator, batch: int, n: int, folds: int, beta: np.ndarray, sigma: float
) -> list[FoldStats]:
    """The ``folds`` folds of ``batch`` data sets of ``n`` rows each (see :func:`fold_sizes`)."""
    return [sample_fold(rng, batch, nf, beta, sigma) for nf in fold_sizes(n, folds)]


def held_out_gram(rng: np.random.Generator, n_test: int, p: int, block: int = 20_000) -> np.ndarray:
    """``X_test'X_test / n_test`` of a held-out sample of ``n_test`` rows of ``N(0, I_p)``.

    The mean squared error against the optimal predictor on that sample is exactly
    ``d' Σ_test d`` with ``d = β̂ - β`` (because ``ŷ - f = x'd``), so the held-out sample is
    kept as its ``p × p`` second-moment matrix, built in blocks of ``block`` rows.
    """
    acc = np.zeros((p, p))
    done = 0
    while done < n_test:
        m = min(block, n_test - done)
        x = rng.standard_normal((m, p))
        acc += x.T @ x
        done += m
    return acc / n_test
