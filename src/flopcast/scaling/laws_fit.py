"""Fit a scaling law to runs: Huber loss on log L, L-BFGS from a grid of starts, bootstrap over runs.

The method is Hoffmann et al. (2022) approach 3 as replicated by Besiroglu et al. (2024): minimise
``sum Huber_δ(log L̂(θ) - log L)`` with δ = 1e-3 by L-BFGS. Every point of the law's starting grid is
*evaluated* (vectorised, cheap); L-BFGS is run only from the ``refine`` best of them, which finds the same
optimum as running it from all 4,500 Chinchilla starts at a small fraction of the cost. Uncertainty: a
nonparametric bootstrap over runs (resample runs with replacement, refit from the point estimate);
intervals are percentiles of the refits. They are *confidence* intervals of the fitted law, not
prediction intervals for one new noisy run.

Well-posed by construction: every fit and refit is L-BFGS-B inside the law's finite box
(:meth:`flopcast.scaling.laws.Law.box`), so no parameter can run off to infinity along a flat valley.
A parameter the runs do not pin down is *detected* and reported, never printed as an estimate
(:func:`identify`): it is unidentified when the point estimate sits on the edge of its box, when more
than the interval's tail share of bootstrap refits end on an edge (the interval would be bounded by the
box, not by the data), or when the objective is flat along it (its Gauss-Newton Wald interval is wider
than half its box, or the Gauss-Newton matrix is singular along it), or when even its narrowest
resolvable interval reaches an edge. A size or data term that is not pinned down makes every parameter
unidentified (the others are only conditional on its arbitrary value); an unpinned floor E alone leaves
the terms identified (the runs show no floor yet; the fit is then a sum of power laws).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import minimize

from flopcast._display import Displayable
from flopcast._threads import one_blas_thread
from flopcast.errors import InputError
from flopcast.scaling.laws import FLOP_PER_PARAM_TOKEN, Law, get_law

LAW_FIT_SCHEMA = "flopcast.law_fit/1"
HUBER_DELTA = 1e-3  # Hoffmann et al. 2022, appendix D.2


class TooFewRunsError(InputError):
    """Fewer runs than the law has parameters (plus one to leave a residual)."""


def huber(r: np.ndarray, delta: float = HUBER_DELTA) -> tuple[np.ndarray, np.ndarray]:
    """Huber loss of residuals ``r`` and its derivative (Huber 1964): quadratic inside ±δ, linear outside."""
    a = np.abs(r)
    inside = a <= delta
    return np.where(inside, 0.5 * r * r, delta * (a - 0.5 * delta)), np.where(inside, r, delta * np.sign(r))


@dataclass(frozen=True, repr=False)  # repr: Displayable's one line (flopcast._display)
class LawFit(Displayable):
    """A fitted law with percentile-bootstrap intervals.

    ``params`` are public parameters (``E``, ``A``, ``alpha``...); ``ci[name] = (low, high)`` at
    ``confidence``; ``residual`` summarises log-space residuals (``huber`` objective, ``rmse_log``,
    ``max_abs_log``) and ``mean_abs_pct_error`` in loss; ``fitted_range`` gives the min/max of each
    input over the runs (forecasts outside it are extrapolations). ``bootstrap_samples`` holds one row
    of public parameters per bootstrap refit, in ``param_names`` order.
    """

    law: str
    formula: str
    source: str
    n: int
    params: Mapping[str, float]
    ci: Mapping[str, tuple[float, float]]
    confidence: float
    residual: Mapping[str, float]
    fitted_range: Mapping[str, tuple[float, float]]
    bootstrap: int
    seed: int
    delta: float
    bootstrap_samples: tuple[tuple[float, ...], ...] = field(default=(), repr=False)
    unidentified: tuple[str, ...] = ()  # parameters the runs do not pin down (never printed as estimates)
    warnings: tuple[str, ...] = ()  # one line per unidentified parameter: why, and which runs would pin it
    #: how the form was chosen, when it was (:func:`flopcast.scaling.laws_select.select_form`): every
    #: candidate's held-out error in a backtest; ``None`` for a law the caller named
    selection: Mapping[str, Any] | None = field(default=None, repr=False)

    _headline = ("law", "n", "params", "confidence", "identified")

    @property
    def identified(self) -> bool:
        """True when the runs pin down every parameter."""
        return not self.unidentified

    @property
    def law_spec(self) -> Law:
        return get_law(self.law)

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.law_spec.param_names

    def samples(self) -> list[dict[str, float]]:
        """Bootstrap refits as parameter dicts (empty without a bootstrap)."""
        return [dict(zip(self.param_names, row, strict=True)) for row in self.bootstrap_samples]

    def predict(self, **inputs) -> np.ndarray:
        """Point forecast of the law at ``inputs`` (e.g. ``flop=1e21`` or ``params=..., tokens=...``)."""
        return self.law_spec.predict(self.params, **inputs)

    def predict_interval(self, confidence: float | None = None, **inputs) -> tuple[np.ndarray, np.ndarray]:
        """Percentile-bootstrap band of the fitted curve at ``inputs`` (NaN without a bootstrap)."""
        spec = self.law_spec
        if not self.bootstrap_samples:
            nan = np.full(np.shape(self.predict(**inputs)), np.nan)
            return nan, nan
        draws = np.array([spec.predict(p, **inputs) for p in self.samples()])
        return _percentile_band(draws, confidence or self.confidence)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": LAW_FIT_SCHEMA,
            "law": self.law,
            "formula": self.formula,
            "source": self.source,
            "n": self.n,
            "params": dict(self.params),
            "ci": {k: [None, None] if k in self.unidentified else list(v) for k, v in self.ci.items()},
            "identified": self.identified,
            "unidentified": list(self.unidentified),
            "warnings": list(self.warnings),
            "confidence": self.confidence,
            "residual": dict(self.residual),
            "fitted_range": {k: list(v) for k, v in self.fitted_range.items()},
            "method": f"Huber (delta={self.delta:g}) on log loss, L-BFGS from a grid of starts; "
            f"percentile bootstrap over runs ({self.bootstrap} refits, seed {self.seed})",
            "bootstrap": self.bootstrap,
            "seed": self.seed,
            "delta": self.delta,
            "param_names": list(self.param_names),
            "bootstrap_samples": [list(r) for r in self.bootstrap_samples],
        } | ({"selection": dict(self.selection)} if self.selection is not None else {})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, label: str = "fit") -> LawFit:
        """Rebuild a fit from :meth:`to_dict` output (what ``flopcast scaling fit --json`` writes)."""
        schema = d.get("schema", LAW_FIT_SCHEMA) if isinstance(d, Mapping) else None
        if schema != LAW_FIT_SCHEMA:
            raise InputError(
                f"{label}: a {schema} file, not a scaling-law fit ({LAW_FIT_SCHEMA}); write one with "
                "'flopcast scaling fit RUNS.csv --json > fit.json'"
            )
        try:
            law = get_law(str(d["law"]))
            params = {k: float(d["params"][k]) for k in law.param_names}
            ci = {k: (_num(v[0]), _num(v[1])) for k, v in (d.get("ci") or {}).items()}
            samples = tuple(tuple(float(x) for x in row) for row in d.get("bootstrap_samples") or ())
            if any(len(r) != law.n_params for r in samples):
                raise ValueError("bootstrap_samples rows do not match the law's parameters")
            unidentified, warnings = _stored_identification(d, law.param_names, params, samples)
            return cls(
                law=law.name,
                formula=law.formula,
                source=law.source,
                n=int(d["n"]),
                params=params,
                ci=ci,
                confidence=float(d.get("confidence", 0.95)),
                residual=dict(d.get("residual") or {}),
                fitted_range={k: (float(v[0]), float(v[1])) for k, v in (d.get("fitted_range") or {}).items()},
                bootstrap=len(samples),
                seed=int(d.get("seed", 0)),
                delta=float(d.get("delta", HUBER_DELTA)),
                bootstrap_samples=samples,
                unidentified=unidentified,
                warnings=warnings,
                selection=d.get("selection"),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(
                f"{label}: not a 'flopcast scaling fit --json' result ({type(exc).__name__}: {exc}); "
                "write one with 'flopcast scaling fit RUNS.csv --json > fit.json'"
            ) from None


def _stored_identification(d: Mapping[str, Any], names, params, samples) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a fit file says is unidentified; files written before the check get it from their numbers."""
    listed = [str(x) for x in d.get("unidentified") or ()]
    warnings = [str(x) for x in d.get("warnings") or ()]
    rows = np.array(samples, float).reshape(-1, len(names))
    for j, name in enumerate(names):
        if name not in listed and (not np.isfinite(params[name]) or not np.all(np.isfinite(rows[:, j]))):
            listed.append(name)
            warnings.append(
                f"{name} is not finite in the fit file (a fit from before flopcast bounded its "
                "parameters); refit the runs with 'flopcast scaling fit'"
            )
    return tuple(listed), tuple(warnings)


