"""Scaling laws: loss as a function of model size, data and compute, each a small cited function.

Every law exists twice: a plain function of its public parameters (``chinchilla_loss(N, D, E=...)``),
which is what users and tests read, and a *log-space* form with its gradient, which is what the fitter
minimises (Hoffmann et al. 2022, approach 3: fit ``log L`` through a log-sum-exp so every coefficient
stays positive). The registry :data:`LAWS` maps a law's name to its :class:`Law` description.

Internal coordinates: coefficients that must be positive (``E``, ``A``, ``B``, ``N_c``, ``D_c``) are
fitted as their natural logarithm; exponents are fitted as they are. Every internal coordinate lives in a
finite box (:meth:`Law.box`, set from the runs), so no fit or refit can leave the finite domain: exponents
in ``[0, EXPONENT_MAX]``, log-coefficients within a few hundred nats of the data. A parameter that ends on
the edge of its box is one the runs do not pin down (see :mod:`flopcast.scaling.laws_fit`).

>>> round(float(chinchilla_loss(70e9, 1.4e12, **HOFFMANN2022)), 3)
1.937
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from flopcast._names import lookup
from flopcast.estimate.formulas import FLOP_PER_PARAM_TOKEN as FLOP_PER_PARAM_TOKEN  # C = 6ND: its one owner

#: Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models", eq. (10) / Table A3 (approach 3).
HOFFMANN2022 = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
#: Besiroglu et al. (2024), "Chinchilla Scaling: A replication attempt", Table 1 (refit of the same runs).
BESIROGLU2024 = {"E": 1.82, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658}
#: Kaplan et al. (2020), "Scaling Laws for Neural Language Models", eq. (1.5) / Table 2 (non-embedding N).
KAPLAN2020 = {"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103}

#: Largest exponent a fit may take. A design choice, not a measured figure: 1.5x the largest exponent of
#: Hoffmann et al. 2022's own start grid (0-2, appendix D.2). An exponent fitted at this edge says the runs
#: do not span enough scale to measure it.
EXPONENT_MAX = 3.0
#: Largest |log| of a coefficient: exp(700) is finite in float64 (the largest is ~exp(709.78)).
LOG_COEF_MAX = 700.0
#: Width of the coefficient boxes beyond the data, in nats: ln(1e6). A coefficient whose term is a
#: millionth of the smallest loss contributes nothing the runs can see.
_MARGIN = float(np.log(1e6))


# --- the laws, as users read them -------------------------------------------------------------------


def chinchilla_loss(params, tokens, *, E, A, B, alpha, beta):
    """Chinchilla parametric loss ``L(N, D) = E + A/N^α + B/D^β`` (Hoffmann et al. 2022, eq. 2).

    Parameters
    ----------
    params, tokens : array_like
        Model size N (parameters) and training tokens D.
    E, A, B, alpha, beta : float
        Irreducible loss (nats/token), size and data coefficients, and their exponents.
    """
    return E + A * np.asarray(params, float) ** -alpha + B * np.asarray(tokens, float) ** -beta


def compute_loss(flop, *, E, A, alpha):
    """Compute-only law ``L(C) = E + A·C^-α`` (Hoffmann et al. 2022, sec. 3.3; Henighan et al. 2020, eq. 1.1).

    ``flop`` is training compute C in FLOP; ``E`` is the irreducible loss.
    """
    return E + A * np.asarray(flop, float) ** -alpha


def power_law(flop, *, A, alpha):
    """Pure power law ``L(C) = A·C^-α``, for metrics with no irreducible term (Kaplan et al. 2020, eq. 1.3)."""
    return A * np.asarray(flop, float) ** -alpha


def kaplan_loss(params, tokens, *, N_c, D_c, alpha_N, alpha_D):
    """Kaplan joint law ``L(N, D) = ((N_c/N)^(α_N/α_D) + D_c/D)^α_D`` (Kaplan et al. 2020, eq. 1.5).

    Kaplan counts N without embedding parameters; no irreducible term.
    """
    n = np.asarray(params, float)
    d = np.asarray(tokens, float)
    return ((N_c / n) ** (alpha_N / alpha_D) + D_c / d) ** alpha_D


# --- log-space forms with gradients (what the fitter minimises) ----------------------------------------
# Each takes theta (internal coordinates, leading axis = parameter; may carry extra broadcast axes for a
# grid of starts) and log-inputs; returns (log L, d log L / d theta) with the gradient shaped (p, ...).


def _softmax_terms(terms: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Log-sum-exp of ``terms`` and the softmax weights (its gradient with respect to each term)."""
    stacked = np.stack(np.broadcast_arrays(*terms))
    top = stacked.max(axis=0)
    ex = np.exp(stacked - top)
    total = ex.sum(axis=0)
    return top + np.log(total), list(ex / total)


