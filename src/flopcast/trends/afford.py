"""What makes a target affordable: the efficiency needed, the year the trends close the gap, and levers.

The paper ends with "a scale for the efficiency improvements that would be needed"; this makes the scale a
computation. For one benchmark, target error and budget:

- **Efficiency needed** = cost of the target at the base year ÷ budget, a factor with its 95% interval.
- **When affordable**: the cost falls by hardware price-performance (fitted here,
  :mod:`flopcast.trends.price_performance`) and algorithmic progress (cited rates, :data:`ALGORITHMIC`); CO2
  falls by algorithmic progress and hardware energy efficiency (fitted, :mod:`flopcast.trends.energy_efficiency`;
  the grid's intensity is held fixed); an optional spending growth (Cottier et al. 2024) raises the budget
  instead. The year is
  ``base + log10(gap) / (total decades per year)``.
- **Levers**: multipliers on FLOP, FLOP/s or $ (:func:`parse_lever`), combined, each with the decades of
  the gap it closes.

Uncertainty is vectorized Monte Carlo (:data:`DRAWS` draws, fixed seed). Each draw takes the fit's
parameters from their sampling distribution (centred OLS: mean ~ N(ȳ, σ²/n), slope ~ N(b, σ²/Sxx),
σ² = s²(n−2)/χ²(n−2)) plus a new residual, and inverts the line at the target: the Monte Carlo form of the
Fieller prediction interval :func:`flopcast.trends.fit.invert` gives. Each rate is drawn from its CI
(the fitted slope's t distribution; a cited doubling time as a log-normal whose 95% (or stated) interval is
the cited one). Cost: O(D) time and memory for D draws, O(D·Y) for the Y-year cost curve; independent of
the number of benchmark rows (the fit is summarised by n, ȳ, b, s, Sxx).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from flopcast.errors import InputError
from flopcast.provenance import Assumption, Basis
from flopcast.trends.data import get_benchmark
from flopcast.trends.energy_efficiency import energy_efficiency_trend
from flopcast.trends.fit import BOOTSTRAP_SEED, Fit, response
from flopcast.trends.levers import REFERENCE_HARDWARE, Lever, parse_levers
from flopcast.trends.price_performance import price_performance_trend

DRAWS = 10_000
SEED = BOOTSTRAP_SEED  # the one fixed seed of the trends fits (Thompson et al. arXiv v1 date)
LOG10_2 = math.log10(2.0)
THOMPSON_BASE_YEAR = 2020  # the paper's $ and CO2 factors: arXiv:2007.05558v1, 10 Jul 2020
CURVE_YEARS = 60  # years drawn in the cost curve after the base year


@dataclass(frozen=True)
class Rate:
    """A doubling time (years) with its interval; ``ci=None`` is a fixed value (given by the user)."""

    name: str
    doubling_years: float
    ci: tuple[float, float] | None
    confidence: float
    source: str
    basis: Basis = Basis.ASSUMED

    def draws(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Doublings per year, log-normal in the doubling time (median = the point, CI = the cited one)."""
        if self.ci is None:
            return np.full(n, 1.0 / self.doubling_years)
        from scipy import stats

        z = stats.norm.ppf(0.5 + self.confidence / 2)
        sigma = (math.log(self.ci[1]) - math.log(self.ci[0])) / (2 * z)
        return 1.0 / np.exp(math.log(self.doubling_years) + sigma * rng.standard_normal(n))

    def assumption(self) -> Assumption:
        ci = "" if self.ci is None else f" [{self.ci[0]:.3g}, {self.ci[1]:.3g}] ({self.confidence:.0%} CI)"
        return Assumption(self.name, self.doubling_years, "years per doubling" + ci, self.source, self.basis)


