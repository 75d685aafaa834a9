"""Summaries of the Figure 1 experiment: performance curves, data and compute to match the oracle."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from flopcast._display import Displayable
from flopcast.provenance import Assumption, Basis
from flopcast.simulate.experiment import MODELS, ChunkResult, SimulationConfig, model_flop

_Z95 = 1.959963984540054  # two-sided 95 % normal quantile
SIMULATION_SCHEMA = "flopcast.simulation/1"
_BOOTSTRAP = 400
_PAPER = "Thompson et al. (2020), The Computational Limits of Deep Learning, Fig. 1"


def performance(nmse: np.ndarray) -> np.ndarray:
    """The paper's performance: ``-log10`` of the normalized MSE against the optimal predictor."""
    return -np.log10(nmse)


def match_size(sizes, perf, target) -> float | None:
    """Sample size at which ``perf`` (mean performance per size) last rises through ``target``.

    Interpolated linearly in ``log n`` between the grid sizes around the crossing; ``sizes[0]`` if
    every size reaches the target, ``None`` if the largest does not.
    """
    perf = np.asarray(perf, dtype=float)
    below = np.nonzero(perf < target)[0]
    if len(below) == 0:
        return float(sizes[0])
    i = int(below[-1])
    if i == len(sizes) - 1:
        return None
    lo, hi = math.log(sizes[i]), math.log(sizes[i + 1])
    frac = (target - perf[i]) / (perf[i + 1] - perf[i])
    return float(math.exp(lo + frac * (hi - lo)))


def _interp_log(sizes, values, n) -> float | None:
    if n is None:
        return None
    return float(10 ** np.interp(math.log(n), np.log(sizes), np.log10(values)))


@dataclass(frozen=True, repr=False)  # repr: Displayable's one line (flopcast._display)
class SimulationResult(Displayable):
    """The experiment's outcome (see ``docs/simulate.md``).

    Attributes
    ----------
    config : SimulationConfig
    sample_sizes : tuple of int
    samples : dict model -> ndarray (sizes, sims)
        Per-simulation performance.
    compute_flop : dict model -> ndarray (sizes,)
        FLOP per fit (oracle, flexible: closed form; regularized: mean of counted).
    alpha : ndarray (sizes, sims)
        Lasso penalties chosen by cross-validation.
    data_to_match_oracle : dict
    compute_to_match_oracle_flop : dict
    backend : str
    wall_seconds : float
        Measured wall-clock time of the run.
    """

    config: SimulationConfig
    sample_sizes: tuple[int, ...]
    samples: dict
    compute_flop: dict
    alpha: np.ndarray
    data_to_match_oracle: dict
    compute_to_match_oracle_flop: dict
    backend: str
    wall_seconds: float

    _headline = ("sample_sizes", "compute_to_match_oracle_flop", "backend", "wall_seconds")

    # Per-model statistics; summary() with no argument is Displayable's text summary (flopcast._display).
    def model_summary(self, model: str) -> dict[str, np.ndarray]:
        """Mean, 95 % CI of the mean, and 5th/95th percentiles across simulations, per size."""
        x = self.samples[model]
        mean = x.mean(axis=1)
        half = _Z95 * x.std(axis=1, ddof=1) / math.sqrt(x.shape[1])
        return {
            "mean": mean,
            "ci_low": mean - half,
            "ci_high": mean + half,
            "p05": np.percentile(x, 5, axis=1),
            "p95": np.percentile(x, 95, axis=1),
        }

    @property
    def assumptions(self) -> list[Assumption]:
        c = self.config
        return [
            Assumption("design", "x ~ N(0, I_p), y = x'β + ε", "", _PAPER + " (read as a sparse linear model)"),
            Assumption("features", c.features, "candidates p", "chosen to reproduce the headline shape"),
            Assumption("relevant", c.relevant, "features k", "chosen to reproduce the headline shape"),
            Assumption("noise", c.noise, "σ (units of y)", "chosen with p, k"),
            Assumption("coefficient", c.coefficient, "β_j of each relevant feature", "convention"),
            Assumption(
                "lasso_cv",
                f"{c.folds}-fold, {c.grid_size} penalties to {c.eps:g}·λ_max, patience {c.patience}",
                "",
                "scikit-learn LassoCV defaults (folds, grid)",
            ),
            Assumption("held_out_rows", c.test_size, "rows", "performance sample"),
            Assumption("flop_convention", "multiply-add = 2 FLOP; Gram formation counted", "", "flopcast"),
            Assumption("wall_seconds", round(self.wall_seconds, 3), "s", self.backend, Basis.MEASURED),
        ]

    def to_dict(self) -> dict:
        perf = {}
        for m in MODELS:
            s = self.model_summary(m)
            perf[m] = {k: v.tolist() for k, v in s.items()}
        return {
            "schema": SIMULATION_SCHEMA,
            "sample_sizes": list(self.sample_sizes),
            "performance": perf,
            "performance_definition": "mean over simulations of -log10(MSE(ŷ, f) / mean(f²)) on the held-out "
            "sample, f = optimal predictor; ci = 95 % CI of the mean, p05/p95 = "
            "spread across simulations",
            "compute_flop": {m: self.compute_flop[m].tolist() for m in MODELS},
            "data_to_match_oracle": self.data_to_match_oracle,
            "compute_to_match_oracle_flop": self.compute_to_match_oracle_flop,
            "lasso_alpha_median": np.median(self.alpha, axis=1).tolist(),
            "config": self.config.to_dict(),
            "assumptions": [a.to_dict() for a in self.assumptions],
            "run": {"backend": self.backend, "wall_seconds": self.wall_seconds},
        }