def _chinchilla_log(theta, ln_params, ln_tokens):
    log_e, log_a, log_b, alpha, beta = theta
    lse, (w_e, w_a, w_b) = _softmax_terms([log_e + 0 * ln_params, log_a - alpha * ln_params, log_b - beta * ln_tokens])
    return lse, np.stack([w_e, w_a, w_b, -w_a * ln_params, -w_b * ln_tokens])


def _compute_log(theta, ln_flop):
    log_e, log_a, alpha = theta
    lse, (w_e, w_a) = _softmax_terms([log_e + 0 * ln_flop, log_a - alpha * ln_flop])
    return lse, np.stack([w_e, w_a, -w_a * ln_flop])


def _power_log(theta, ln_flop):
    log_a, alpha = theta
    pred = log_a - alpha * ln_flop
    return pred, np.stack(np.broadcast_arrays(np.ones_like(pred), -ln_flop + 0 * pred))


def _kaplan_log(theta, ln_params, ln_tokens):
    log_nc, log_dc, alpha_n, alpha_d = theta
    u = alpha_n / alpha_d * (log_nc - ln_params)
    lse, (w_u, w_v) = _softmax_terms([u, log_dc - ln_tokens])
    return alpha_d * lse, np.stack([alpha_n * w_u, alpha_d * w_v, w_u * (log_nc - ln_params), lse - w_u * u])


# --- the registry --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Law:
    """A fittable law: its public parameters, inputs, log-space form and starting grid.

    ``param_names`` are public (``E``, ``A``...); ``log_scaled[i]`` says whether parameter ``i`` is
    fitted as its logarithm. ``inputs`` names the run columns it needs (``params``, ``tokens``, ``flop``).
    ``start_grid`` is one tuple of candidate starting values per internal coordinate.
    """

    name: str
    formula: str
    source: str
    inputs: tuple[str, ...]
    param_names: tuple[str, ...]
    log_scaled: tuple[bool, ...]
    function: Callable[..., np.ndarray]
    log_form: Callable[..., tuple[np.ndarray, np.ndarray]]
    start_grid: tuple[tuple[float, ...], ...]
    irreducible: str | None = None
    #: per parameter, the run input whose span pins it down ("params", "tokens" or "flop")
    pinned_by: tuple[str, ...] = ()
    #: per parameter, its kind: "floor" (E), "coef" (A, B, N_c...), "exp" (alpha...) or "exp+" (alpha_D > 0)
    kinds: tuple[str, ...] = ()

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    def to_public(self, theta) -> dict[str, float]:
        """Internal coordinates -> ``{"E": ..., "A": ...}``."""
        return {
            n: float(np.exp(t) if lg else t) for n, t, lg in zip(self.param_names, theta, self.log_scaled, strict=True)
        }

    def to_theta(self, params: Mapping[str, float]) -> np.ndarray:
        """``{"E": ..., ...}`` -> internal coordinates."""
        return np.array(
            [np.log(params[n]) if lg else params[n] for n, lg in zip(self.param_names, self.log_scaled, strict=True)]
        )

    def box(self, logx, log_loss) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of every internal coordinate for runs with log-inputs ``logx``.

        ``floor`` (log E): from a ten-thousandth of the smallest loss to the largest loss; ``coef``
        (log A...): wide enough for any term between 1e-6 x the smallest and 1e6 x the largest loss at
        any exponent in the box, capped at +-700 so exp() stays finite; ``exp``: [0, EXPONENT_MAX]
        (``[-EXPONENT_MAX, EXPONENT_MAX]`` for the pure power law, ``[1e-3, EXPONENT_MAX]`` where an
        exponent divides).
        """
        lo_l, hi_l = float(np.min(log_loss)), float(np.max(log_loss))
        reach = EXPONENT_MAX * max(float(np.max(np.abs(x))) for x in logx)
        by_kind = {
            "floor": (lo_l - np.log(1e4), hi_l),
            "coef": (max(-LOG_COEF_MAX, lo_l - _MARGIN - reach), min(LOG_COEF_MAX, hi_l + _MARGIN + reach)),
            "exp": (0.0, EXPONENT_MAX),
            "exp+": (1e-3, EXPONENT_MAX),
            "exp+-": (-EXPONENT_MAX, EXPONENT_MAX),
        }
        lo, hi = zip(*(by_kind[k] for k in self.kinds), strict=True)
        return np.array(lo, float), np.array(hi, float)

    def predict(self, values: Mapping[str, float], /, **inputs) -> np.ndarray:
        """The law's value at ``inputs`` (keyword per name in :attr:`inputs`) with public ``params``."""
        return self.function(*(inputs[k] for k in self.inputs), **values)


