"""Least-squares fits for batches of simulated data sets, and the FLOP each fit costs.

FLOP convention: a multiply-add is 2 FLOP (as everywhere in flopcast); counts are of the
operations a solver performs on the data ``X`` (n × d), ``y`` — forming the Gram matrix is part of
the fit. The simulation itself may reach the same numbers more cheaply (see ``dgp``); what is
counted is the fit a user would run.
"""

from __future__ import annotations

import numpy as np

from flopcast.simulate.dgp import FoldStats


def ols_flop(n: int, d: int) -> float:
    """FLOP of least squares on ``n`` rows and ``d`` features.

    ``n >= d``, normal equations with Cholesky: ``X'X`` (2nd²), ``X'y`` (2nd), Cholesky (d³/3),
    two triangular solves (2d²) — Golub & Van Loan, *Matrix Computations* (4th ed.), §5.3.1.
    ``n < d``, minimum-norm ``β = X'(XX')⁻¹y``: ``XX'`` (2n²d), Cholesky (n³/3), two triangular
    solves (2n²), ``X'α`` (2nd).
    """
    if n >= d:
        return 2.0 * n * d * d + 2.0 * n * d + d**3 / 3.0 + 2.0 * d * d
    return 2.0 * n * n * d + n**3 / 3.0 + 2.0 * n * n + 2.0 * n * d


def lasso_cv_setup_flop(n: int, p: int, folds: int) -> float:
    """FLOP a K-fold lasso-CV fit spends before its homotopy paths (counted by :mod:`.lasso`).

    Per-fold ``X_f'X_f``, ``X_f'y_f``, ``y_f'y_f`` (together ``2np² + 2np + 2n``); the full-data
    sums (``(K-1)(p² + p)``); the K training sets by subtraction (``K(p² + p)``); scaling the
    K + 1 problems by ``1/n`` (``(K+1)(p² + p)``).
    """
    return 2.0 * n * p * p + 2.0 * n * p + 2.0 * n + (3.0 * folds) * (p * p + p)


def _stacked_rows(stats: list[FoldStats]) -> tuple[np.ndarray, np.ndarray]:
    rows = [s.rows for s in stats]
    if any(r is None for r in rows):
        raise ValueError("minimum-norm least squares needs the explicit rows (n < d)")
    given = [r for r in rows if r is not None]
    return np.concatenate([r[0] for r in given], axis=1), np.concatenate([r[1] for r in given], axis=1)


def least_squares(stats: list[FoldStats], columns: int) -> np.ndarray:
    """Least squares on the first ``columns`` features of B data sets; minimum-norm when ``n < columns``.

    Parameters
    ----------
    stats : list of FoldStats
        The folds of the data sets (their sums are the full data).
    columns : int
        Use features ``0 .. columns-1``.

    Returns
    -------
    ndarray (B, columns)
    """
    n = sum(s.n for s in stats)
    if n >= columns:
        gram = np.sum([s.gram[:, :columns, :columns] for s in stats], axis=0)
        xty = np.sum([s.xty[:, :columns] for s in stats], axis=0)
        return np.linalg.solve(gram, xty[..., None])[..., 0]
    x, y = _stacked_rows(stats)
    x = x[:, :, :columns]
    alpha = np.linalg.solve(x @ np.swapaxes(x, 1, 2), y[..., None])
    return (np.swapaxes(x, 1, 2) @ alpha)[..., 0]
