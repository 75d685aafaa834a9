"""Trends fits at scale: closed-form leave-one-out and chunked bootstrap equal the brute force, in O(n) memory."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flopcast.trends import fit as trends_fit
from flopcast.trends.fit import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, _slopes, bootstrap_slope_ci, fit_xy, loo_slopes


def _brute_loo(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The previous implementation: refit on each n−1 subset (an n×n mask)."""
    n = len(x)
    keep = ~np.eye(n, dtype=bool)
    return _slopes(
        np.broadcast_to(x, (n, n))[keep].reshape(n, n - 1), np.broadcast_to(y, (n, n))[keep].reshape(n, n - 1)
    )


def _brute_boot(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The previous implementation: all B×n resample indices in one array."""
    idx = np.random.default_rng(BOOTSTRAP_SEED).integers(0, len(x), size=(BOOTSTRAP_RESAMPLES, len(x)))
    boot = _slopes(x[idx], y[idx])
    boot = boot[np.isfinite(boot)]
    return float(np.percentile(boot, 2.5)), float(np.percentile(boot, 97.5))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-30, 30), st.floats(-5, 5)), min_size=3, max_size=40), st.floats(1.0, 2050.0))
def test_closed_form_loo_equals_refitting_without_each_row(points, offset):
    x = np.array([p[0] for p in points]) + offset  # offsets like log10 FLOP (~20) or years (~2000)
    y = np.array([p[1] for p in points])
    if np.ptp(x) < 1e-3:
        return
    brute, fast = _brute_loo(x, y), loo_slopes(x, y)
    finite = np.isfinite(brute) & (np.abs(brute) < 1e6)
    np.testing.assert_allclose(fast[finite], brute[finite], rtol=1e-8, atol=1e-10)


def test_loo_hand_example():
    # x = 0, 1, 2, 3; y = 0, 1, 2, 9. Dropping (3, 9) leaves a perfect line of slope 1; dropping (0, 0)
    # leaves (1,1), (2,2), (3,9): x̄ = 2, Sxy = (−1)(−3) + 0 + (1)(5) = 8, Sxx = 2, slope 4.
    s = loo_slopes(np.array([0.0, 1, 2, 3]), np.array([0.0, 1, 2, 9]))
    assert s[3] == pytest.approx(1.0)
    assert s[0] == pytest.approx(4.0)


def test_loo_without_a_slope_is_nan():
    # dropping the only x = 1 row leaves three rows at x = 0: that refit has no slope
    s = loo_slopes(np.array([0.0, 0, 0, 1]), np.array([1.0, 2, 3, 4]))
    assert math.isnan(s[3]) and np.isfinite(s[:3]).all()


@pytest.mark.parametrize("n", [6, 7, 31, 200, 1001])
def test_chunked_bootstrap_equals_one_shot(n, monkeypatch):
    rng = np.random.default_rng(n)
    x = rng.uniform(9, 24, n)
    y = 1.5 - 0.1 * x + rng.normal(0, 0.1, n)
    monkeypatch.setattr(trends_fit, "BOOTSTRAP_CHUNK_ELEMENTS", 3 * n)  # several chunks, even rows each
    (lo, hi), method = bootstrap_slope_ci(x, y)
    assert method == "pairs"
    assert (lo, hi) == pytest.approx(_brute_boot(x, y), rel=1e-12, abs=1e-12)


def test_bundled_fits_are_unchanged_by_the_rewrite():
    """Every bundled fit's LOO range and bootstrap CI equal the brute force (old code) to 1e-10."""
    from flopcast.trends.project import analyze

    report = analyze()
    assert len(report.fits) > 20
    for b in report.benchmarks:
        for sel in b.selections:
            if sel.n_used < 6:
                continue
            x = np.log10([r.flop(sel.measure) for r in sel.used])
            for form in ("polynomial", "exponential"):
                y = trends_fit.response(np.array([r.error_pct for r in sel.used]), form)
                f = fit_xy(x, y)
                brute = _brute_loo(x, y)
                assert f.loo_slope_range == pytest.approx((np.nanmin(brute), np.nanmax(brute)), rel=1e-10)
                assert f.bootstrap_slope_ci == pytest.approx(_brute_boot(x, y), rel=1e-10)


def test_large_fit_memory_is_linear_and_bootstrap_brackets_the_slope():
    """200,000 rows: no n×n or B×n array (the old code needed 320 GB); BLB CI holds the OLS slope."""
    n = 200_000
    rng = np.random.default_rng(3)
    x = rng.uniform(9, 24, n)
    y = 1.5 - 0.1 * x + rng.normal(0, 0.2, n)
    tracemalloc.start()
    f = fit_xy(x, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200e6  # ~ a few n-vectors and one b x r weight block
    assert f.bootstrap_method.startswith("bag of little bootstraps")
    lo, hi = f.bootstrap_slope_ci
    assert lo < f.slope < hi
    # for a homoscedastic line the bootstrap CI matches the OLS CI in width (within Monte Carlo error)
    assert (hi - lo) == pytest.approx(f.slope_ci[1] - f.slope_ci[0], rel=0.15)
    assert f.loo_slope_range[0] <= f.slope <= f.loo_slope_range[1]
