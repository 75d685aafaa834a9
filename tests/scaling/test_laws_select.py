"""Choosing a law's form by backtest (flopcast.scaling.laws_select): fit on the smaller runs, score on the largest.

Runs are generated from a known law (Chinchilla's additive form or Kaplan et al. 2020's eq. 1.5) on a grid of
7 sizes x 4 lengths, three decades of each, with 0.1% log-normal noise; the selection must name the generating form.
The laws are parametrised by the size of their terms at the grid's centre, so both terms of every drawn law matter
(a law whose data term vanishes is a pure power law in N, which both forms express exactly).
"""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopcast.errors import InputError
from flopcast.scaling.laws import chinchilla_loss, kaplan_loss
from flopcast.scaling.laws_fit import LawFit, TooFewRunsError, fit_law
from flopcast.scaling.laws_select import default_candidates, holdout_mask, select_form, selection_line

N = np.repeat(np.geomspace(1e6, 1e9, 7), 4)
D = np.tile(np.geomspace(1e7, 1e10, 4), 7)
N_MID, D_MID = float(np.sqrt(N.min() * N.max())), float(np.sqrt(D.min() * D.max()))


def chinchilla_runs(u: list[float]) -> np.ndarray:
    """E in [1, 2]; exponents in [0.2, 0.5]; each term 0.3-1.0 nats at the grid's centre."""
    e, alpha, beta = 1 + u[0], 0.2 + 0.3 * u[1], 0.2 + 0.3 * u[2]
    a, b = (0.3 + 0.7 * u[3]) * N_MID**alpha, (0.3 + 0.7 * u[4]) * D_MID**beta
    return chinchilla_loss(N, D, E=e, A=a, B=b, alpha=alpha, beta=beta)


def kaplan_runs(u: list[float]) -> np.ndarray:
    """Loss 1.5-4 at the grid's centre, its two terms within 3x of each other there; exponents in [0.05, 0.5]."""
    alpha_n, alpha_d, ratio, centre = 0.05 + 0.45 * u[1], 0.05 + 0.45 * u[2], 3 ** (2 * u[3] - 1), 1.5 + 2.5 * u[0]
    d_term = centre ** (1 / alpha_d) / (1 + ratio)  # (x + y)^alpha_D = centre with x = ratio * y
    n_c = N_MID * (ratio * d_term) ** (alpha_d / alpha_n)
    return kaplan_loss(N, D, N_c=n_c, D_c=D_MID * d_term, alpha_N=alpha_n, alpha_D=alpha_d)


GENERATORS = {"chinchilla": chinchilla_runs, "kaplan": kaplan_runs}


def noisy(loss: np.ndarray, seed: int) -> np.ndarray:
    return loss * np.exp(np.random.default_rng(seed).normal(0.0, 0.001, loss.shape))


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(GENERATORS)),
    u=st.lists(st.floats(0.0, 1.0), min_size=5, max_size=5),
    seed=st.integers(0, 2**16),
)
def test_the_backtest_recovers_the_form_that_generated_the_runs(kind, u, seed):
    fit = select_form(loss=noisy(GENERATORS[kind](u), seed), params=N, tokens=D)
    assert fit.law == kind and fit.selection is not None and fit.selection["chosen"] == kind
    scores = {s["law"]: s["held_out_mean_abs_pct_error"] for s in fit.selection["scores"]}
    assert set(scores) == {"chinchilla", "kaplan"} and scores[kind] == min(scores.values())


def test_the_held_out_runs_are_the_largest_compute_quarter_and_the_chosen_form_is_refitted_on_all():
    loss = noisy(kaplan_runs([0.5, 0.3, 0.6, 0.5, 0.5]), 1)
    fit = select_form(loss=loss, params=N, tokens=D, bootstrap=5)
    sel = fit.selection
    # log10(ND) = 13 + 0.5i + j (i < 7 sizes, j < 4 lengths): from the top 19, 18.5, 18 (x2), 17.5 (x2), 17 (x3).
    # ceil(0.25 x 28) = 7 runs reach down to 17, and the two that tie with the 7th go too: 9 held out.
    assert sel["held_out"] == 9 and sel["fitted_on"] == 19
    assert sel["held_out_min_flop"] == pytest.approx(6e17)
    assert fit.n == 28 and fit.bootstrap == 5  # the final fit is on every run, with the options passed
    for score in sel["scores"]:
        errors = score["held_out_errors_pct"]
        assert len(errors) == 9 and score["held_out_mean_abs_pct_error"] == pytest.approx(np.mean(np.abs(errors)))
    assert "kaplan" in selection_line(fit) and "the 9 largest-compute runs" in selection_line(fit)