def _num(v: Any) -> float:
    return float("nan") if v is None else float(v)


def _percentile_band(draws: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    tail = 100 * (1 - confidence) / 2
    with np.errstate(invalid="ignore"):
        return np.nanpercentile(draws, tail, axis=0), np.nanpercentile(draws, 100 - tail, axis=0)


def _objective(theta: np.ndarray, law: Law, logx: Sequence[np.ndarray], log_loss: np.ndarray, delta: float):
    pred, jac = law.log_form(theta, *logx)
    h, dh = huber(pred - log_loss, delta)
    if not np.all(np.isfinite(pred)):
        return np.inf, np.zeros_like(theta)
    return float(h.sum()), (jac * dh).sum(axis=-1)


Box = tuple[np.ndarray, np.ndarray]


def _grid_values(
    law: Law, logx: Sequence[np.ndarray], log_loss: np.ndarray, delta: float, box: Box
) -> tuple[np.ndarray, np.ndarray]:
    """Every start of the law's grid (moved into ``box``) and its objective, in one vectorised pass."""
    starts = np.unique(np.clip(np.array(list(itertools.product(*law.start_grid)), float), *box), axis=0)
    values = np.empty(len(starts))
    for lo in range(0, len(starts), 1024):  # chunks keep memory at ~1024 x n
        chunk = starts[lo : lo + 1024].T[..., None]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            pred, _ = law.log_form(chunk, *logx)
            h, _ = huber(pred - log_loss, delta)
        values[lo : lo + 1024] = np.where(np.all(np.isfinite(pred), axis=-1), h.sum(axis=-1), np.inf)
    return starts, values


def _lbfgs(theta0: np.ndarray, law: Law, logx, log_loss, delta, box: Box) -> tuple[np.ndarray, float]:
    """L-BFGS-B inside ``box``: the result is always a finite point of the box."""
    start = np.clip(np.asarray(theta0, float), *box)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        res = minimize(
            _objective,
            start,
            args=(law, logx, log_loss, delta),
            jac=True,
            method="L-BFGS-B",
            bounds=list(zip(*box, strict=True)),
            options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-7},
        )
    x = np.clip(res.x, *box) if np.all(np.isfinite(res.x)) else start
    return x, float(res.fun)


