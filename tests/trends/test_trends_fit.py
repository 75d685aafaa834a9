"""Fits and projections of the trends analysis against synthetic data with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flopcast.trends.data import TooFewRowsError
from flopcast.trends.fit import fit_trend, fit_xy, invert
from flopcast.trends.project import NYC_MONTH_CO2_LBS, project, thompson2020_conversion
from flopcast.units import LBS_PER_KG


def _poly_data(n=40, a=1.5, b=-0.1, sd=0.05, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.uniform(9, 15, n)
    y = a + b * x + rng.normal(0, sd, n)
    return x, y


def test_recovers_known_slope_and_exponent():
    x, y = _poly_data()
    f = fit_trend(10**x, 10**y, "polynomial", benchmark="synthetic", measure="training")
    assert f.n == 40
    assert f.slope_ci[0] < -0.1 < f.slope_ci[1]
    assert f.slope == pytest.approx(-0.1, abs=0.01)
    assert f.exponent == pytest.approx(10.0, rel=0.1)
    assert f.exponent_ci[0] < 10.0 < f.exponent_ci[1]
    assert 0.9 < f.r2 <= 1.0
    # robustness checks bracket the estimate
    assert f.loo_slope_range[0] <= f.slope <= f.loo_slope_range[1]
    assert f.bootstrap_slope_ci[0] < f.slope < f.bootstrap_slope_ci[1]


def test_slope_interval_coverage_is_nominal():
    """Over 300 synthetic data sets the 95% CI holds the true slope about 95% of the time."""
    hits = 0
    reps = 300
    for seed in range(reps):
        x, y = _poly_data(n=12, sd=0.1, seed=seed)
        lo, hi = fit_xy(x, y).slope_ci
        hits += lo < -0.1 < hi
    assert 0.91 <= hits / reps <= 0.985


def test_hand_computed_ols():
    # y = 2x exactly at x = 0, 1, 2 plus residuals (+1, -2, +1): slope stays 2, intercept 0
    f = fit_xy([0.0, 1.0, 2.0], [1.0, 0.0, 5.0])
    assert f.slope == pytest.approx(2.0)
    assert f.intercept == pytest.approx(0.0, abs=1e-12)
    assert f.residual_sd == pytest.approx(math.sqrt(6.0))  # SSE 6 on 1 degree of freedom
    # se_b = s / sqrt(Sxx) = sqrt(6)/sqrt(2); t(0.975, 1) = 12.706
    assert f.slope_ci[1] - f.slope == pytest.approx(12.7062 * math.sqrt(3.0), rel=1e-4)


def test_polynomial_form_extrapolates_as_a_power_law():
    # error = 100 * C^-0.1 exactly: each 10x drop in error costs 10^10 more compute
    c = np.logspace(10, 16, 7)
    err = 100 * c**-0.1 * (1 + 1e-9 * np.array([1, -1, 1, -1, 1, -1, 1]))
    f = fit_trend(c, err, "polynomial")
    conv = thompson2020_conversion()
    p5 = project(f, 5.0, conv)
    p05 = project(f, 0.5, conv)
    assert p5.flop == pytest.approx((5.0 / 100) ** (1 / -0.1), rel=1e-6)
    assert p05.flop / p5.flop == pytest.approx(1e10, rel=1e-5)


def test_exponential_form_extrapolates_linearly_in_error():
    # error = 80 - 4*log10(C): each 4 points of error cost 10x compute
    x = np.linspace(10, 16, 7)
    err = 80 - 4 * x + 1e-9 * np.array([1, -1, 1, -1, 1, -1, 1])
    f = fit_trend(10**x, err, "exponential")
    conv = thompson2020_conversion()
    a, b = project(f, 8.0, conv), project(f, 4.0, conv)
    assert a.flop == pytest.approx(10**18, rel=1e-6)
    assert b.flop / a.flop == pytest.approx(10.0, rel=1e-6)
    assert a.decades_beyond_data == pytest.approx(2.0, abs=1e-6)


def test_thompson_conversion_equals_the_papers_factors():
    x, y = _poly_data()
    f = fit_trend(10**x, 10**y, "polynomial", measure="training")
    p = project(f, 0.5, thompson2020_conversion())
    assert p.usd == pytest.approx(p.flop / 6.874e16)
    assert p.co2e_lbs == pytest.approx(p.flop / 3.498e17)
    assert p.co2e_kg == pytest.approx(p.flop / 3.498e17 / LBS_PER_KG)
    assert p.nyc_months == pytest.approx(p.co2e_lbs / 1.04e10)
    assert NYC_MONTH_CO2_LBS == 1.04e10
    assert p.usd_low < p.usd < p.usd_high
    from flopcast.estimate.formulas import thompson2020_co2_lbs, thompson2020_cost_usd

    assert p.usd == pytest.approx(thompson2020_cost_usd(p.flop))  # same constants as the estimate module
    assert p.co2e_lbs == pytest.approx(thompson2020_co2_lbs(p.flop))


def test_per_pass_projection_is_not_priced():
    x, y = _poly_data()
    f = fit_trend(10**x, 10**y, "polynomial", measure="per-pass")
    p = project(f, 0.5, thompson2020_conversion())
    assert p.flop is not None and p.usd is None and p.co2e_lbs is None


@pytest.mark.parametrize("interval", ["prediction", "confidence"])
def test_fieller_bounds_sit_on_the_band_edges(interval):
    x, y = _poly_data(n=15, sd=0.08)
    f = fit_xy(x, y, form="polynomial")
    target = 10 ** (1.5 - 0.1 * 17)  # beyond the data
    inv = invert(f, target, interval=interval)
    assert inv.low < inv.log10_flop < inv.high
    for edge in (inv.low, inv.high):
        lo, hi = f.band(np.array([edge]), prediction=interval == "prediction")
        assert min(abs(lo[0] - target), abs(hi[0] - target)) / target < 1e-6
    if interval == "prediction":
        conf = invert(f, target, interval="confidence")
        assert inv.low < conf.low and conf.high < inv.high


def test_unbounded_interval_when_slope_is_not_significant():
    rng = np.random.default_rng(0)
    x = np.linspace(10, 14, 6)
    y = 1.0 - 0.001 * x + rng.normal(0, 0.3, 6)
    f = fit_xy(x, y, form="polynomial")
    assert f.slope_ci[0] < 0 < f.slope_ci[1]
    inv = invert(f, 1.0)
    assert inv.low is None and inv.high is None


def test_too_few_rows():
    with pytest.raises(TooFewRowsError, match="at least 3"):
        fit_xy([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(TooFewRowsError, match="same computation"):
        fit_xy([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])


@settings(max_examples=40, deadline=None)
@given(a=st.floats(0.5, 3.0), b=st.floats(-0.5, -0.02), target=st.floats(0.1, 0.9))
def test_inversion_is_the_inverse_of_prediction(a, b, target):
    x = np.linspace(8, 14, 8)
    wiggle = 1e-6 * np.array([1, -1, 1, -1, 1, -1, 1, -1])
    f = fit_xy(x, a + b * x + wiggle, form="polynomial")
    t = target * 10 ** (a + b * 14)  # below the last point: a real extrapolation
    inv = invert(f, t)
    assert f.predict_error(inv.log10_flop) == pytest.approx(t, rel=1e-6)


def test_inverse_prediction_interval_coverage():
    """Fieller's prediction interval holds the computation of a new result about 95% of the time."""
    rng = np.random.default_rng(7)
    hits = 0
    reps = 200
    for _ in range(reps):
        x, y = _poly_data(n=12, sd=0.1, seed=int(rng.integers(1 << 30)))
        f = fit_xy(x, y, form="polynomial")
        x0 = 14.0
        y0 = 1.5 - 0.1 * x0 + rng.normal(0, 0.1)  # a new result at known computation
        inv = invert(f, 10**y0, interval="prediction")
        hits += inv.low is not None and inv.low <= x0 <= inv.high
    assert 0.9 <= hits / reps <= 0.99