def _bootstrap_matches(config, sizes, samples, target_index):
    """95 % percentile intervals of the matching sizes, resampling simulations (oracle included)."""
    rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(2,)))
    sims = samples["oracle"].shape[1]
    found = {"flexible": [], "regularized": []}
    for _ in range(_BOOTSTRAP):
        pick = rng.integers(0, sims, size=(len(sizes), sims))
        means = {m: np.take_along_axis(samples[m], pick, axis=1).mean(axis=1) for m in MODELS}
        target = means["oracle"][target_index]
        for m in found:
            n = match_size(sizes, means[m], target)
            found[m].append(np.inf if n is None else n)
    out = {}
    for m, vals in found.items():
        vals = np.sort(vals)
        lo, hi = vals[int(0.025 * (len(vals) - 1))], vals[int(np.ceil(0.975 * (len(vals) - 1)))]
        out[m] = [float(lo) if np.isfinite(lo) else None, float(hi) if np.isfinite(hi) else None]
    return out


def summarize(
    config: SimulationConfig, chunks: list[ChunkResult], *, backend: str, wall_seconds: float
) -> SimulationResult:
    """Assemble task outputs (in any order) into a :class:`SimulationResult`."""
    sizes = config.all_sizes
    nmse = np.empty((3, len(sizes), config.sims))
    flop = np.empty((len(sizes), config.sims))
    alpha = np.empty((len(sizes), config.sims))
    for c in chunks:
        start = c.chunk_index * config.chunk_size
        stop = start + c.nmse.shape[1]
        nmse[:, c.size_index, start:stop] = c.nmse
        flop[c.size_index, start:stop] = c.lasso_flop
        alpha[c.size_index, start:stop] = c.alpha
    samples = {m: performance(nmse[i]) for i, m in enumerate(MODELS)}
    compute = {m: np.array([model_flop(m, n, config) for n in sizes]) for m in MODELS[:2]}
    compute["regularized"] = flop.mean(axis=1)
    ref = sizes.index(config.reference_n)
    means = {m: samples[m].mean(axis=1) for m in MODELS}
    target = float(means["oracle"][ref])
    matched = {m: match_size(sizes, means[m], target) for m in ("flexible", "regularized")}
    intervals = _bootstrap_matches(config, sizes, samples, ref)
    data = {
        "reference_n": config.reference_n,
        "target_performance": target,
        "flexible": matched["flexible"],
        "regularized": matched["regularized"],
        "flexible_interval": intervals["flexible"],
        "regularized_interval": intervals["regularized"],
        "interval": "95 % bootstrap percentile interval over simulations",
    }
    compute_match: dict[str, float | None] = {"oracle": float(compute["oracle"][ref])}
    for m in ("flexible", "regularized"):
        compute_match[m] = _interp_log(sizes, compute[m], matched[m])
    return SimulationResult(config, sizes, samples, compute, alpha, data, compute_match, backend, wall_seconds)