_ERDIL = (
    "Erdil & Besiroglu 2022, Algorithmic progress in computer vision, arXiv:2212.05153 (abstract): "
    "compute-augmenting innovations halve compute requirements every nine months (95% CI: 4 to 25 months)"
)
_HO = (
    "Ho et al. 2024, Algorithmic progress in language models, arXiv:2403.05812v1 (abstract): compute to "
    "reach a set performance halved about every 8 months, 95% CI around 5 to 14 months (language-model "
    "pre-training; applied here to the NLP benchmarks as an assumption)"
)
ALGORITHMIC = {
    "vision": Rate("algorithmic_doubling", 9 / 12, (4 / 12, 25 / 12), 0.95, _ERDIL),
    "language": Rate("algorithmic_doubling", 8 / 12, (5 / 12, 14 / 12), 0.95, _HO),
}
SPENDING = Rate(
    "spending_doubling",
    LOG10_2 / math.log10(2.4),
    (LOG10_2 / math.log10(2.9), LOG10_2 / math.log10(2.0)),
    0.90,
    "Cottier et al. 2024, The rising costs of training frontier AI models, arXiv:2405.21015 "
    "(abstract): amortized cost of the most compute-intensive training runs grew 2.4x per year since "
    "2016 (90% CI: 2.0x to 2.9x); a frontier lab's spending, applied to this budget as an assumption",
)


@dataclass(frozen=True)
class Gap:
    """One budget (USD or CO2) against the target's cost: efficiency needed and the year it closes."""

    quantity: str  # "usd" or "co2e_t"
    budget: float
    cost: float | None  # at the base year, point estimate (the fit's line), levers applied
    cost_interval: tuple[float | None, ...]  # None: beyond 1e300 or never reached
    efficiency_needed: float | None  # cost / budget (point); < 1 means affordable now
    efficiency_interval: tuple[float | None, ...]
    year: float | None  # point: base + log10(gap)/rate; None = never under the trends
    year_interval: tuple[float | None, float | None]
    p_by_year: float | None  # share of draws affordable by the asked --year
    cost_at_year: tuple[float | None, ...] | None  # (median, low, high) cost in the asked year
    curve: tuple[tuple[float | None, ...], ...]  # (year, median, low, high, budget)
    rates: tuple[str, ...]  # which rates move this gap
    levers: bool = False  # whether the levers are applied to this cost

    def to_dict(self) -> dict:
        return {
            "quantity": self.quantity,
            "budget": self.budget,
            "cost_at_base_year": self.cost,
            "cost_interval": list(self.cost_interval),
            "efficiency_needed": self.efficiency_needed,
            "efficiency_interval": list(self.efficiency_interval),
            "year_affordable": self.year,
            "year_interval": list(self.year_interval),
            "p_affordable_by_year": self.p_by_year,
            "cost_at_year": list(self.cost_at_year) if self.cost_at_year else None,
            "rates": list(self.rates),
            "levers_applied": self.levers,
            "curve": [{"year": y, "median": m, "low": lo, "high": hi, "budget": b} for y, m, lo, hi, b in self.curve],
        }


@dataclass(frozen=True)
class Affordability:
    """What makes one target affordable, from one fit (a form) of one benchmark's training measure."""

    benchmark: str
    form: str
    target_error: float
    n: int
    r2: float
    slope_significant: bool
    base_year: int
    by_year: int | None
    gaps: tuple[Gap, ...]
    levers: tuple[Lever, ...]
    assumptions: tuple[Assumption, ...]
    draws: int = DRAWS
    seed: int = SEED
    interval: str = "95% Monte Carlo (fit prediction interval x rate CIs)"

    def to_dict(self) -> dict:
        return {
            "schema": "flopcast.affordability/1",
            "benchmark": self.benchmark,
            "form": self.form,
            "target_error": self.target_error,
            "n": self.n,
            "r2": self.r2,
            "slope_significant": self.slope_significant,
            "base_year": self.base_year,
            "year": self.by_year,
            "gaps": [g.to_dict() for g in self.gaps],
            "levers": [lv.to_dict() for lv in self.levers],
            "assumptions": [a.to_dict() for a in self.assumptions],
            "draws": self.draws,
            "seed": self.seed,
            "interval": self.interval,
        }


