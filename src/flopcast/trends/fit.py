"""Performance-vs-computation fits of Thompson et al. (2020): two functional forms, OLS, intervals.

With ``x = log10(C)`` (C in FLOP) and ``e`` the error in percent:

``polynomial``   ``log10(e) = a + b·x``   → ``C ∝ e^(1/b)``: computation grows as ``(1/e)^k``, ``k = −1/b``
``exponential``  ``e = a + b·x``          → each ``−b`` points of error cost 10× the computation

Fits are ordinary least squares (statsmodels) with 95% confidence intervals, R² and n; the slope's
robustness is checked by leave-one-out refits and a fixed-seed pairs bootstrap. Inverting a fit for
a target error uses Fieller's method, so the interval on the computation is exact for the OLS model
(and unbounded when the slope is not distinguishable from zero at the chosen level).

Cost: every step is O(n) in memory. Leave-one-out is closed form from the hat-matrix diagonal
(O(n) time); the pairs bootstrap draws its resamples in chunks of at most ``BOOTSTRAP_CHUNK_ELEMENTS``
indices (O(B·n) time, O(chunk) memory) up to ``BOOTSTRAP_EXACT_MAX_N`` rows, and above that is a
bag of little bootstraps (O(B·n^0.6) time and memory), so 1,000,000 rows fit in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from flopcast.trends.data import TooFewRowsError

FORMS = ("polynomial", "exponential")
CONFIDENCE = 0.95
BOOTSTRAP_SEED = 20200710  # Thompson et al. arXiv v1 date; fixed so results are deterministic
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_MIN_N = 6  # below this, resamples repeat the same few points and the percentiles mean little
BOOTSTRAP_CHUNK_ELEMENTS = 1 << 20  # resampled indices held at once (8 MiB); bounds the bootstrap's memory
BOOTSTRAP_EXACT_MAX_N = 20_000  # above this the B·n pairs bootstrap costs minutes: bag of little bootstraps
# Bag of little bootstraps (Kleiner, Talwalkar, Sarkar & Jordan 2014, JRSS-B 76(4), arXiv:1112.5016):
# subsets of b = n^gamma rows, gamma in [0.6, 0.9] recommended (https://nencydhameja.com/stats-course/blb.html
# summarising the paper); 0.6, the cheap end, still gives b ≈ 4,000 rows per subset at n = 10⁶ for a 2-parameter
# fit. s subsets x r reweighted resamples, chosen here so that s·r = BOOTSTRAP_RESAMPLES.
BLB_GAMMA = 0.6
BLB_SUBSETS = 20
BLB_RESAMPLES = BOOTSTRAP_RESAMPLES // BLB_SUBSETS


@dataclass(frozen=True)
class Fit:
    """One OLS fit of error against log10(computation).

    ``y`` is ``log10(error %)`` for the polynomial form and ``error %`` for the exponential form.
    """

    benchmark: str
    measure: str
    form: str
    frontier: bool
    n: int
    intercept: float
    slope: float
    slope_ci: tuple[float, float]
    slope_se: float
    r2: float
    residual_sd: float  # s, in y units
    x_mean: float  # mean log10(FLOP)
    sxx: float  # Σ(x − x̄)²
    log10_flop_min: float
    log10_flop_max: float
    loo_slope_range: tuple[float, float]  # min/max slope over leave-one-out refits
    bootstrap_slope_ci: tuple[float, float]  # 2.5/97.5 percentiles, pairs bootstrap (fixed seed); NaN if n < 6
    confidence: float = CONFIDENCE
    bootstrap_method: str = "pairs"  # "pairs" (n <= 20,000) or "bag of little bootstraps (b=...)"

    @property
    def exponent(self) -> float | None:
        """k in C ∝ (1/error)^k (polynomial form only): ``−1/b``; None if b ≥ 0."""
        if self.form != "polynomial" or self.slope >= 0:
            return None
        return -1.0 / self.slope

    @property
    def exponent_ci(self) -> tuple[float, float] | None:
        """k's interval from the slope's CI; the upper end is ∞ when the slope CI reaches 0."""
        if self.form != "polynomial" or self.slope >= 0:
            return None
        lo, hi = self.slope_ci
        k_lo = -1.0 / lo if lo < 0 else math.inf
        k_hi = -1.0 / hi if hi < 0 else math.inf
        return (min(k_lo, k_hi), max(k_lo, k_hi))

    def predict_y(self, log10_flop: np.ndarray | float) -> np.ndarray | float:
        return self.intercept + self.slope * np.asarray(log10_flop, dtype=float)

    def predict_error(self, log10_flop: np.ndarray | float) -> np.ndarray | float:
        """Predicted error (%) at ``log10(FLOP)`` (exponential form may go below zero: it says so)."""
        y = self.predict_y(log10_flop)
        return 10.0**y if self.form == "polynomial" else y

    def band(self, log10_flop: np.ndarray, *, prediction: bool) -> tuple[np.ndarray, np.ndarray]:
        """Lower/upper 95% band in *error* units at ``log10_flop`` (confidence or prediction)."""
        from scipy import stats

        x = np.asarray(log10_flop, dtype=float)
        t = stats.t.ppf(0.5 + self.confidence / 2, self.n - 2)
        h = 1.0 / self.n + (x - self.x_mean) ** 2 / self.sxx + (1.0 if prediction else 0.0)
        y = self.predict_y(x)
        half = t * self.residual_sd * np.sqrt(h)
        lo, hi = y - half, y + half
        if self.form == "polynomial":
            return 10.0**lo, 10.0**hi
        return lo, hi

    def to_dict(self) -> dict:
        d = {
            "benchmark": self.benchmark,
            "measure": self.measure,
            "form": self.form,
            "frontier": self.frontier,
            "n": self.n,
            "intercept": self.intercept,
            "slope": self.slope,
            "slope_ci": list(self.slope_ci),
            "slope_se": self.slope_se,
            "r2": self.r2,
            "residual_sd": self.residual_sd,
            "flop_range": [10.0**self.log10_flop_min, 10.0**self.log10_flop_max],
            "loo_slope_range": list(self.loo_slope_range),
            "bootstrap_slope_ci": list(self.bootstrap_slope_ci),
            "bootstrap_method": self.bootstrap_method,
            "confidence": self.confidence,
            "y": "log10(error %)" if self.form == "polynomial" else "error %",
            "x": "log10(FLOP)",
        }
        if self.form == "polynomial":
            d["exponent"] = self.exponent
            d["exponent_ci"] = list(self.exponent_ci) if self.exponent_ci else None
        return d


def response(error_pct: np.ndarray, form: str) -> np.ndarray:
    """The fitted y for a form: ``log10(error)`` (polynomial) or ``error`` (exponential)."""
    if form == "polynomial":
        return np.log10(error_pct)
    if form == "exponential":
        return np.asarray(error_pct, dtype=float)
    raise ValueError(f"unknown form {form!r}; use one of {FORMS}")


def _slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS slopes of each row of (x, y) stacked as 2-D arrays (vectorised, for resampling).

    A row whose x values differ by no more than the rounding of their mean (all equal, as when a
    resample or a leave-one-out refit keeps one distinct x) has no slope: NaN, not a quotient of
    rounding errors.
    """
    xm = x - x.mean(axis=-1, keepdims=True)
    ym = y - y.mean(axis=-1, keepdims=True)
    sxx = (xm * xm).sum(axis=-1)
    rounding = x.shape[-1] * (4 * np.finfo(float).eps * np.abs(x).max(axis=-1, initial=0.0)) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sxx > rounding, (xm * ym).sum(axis=-1) / sxx, np.nan)