_GRID_EXP = (0.0, 0.5, 1.0, 1.5, 2.0)
LAWS: dict[str, Law] = {
    law.name: law
    for law in (
        Law(
            "chinchilla",
            "L(N, D) = E + A/N^alpha + B/D^beta",
            "Hoffmann et al. 2022, eq. 2 (approach 3)",
            ("params", "tokens"),
            ("E", "A", "B", "alpha", "beta"),
            (True, True, True, False, False),
            chinchilla_loss,
            _chinchilla_log,
            # Hoffmann et al. 2022 appendix D.2 grid, as used by Besiroglu et al. 2024
            (
                (-1.0, -0.5, 0.0, 0.5, 1.0),
                (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
                (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
                _GRID_EXP,
                _GRID_EXP,
            ),
            irreducible="E",
            pinned_by=("flop", "params", "tokens", "params", "tokens"),
            kinds=("floor", "coef", "coef", "exp", "exp"),
        ),
        Law(
            "compute",
            "L(C) = E + A*C^-alpha",
            "Hoffmann et al. 2022, sec. 3.3; Henighan et al. 2020, eq. 1.1",
            ("flop",),
            ("E", "A", "alpha"),
            (True, True, False),
            compute_loss,
            _compute_log,
            ((-1.0, -0.5, 0.0, 0.5, 1.0, 1.5), tuple(np.arange(0.0, 40.1, 2.5)), (0.02, 0.05, 0.1, 0.2, 0.4, 0.8)),
            irreducible="E",
            pinned_by=("flop", "flop", "flop"),
            kinds=("floor", "coef", "exp"),
        ),
        Law(
            "power",
            "L(C) = A*C^-alpha",
            "Kaplan et al. 2020, eq. 1.3",
            ("flop",),
            ("A", "alpha"),
            (True, False),
            power_law,
            _power_log,
            (tuple(np.arange(-5.0, 40.1, 5.0)), (0.0, 0.05, 0.2, 0.5, 1.0)),
            pinned_by=("flop", "flop"),
            kinds=("coef", "exp+-"),
        ),
        Law(
            "kaplan",
            "L(N, D) = ((N_c/N)^(alpha_N/alpha_D) + D_c/D)^alpha_D",
            "Kaplan et al. 2020, eq. 1.5",
            ("params", "tokens"),
            ("N_c", "D_c", "alpha_N", "alpha_D"),
            (True, True, False, False),
            kaplan_loss,
            _kaplan_log,
            ((10.0, 20.0, 30.0, 40.0), (10.0, 20.0, 30.0, 40.0), (0.05, 0.1, 0.3, 0.6), (0.05, 0.1, 0.3, 0.6)),
            pinned_by=("params", "tokens", "params", "tokens"),
            kinds=("coef", "coef", "exp+", "exp+"),
        ),
    )
}


def get_law(name: str) -> Law:
    """The law called ``name`` (forgiving; unknown names list the nearest)."""
    return lookup(name, LAWS, kind="scaling law", hint="choose chinchilla, compute, power or kaplan")
