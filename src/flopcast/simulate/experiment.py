"""The Figure 1 experiment: configuration, one simulation chunk, and the result.

Thompson et al. (2020, Fig. 1): an *oracle* (least squares on the k relevant features), a *flexible*
model (least squares on all p candidates, minimum-norm when n < p) and a *regularized* flexible
model (lasso, penalty by 5-fold cross-validation) are fitted to the same simulated data sets;
performance is ``-log10`` of the normalized mean squared error against the optimal predictor on a
held-out sample, averaged over simulations. See ``docs/simulate.md`` for the defaults and why.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from flopcast.errors import InputError
from flopcast.simulate.dgp import held_out_gram, sample_folds, true_coefficients
from flopcast.simulate.estimators import lasso_cv_setup_flop, least_squares, ols_flop
from flopcast.simulate.lasso import lasso_cv

MODELS = ("oracle", "flexible", "regularized")
DEFAULT_SIZES = (15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000)
#: noise / |coefficient| allowed. Below 1e-8 float64 rounding (eps 2.2e-16), not the noise, sets the fits' error
#: (measured: the oracle's performance leaves its exact -2·log10(noise) line near 1e-15 and is an exact 0 error at
#: 1e-20); above 1e100 the squared errors overflow float64.
NOISE_RATIO_RANGE = (1e-8, 1e100)


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate. Defaults reproduce the headline shape of the paper's Figure 1.

    Attributes
    ----------
    sims : int
        Simulations (independent data sets) per sample size.
    features : int
        Candidate features ``p`` (the flexible models use all of them).
    relevant : int
        Relevant features ``k`` (the oracle uses exactly these).
    noise : float
        Noise standard deviation ``σ`` (units of y).
    coefficient : float
        Coefficient of each relevant feature.
    sizes : tuple of int
        Training sample sizes ``n`` (rows).
    reference_n : int
        The oracle's sample size that the flexible models must match.
    folds : int
        Cross-validation folds for the lasso penalty.
    grid_size, eps : int, float
        Lasso penalty grid: ``grid_size`` values from ``λ_max`` to ``eps·λ_max``.
    patience : int or None
        Early stop of the lasso-CV path after this many grid points without improvement.
    test_size : int
        Rows of the held-out sample the performance is measured on.
    chunk : int or None
        Simulations per task (the unit of parallel work and of seeding); None: 50, fewer for large
        ``features`` so a task's Gram matrices stay near 200 MB (a function of the configuration
        only, never of the workers).
    seed : int
        Root seed; results depend on it and on nothing about the workers.
    """

    sims: int = 1000
    features: int = 120
    relevant: int = 2
    noise: float = 1.0
    coefficient: float = 1.0
    sizes: tuple[int, ...] = DEFAULT_SIZES
    reference_n: int = 15
    folds: int = 5
    grid_size: int = 100
    eps: float = 1e-3
    patience: int | None = 10
    test_size: int = 100_000
    chunk: int | None = None
    seed: int = 0

    def validate(self) -> SimulationConfig:
        """Raise :class:`InputError` naming the bad option; return self."""
        _check_types(self)
        if self.seed < 0:
            raise InputError(f"--seed must be a non-negative whole number (got {self.seed}); e.g. --seed 0")
        if self.sims < 2:
            raise InputError(f"--sims must be at least 2 to give an interval across simulations (got {self.sims})")
        if self.features < 1 or self.relevant < 1:
            raise InputError(f"--features and --relevant must be positive (got P={self.features}, K={self.relevant})")
        if self.relevant > self.features:
            raise InputError(
                f"--relevant K={self.relevant} exceeds --features P={self.features}: the relevant "
                "features are among the candidates; lower K or raise P"
            )
        if not (math.isfinite(self.noise) and self.noise > 0):
            raise InputError(
                f"--noise must be a positive number (got {self.noise}); it is the noise standard deviation"
            )
        if not (math.isfinite(self.coefficient) and self.coefficient != 0):
            raise InputError(f"the relevant coefficient must be a non-zero number (got {self.coefficient})")
        ratio = self.noise / abs(self.coefficient)
        if not NOISE_RATIO_RANGE[0] <= ratio <= NOISE_RATIO_RANGE[1]:
            raise InputError(
                f"--noise {self.noise:g} is {ratio:.3g}x the relevant coefficient "
                f"({self.coefficient:g}), where rounding or overflow, not the noise, would set the "
                f"result; choose a noise between {NOISE_RATIO_RANGE[0]:g} and "
                f"{NOISE_RATIO_RANGE[1]:g} times it (default 1)"
            )
        if self.folds < 2:
            raise InputError(f"--folds must be at least 2 (got {self.folds})")
        low = [n for n in (*self.sizes, self.reference_n) if n < self.folds]
        if not self.sizes or low:
            raise InputError(
                f"sample sizes must be integers >= --folds ({self.folds}) so every CV fold has a "
                f"row; got {sorted(set(low)) or 'none'}"
            )
        bad_chunk = self.chunk is not None and self.chunk < 1
        if self.test_size < 1 or bad_chunk or self.grid_size < 2 or not 0 < self.eps < 1:
            raise InputError("--test-size, --chunk must be >= 1, the grid >= 2 points and 0 < eps < 1")
        if self.patience is not None and self.patience < 1:
            raise InputError(f"--patience must be >= 1 (got {self.patience}); omit it to walk the whole path")
        return self

    def peak_bytes_per_worker(self) -> float:
        """Approximate memory one worker holds: the held-out Gram plus one task's fold arrays (``chunk_size``)."""
        return 8.0 * self.features**2 * (1 + 3 * (self.folds + 1) * self.chunk_size)

    @property
    def chunk_size(self) -> int:
        """Simulations per task (see ``chunk``)."""
        if self.chunk is not None:
            return self.chunk
        per_sim_bytes = 8 * 3 * (self.folds + 1) * self.features**2  # fold, training and path arrays
        return int(max(1, min(50, 200e6 // per_sim_bytes)))

    @property
    def all_sizes(self) -> tuple[int, ...]:
        """Sorted sizes including ``reference_n``."""
        return tuple(sorted({*self.sizes, self.reference_n}))

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


_INTEGER_FIELDS = ("sims", "features", "relevant", "reference_n", "folds", "grid_size", "test_size", "seed")
_OPTIONAL_INTEGER_FIELDS = ("patience", "chunk")


def _is_whole(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_types(config: SimulationConfig) -> None:
    """Counts are whole numbers and quantities numbers, before any comparison (a clear message, not a
    numpy ``ValueError`` from deep in the run); ranges are checked by ``validate``."""
    for name in _INTEGER_FIELDS + _OPTIONAL_INTEGER_FIELDS:
        value = getattr(config, name)
        if value is None and name in _OPTIONAL_INTEGER_FIELDS:
            continue
        if not _is_whole(value):
            raise InputError(f"--{name.replace('_', '-')} must be a whole number (got {value!r})")
    if not all(_is_whole(n) for n in config.sizes):
        raise InputError(f"--sizes must be whole numbers of observations (got {config.sizes!r}); e.g. --sizes 15,50")
    for name in ("noise", "coefficient", "eps"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InputError(f"{name} must be a number (got {value!r})")


@dataclass(frozen=True)
class ChunkResult:
    """Per-simulation outcomes of one (size, chunk) task."""

    size_index: int
    chunk_index: int
    nmse: np.ndarray  # (3, b): oracle, flexible, regularized
    lasso_flop: np.ndarray  # (b,)
    alpha: np.ndarray  # (b,)
    knots: np.ndarray | None = field(default=None)  # (b,)


def chunk_seed(seed: int, size_index: int, chunk_index: int) -> np.random.SeedSequence:
    """The seed of one task: a pure function of the root seed and the task's position."""
    return np.random.SeedSequence(seed, spawn_key=(1, size_index, chunk_index))


def test_gram(config: SimulationConfig) -> np.ndarray:
    """Second-moment matrix of the held-out sample (seeded apart from every task)."""
    rng = np.random.default_rng(np.random.SeedSequence(config.seed, spawn_key=(0,)))
    return held_out_gram(rng, config.test_size, config.features)


def run_chunk(config: SimulationConfig, size_index: int, chunk_index: int, sigma_test: np.ndarray) -> ChunkResult:
    """Simulate one chunk of data sets of one size and fit the three models to each.

    ``sigma_test`` is the held-out sample's second-moment matrix (:func:`test_gram`).
    """
    n = config.all_sizes[size_index]
    b = min(config.chunk_size, config.sims - chunk_index * config.chunk_size)
    rng = np.random.default_rng(chunk_seed(config.seed, size_index, chunk_index))
    beta = true_coefficients(config.features, config.relevant, config.coefficient)
    stats = sample_folds(rng, b, n, config.folds, beta, config.noise)
    k = config.relevant
    fits = []
    oracle = np.zeros((b, config.features))
    oracle[:, :k] = least_squares(stats, k)
    fits.append(oracle)
    fits.append(least_squares(stats, config.features))
    lasso = lasso_cv(
        [s.gram for s in stats],
        [s.xty for s in stats],
        [s.yty for s in stats],
        [s.n for s in stats],
        grid_size=config.grid_size,
        eps=config.eps,
        patience=config.patience,
    )
    fits.append(lasso.coef)
    signal = beta @ sigma_test @ beta
    nmse = np.empty((3, b))
    for i, coef in enumerate(fits):
        d = coef - beta
        nmse[i] = np.einsum("bi,ij,bj->b", d, sigma_test, d) / signal
    flop = lasso.path_flop + lasso_cv_setup_flop(n, config.features, config.folds)
    return ChunkResult(size_index, chunk_index, nmse, flop, lasso.alpha, lasso.knots)


def model_flop(model: str, n: int, config: SimulationConfig) -> float:
    """FLOP of one oracle or flexible fit (closed form, :func:`ols_flop`)."""
    return ols_flop(n, config.relevant if model == "oracle" else config.features)