def log10_flop_draws(fit: Fit, target_error_pct: float, rng: np.random.Generator, n: int) -> np.ndarray:
    """log10(FLOP) to reach the target, one per draw; +inf where the drawn slope does not fall."""
    y_star = float(response(np.array([target_error_pct]), fit.form)[0])
    dof = fit.n - 2
    sd = fit.residual_sd * np.sqrt(dof / rng.chisquare(dof, n))
    y_bar = fit.intercept + fit.slope * fit.x_mean + sd / math.sqrt(fit.n) * rng.standard_normal(n)
    slope = fit.slope + sd / math.sqrt(fit.sxx) * rng.standard_normal(n)
    resid = sd * rng.standard_normal(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = fit.x_mean + (y_star - y_bar - resid) / slope
    return np.where(slope < 0, x, np.inf)


def given_rate(name: str, doubling_years: float) -> Rate:
    """A rate the user fixed (no interval)."""
    return Rate(name, doubling_years, None, 0.95, "given by the user", Basis.GIVEN)


def _fitted_rate(name: str, trend: Any, detail: str) -> Rate:
    """A fitted log10-per-year trend's doubling time, its slope CI as the interval."""
    source = f"fitted: {trend.source}, n = {trend.fit.n}, R2 {trend.fit.r2:.2f}{detail}"
    return Rate(name, trend.doubling_years, trend.doubling_years_ci, 0.95, source, Basis.ESTIMATED)


def hardware_rate(doubling_years: float | None) -> Rate:
    """Price-performance: the user's doubling time, or the fitted trend's (its slope CI as the interval)."""
    if doubling_years is not None:
        return given_rate("price_performance_doubling", doubling_years)
    return _fitted_rate("price_performance_doubling", price_performance_trend(), " (flopcast.trends.price_performance)")


def energy_rate(doubling_years: float | None) -> Rate:
    """Energy efficiency (FLOP/s per W): the user's doubling time, or the fitted trend's (its slope CI)."""
    if doubling_years is not None:
        return given_rate("energy_efficiency_doubling", doubling_years)
    t = energy_efficiency_trend()
    detail = (
        f", {t.per_year:.2f}x per year "
        "(flopcast.trends.energy_efficiency; Epoch AI's page: 1.5x per year for leading ML hardware)"
    )
    return _fitted_rate("energy_efficiency_doubling", t, detail)


def _fitted_draws(rate: Rate, fit: Fit, rng: np.random.Generator, n: int) -> np.ndarray:
    """Doublings per year of a fitted log10-per-year trend: its slope's t distribution (or the user's value)."""
    if rate.basis == Basis.GIVEN:
        return np.full(n, 1.0 / rate.doubling_years)
    return (fit.slope + fit.slope_se * rng.standard_t(fit.n - 2, n)) / LOG10_2


def _q(a: np.ndarray, p: float) -> float:
    """The p-quantile by rank (inf-safe: no interpolation between an infinite and a finite draw)."""
    s = np.sort(a)
    return float(s[min(len(s) - 1, round(p * (len(s) - 1)))])


def _years(gap_decades: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Years until the gap closes; 0 when already affordable, inf when the rate does not close it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(rate > 0, gap_decades / rate, np.inf)
    return np.where(gap_decades <= 0, 0.0, y)


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _p10(v: float) -> float | None:
    """10**v, or None (JSON null, printed 'never'/'unbounded') where it is not a finite float."""
    return 10.0**v if math.isfinite(v) and abs(v) < 300 else None


def _p10s(*vs: float) -> tuple[float | None, ...]:
    return tuple(_p10(v) for v in vs)


def gap(
    quantity: str,
    log10_cost: np.ndarray,
    point_log10_cost: float,
    budget: float,
    fall: np.ndarray,
    grow: np.ndarray,
    base_year: int,
    by_year: int | None,
    rates: Sequence[str],
    levers: bool = False,
) -> Gap:
    """Efficiency needed and the year affordable for one budget; ``fall``/``grow`` in decades per year."""
    lb = math.log10(budget)
    need = log10_cost - lb
    years = _years(need, fall + grow)
    point_years = _years(np.array([point_log10_cost - lb]), np.array([np.median(fall + grow)]))[0]
    cost_at = p_by = None
    if by_year is not None:
        dt = by_year - base_year
        c = log10_cost - fall * dt
        cost_at = _p10s(_q(c, 0.5), _q(c, 0.025), _q(c, 0.975))
        p_by = float(np.mean(years <= dt))
    grid = np.arange(0, CURVE_YEARS + 1)
    curve_draws = log10_cost[None, :] - fall[None, :] * grid[:, None]
    budget_line = lb + float(np.median(grow)) * grid
    curve = tuple(
        (float(base_year + g), *_p10s(_q(row, 0.5), _q(row, 0.025), _q(row, 0.975), float(b)))
        for g, row, b in zip(grid, curve_draws, budget_line, strict=True)
    )
    return Gap(
        quantity,
        budget,
        _p10(point_log10_cost),
        _p10s(_q(log10_cost, 0.025), _q(log10_cost, 0.975)),
        _p10(point_log10_cost - lb),
        _p10s(_q(need, 0.025), _q(need, 0.975)),
        _finite(base_year + point_years),
        (_finite(base_year + _q(years, 0.025)), _finite(base_year + _q(years, 0.975))),
        p_by,
        cost_at,
        curve,
        tuple(rates),
        levers,
    )


@dataclass(frozen=True)
class Trends:
    """The rates the trends apply: hardware price-performance, algorithmic progress, optional spending."""

    hardware: Rate
    algorithmic: Rate
    spending: Rate | None = None
    energy: Rate | None = None  # FLOP per joule: lowers CO2 per FLOP (None: CO2 moves with algorithms only)


def default_trends(
    vision: bool,
    *,
    price_performance_doubling_years: float | None = None,
    algorithmic_doubling_years: float | None = None,
    spending_growth_per_year: float | None = None,
    spending_growth: bool = False,
    energy_efficiency_doubling_years: float | None = None,
) -> Trends:
    """The labelled rates, each overridable: the fitted hardware trends, the cited algorithmic rate."""
    for name, v in (
        ("--price-performance-doubling-years", price_performance_doubling_years),
        ("--algorithmic-doubling-years", algorithmic_doubling_years),
        ("--energy-efficiency-doubling-years", energy_efficiency_doubling_years),
    ):
        if v is not None and not (math.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number of years, got {v:g}")
    if spending_growth_per_year is not None and not (
        math.isfinite(spending_growth_per_year) and spending_growth_per_year > 1
    ):
        raise InputError(
            f"--spending-growth-per-year must be a yearly factor > 1 (e.g. 2.4), got {spending_growth_per_year:g}"
        )
    alg = ALGORITHMIC["vision" if vision else "language"]
    if algorithmic_doubling_years is not None:
        alg = given_rate("algorithmic_doubling", algorithmic_doubling_years)
    spend = SPENDING if spending_growth else None
    if spending_growth_per_year is not None:
        spend = given_rate("spending_doubling", LOG10_2 / math.log10(spending_growth_per_year))
    energy = energy_rate(energy_efficiency_doubling_years)
    return Trends(hardware_rate(price_performance_doubling_years), alg, spend, energy)


def affordability(
    fit: Fit,
    target_error_pct: float,
    *,
    usd_per_flop: float,
    co2e_kg_per_flop: float,
    budget_usd: float | None,
    budget_co2_t: float | None,
    trends: Trends,
    base_year: int,
    by_year: int | None = None,
    levers: Sequence[Lever] = (),
    allow_insignificant: bool = False,
    draws: int = DRAWS,
    seed: int = SEED,
) -> Affordability:
    """Efficiency needed and year affordable for the given budgets, from one fit and the trends."""
    significant = fit.slope_ci[1] < 0
    if not significant and not allow_insignificant:
        raise InputError(
            f"{fit.benchmark} ({fit.measure}, {fit.form}): the slope is not significant at 95% "
            f"(n = {fit.n}, R2 {fit.r2:.2f}, slope CI [{fit.slope_ci[0]:.3g}, {fit.slope_ci[1]:.3g}]);"
            " its projection cannot be priced; pass --allow-insignificant to price it anyway"
        )
    rng = np.random.default_rng(seed)
    lx = log10_flop_draws(fit, target_error_pct, rng, draws)
    point = (float(response(np.array([target_error_pct]), fit.form)[0]) - fit.intercept) / fit.slope
    hw = _fitted_draws(trends.hardware, price_performance_trend().fit, rng, draws) * LOG10_2
    alg = trends.algorithmic.draws(rng, draws) * LOG10_2
    spend = trends.spending.draws(rng, draws) * LOG10_2 if trends.spending else np.zeros(draws)
    energy = _fitted_draws(trends.energy, energy_efficiency_trend().fit, rng, draws) * LOG10_2 if trends.energy else 0.0
    co2_rates = ("algorithmic",) + (("energy_efficiency",) if trends.energy else ())
    gaps: list[Gap] = []
    for applied in ((), tuple(levers)) if levers else ((),):
        usd_m = sum(math.log10(lv.usd_multiplier) for lv in applied)
        co2_m = sum(math.log10(lv.co2_multiplier) for lv in applied)
        if budget_usd is not None:
            names = ("price_performance", "algorithmic") + (("spending",) if trends.spending else ())
            usd = math.log10(usd_per_flop) + usd_m
            gaps.append(
                gap("usd", lx + usd, point + usd, budget_usd, hw + alg, spend, base_year, by_year, names, bool(applied))
            )
        if budget_co2_t is not None:
            co2 = math.log10(co2e_kg_per_flop) - 3.0 + co2_m  # kg -> tonnes
            gaps.append(
                gap(
                    "co2e_t",
                    lx + co2,
                    point + co2,
                    budget_co2_t,
                    alg + energy,
                    np.zeros(draws),
                    base_year,
                    by_year,
                    co2_rates,
                    bool(applied),
                )
            )
    rates = [trends.hardware, trends.algorithmic] + [r for r in (trends.spending, trends.energy) if r]
    return Affordability(
        fit.benchmark,
        fit.form,
        float(target_error_pct),
        fit.n,
        fit.r2,
        significant,
        base_year,
        by_year,
        tuple(gaps),
        tuple(levers),
        tuple(r.assumption() for r in rates),
        draws,
        seed,
    )


__all__ = [
    "ALGORITHMIC",
    "DRAWS",
    "SEED",
    "SPENDING",
    "Affordability",
    "Gap",
    "Lever",
    "Rate",
    "Trends",
    "affordability",
    "default_trends",
    "energy_rate",
    "gap",
    "hardware_rate",
    "log10_flop_draws",
    "parse_levers",
]


def base_year_of(conversion: str, hardware: str | None = None) -> int:
    """The year the conversion's prices are from: 2020 for the paper's factors, the price's as-of year else."""
    if conversion == "thompson2020":
        return THOMPSON_BASE_YEAR
    from flopcast.hardware import get_price
    from flopcast.trends.project import DEFAULT_HARDWARE

    return int(get_price(hardware or DEFAULT_HARDWARE).as_of[:4])


def afford_options(
    *,
    budget_usd: float | None = None,
    budget_co2_t: float | None = None,
    year: int | None = None,
    lever_texts: Sequence[str] | None = (),
    price_performance_doubling_years: float | None = None,
    algorithmic_doubling_years: float | None = None,
    spending_growth: bool = False,
    spending_growth_per_year: float | None = None,
    energy_efficiency_doubling_years: float | None = None,
) -> dict | None:
    """The keyword arguments of :func:`afford` these options give, or None with no budget (nothing to price).

    Checked before any analysis runs: an option that only applies with a budget, given without one, and both
    spending growths at once are refused, one line each (in the CLI's spellings, as :func:`afford`'s errors).
    """
    if budget_usd is None and budget_co2_t is None:
        given = [
            n
            for n, v in (
                ("--year", year),
                ("--lever", lever_texts or None),
                ("--price-performance-doubling-years", price_performance_doubling_years),
                ("--algorithmic-doubling-years", algorithmic_doubling_years),
                ("--spending-growth", spending_growth or None),
                ("--spending-growth-per-year", spending_growth_per_year),
                ("--energy-efficiency-doubling-years", energy_efficiency_doubling_years),
            )
            if v is not None
        ]
        if given:
            raise InputError(f"{given[0]} only applies with a budget; add --budget-usd or --budget-co2-t")
        return None
    if spending_growth and spending_growth_per_year is not None:
        raise InputError("--spending-growth and --spending-growth-per-year contradict each other; give one")
    return {
        "budget_usd": budget_usd,
        "budget_co2_t": budget_co2_t,
        "year": year,
        "lever_texts": lever_texts or (),
        "price_performance_doubling_years": price_performance_doubling_years,
        "algorithmic_doubling_years": algorithmic_doubling_years,
        "spending_growth": spending_growth,
        "spending_growth_per_year": spending_growth_per_year,
        "energy_efficiency_doubling_years": energy_efficiency_doubling_years,
    }


def afford(
    report,
    *,
    budget_usd: float | None = None,
    budget_co2_t: float | None = None,
    year: int | None = None,
    lever_texts: Sequence[str] = (),
    hardware: str | None = None,
    benchmark: str | None = None,
    vision: bool | None = None,
    price_performance_doubling_years: float | None = None,
    algorithmic_doubling_years: float | None = None,
    spending_growth_per_year: float | None = None,
    spending_growth: bool = False,
    energy_efficiency_doubling_years: float | None = None,
    allow_insignificant: bool = False,
) -> list[Affordability]:
    """Affordability of every target of a one-benchmark :class:`~flopcast.trends.TrendsReport` (both forms).

    ``vision`` picks the cited algorithmic rate; with None it is the bundled ``benchmark``'s (the report's
    benchmark, by its key); with neither (a user CSV) ``algorithmic_doubling_years`` is required.
    """
    if vision is None and benchmark is not None:
        vision = get_benchmark(benchmark).vision
    for name, v in (("--budget-usd", budget_usd), ("--budget-co2-t", budget_co2_t)):
        if v is not None and not (math.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number, got {v:g}")
    if vision is None and algorithmic_doubling_years is None:
        raise InputError(
            "a --data CSV has no cited algorithmic-progress rate; give --algorithmic-doubling-years "
            "(e.g. 0.75 for vision, Erdil & Besiroglu 2022)"
        )
    trends = default_trends(
        bool(vision),
        price_performance_doubling_years=price_performance_doubling_years,
        algorithmic_doubling_years=algorithmic_doubling_years,
        spending_growth_per_year=spending_growth_per_year,
        spending_growth=spending_growth,
        energy_efficiency_doubling_years=energy_efficiency_doubling_years,
    )
    base = base_year_of(report.conversion.name, hardware)
    if year is not None and not base <= year <= base + 200:
        raise InputError(f"--year {year} must be from the base year {base} to {base + 200}")
    levers = parse_levers(lever_texts, hardware or REFERENCE_HARDWARE)
    out = []
    for b in report.benchmarks:
        fits = [f for f in b.fits if f.measure == "training" and f.frontier == (report.projection_rows == "frontier")]
        if not fits:
            raise InputError(
                f"{b.benchmark}: no training-compute fit to price; budgets price training FLOP "
                "(drop --measure per-pass)"
            )
        for f in fits:
            for t in b.targets:
                out.append(
                    affordability(
                        f,
                        t,
                        usd_per_flop=report.conversion.usd_per_flop,
                        co2e_kg_per_flop=report.conversion.co2e_kg_per_flop,
                        budget_usd=budget_usd,
                        budget_co2_t=budget_co2_t,
                        trends=trends,
                        base_year=base,
                        by_year=year,
                        levers=levers,
                        allow_insignificant=allow_insignificant,
                    )
                )
    return out