def fit_theta(
    law: Law,
    logx: Sequence[np.ndarray],
    log_loss: np.ndarray,
    *,
    delta: float = HUBER_DELTA,
    refine: int = 8,
    start: np.ndarray | None = None,
    box: Box | None = None,
) -> tuple[np.ndarray, float]:
    """Best internal parameters in ``box`` (default: the law's box for these runs).

    L-BFGS-B from ``start`` alone, or from the ``refine`` best grid starts.
    """
    box = box if box is not None else law.box(logx, log_loss)
    if start is not None:
        return _lbfgs(start, law, logx, log_loss, delta, box)
    starts, values = _grid_values(law, logx, log_loss, delta, box)
    best_theta, best_val = np.clip(starts[0], *box), np.inf
    for i in np.argsort(values)[:refine]:
        theta, val = _lbfgs(starts[i], law, logx, log_loss, delta, box)
        if val < best_val:
            best_theta, best_val = theta, val
    return best_theta, best_val


def _check_inputs(law: Law, inputs: Mapping[str, np.ndarray | None], loss: np.ndarray) -> dict[str, np.ndarray]:
    given = {k: v for k in law.inputs if (v := inputs.get(k)) is not None}
    missing = [k for k in law.inputs if k not in given]
    if missing:
        raise InputError(
            f"the {law.name} law needs {', '.join(missing)} for every run; give the column(s) "
            f"or choose --law compute (needs flop only)"
        )
    for name, arr in (*given.items(), ("loss", loss)):
        bad = np.flatnonzero(~(np.isfinite(arr) & (arr > 0)))
        if bad.size:
            raise InputError(f"run {bad[0] + 1}: {name} must be a positive finite number, got {arr[bad[0]]!r}")
    if len(loss) < law.n_params + 1:
        raise TooFewRunsError(
            f"{len(loss)} run(s) are too few for the {law.name} law's {law.n_params} parameters; "
            f"give at least {law.n_params + 1} runs (more, spread over scale, for a useful fit)"
        )
    return given