def test_the_backtest_uses_the_final_fits_estimator_options():
    # one run off by 30%: a tight Huber threshold down-weights it, the default does not; the backtest must score
    # each form under the threshold the final fit uses, so its held-out errors are those of fit_law with that delta
    loss = noisy(chinchilla_runs([0.4, 0.5, 0.5, 0.5, 0.5]), 3)
    loss[2] *= 1.3
    tight = select_form(loss=loss, params=N, tokens=D, delta=1e-4)
    default = select_form(loss=loss, params=N, tokens=D)
    held = holdout_mask(6 * N * D)
    for fit, delta in ((tight, 1e-4), (default, None)):
        options = {} if delta is None else {"delta": delta}
        for score in fit.selection["scores"]:
            direct = fit_law(score["law"], loss=loss[~held], params=N[~held], tokens=D[~held], **options)
            expected = 100 * (direct.predict(params=N[held], tokens=D[held]) / loss[held] - 1)
            assert score["held_out_errors_pct"] == pytest.approx(list(expected), rel=1e-9)
    assert tight.selection["scores"][0]["held_out_errors_pct"] != pytest.approx(
        default.selection["scores"][0]["held_out_errors_pct"], rel=1e-3
    )


def test_holdout_mask_keeps_ties_at_the_cut_and_holds_out_at_least_one():
    assert holdout_mask(np.array([1.0, 5.0, 3.0, 5.0, 2.0]), 0.25).tolist() == [False, True, False, True, False]
    assert holdout_mask(np.array([1.0, 2.0, 3.0]), 0.01).tolist() == [False, False, True]
    with pytest.raises(InputError, match="between 0 and 1"):
        holdout_mask(np.array([1.0, 2.0]), 1.0)


def test_candidates_default_to_the_laws_the_inputs_allow():
    assert default_candidates(["params", "tokens"]) == ("chinchilla", "kaplan")
    assert default_candidates(["flop"]) == ("compute", "power")
    assert default_candidates(["params", "tokens", "flop"]) == ("chinchilla", "kaplan")
    with pytest.raises(InputError, match="no scaling law"):
        default_candidates(["params"])


def test_too_few_runs_below_the_held_out_ones_is_one_line():
    with pytest.raises(TooFewRunsError, match="too few to backtest the chinchilla law"):
        select_form(loss=chinchilla_runs([0.5] * 5)[:7], params=N[:7], tokens=D[:7])


def test_the_selection_survives_the_fit_json_round_trip():
    fit = select_form(loss=noisy(chinchilla_runs([0.2, 0.4, 0.6, 0.8, 0.3]), 2), params=N, tokens=D)
    again = LawFit.from_dict(json.loads(json.dumps(fit.to_dict())))
    assert again.selection == fit.selection and again.law == fit.law == "chinchilla"
    assert "selection" not in LawFit.from_dict({k: v for k, v in fit.to_dict().items() if k != "selection"}).to_dict()


def test_cli_fit_law_auto_reports_the_backtest(tmp_path):
    from flopcast.cli import main

    loss = noisy(kaplan_runs([0.5, 0.3, 0.6, 0.5, 0.5]), 3)
    runs = tmp_path / "runs.csv"
    runs.write_text("N,D,loss\n" + "".join(f"{n:.8g},{d:.8g},{x:.8g}\n" for n, d, x in zip(N, D, loss, strict=True)))
    argv = ["scaling", "fit", str(runs), "--params-col", "N", "--tokens-col", "D", "--law", "auto"]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main([*argv, "--json"]) == 0
    doc = json.loads(out.getvalue())
    assert doc["law"] == doc["selection"]["chosen"] == "kaplan"
    assert [s["law"] for s in doc["selection"]["scores"]] == ["chinchilla", "kaplan"]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(argv) == 0
    assert "form chosen by backtest: kaplan" in out.getvalue() + err.getvalue()
