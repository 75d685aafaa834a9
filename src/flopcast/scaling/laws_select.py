"""Choose a law's form by backtest: fit each candidate on the smaller-compute runs, score it on the largest.

A scaling law is used to extrapolate, so a form is judged by how well it extrapolates, not by how well it fits:
each candidate (by default every registered law whose inputs the runs have, among those with the most inputs:
Chinchilla's additive ``E + A/N^α + B/D^β`` and Kaplan et al. 2020's ``L(N, D)``, eq. 1.5, when N and D are known)
is fitted on the runs below the top ``holdout`` share of training compute and scored by its mean absolute
percentage error on the held-out largest-compute runs. This is the evaluation of Choshen, Zhang & Andreas 2025
("A Hitchhiker's Guide to Scaling Law Estimation", ICML): a law is scored by its relative error on a larger target
it did not see. The form with the smallest held-out error is then fitted on every run (with the bootstrap); the
scores are kept in the fit (:attr:`flopcast.scaling.laws_fit.LawFit.selection`), so a reader sees why it won.

The backtest reuses :func:`flopcast.scaling.laws_fit.fit_law` (point estimates, no bootstrap) with the estimator
options the final fit gets (``delta``, ``refine``: they change the point estimate; ``bootstrap``, ``seed``,
``confidence`` and ``n_jobs`` only shape the final fit's intervals); compute is the runs' FLOP when given, else
C = 6ND.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from flopcast.errors import InputError
from flopcast.scaling.laws import FLOP_PER_PARAM_TOKEN, LAWS, get_law
from flopcast.scaling.laws_fit import LawFit, TooFewRunsError, fit_law
from flopcast.scaling.laws_runs import LedgerRuns, Runs, fit_ledger_runs, fit_runs

#: Default share of the runs held out for the backtest: the largest-compute quarter (at least one run).
HOLDOUT_SHARE = 0.25
#: The options of :func:`~flopcast.scaling.laws_fit.fit_law` that change a point estimate: the backtest uses them too.
ESTIMATOR_OPTIONS = ("delta", "refine")
SELECTION_METHOD = (
    "backtest: each form fitted on the runs below the largest-compute share held out, scored by its mean absolute "
    "percentage error in loss on the held-out runs (Choshen, Zhang & Andreas 2025); the best refitted on all runs"
)


@dataclass(frozen=True)
class FormScore:
    """One candidate's backtest: its fit on the smaller runs, and its signed percentage errors on the held-out."""

    law: str
    held_out_errors_pct: tuple[float, ...]  # 100 x (forecast / actual - 1), one per held-out run
    fitted_rmse_log: float  # in-sample RMSE of log loss on the runs it was fitted on
    identified: bool  # whether the runs it was fitted on pin down its parameters

    @property
    def mean_abs_pct_error(self) -> float:
        return float(np.mean(np.abs(self.held_out_errors_pct)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "law": self.law,
            "held_out_mean_abs_pct_error": self.mean_abs_pct_error,
            "held_out_errors_pct": list(self.held_out_errors_pct),
            "fitted_rmse_log": self.fitted_rmse_log,
            "identified": self.identified,
        }


def default_candidates(given: Sequence[str]) -> tuple[str, ...]:
    """Registered laws whose inputs are all in ``given``, keeping only those with the most inputs."""
    usable = [law for law in LAWS.values() if set(law.inputs) <= set(given)]
    if not usable:
        raise InputError("no scaling law can be fitted without params and tokens, or flop, for every run")
    most = max(len(law.inputs) for law in usable)
    return tuple(law.name for law in usable if len(law.inputs) == most)


def holdout_mask(compute: np.ndarray, share: float = HOLDOUT_SHARE) -> np.ndarray:
    """True for the ``ceil(share x n)`` runs of largest compute (at least one; ties at the cut held out too)."""
    if not 0 < share < 1:
        raise InputError(f"the held-out share must be between 0 and 1, got {share}")
    k = max(1, math.ceil(share * len(compute)))
    return compute >= np.sort(compute)[-k]


def _compute(params, tokens, flop) -> np.ndarray:
    if flop is not None:
        return np.asarray(flop, float).ravel()
    if params is None or tokens is None:
        raise InputError("selecting a form needs each run's flop, or its params and tokens")
    return FLOP_PER_PARAM_TOKEN * np.asarray(params, float).ravel() * np.asarray(tokens, float).ravel()


def backtest(
    law: str, inputs: Mapping[str, np.ndarray | None], loss: np.ndarray, held: np.ndarray, **estimator: Any
) -> FormScore:
    """``law`` fitted (point estimate, ``estimator`` options of ``fit_law``) on the runs not in ``held``, scored on
    those in ``held``."""
    spec = get_law(law)
    train = {k: None if v is None else v[~held] for k, v in inputs.items()}
    try:
        fit = fit_law(
            spec, loss=loss[~held], params=train["params"], tokens=train["tokens"], flop=train["flop"], **estimator
        )
    except TooFewRunsError as exc:
        raise TooFewRunsError(
            f"{int((~held).sum())} runs below the held-out largest-compute ones are too few to backtest the "
            f"{spec.name} law ({exc}); give more runs or a smaller held-out share"
        ) from None
    forecast = fit.predict(**{k: v[held] for k in spec.inputs if (v := inputs[k]) is not None})
    errors = 100.0 * (np.asarray(forecast, float) / loss[held] - 1.0)
    return FormScore(spec.name, tuple(float(e) for e in errors), fit.residual["rmse_log"], fit.identified)


def select_form(
    candidates: Sequence[str] | None = None,
    *,
    loss,
    params=None,
    tokens=None,
    flop=None,
    holdout: float = HOLDOUT_SHARE,
    **options: Any,
) -> LawFit:
    """The candidate law with the smallest held-out error in a backtest, fitted on every run.

    Parameters
    ----------
    candidates : names of laws, optional
        Default :func:`default_candidates` of the inputs given (Chinchilla and Kaplan when N and D are known).
    loss, params, tokens, flop : array_like
        As for :func:`~flopcast.scaling.laws_fit.fit_law`.
    holdout : float
        Share of the runs, by largest training compute, held out to score the forms.
    options
        Passed to the final :func:`~flopcast.scaling.laws_fit.fit_law` on all runs (``bootstrap``, ``seed``...);
        those that change a point estimate (:data:`ESTIMATOR_OPTIONS`: ``delta``, ``refine``) to the backtest too,
        so a form is chosen under the estimator it is then fitted with.

    Returns the chosen law's fit with :attr:`LawFit.selection` recording every candidate's score. Ties keep the
    earlier candidate. Raises :class:`TooFewRunsError` when the runs below the held-out share cannot fit a candidate.
    """
    loss = np.asarray(loss, float).ravel()
    inputs = {
        k: None if v is None else np.asarray(v, float).ravel()
        for k, v in (("params", params), ("tokens", tokens), ("flop", flop))
    }
    names = tuple(get_law(c).name for c in candidates) if candidates else None
    names = names or default_candidates([k for k, v in inputs.items() if v is not None])
    held = holdout_mask(_compute(params, tokens, flop), holdout)
    if held.all():
        raise TooFewRunsError("every run ties for the largest compute: nothing is left to fit the backtest on")
    estimator = {k: options[k] for k in ESTIMATOR_OPTIONS if k in options}
    scores = [backtest(name, inputs, loss, held, **estimator) for name in names]
    best = min(scores, key=lambda s: s.mean_abs_pct_error)  # min keeps the first of equal scores
    fit = fit_law(best.law, loss=loss, params=inputs["params"], tokens=inputs["tokens"], flop=inputs["flop"], **options)
    selection = {
        "chosen": best.law,
        "method": SELECTION_METHOD,
        "held_out_share": holdout,
        "held_out": int(held.sum()),
        "fitted_on": int((~held).sum()),
        "held_out_min_flop": float(np.min(_compute(params, tokens, flop)[held])),
        "scores": [s.to_dict() for s in scores],
    }
    return replace(fit, selection=selection)


def selection_line(fit: LawFit) -> str | None:
    """One line naming the chosen form and every candidate's held-out error, or ``None`` for a fit not selected."""
    sel = fit.selection
    if not sel:
        return None
    scores = ", ".join(f"{s['law']} {s['held_out_mean_abs_pct_error']:.2f}%" for s in sel["scores"])
    return (
        f"form chosen by backtest: {sel['chosen']} (mean absolute error on the {sel['held_out']} largest-compute "
        f"runs, fitted on the other {sel['fitted_on']}: {scores})"
    )


#: The ``--law`` value that asks for :func:`select_form` instead of a named law.
AUTO = "auto"


def fit_or_select(runs: Runs | LedgerRuns, law: str | None, **options: Any) -> LawFit:
    """``law`` fitted to ``runs`` (:func:`~flopcast.scaling.laws_runs.fit_runs`, or ``fit_ledger_runs`` for ledger
    runs), or for ``law="auto"`` the form :func:`select_form` chooses among the laws the runs' inputs allow."""
    if law is None or law.strip().lower() != AUTO:
        return fit_ledger_runs(runs, law, **options) if isinstance(runs, LedgerRuns) else fit_runs(runs, law, **options)
    found = runs.runs if isinstance(runs, LedgerRuns) else runs
    return select_form(loss=found.loss, params=found.params, tokens=found.tokens, flop=found.flop, **options)