def _refit(spec: Law, logx, log_loss, theta, idx, delta, box: Box) -> np.ndarray:
    return fit_theta(spec, [x[idx] for x in logx], log_loss[idx], delta=delta, start=theta, box=box)[0]


def _bootstrap(
    spec: Law, logx, log_loss, theta, *, bootstrap: int, seed: int, delta: float, n_jobs: int, box: Box
) -> list[np.ndarray]:
    """Refit on ``bootstrap`` resamples of the runs (with replacement), each from the point estimate, in ``box``."""
    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, len(log_loss), len(log_loss)) for _ in range(bootstrap)]
    if n_jobs == 1 or bootstrap < 2:
        return [_refit(spec, logx, log_loss, theta, idx, delta, box) for idx in draws]
    from joblib import Parallel, delayed

    return list(
        Parallel(n_jobs=n_jobs)(delayed(_refit_worker)(spec, logx, log_loss, theta, idx, delta, box) for idx in draws)
    )


def _refit_worker(spec: Law, logx, log_loss, theta, idx, delta, box: Box) -> np.ndarray:
    """:func:`_refit` in a joblib worker process, which does not inherit the one-BLAS-thread limit."""
    with one_blas_thread():
        return _refit(spec, logx, log_loss, theta, idx, delta, box)


# --- identification: which parameters do the runs pin down? -------------------------------------------

#: Share of a box's width within which a coordinate counts as on its edge.
EDGE_TOLERANCE = 0.01


def _on_edge(theta: np.ndarray, box: Box) -> np.ndarray:
    """Boolean per coordinate (broadcast over leading rows): within ``EDGE_TOLERANCE`` of a box edge."""
    lo, hi = box
    tol = EDGE_TOLERANCE * (hi - lo)
    return (theta <= lo + tol) | (theta >= hi - tol)


#: ``(diag((JᵀJ)⁺), singular, Σr²/(n-p))``: what the identification checks read from the Gauss-Newton matrix.
GaussNewton = tuple[np.ndarray, np.ndarray, float]


def _gauss_newton(spec: Law, logx, log_loss, theta) -> GaussNewton:
    """``(diag((JᵀJ)⁺), singular, Σr²/(n-p))`` at ``theta`` from the log-space residuals' Jacobian J.

    The floor (E) is taken in linear units, not as log E: near E = 0 the log coordinate makes E look
    irrelevant (d log L / d log E = E/L -> 0) and hides how E trades off against the other terms.
    ``singular[j]``: coordinate ``j`` loads on a direction JᵀJ cannot see (eigenvalue < 1e-12 of the largest).
    """
    pred, jac = spec.log_form(theta, *logx)
    jac = jac / np.where(_linear(spec), np.exp(theta), 1.0)[:, None]
    r = pred - log_loss
    w, v = np.linalg.eigh(jac @ jac.T)
    zero = w <= 1e-12 * max(float(w.max()), 1e-300)
    singular = np.any(zero[None, :] & (np.abs(v) > 0.1), axis=1)
    inv_w = np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, w))
    return (v * v) @ inv_w, singular, float(r @ r) / max(len(r) - len(theta), 1)