def loo_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Slope of each leave-one-out refit, closed form: O(n) time and memory, no n×n matrix.

    With the design ``[1, u]``, ``u = x − x̄`` (same hat matrix as ``[1, x]``, better conditioned),
    ``h_ii = 1/n + u_i²/Sxx`` is the row-wise ``x_iᵀ(XᵀX)⁻¹x_i`` and dropping row i moves the
    coefficients by ``(XᵀX)⁻¹ x_i e_i / (1 − h_ii)`` (Belsley, Kuh & Welsch 1980, DFBETA), so
    ``b_(i) = b − u_i e_i / (Sxx (1 − h_ii))``. A refit whose other rows share one x (h_ii = 1)
    has no slope: NaN, as the brute-force refit gives. Where 1 − h_ii < 1e-6 the downdate loses digits
    (its rounding grows as 1/(1 − h_ii)); those rows, at most two since Σh_ii = 2, are refitted
    directly, O(n) each.
    """
    u = x - x.mean()
    v = y - y.mean()
    sxx = float(u @ u)
    b = float(u @ v) / sxx
    e = v - b * u
    h = 1.0 / len(x) + u * u / sxx
    keep = 1.0 - h
    with np.errstate(invalid="ignore", divide="ignore"):
        out = b - u * e / (sxx * keep)
    for i in np.flatnonzero(keep < 1e-6):
        rest = np.delete(np.arange(len(x)), i)
        out[i] = _slopes(x[rest][None, :], y[rest][None, :])[0]  # NaN where the others share one x
    return out


def _pairs_bootstrap(x: np.ndarray, y: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """Slopes of ``resamples`` pairs-bootstrap refits, drawn in chunks: O(B·n) time, O(chunk) memory.

    Chunks hold an even number of rows, so the generator yields the same indices as one
    ``integers(0, n, size=(B, n))`` call (its 32-bit draws come in pairs) and the result is the same.
    """
    n = len(x)
    rng = np.random.default_rng(seed)
    rows = max(2, (BOOTSTRAP_CHUNK_ELEMENTS // n) // 2 * 2)
    out = []
    for start in range(0, resamples, rows):
        idx = rng.integers(0, n, size=(min(rows, resamples - start), n))
        out.append(_slopes(x[idx], y[idx]))
    return np.concatenate(out)


def _weighted_slopes(w: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Slopes of weighted least squares, one per row of integer weights ``w`` (r × b): O(r·b)."""
    total = w.sum(axis=1)
    su, sv = w @ u, w @ v
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w @ (u * v) - su * sv / total) / (w @ (u * u) - su * su / total)


