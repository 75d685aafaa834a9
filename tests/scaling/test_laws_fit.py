"""Fitting: recovery of known laws from synthetic noisy runs, interval coverage, bad input, JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from flopcast.errors import InputError
from flopcast.report.jsonout import dumps
from flopcast.scaling.laws import HOFFMANN2022, chinchilla_loss, compute_loss, power_law
from flopcast.scaling.laws_fit import LawFit, TooFewRunsError, fit_law


def synthetic_chinchilla(rng, n=60, noise=0.005, truth=HOFFMANN2022):
    params = 10 ** rng.uniform(7, 10, n)
    tokens = 10 ** rng.uniform(9, 12, n)
    loss = chinchilla_loss(params, tokens, **truth) * np.exp(rng.normal(0, noise, n))
    return params, tokens, loss


def test_recovers_chinchilla_parameters_from_synthetic_runs():
    params, tokens, loss = synthetic_chinchilla(np.random.default_rng(3))
    fit = fit_law("chinchilla", params=params, tokens=tokens, loss=loss, bootstrap=40, seed=1)
    for name, truth in HOFFMANN2022.items():
        lo, hi = fit.ci[name]
        assert lo <= truth <= hi, (name, truth, fit.ci[name])
    assert fit.params["alpha"] == pytest.approx(0.34, abs=0.05)
    assert fit.params["beta"] == pytest.approx(0.28, abs=0.05)
    assert fit.params["E"] == pytest.approx(1.69, abs=0.1)


def test_interval_coverage_is_near_nominal_over_repeated_draws():
    """Over repeated synthetic draws, 90% bootstrap intervals cover the true exponent ~90% of the time."""
    truth = {"A": 30.0, "alpha": 0.05}
    rng = np.random.default_rng(2024)
    covered, widths, draws = 0, [], 30
    for i in range(draws):
        flop = 10 ** rng.uniform(15, 20, 25)
        loss = power_law(flop, **truth) * np.exp(rng.normal(0, 0.01, 25))
        fit = fit_law("power", flop=flop, loss=loss, bootstrap=40, seed=i, confidence=0.9, refine=1)
        lo, hi = fit.ci["alpha"]
        covered += lo <= truth["alpha"] <= hi
        widths.append(hi - lo)
    assert 0.75 <= covered / draws <= 0.97, covered  # 90% nominal; binomial sd over 30 draws is 0.055
    assert np.median(widths) < 0.01  # informative, not trivially wide (alpha = 0.05)


def test_recovers_compute_law_within_intervals():
    truth = {"E": 1.8, "A": 1000.0, "alpha": 0.15}
    rng = np.random.default_rng(11)
    flop = 10 ** rng.uniform(15, 21, 40)
    loss = compute_loss(flop, **truth) * np.exp(rng.normal(0, 0.005, 40))
    fit = fit_law("compute", flop=flop, loss=loss, bootstrap=40, seed=0)
    for name, value in truth.items():
        assert fit.ci[name][0] <= value <= fit.ci[name][1], (name, fit.ci[name])
    assert fit.params["alpha"] == pytest.approx(0.15, abs=0.02)


def test_power_law_exact_recovery_without_noise():
    flop = np.logspace(15, 21, 12)
    fit = fit_law("power", flop=flop, loss=power_law(flop, A=30.0, alpha=0.05))
    assert fit.params["A"] == pytest.approx(30.0, rel=1e-4)
    assert fit.params["alpha"] == pytest.approx(0.05, rel=1e-4)
    assert np.isnan(fit.ci["alpha"][0])  # no bootstrap, no interval (never a made-up one)


def test_bootstrap_is_reproducible_and_predict_interval_brackets_point():
    params, tokens, loss = synthetic_chinchilla(np.random.default_rng(5), n=40)
    a = fit_law("chinchilla", params=params, tokens=tokens, loss=loss, bootstrap=10, seed=7)
    b = fit_law("chinchilla", params=params, tokens=tokens, loss=loss, bootstrap=10, seed=7)
    assert a.bootstrap_samples == b.bootstrap_samples
    lo, hi = a.predict_interval(params=1e11, tokens=2e12)
    assert lo <= a.predict(params=1e11, tokens=2e12) <= hi


def test_json_round_trip():
    flop = np.logspace(15, 20, 10)
    fit = fit_law("compute", flop=flop, loss=compute_loss(flop, E=1.8, A=1000.0, alpha=0.15), bootstrap=5)
    data = json.loads(dumps(fit))
    assert {"law", "n", "params", "ci", "residual"} <= set(data)
    back = LawFit.from_dict(data)
    assert back.params == pytest.approx(fit.params) and back.bootstrap_samples == fit.bootstrap_samples
    with pytest.raises(InputError, match="not a 'flopcast scaling fit --json' result"):
        LawFit.from_dict({"law": "compute", "n": 3, "params": {"E": 1.0}})


def test_too_few_runs_and_bad_values():
    with pytest.raises(TooFewRunsError, match="too few for the chinchilla law's 5 parameters"):
        fit_law("chinchilla", params=[1e6] * 5, tokens=[1e8] * 5, loss=[3.0] * 5)
    with pytest.raises(InputError, match="run 2: loss must be a positive"):
        fit_law("compute", flop=[1e15, 1e16, 1e17, 1e18], loss=[3.0, -1.0, 2.5, 2.4])
    with pytest.raises(InputError, match="needs tokens"):
        fit_law("chinchilla", params=[1e6] * 8, loss=[3.0] * 8)


def test_parallel_bootstrap_matches_serial():
    flop = np.logspace(15, 20, 10)
    loss = compute_loss(flop, E=1.8, A=1000.0, alpha=0.15) * np.exp(np.random.default_rng(0).normal(0, 0.01, 10))
    serial = fit_law("compute", flop=flop, loss=loss, bootstrap=4, seed=3)
    parallel = fit_law("compute", flop=flop, loss=loss, bootstrap=4, seed=3, n_jobs=2)
    np.testing.assert_allclose(parallel.bootstrap_samples, serial.bootstrap_samples, rtol=1e-6)


def test_the_gauss_newton_matrix_is_computed_once_per_fit_and_identify_reads_it(monkeypatch):
    from flopcast.scaling import laws_fit

    calls = []
    original = laws_fit._gauss_newton

    def counted(*args, **kwargs):
        calls.append(args[-1])
        return original(*args, **kwargs)

    params, tokens, loss = synthetic_chinchilla(np.random.default_rng(3), n=30)
    reference = fit_law("chinchilla", params=params, tokens=tokens, loss=loss, bootstrap=4, seed=2)
    monkeypatch.setattr(laws_fit, "_gauss_newton", counted)
    fit = fit_law("chinchilla", params=params, tokens=tokens, loss=loss, bootstrap=4, seed=2)
    assert len(calls) == 1  # was 3: identify's flatness check, identify's resolution, the intervals' floor
    assert fit.to_dict() == reference.to_dict()
    # identify() given the matrix answers as it does computing it itself
    spec = laws_fit.get_law("chinchilla")
    logx = [np.log(params), np.log(tokens)]
    box = spec.box(logx, np.log(loss))
    theta = np.array(calls[0], float)
    own = laws_fit.identify(spec, logx, np.log(loss), theta, [], box, 0.95)
    given = original(spec, logx, np.log(loss), theta)
    assert laws_fit.identify(spec, logx, np.log(loss), theta, [], box, 0.95, gauss_newton=given) == own