def _linear(spec: Law) -> np.ndarray:
    """Coordinates the Gauss-Newton checks read in linear units (the floor E)."""
    return np.array([k == "floor" for k in spec.kinds])


def _to_check_units(spec: Law, values: np.ndarray) -> np.ndarray:
    return np.where(_linear(spec), np.exp(values), values)


def _flat(spec: Law, gn: GaussNewton, box: Box, z: float, delta: float) -> np.ndarray:
    """Per coordinate: the objective is flat along it (Gauss-Newton Wald interval wider than half its box).

    The Gauss-Newton matrix JᵀJ of the log-space residuals stands in for the Hessian; the residual
    variance is s² = max(Σr²/(n - p), δ²): the Huber objective treats log-residuals under δ as noise, so
    runs that a law happens to interpolate (few runs, little noise) are not taken as exact. A direction
    JᵀJ cannot see makes every coordinate that loads on it flat. ``gn``: :func:`_gauss_newton` at the fit.
    """
    inv_diag, singular, s2 = gn
    se = np.sqrt(max(s2, delta * delta) * inv_diag)
    width = _to_check_units(spec, box[1]) - _to_check_units(spec, box[0])
    return singular | (z * se > 0.5 * width)


def _resolution(spec: Law, gn: GaussNewton, theta, box: Box, z: float, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """The Gauss-Newton (Wald) interval θ ± t·se, with the noise taken as at least δ, in internal coordinates.

    A percentile bootstrap of few runs, or of runs with (almost) no noise, collapses even where the runs
    cannot tell the law's terms apart; intervals are never reported narrower than this one. ``z`` is the
    Student-t quantile with n - p degrees of freedom; ``gn``: :func:`_gauss_newton` at ``theta``.
    """
    inv_diag, _, s2 = gn
    half = z * np.sqrt(max(s2, delta * delta) * inv_diag)
    mid, lo_box, hi_box = (_to_check_units(spec, b) for b in (theta, *box))
    lo, hi = np.clip(mid - half, lo_box, hi_box), np.clip(mid + half, lo_box, hi_box)
    linear = _linear(spec)
    return (np.where(linear, np.log(np.maximum(lo, 1e-300)), lo), np.where(linear, np.log(np.maximum(hi, 1e-300)), hi))


def identify(
    spec: Law,
    logx,
    log_loss,
    theta,
    samples: Sequence[np.ndarray],
    box: Box,
    confidence: float,
    delta: float = HUBER_DELTA,
    gauss_newton: GaussNewton | None = None,
) -> dict[str, str]:
    """``{parameter: reason}`` for every parameter the runs do not pin down (empty: all identified).

    ``gauss_newton``: :func:`_gauss_newton` at ``theta`` where the caller has it (computed here otherwise).
    """
    z = _z(confidence, len(log_loss) - spec.n_params)
    gn = gauss_newton if gauss_newton is not None else _gauss_newton(spec, logx, log_loss, theta)
    reasons: dict[str, list[str]] = {}
    checks: list[tuple[str | list[str], np.ndarray]]
    res_lo, res_hi = _resolution(spec, gn, theta, box, z, delta)
    checks = [
        ("at the edge of its range", _on_edge(theta, box)),
        ("the fit is flat along it", _flat(spec, gn, box, z, delta)),
        ("its interval reaches the edge of its range", _on_edge(res_lo, box) | _on_edge(res_hi, box)),
    ]
    if len(samples):
        rows = np.array(samples, float)
        share = (~np.isfinite(rows) | _on_edge(np.nan_to_num(rows), box)).mean(axis=0)
        checks.append(
            ([f"{s:.0%} of bootstrap refits run to the edge of its range" for s in share], share > (1 - confidence) / 2)
        )
    for why, mask in checks:
        for j in np.flatnonzero(mask):
            reasons.setdefault(spec.param_names[j], []).append(why if isinstance(why, str) else why[j])
    terms = [n for n, k in zip(spec.param_names, spec.kinds, strict=True) if n in reasons and k != "floor"]
    if terms:  # the other estimates are conditional on the arbitrary value it was left at: none can be trusted
        for name in spec.param_names:
            reasons.setdefault(name, [f"conditional on {terms[0]}, which is not pinned down"])
    return {name: "; ".join(why) for name, why in reasons.items()}


_INPUT_LABEL = {"params": ("model size", "N"), "tokens": ("training tokens", "D"), "flop": ("training compute", "C")}


def identification_warning(name: str, reason: str, pinned_by: str, span: tuple[float, float]) -> str:
    """One line: which parameter, why, how much scale the runs span, and which runs would pin it down."""
    label, sym = _INPUT_LABEL[pinned_by]
    lo, hi = span
    decades = float(np.log10(hi / lo))
    more = f"{sym} >= {10 * hi:.3g}" if pinned_by == "flop" else f"{sym} >= {10 * hi:.3g} or <= {lo / 10:.3g}"
    return (
        f"{name} is not identified by the runs ({reason}): they span only {decades:.2g} decades of {label} "
        f"{sym} ({lo:.3g}-{hi:.3g}); add runs at {more} to pin down {name}"
    )


def fit_law(
    law: str | Law,
    *,
    loss,
    params=None,
    tokens=None,
    flop=None,
    bootstrap: int = 0,
    seed: int = 0,
    confidence: float = 0.95,
    delta: float = HUBER_DELTA,
    refine: int = 8,
    n_jobs: int = 1,
) -> LawFit:
    """Fit ``law`` to runs; optionally bootstrap over runs for intervals; say which parameters are not identified.

    Parameters
    ----------
    law : {"chinchilla", "compute", "power", "kaplan"} or Law
    loss : array_like
        Final (evaluation) loss of each run, e.g. nats/token.
    params, tokens, flop : array_like, optional
        Model size N (parameters), training tokens D and training compute C (FLOP) per run, as the law needs.
    bootstrap : int
        Number of bootstrap refits (0: point estimate only, intervals NaN).
    seed : int
        Seed of the bootstrap resampling (results are reproducible).
    confidence : float
        Coverage of the percentile intervals.
    delta : float
        Huber threshold on log-loss residuals.
    refine : int
        How many of the best grid starts L-BFGS is run from.
    n_jobs : int
        joblib workers for the bootstrap (1: in process).

    Raises
    ------
    TooFewRunsError, InputError
        Fewer than ``n_params + 1`` runs, or a non-positive or missing input.
    """
    spec = law if isinstance(law, Law) else get_law(law)
    loss = np.asarray(loss, float).ravel()
    inputs = {
        k: None if v is None else np.asarray(v, float).ravel()
        for k, v in (("params", params), ("tokens", tokens), ("flop", flop))
    }
    given = _check_inputs(spec, inputs, loss)
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence}")
    logx = [np.log(given[k]) for k in spec.inputs]
    log_loss = np.log(loss)
    box = spec.box(logx, log_loss)
    with one_blas_thread():
        theta, value = fit_theta(spec, logx, log_loss, delta=delta, refine=refine, box=box)
        samples = _bootstrap(
            spec, logx, log_loss, theta, bootstrap=bootstrap, seed=seed, delta=delta, n_jobs=n_jobs, box=box
        )
    fitted_range = _fitted_range(inputs, loss)
    gn = _gauss_newton(spec, logx, log_loss, theta)  # once per fit: identify() and the intervals' floor read it
    reasons = identify(spec, logx, log_loss, theta, samples, box, confidence, delta, gauss_newton=gn)
    unidentified = tuple(n for n in spec.param_names if n in reasons)
    warnings = tuple(
        identification_warning(n, reasons[n], by, _span(fitted_range, by, inputs))
        for n, by in zip(spec.param_names, spec.pinned_by, strict=True)
        if n in reasons
    )
    rows = np.array([[*spec.to_public(s).values()] for s in samples]) if samples else np.empty((0, spec.n_params))
    ci = _intervals(
        spec, rows, confidence, _resolution(spec, gn, theta, box, _z(confidence, len(loss) - spec.n_params), delta)
    )
    pred, _ = spec.log_form(theta, *logx)
    r = pred - log_loss
    residual = {
        "huber": value,
        "rmse_log": float(np.sqrt(np.mean(r * r))),
        "max_abs_log": float(np.abs(r).max()),
        "mean_abs_pct_error": float(100 * np.mean(np.abs(np.expm1(r)))),
    }
    return LawFit(
        law=spec.name,
        formula=spec.formula,
        source=spec.source,
        n=len(loss),
        params=spec.to_public(theta),
        ci=ci,
        confidence=confidence,
        residual=residual,
        fitted_range=fitted_range,
        bootstrap=int(bootstrap),
        seed=seed,
        delta=delta,
        bootstrap_samples=tuple(tuple(float(x) for x in row) for row in rows),
        unidentified=unidentified,
        warnings=warnings,
    )