@lru_cache(maxsize=1)
def _blb_draws(n: int, seed: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The bag of little bootstraps' random draws for n rows: (subset rows, Multinomial(n, 1/b) counts).

    They depend on (n, seed) only, so the fits of one table (two forms, two measures) share them:
    one cached set, s·r·b int32 counts (≈ 32 MB at n = 10⁶).
    """
    b = math.ceil(n**BLB_GAMMA)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(BLB_SUBSETS):
        sub = np.sort(rng.choice(n, size=b, replace=False))
        w = rng.multinomial(n, np.full(b, 1.0 / b), size=BLB_RESAMPLES).astype(np.int32)
        sub.flags.writeable = w.flags.writeable = False
        draws.append((sub, w))
    return tuple(draws)


def _little_bootstraps(x: np.ndarray, y: np.ndarray, tail: float, seed: int) -> tuple[tuple[float, float], str]:
    """Bag of little bootstraps percentile CI of the slope: O(s·r·n^γ) time and memory.

    Each of s subsets of b = n^γ rows (without replacement) is reweighted r times with
    Multinomial(n, 1/b) counts, which mimics a size-n pairs resample; each subset gives a
    percentile interval and the endpoints are averaged over subsets (Kleiner et al. 2014).
    """
    draws = _blb_draws(len(x), seed)
    lows, highs = [], []
    for sub, w in draws:
        u, v = x[sub] - x[sub].mean(), y[sub] - y[sub].mean()
        slopes = _weighted_slopes(w.astype(float), u, v)
        slopes = slopes[np.isfinite(slopes)]
        if slopes.size:
            lows.append(np.percentile(slopes, tail))
            highs.append(np.percentile(slopes, 100 - tail))
    method = f"bag of little bootstraps (b={len(draws[0][0])}, s={BLB_SUBSETS}, r={BLB_RESAMPLES})"
    if not lows:
        return (math.nan, math.nan), method
    return (float(np.mean(lows)), float(np.mean(highs))), method


def bootstrap_slope_ci(
    x: np.ndarray, y: np.ndarray, confidence: float = CONFIDENCE, seed: int = BOOTSTRAP_SEED
) -> tuple[tuple[float, float], str]:
    """Percentile interval of the slope and the method used; NaN below ``BOOTSTRAP_MIN_N`` rows.

    Up to ``BOOTSTRAP_EXACT_MAX_N`` rows: the pairs bootstrap with ``BOOTSTRAP_RESAMPLES`` resamples;
    above, the bag of little bootstraps with as many resamples. Memory is O(chunk) or O(B·n^0.6).
    """
    n = len(x)
    tail = (1 - confidence) / 2 * 100
    if n < BOOTSTRAP_MIN_N:
        return (math.nan, math.nan), "pairs"
    if n > BOOTSTRAP_EXACT_MAX_N:
        return _little_bootstraps(x, y, tail, seed)
    boot = _pairs_bootstrap(x, y, BOOTSTRAP_RESAMPLES, seed)
    boot = boot[np.isfinite(boot)]
    return (float(np.percentile(boot, tail)), float(np.percentile(boot, 100 - tail))), "pairs"


def fit_xy(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    benchmark: str = "",
    measure: str = "",
    form: str = "",
    frontier: bool = False,
    confidence: float = CONFIDENCE,
) -> Fit:
    """OLS of ``y`` on ``x`` with intervals and robustness checks (needs ≥ 3 points and 2 distinct x).

    O(n) memory throughout (statsmodels' OLS of an n×2 design, closed-form leave-one-out, chunked
    or little bootstraps); time O(n) plus the bootstrap's (see :func:`bootstrap_slope_ci`).
    """
    from statsmodels.regression.linear_model import OLS  # not statsmodels.api: that import takes seconds

    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    n = len(xa)
    if n < 3:
        raise TooFewRowsError(
            f"{benchmark or 'data'} ({measure}): {n} usable row(s); a fit needs at least 3 "
            "rows with a score and a computation value"
        )
    if np.ptp(xa) == 0:
        raise TooFewRowsError(
            f"{benchmark or 'data'} ({measure}): every row has the same computation; "
            "a fit needs at least two different values"
        )
    res = OLS(ya, np.column_stack([np.ones_like(xa), xa])).fit()
    a, b = (float(v) for v in res.params)
    ci = res.conf_int(alpha=1 - confidence)
    xm = float(xa.mean())
    sxx = float(((xa - xm) ** 2).sum())
    sd = float(math.sqrt(res.scale)) if n > 2 else float("nan")
    loo = loo_slopes(xa, ya)
    boot_ci, method = bootstrap_slope_ci(xa, ya, confidence)
    return Fit(
        benchmark=benchmark,
        measure=measure,
        form=form,
        frontier=frontier,
        n=n,
        intercept=a,
        slope=b,
        slope_ci=(float(ci[1][0]), float(ci[1][1])),
        slope_se=float(res.bse[1]),
        r2=float(res.rsquared),
        residual_sd=sd,
        x_mean=xm,
        sxx=sxx,
        log10_flop_min=float(xa.min()),
        log10_flop_max=float(xa.max()),
        loo_slope_range=(float(np.nanmin(loo)), float(np.nanmax(loo))),
        bootstrap_slope_ci=boot_ci,
        confidence=confidence,
        bootstrap_method=method,
    )


def fit_trend(
    flop: Sequence[float | None] | np.ndarray, error_pct: Sequence[float] | np.ndarray, form: str, **labels
) -> Fit:
    """Fit one form to (computation in FLOP, error in %) pairs."""
    f = np.asarray(flop, dtype=float)
    e = np.asarray(error_pct, dtype=float)
    if np.any(f <= 0) or np.any(e <= 0):
        raise ValueError("computation and error must be > 0")
    return fit_xy(np.log10(f), response(e, form), form=form, **labels)


@dataclass(frozen=True)
class Inversion:
    """log10(FLOP) needed for a target error, with Fieller interval bounds (None = unbounded)."""

    log10_flop: float
    low: float | None
    high: float | None
    interval: str  # "confidence" or "prediction"


def invert(fit: Fit, target_error_pct: float, *, interval: str = "prediction") -> Inversion:
    """Computation at which the fitted line reaches ``target_error_pct``, with a Fieller interval.

    The interval is the set of x whose ``interval`` band (confidence: the mean line; prediction: a
    new result) contains the target. With ``u = x − x̄`` and ``d = y* − ȳ`` it solves
    ``(d − b·u)² ≤ t²·s²·(c + 1/n + u²/Sxx)`` (c = 1 for prediction, 0 for confidence), a quadratic
    in u (Fieller 1954). If ``b² ≤ t²·se_b²`` the set is unbounded and the bounds are None.
    """
    from scipy import stats

    if interval not in ("confidence", "prediction"):
        raise ValueError("interval must be 'confidence' or 'prediction'")
    y_star = float(response(np.array([target_error_pct]), fit.form)[0])
    x_star = (y_star - fit.intercept) / fit.slope
    t = float(stats.t.ppf(0.5 + fit.confidence / 2, fit.n - 2))
    s2 = fit.residual_sd**2
    c = 1.0 if interval == "prediction" else 0.0
    y_bar = fit.intercept + fit.slope * fit.x_mean
    d = y_star - y_bar
    qa = fit.slope**2 - t * t * s2 / fit.sxx
    if qa <= 0:
        return Inversion(x_star, None, None, interval)
    qb = -2.0 * fit.slope * d
    qc = d * d - t * t * s2 * (c + 1.0 / fit.n)
    disc = qb * qb - 4 * qa * qc
    root = math.sqrt(max(disc, 0.0))
    u1, u2 = (-qb - root) / (2 * qa), (-qb + root) / (2 * qa)
    return Inversion(x_star, fit.x_mean + min(u1, u2), fit.x_mean + max(u1, u2), interval)


def polynomial_fit(fits: Sequence[Fit], measure: str | None = None) -> Fit | None:
    """The all-rows polynomial fit (not the frontier one) of ``measure`` (any measure: None), or None."""
    return next((f for f in fits if f.form == "polynomial" and not f.frontier and measure in (None, f.measure)), None)


__all__ = [
    "BOOTSTRAP_EXACT_MAX_N",
    "BOOTSTRAP_MIN_N",
    "BOOTSTRAP_RESAMPLES",
    "BOOTSTRAP_SEED",
    "CONFIDENCE",
    "FORMS",
    "Fit",
    "Inversion",
    "bootstrap_slope_ci",
    "fit_trend",
    "fit_xy",
    "invert",
    "loo_slopes",
    "polynomial_fit",
    "response",
]
