"""Compute-optimal allocation and plans from a fitted law: N_opt(C), D_opt(C), compute for a target loss.

With C = 6·N·D, minimising the Chinchilla law ``E + A/N^α + B/D^β`` over N at fixed C gives the closed
form of Hoffmann et al. (2022), eq. (4):

    N_opt(C) = G·(C/6)^(β/(α+β)),  D_opt(C) = G⁻¹·(C/6)^(α/(α+β)),  G = (αA / (βB))^(1/(α+β))

and the loss at the optimum ``L*(C) = E + K·(C/6)^(-αβ/(α+β))`` with ``K = A·G^-α + B·G^β``, which inverts
in closed form for the compute that reaches a target loss. Other laws with (N, D) inputs (Kaplan) are
allocated numerically; compute-only laws give compute and loss but no (N, D).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from flopcast._display import Displayable
from flopcast.errors import InputError
from flopcast.provenance import Assumption, Basis
from flopcast.scaling.laws import FLOP_PER_PARAM_TOKEN, get_law
from flopcast.scaling.laws_fit import LawFit


class UnreachableLossError(InputError):
    """A target loss at or below the fitted irreducible loss: no finite compute reaches it."""


def chinchilla_optimal(flop, *, A, B, alpha, beta, E=None):
    """Compute-optimal ``(N_opt, D_opt)`` for budget ``flop`` with C = 6ND (Hoffmann et al. 2022, eq. 4)."""
    g = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
    c6 = np.asarray(flop, float) / FLOP_PER_PARAM_TOKEN
    return g * c6 ** (beta / (alpha + beta)), c6 ** (alpha / (alpha + beta)) / g


def chinchilla_optimal_loss(flop, *, E, A, B, alpha, beta):
    """Loss at the compute-optimal allocation, ``E + K·(C/6)^(-αβ/(α+β))`` (from Hoffmann et al. 2022, eq. 4)."""
    n, d = chinchilla_optimal(flop, A=A, B=B, alpha=alpha, beta=beta)
    return E + A * n**-alpha + B * d**-beta


def chinchilla_flop_for_loss(loss, *, E, A, B, alpha, beta):
    """Training FLOP whose compute-optimal model reaches ``loss`` (inverse of :func:`chinchilla_optimal_loss`)."""
    g = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
    k = A * g**-alpha + B * g**beta
    gamma = alpha * beta / (alpha + beta)
    excess = np.asarray(loss, float) - E
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf: more FLOP than a float holds
        return np.where(excess > 0, FLOP_PER_PARAM_TOKEN * (excess / k) ** (-1.0 / gamma), np.inf)


def numeric_optimal(law: str, params: Mapping[str, float], flop: float) -> tuple[float, float]:
    """``(N_opt, D_opt)`` minimising any (N, D) law along C = 6ND, by bounded search over log N."""
    spec = get_law(law)
    ln_c6 = np.log(flop / FLOP_PER_PARAM_TOKEN)

    def loss_at(ln_n: float) -> float:
        return float(spec.predict(params, params=np.exp(ln_n), tokens=np.exp(ln_c6 - ln_n)))

    res = minimize_scalar(loss_at, bounds=(0.0, ln_c6), method="bounded", options={"xatol": 1e-10})
    return float(np.exp(res.x)), float(np.exp(ln_c6 - res.x))


def optimal_allocation(law: str, params: Mapping[str, float], flop: float) -> tuple[float, float] | None:
    """``(N_opt, D_opt)`` at ``flop`` for a law with (N, D) inputs; ``None`` for compute-only laws."""
    if law == "chinchilla":
        n, d = chinchilla_optimal(flop, **{k: params[k] for k in ("A", "B", "alpha", "beta")})
        return float(n), float(d)
    if get_law(law).inputs == ("params", "tokens"):
        return numeric_optimal(law, params, flop)
    return None


def loss_at_flop(law: str, params: Mapping[str, float], flop: float) -> float:
    """Loss reached with ``flop`` (at the compute-optimal allocation for (N, D) laws)."""
    if law == "chinchilla":
        return float(chinchilla_optimal_loss(flop, **params))
    alloc = optimal_allocation(law, params, flop)
    if alloc is not None:
        return float(get_law(law).predict(params, params=alloc[0], tokens=alloc[1]))
    return float(get_law(law).predict(params, flop=flop))


def flop_for_loss(law: str, params: Mapping[str, float], target: float) -> float:
    """Training FLOP needed to reach ``target`` loss (``inf`` if the law never gets there)."""
    spec = get_law(law)
    if spec.irreducible and target <= params[spec.irreducible]:
        return float("inf")
    if law == "chinchilla":
        return float(chinchilla_flop_for_loss(target, **params))
    with np.errstate(over="ignore", divide="ignore"):  # inf: more FLOP than a float holds
        if law == "compute":
            return float(np.float64(params["A"] / (target - params["E"])) ** (1.0 / params["alpha"]))
        if law == "power":
            return (
                float(np.float64(params["A"] / target) ** (1.0 / params["alpha"]))
                if params["alpha"] > 0
                else float("inf")
            )
    f = lambda ln_c: loss_at_flop(law, params, float(np.exp(ln_c))) - target  # noqa: E731
    lo, hi = np.log(1e3), np.log(1e45)
    if f(lo) < 0 or f(hi) > 0:
        return float("inf") if f(hi) > 0 else float(np.exp(lo))
    return float(np.exp(brentq(f, lo, hi, xtol=1e-10)))


@dataclass(frozen=True, repr=False)  # repr: Displayable's one line (flopcast._display)
class ScalingPlan(Displayable):
    """What a target loss or a compute budget buys under a fitted law, with bootstrap intervals.

    ``flop`` training FLOP; ``params`` model size N and ``tokens`` D at the compute-optimal allocation
    (``None`` for compute-only laws); ``loss`` the forecast loss; ``ci[key] = (low, high)`` percentile
    bootstrap intervals of each (``None`` ends where some refits never reach the target); ``estimate``
    is :class:`flopcast.estimate.Estimate` of the plan's FLOP when hardware was given. ``unidentified``
    names forecast quantities the runs do not pin down (their value is NaN, ``null`` in JSON).
    """

    law: str
    given: str  # "target_loss" or "flop"
    flop: float
    params: float | None
    tokens: float | None
    loss: float
    tokens_per_param: float | None
    ci: Mapping[str, tuple[float | None, float | None]]
    confidence: float
    extrapolation: float  # plan FLOP / largest fitted FLOP (> 1: beyond the data)
    unreachable_fraction: float  # share of bootstrap refits that never reach the target loss
    assumptions: tuple[Assumption, ...] = ()
    estimate: Any = field(default=None)
    unidentified: tuple[str, ...] = ()  # forecast quantities the runs do not pin down (e.g. ("loss",))
    warnings: tuple[str, ...] = ()  # why, and which runs would pin them down

    _headline = ("law", "flop", "params", "tokens", "loss", "extrapolation")

    def to_dict(self) -> dict[str, Any]:
        out = {
            "schema": "flopcast.scaling_plan/1",
            "law": self.law,
            "given": self.given,
            "flop": self.flop,
            "params": self.params,
            "tokens": self.tokens,
            "loss": None if "loss" in self.unidentified else self.loss,
            "tokens_per_param": self.tokens_per_param,
            "ci": {k: list(v) for k, v in self.ci.items()},
            "confidence": self.confidence,
            "interval": "percentile bootstrap over runs: confidence band of the fitted law, not of one new run",
            "extrapolation": self.extrapolation,
            "unreachable_fraction": self.unreachable_fraction,
            "assumptions": [a.to_dict() for a in self.assumptions],
            "identified": not self.unidentified,
            "unidentified": list(self.unidentified),
            "warnings": list(self.warnings),
        }
        if self.estimate is not None:
            out["estimate"] = self.estimate.to_dict()
            for key in ("wall_hours", "chip_hours", "cost_usd", "energy_kwh", "co2e_kg"):
                out[key] = getattr(self.estimate, key, None)
        return out


def _point(law: str, params: Mapping[str, float], *, target_loss: float | None, flop: float | None) -> dict:
    """One plan under ``params``; quantities that do not exist (no finite compute, a zero-size model) are NaN."""
    if target_loss is not None:
        c = flop_for_loss(law, params, target_loss)
    elif flop is not None:
        c = float(flop)
    else:
        raise InputError("give a target loss or a compute budget")
    with np.errstate(all="ignore"):
        alloc = optimal_allocation(law, params, c) if np.isfinite(c) and c > 0 else None
        loss = float(target_loss) if target_loss is not None else loss_at_flop(law, params, c)
        n, d = alloc if alloc else (None, None)
        ratio = float(np.float64(d) / np.float64(n)) if alloc else None
    return {"flop": c, "params": n, "tokens": d, "loss": loss, "tokens_per_param": ratio}


def _check_point(point: dict, fit: LawFit, given: str) -> None:
    """Refuse a plan whose answer would be meaningless: infinite compute, or a model under one parameter."""
    what = f"target loss {point['loss']:g}" if given == "target_loss" else f"a budget of {point['flop']:g} FLOP"
    lo, hi = fit.fitted_range.get("loss", (float("nan"), float("nan")))
    if not np.isfinite(point["flop"]):
        raise UnreachableLossError(
            f"{what} needs more compute than a float can hold under the fitted {fit.law} "
            f"law (it is too close to the irreducible loss); choose a higher target loss "
            f"(the runs reached {lo:.4g}-{hi:.4g})"
        )
    sizes = [point["flop"]] + [point[k] for k in ("params", "tokens") if point[k] is not None]
    if not all(np.isfinite(v) and v >= 1 for v in sizes):
        raise InputError(
            f"{what} gives a model under one parameter or token under the fitted {fit.law} law, "
            f"far outside the runs (loss {lo:.4g}-{hi:.4g}); choose a target loss or budget near "
            "the fitted range"
        )


def check_plan_options(
    *,
    target_loss: float | None,
    flop: float | None,
    hardware: str | None = None,
    chips: float | None = None,
    utilization: float | None = None,
    region: str | None = None,
) -> None:
    """Refuse what cannot be planned, before any fit: neither or both targets, non-finite or non-positive
    values, hardware options given without ``hardware`` (they would be silently ignored)."""
    if (target_loss is None) == (flop is None):
        raise InputError("give exactly one of --target-loss or --flop")
    for option, value in (("--target-loss", target_loss), ("--flop", flop)):
        if value is not None and not (np.isfinite(value) and value > 0):
            raise InputError(f"{option} must be > 0 and finite, got {value}")
    if hardware is None:
        ignored = [
            f"--{k}" for k, v in (("chips", chips), ("utilization", utilization), ("region", region)) if v is not None
        ]
        if ignored:
            raise InputError(
                f"{', '.join(ignored)} only act(s) with --hardware; give --hardware (e.g. 'H100 SXM') "
                "to turn the plan into time and cost, or leave them out"
            )


#: Parameters the compute-optimal (N, D) depends on, per law (eq. 4 of Hoffmann et al. 2022 has no E);
#: laws not listed give no allocation. The loss and the compute for a target depend on every parameter.
ALLOCATION_DEPENDS = {"chinchilla": ("A", "B", "alpha", "beta"), "kaplan": ("N_c", "D_c", "alpha_N", "alpha_D")}


def _check_identified(fit: LawFit, given: str) -> tuple[str, ...]:
    """Refuse a plan whose answer rests on parameters the runs do not pin down; return what is left unknown.

    A target loss needs every parameter. A budget needs the allocation's parameters for N and D, and every
    parameter for the loss: with only the floor (E) unidentified, N and D are planned and the loss is
    reported as not identified (returned as ``("loss",)``).
    """
    if fit.identified:
        return ()
    needed = ALLOCATION_DEPENDS.get(fit.law, ()) if given == "flop" else fit.law_spec.param_names
    blocking = [n for n in fit.unidentified if n in needed] or ([] if needed else list(fit.unidentified))
    if blocking:
        kinds = dict(zip(fit.law_spec.param_names, fit.law_spec.kinds, strict=True))
        blocking.sort(key=lambda n: not kinds[n].startswith("exp"))  # the exponent is the root; name it first
        why = next(
            (w for w in fit.warnings if w.startswith(blocking[0] + " ")),
            fit.warnings[0] if fit.warnings else "refit with runs over more scale",
        )
        raise InputError(
            f"the fit does not pin down {', '.join(blocking)}, which this plan depends on, so its "
            f"answer would be meaningless: {why}"
        )
    return ("loss",)


def plan(
    fit: LawFit,
    *,
    target_loss: float | None = None,
    flop: float | None = None,
    hardware: str | None = None,
    chips: float | None = None,
    utilization: float | None = None,
    region: str | None = None,
    confidence: float | None = None,
) -> ScalingPlan:
    """Plan a run: the compute (and N, D) for ``target_loss``, or the loss (and N, D) a ``flop`` budget buys.

    With ``hardware`` the plan's FLOP goes through :func:`flopcast.estimate.estimate` for time, chip-hours,
    dollars and CO2e. Raises :class:`UnreachableLossError` when ``target_loss`` is at or below the
    fitted irreducible loss (or so close that no float holds the compute); :class:`InputError` for a
    non-positive or non-finite target or budget, hardware options without ``hardware``, a fit that does
    not pin down its parameters (:attr:`LawFit.unidentified`: every plan depends on all of them), and an
    answer under one parameter or token.
    """
    check_plan_options(
        target_loss=target_loss, flop=flop, hardware=hardware, chips=chips, utilization=utilization, region=region
    )
    given = "target_loss" if target_loss is not None else "flop"
    not_identified = _check_identified(fit, given)
    _check_reachable(fit, target_loss)
    point = _point(fit.law, fit.params, target_loss=target_loss, flop=flop)
    _check_point(point, fit, given)
    conf = confidence or fit.confidence
    ci, unreachable = _bootstrap_intervals(fit, target_loss=target_loss, flop=flop, conf=conf, skip=not_identified)
    max_flop = _largest_fitted_flop(fit)
    assumptions = (
        Assumption("law", f"{fit.law}: {fit.formula}", "", fit.source, Basis.ESTIMATED),
        Assumption(
            "flop_per_param_token", FLOP_PER_PARAM_TOKEN, "FLOP", "C = 6ND, Kaplan et al. 2020 sec. 2.1", Basis.ASSUMED
        ),
    )
    est = None
    if hardware is not None and np.isfinite(point["flop"]):
        est = _estimate(
            point["flop"],
            _flop_provenance(fit, target_loss),
            hardware=hardware,
            chips=chips,
            utilization=utilization,
            region=region,
        )
    return ScalingPlan(
        law=fit.law,
        given=given,
        flop=point["flop"],
        params=point["params"],
        tokens=point["tokens"],
        loss=float("nan") if "loss" in not_identified else point["loss"],
        tokens_per_param=point["tokens_per_param"],
        ci=ci,
        confidence=conf,
        extrapolation=float(point["flop"] / max_flop) if np.isfinite(max_flop) else float("nan"),
        unreachable_fraction=unreachable,
        assumptions=assumptions,
        estimate=est,
        unidentified=not_identified,
        warnings=fit.warnings if not_identified else (),
    )


def _check_reachable(fit: LawFit, target_loss: float | None) -> None:
    """Refuse a target loss at or below the fitted irreducible loss: no compute reaches it."""
    spec = fit.law_spec
    if target_loss is not None and spec.irreducible and target_loss <= fit.params[spec.irreducible]:
        raise UnreachableLossError(
            f"target loss {target_loss:g} is at or below the fitted irreducible loss {spec.irreducible}="
            f"{fit.params[spec.irreducible]:.4g}; no amount of compute reaches it — choose a target above it"
        )


def _bootstrap_intervals(
    fit: LawFit, *, target_loss: float | None, flop: float | None, conf: float, skip: tuple[str, ...]
) -> tuple[dict[str, tuple[float | None, float | None]], float]:
    """Percentile intervals of each forecast quantity over the bootstrap refits, and the share that never
    reach the target; the given quantity and those in ``skip`` (not identified) get none."""
    ci: dict[str, tuple[float | None, float | None]] = {}
    if not fit.bootstrap_samples:
        return ci, 0.0
    draws = [_point(fit.law, p, target_loss=target_loss, flop=flop) for p in fit.samples()]
    unreachable = float(np.mean([not (np.isfinite(d["flop"]) and d["flop"] > 0) for d in draws]))
    for key in ("flop", "params", "tokens", "loss", "tokens_per_param"):
        if key == ("loss" if target_loss is not None else "flop") or key in skip:
            continue  # given, not forecast; or not identified by the runs
        vals = np.array([np.nan if d[key] is None else d[key] for d in draws], float)
        vals[~np.isfinite(vals) | (vals <= 0)] = np.nan  # a refit that never gets there: unbounded end
        if np.all(np.isnan(vals)):
            continue
        with np.errstate(invalid="ignore"):  # inf - inf between two unbounded refits: an unbounded end
            lo, hi = np.percentile(np.where(np.isnan(vals), np.inf, vals), [50 * (1 - conf), 50 * (1 + conf)])
        ci[key] = (float(lo) if np.isfinite(lo) else None, float(hi) if np.isfinite(hi) else None)
    return ci, unreachable


def _largest_fitted_flop(fit: LawFit) -> float:
    """The largest training FLOP among the fitted runs (6ND from the largest N and D when no FLOP was fitted)."""
    max_flop = fit.fitted_range.get("flop", (np.nan, np.nan))[1]
    if not np.isfinite(max_flop) and "params" in fit.fitted_range and "tokens" in fit.fitted_range:
        max_flop = FLOP_PER_PARAM_TOKEN * fit.fitted_range["params"][1] * fit.fitted_range["tokens"][1]
    return max_flop


def _flop_provenance(fit: LawFit, target_loss: float | None) -> Assumption | None:
    """Where the plan's training FLOP came from, when not from the user: the target loss through the fit."""
    if target_loss is None:
        return None
    return Assumption(
        "training_flop",
        None,
        "FLOP",
        f"derived from the target loss {target_loss:g} through the "
        f"fitted {fit.law} law ({fit.formula}; flopcast scaling plan)",
        Basis.ESTIMATED,
    )


def _estimate(flop: float, provenance: Assumption | None, **hw: Any) -> Any:
    """The plan's FLOP turned into time, chip-hours, dollars and CO2e by :mod:`flopcast.estimate`.

    :func:`~flopcast.estimate.estimate` records a FLOP it is handed as "given by the user"; when the plan
    derived it from a target loss, that assumption is replaced by the true provenance.
    """
    from dataclasses import replace

    from flopcast.estimate import estimate

    est = estimate(flop=flop, **{k: v for k, v in hw.items() if v is not None})
    if provenance is None:
        return est
    fixed = tuple(replace(provenance, value=a.value) if a.name == "training_flop" else a for a in est.assumptions)
    return replace(est, assumptions=fixed)