def _z(confidence: float, dof: int) -> float:
    """Two-sided Student-t quantile for ``confidence`` with ``dof`` degrees of freedom (n runs - p parameters)."""
    from scipy.stats import t

    return float(t.ppf(0.5 + confidence / 2, max(dof, 1)))


def _intervals(
    spec: Law, rows: np.ndarray, confidence: float, resolution: tuple[np.ndarray, np.ndarray]
) -> dict[str, tuple[float, float]]:
    """Percentile-bootstrap interval of each parameter, never narrower than the method's resolution."""
    floor_lo, floor_hi = (spec.to_public(b) for b in resolution)
    ci = {}
    for j, name in enumerate(spec.param_names):
        if not len(rows):
            ci[name] = (float("nan"), float("nan"))
            continue
        lo, hi = _percentile_band(rows[:, j], confidence)
        ci[name] = (min(float(lo), floor_lo[name]), max(float(hi), floor_hi[name]))
    return ci


def _fitted_range(inputs: Mapping[str, np.ndarray | None], loss: np.ndarray) -> dict[str, tuple[float, float]]:
    out = {k: (float(v.min()), float(v.max())) for k in ("params", "tokens", "flop") if (v := inputs[k]) is not None}
    out["loss"] = (float(loss.min()), float(loss.max()))
    return out


def _span(fitted_range, by: str, inputs) -> tuple[float, float]:
    """Range of input ``by`` over the runs; compute from 6ND when only N and D were given."""
    if by in fitted_range:
        return fitted_range[by]
    c = FLOP_PER_PARAM_TOKEN * inputs["params"] * inputs["tokens"]
    return float(c.min()), float(c.max())


def read_fit(fit_file: Path) -> LawFit:
    """The fit in a 'flopcast scaling fit --json' file, or a one-line error naming what is wrong with it."""
    fix = "write one with 'flopcast scaling fit RUNS.csv --json > fit.json' and pass that file"
    if fit_file.is_dir():
        raise InputError(
            f"--fit {fit_file}: is a directory, not a fit file; give the JSON file that "
            "'flopcast scaling fit RUNS.csv --json > fit.json' writes"
        )
    if not fit_file.is_file():
        raise InputError(f"--fit {fit_file}: no such file; {fix}")
    try:
        data: Any = json.loads(fit_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"--fit {fit_file}: not JSON ({exc}); write it with 'flopcast scaling fit RUNS.csv --json > fit.json'"
        ) from None
    except OSError as exc:
        raise InputError(f"--fit {fit_file}: cannot read it ({exc.strerror or exc}); {fix}") from None
    return LawFit.from_dict(data if isinstance(data, dict) else {}, label=str(fit_file))
