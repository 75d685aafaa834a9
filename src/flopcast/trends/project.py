"""Projections: the computation, dollars and CO2 a target error would take, and the whole analysis.

:func:`analyze` is the one library call behind ``flopcast trends`` and ``flopcast project``: it
loads benchmark rows, selects the rows per measure, fits both forms on all rows and on the frontier,
and projects the targets with their intervals, converted to dollars and CO2 either with the paper's
factors (``thompson2020``) or with today's hardware through :func:`flopcast.estimate.estimate`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from flopcast._display import Tabular
from flopcast.errors import InputError
from flopcast.estimate import THOMPSON2020_FLOP_PER_LB_CO2, THOMPSON2020_FLOP_PER_USD  # their one owner
from flopcast.provenance import Assumption, Basis
from flopcast.trends.data import (
    BENCHMARKS,
    MEASURES,
    Benchmark,
    BenchmarkRow,
    Selection,
    TooFewRowsError,
    best_error,
    burden_precision_value,
    frontier_of,
    get_benchmark,
    hardware_burden,
    load_rows,
    select,
)
from flopcast.trends.fit import FORMS, Fit, fit_trend, invert, polynomial_fit
from flopcast.trends.time import ComputeTrend, compute_trend
from flopcast.trends.window import ALL_DATA, PAPER_ERA, YearWindow, check_window, user_window, window_rows
from flopcast.units import LBS_PER_KG

PAPER = "Thompson et al. 2020, The Computational Limits of Deep Learning, arXiv:2007.05558"
NYC_MONTH_CO2_LBS = 1.04e10  # New York City's CO2 emissions for one month, as compared in Thompson et al. 2020
CONVERSIONS = ("thompson2020", "hardware")
DEFAULT_HARDWARE = "H100 SXM5 80GB"
_MAX_LOG10 = 300.0  # beyond this a FLOP count is reported as infinite (JSON null)


def _pow10(x: float | None) -> float | None:
    if x is None:
        return None
    return math.inf if x > _MAX_LOG10 else 10.0**x


@dataclass(frozen=True)
class Conversion:
    """FLOP → dollars and CO2: linear factors plus the assumptions behind them."""

    name: str
    usd_per_flop: float
    co2e_kg_per_flop: float
    assumptions: tuple[Assumption, ...]

    def usd(self, flop: float | None) -> float | None:
        return None if flop is None else flop * self.usd_per_flop

    def co2e_kg(self, flop: float | None) -> float | None:
        return None if flop is None else flop * self.co2e_kg_per_flop

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "usd_per_flop": self.usd_per_flop,
            "co2e_kg_per_flop": self.co2e_kg_per_flop,
            "assumptions": [a.to_dict() for a in self.assumptions],
        }


def thompson2020_conversion() -> Conversion:
    """The paper's chart conversion: dollars = FLOP / 6.874e16, lbs CO2 = FLOP / 3.498e17."""
    return Conversion(
        "thompson2020",
        1.0 / THOMPSON2020_FLOP_PER_USD,
        1.0 / THOMPSON2020_FLOP_PER_LB_CO2 / LBS_PER_KG,
        (
            Assumption("flop_per_usd", THOMPSON2020_FLOP_PER_USD, "FLOP/USD", PAPER),
            Assumption("flop_per_lb_co2", THOMPSON2020_FLOP_PER_LB_CO2, "FLOP/lb CO2", PAPER),
        ),
    )


def hardware_conversion(
    hardware: str | None = None, region: str | None = None, utilization: float | None = None
) -> Conversion:
    """Today's conversion on a chosen accelerator and grid, from :func:`flopcast.estimate.estimate`.

    Cost and CO2 are linear in FLOP, so one estimate at 1e24 FLOP gives the per-FLOP factors.
    """
    from flopcast.estimate import estimate

    ref = 1e24
    est = estimate(
        flop=ref, hardware=hardware or DEFAULT_HARDWARE, chips=1, utilization=utilization, region=region
    )  # no region: the estimate's one default grid (flopcast.hardware.default_grid)
    if est.cost_usd is None or est.co2e_kg is None:
        where = f"in {region!r}" if region is not None else "on the default grid"
        raise InputError(
            f"the hardware conversion needs a price and a grid intensity for "
            f"{hardware or DEFAULT_HARDWARE!r} {where}; "
            "try another --hardware/--region or --conversion thompson2020"
        )
    kept = tuple(a for a in est.assumptions if a.name not in ("training_flop", "flop", "chips"))  # reference run only
    return Conversion("hardware", est.cost_usd / ref, est.co2e_kg / ref, kept)


def make_conversion(
    name: str, *, hardware: str | None = None, region: str | None = None, utilization: float | None = None
) -> Conversion:
    if name == "thompson2020":
        return thompson2020_conversion()
    if name == "hardware":
        return hardware_conversion(hardware, region, utilization)
    raise InputError(f"unknown conversion {name!r}; use one of: {', '.join(CONVERSIONS)}")


@dataclass(frozen=True)
class Projection:
    """Computation (and its cost) for a target error from one fit, with labelled intervals."""

    benchmark: str
    measure: str
    form: str
    frontier: bool
    target_error: float  # percent
    flop: float | None  # None when the fit cannot reach the target (error rising with compute)
    flop_low: float | None  # prediction interval (95%); None = unbounded
    flop_high: float | None
    flop_conf_low: float | None  # confidence interval on the fitted line (95%)
    flop_conf_high: float | None
    interval: str  # what flop_low/flop_high are: "prediction"
    decades_beyond_data: float | None  # log10(flop) − log10(largest fitted FLOP)
    usd: float | None
    usd_low: float | None
    usd_high: float | None
    co2e_kg: float | None
    co2e_lbs: float | None
    nyc_months: float | None  # co2e_lbs / NYC's monthly CO2 (1.04e10 lbs)
    # usd/co2e are None for the per-pass measure: the conversions price training computation
    conversion: str
    note: str = ""
    n: int = 0  # rows of the fit, its R² and whether its slope is significant at 95%
    r2: float | None = None
    slope_significant: bool = False

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def project(
    fit: Fit, target_error_pct: float, conversion: Conversion, *, allow_insignificant: bool = False
) -> Projection:
    """Invert ``fit`` at ``target_error_pct`` and convert the computation to dollars and CO2.

    A fit whose slope is not significant at 95% (its CI reaches 0) is not priced (no $ or CO2) unless
    ``allow_insignificant``: its FLOP is a statement about an undetermined line.
    """
    note = ""
    significant = fit.slope_ci[1] < 0
    if fit.slope >= 0:
        pred = conf = None
        x = None
        note = "error does not fall with computation in this fit; no projection"
    else:
        pred = invert(fit, target_error_pct, interval="prediction")
        conf = invert(fit, target_error_pct, interval="confidence")
        x = pred.log10_flop
        if pred.low is None:
            note = "slope not distinguishable from 0 at 95%: interval unbounded"
    flop = _pow10(x)
    costed = fit.measure != "per-pass"  # dollars and CO2 convert *training* computation, not one forward pass
    if costed and not significant and not allow_insignificant and x is not None:
        costed = False
        note = (
            f"slope not significant at 95% (n = {fit.n}, R2 {fit.r2:.2f}): not priced; "
            "pass --allow-insignificant to price it"
        )
    kg = conversion.co2e_kg(flop) if costed else None
    lbs = None if kg is None else kg * LBS_PER_KG
    return Projection(
        benchmark=fit.benchmark,
        measure=fit.measure,
        form=fit.form,
        frontier=fit.frontier,
        target_error=float(target_error_pct),
        flop=flop,
        flop_low=_pow10(pred.low) if pred else None,
        flop_high=_pow10(pred.high) if pred else None,
        flop_conf_low=_pow10(conf.low) if conf else None,
        flop_conf_high=_pow10(conf.high) if conf else None,
        interval="prediction",
        decades_beyond_data=None if x is None else x - fit.log10_flop_max,
        usd=conversion.usd(flop) if costed else None,
        usd_low=conversion.usd(_pow10(pred.low) if pred and costed else None),
        usd_high=conversion.usd(_pow10(pred.high) if pred and costed else None),
        co2e_kg=kg,
        co2e_lbs=lbs,
        nyc_months=None if lbs is None else lbs / NYC_MONTH_CO2_LBS,
        conversion=conversion.name,
        note=note,
        n=fit.n,
        r2=fit.r2,
        slope_significant=significant,
    )


@dataclass(frozen=True)
class BenchmarkResult:
    """Everything the analysis did for one benchmark."""

    benchmark: str
    name: str
    rows: tuple[BenchmarkRow, ...]
    best_error: float
    best_model: str
    selections: tuple[Selection, ...]
    fits: tuple[Fit, ...]
    projections: tuple[Projection, ...]
    targets: tuple[float, ...]
    window: YearWindow = ALL_DATA  # the rows selections, fits and projections use
    reference: YearWindow | None = None  # a second window fitted beside it (no projections)
    reference_selections: tuple[Selection, ...] = ()
    reference_fits: tuple[Fit, ...] = ()

    @property
    def n_outside_window(self) -> int:
        return sum(not self.window.contains(r.year) for r in self.rows)

    def reference_fit(self, fit: Fit) -> Fit | None:
        """The reference window's fit of the same measure, form and rows (all/frontier), if any."""
        return next(
            (
                f
                for f in self.reference_fits
                if (f.measure, f.form, f.frontier) == (fit.measure, fit.form, fit.frontier)
            ),
            None,
        )

    def to_dict(self) -> dict:
        status = []  # per measure: "used" or why the row was skipped; by identity, O(n)
        for s in self.selections:
            why = {id(o): w for o, w in s.skipped}
            why.update((id(o), "used") for o in s.used)
            status.append((f"fit_{s.measure}", why))
        outside = f"outside the {self.window.name} window ({self.window.label})"
        rows = []
        for r in self.rows:
            d = r.to_dict()
            for key, why in status:
                d[key] = why.get(id(r), outside)
            rows.append(d)
        return {
            "benchmark": self.benchmark,
            "name": self.name,
            "n_rows": len(self.rows),
            "best_error": self.best_error,
            "best_model": self.best_model,
            "targets": list(self.targets),
            "window": self.window.to_dict(),
            "n_outside_window": self.n_outside_window,
            "selections": [s.to_dict() for s in self.selections],
            "reference_window": self.reference.to_dict() if self.reference else None,
            "reference_selections": [s.to_dict() for s in self.reference_selections],
            "rows": rows,
        }


@dataclass(frozen=True, repr=False)  # repr: Tabular's one line (flopcast._display)
class TrendsReport(Tabular):
    """Fits and projections for every benchmark and measure analysed."""

    benchmarks: tuple[BenchmarkResult, ...]
    conversion: Conversion
    projection_rows: str  # "all" or "frontier": which fits the projections use
    assumptions: tuple[Assumption, ...] = field(default=())

    _headline = ("benchmarks", "fits", "projections", "projection_rows", "conversion")
    _table = "fits"  # to_pandas(): one row per fit of each benchmark's window

    @property
    def fits(self) -> list[Fit]:
        """The fits of each benchmark's window (the ones projections use)."""
        return [f for b in self.benchmarks for f in b.fits]

    @property
    def reference_fits(self) -> list[Fit]:
        """The fits of each benchmark's reference window, fitted beside :attr:`fits` (no projections)."""
        return [f for b in self.benchmarks for f in b.reference_fits]

    def paper_claim(self) -> dict | None:
        """Which ImageNet fit the paper's ImageNet exponent corresponds to: the paper-era one."""
        b = next((b for b in self.benchmarks if b.benchmark == "imagenet"), None)
        if b is None or PAPER_ERA not in (b.window, b.reference):
            return None
        era, other = (b.fits, b.reference_fits) if b.window == PAPER_ERA else (b.reference_fits, b.fits)
        other_window = b.reference if b.window == PAPER_ERA else b.window

        def k(fits, measure):
            f = polynomial_fit(fits, measure)
            return None if f is None else {"exponent": f.exponent, "exponent_ci": f.exponent_ci, "n": f.n, "r2": f.r2}

        return {
            "claim": "the paper's ImageNet exponent k (computation ~ (1/error)^k)",
            "source": PAPER,
            "corresponds_to": "paper-era",
            "cutoff_until": PAPER_ERA.until,
            "cutoff_source": PAPER_ERA.source,
            "why": f"the paper fitted data up to its v1 (July 2020); rows dated after {PAPER_ERA.until} "
            "are data it never saw",
            "paper_era": {m: k(era, m) for m in MEASURES},
            "other_window": {m: k(other, m) for m in MEASURES},
            "other_window_name": other_window.name if other_window else "",
        }

    @property
    def projections(self) -> list[Projection]:
        return [p for b in self.benchmarks for p in b.projections]

    def to_dict(self) -> dict:
        fits = [
            {**f.to_dict(), "window": b.window.name, "window_label": b.window.label}
            for b in self.benchmarks
            for f in b.fits
        ]
        fits += [
            {**f.to_dict(), "window": b.reference.name, "window_label": b.reference.label}
            for b in self.benchmarks
            if b.reference
            for f in b.reference_fits
        ]
        return {
            "schema": "flopcast.trends/1",
            "fits": fits,
            "projections": [p.to_dict() for p in self.projections],
            "paper_claim": self.paper_claim(),
            "benchmarks": [b.to_dict() for b in self.benchmarks],
            "conversion": self.conversion.to_dict(),
            "projection_rows": self.projection_rows,
            "assumptions": [a.to_dict() for a in self.assumptions],
        }


def check_target(target: float, best: float, benchmark: str, best_model: str = "") -> None:
    """A target must be a positive error better (lower) than today's best."""
    if not math.isfinite(target) or target <= 0:
        raise InputError(f"target error {target:g}% must be > 0 (errors are in percent: 5 means 5% error)")
    if target >= best:
        who = f" ({best_model})" if best_model else ""
        raise InputError(
            f"target error {target:g}% is not better than today's best on {benchmark}: "
            f"{best:g}%{who}; pass a lower --target"
        )


def check_options_apply(
    measures: Sequence[str],
    *,
    conversion: str,
    hardware: str | None = None,
    region: str | None = None,
    utilization: float | None = None,
    burden_precision: str | None = None,
    params_per_pass: bool = False,
) -> None:
    """Refuse an option that would be silently ignored (one line: which option, and the fix)."""
    if conversion != "hardware":
        for option, value in (("--hardware", hardware), ("--region", region), ("--utilization", utilization)):
            if value is not None:
                raise InputError(
                    f"{option} only applies to --conversion hardware (this run uses {conversion}); "
                    f"add --conversion hardware or drop {option}"
                )
    if burden_precision is not None and "training" not in measures:
        raise InputError(
            "--burden-precision only changes the training measure (hardware-burden rows); "
            "drop it or add --measure training"
        )
    if params_per_pass and "per-pass" not in measures:
        raise InputError("--params-per-pass only changes the per-pass measure; drop it or add --measure per-pass")


def analyze_rows(
    key: str,
    name: str,
    rows: Sequence[BenchmarkRow],
    *,
    measures: Sequence[str] = MEASURES,
    targets: Sequence[float] | None = None,
    conversion: Conversion | None = None,
    frontier: bool = False,
    exclude_flagged: bool = False,
    strict: bool = False,
    window: YearWindow = ALL_DATA,
    reference: YearWindow | None = None,
    allow_insignificant: bool = False,
) -> BenchmarkResult:
    """Select, fit (both forms, all rows and frontier) and project one benchmark's rows.

    Only the rows inside ``window`` are selected, fitted and projected; ``reference`` (e.g. the
    paper-era window beside all data) is fitted the same way beside them, without projections.
    Today's best error (the bound on targets) is over all rows. ``strict`` raises
    :class:`TooFewRowsError` when a requested measure has < 3 usable rows in ``window`` (the default
    records it in the selection instead, so a full run covers every benchmark).
    """
    conversion = conversion or thompson2020_conversion()
    best = best_error(rows)
    best_model = min((r for r in rows if not r.skip_reason), key=lambda r: r.error_pct).model
    targets = tuple(targets) if targets else ()
    for t in targets:
        check_target(t, best, key, best_model)
    selections, fits, projections = _fit_window(
        key,
        window_rows(rows, window),
        measures,
        window,
        targets=targets,
        conversion=conversion,
        frontier=frontier,
        exclude_flagged=exclude_flagged,
        strict=strict,
        allow_insignificant=allow_insignificant,
    )
    ref_selections: tuple[Selection, ...] = ()
    ref_fits: tuple[Fit, ...] = ()
    if reference is not None:
        ref_selections, ref_fits, _ = _fit_window(
            key, window_rows(rows, reference), measures, reference, exclude_flagged=exclude_flagged
        )
    return BenchmarkResult(
        key,
        name,
        tuple(rows),
        best,
        best_model,
        selections,
        fits,
        projections,
        targets,
        window,
        reference,
        ref_selections,
        ref_fits,
    )


def _fit_window(
    key: str,
    rows: Sequence[BenchmarkRow],
    measures: Sequence[str],
    window: YearWindow,
    *,
    targets: tuple[float, ...] = (),
    conversion: Conversion | None = None,
    frontier: bool = False,
    exclude_flagged: bool = False,
    strict: bool = False,
    allow_insignificant: bool = False,
) -> tuple[tuple[Selection, ...], tuple[Fit, ...], tuple[Projection, ...]]:
    """Selections, fits (both forms, all rows and frontier) and projections of one window's rows."""
    selections: list[Selection] = []
    fits: list[Fit] = []
    projections: list[Projection] = []
    for measure in measures:
        base = select(rows, measure, exclude_flagged=exclude_flagged)
        selections.append(base)
        for on_frontier in (False, True):
            sel = frontier_of(base) if on_frontier else base
            if sel.n_used < 3:
                if strict and not on_frontier:
                    why = "; ".join(f"{n} {w}" for w, n in sel.skip_counts().items())
                    where = f" in years {window.label}" if window.bounded else ""
                    raise TooFewRowsError(
                        f"{key} ({measure}): {sel.n_used} usable row(s){where}, a fit needs at "
                        "least 3" + (f" (skipped: {why})" if why else "")
                    )
                continue
            flop = [r.flop(measure) for r in sel.used]
            err = [r.error_pct for r in sel.used]
            for form in FORMS:
                f = fit_trend(flop, err, form, benchmark=key, measure=measure, frontier=on_frontier)
                fits.append(f)
                if on_frontier == frontier and conversion is not None:
                    projections.extend(
                        project(f, t, conversion, allow_insignificant=allow_insignificant) for t in targets
                    )
    return tuple(selections), tuple(fits), tuple(projections)


def analyze(
    benchmarks: Sequence[str] | None = None,
    *,
    measures: Sequence[str] | None = None,
    targets: Sequence[float] | None = None,
    data: str | Path | None = None,
    conversion: str = "thompson2020",
    hardware: str | None = None,
    region: str | None = None,
    utilization: float | None = None,
    frontier: bool = False,
    exclude_flagged: bool = False,
    burden_precision: str | None = None,
    params_per_pass: bool = False,
    since: int | None = None,
    until: int | None = None,
    allow_insignificant: bool = False,
) -> TrendsReport:
    """The paper's analysis on bundled benchmarks (default: all) or a user CSV (``data``).

    ``targets`` (error %) apply to every benchmark analysed; by default each bundled benchmark uses
    its own defaults and a user CSV uses half and a tenth of its best error. ``burden_precision``
    overrides each row's ``train_precision`` for hardware-burden rows (fp32, fp16, bf16, mixed, or
    ``"chip"`` for each chip's default training precision, the convention before per-row precision).
    ``params_per_pass`` gives NLP rows an estimated per-pass measure, 2 × params per token.
    ``since`` / ``until`` (calendar years, inclusive) fit and project only the rows dated in that
    window, with the all-data fits beside them; with neither, bundled benchmarks are fitted on all
    rows with the paper-era fits (rows up to :data:`~flopcast.trends.window.PAPER_ERA_UNTIL`) beside.
    """
    measures = tuple(measures) if measures else MEASURES
    for m in measures:
        if m not in MEASURES:
            raise InputError(f"unknown measure {m!r}; use one of: {', '.join(MEASURES)}")
    check_options_apply(
        measures,
        conversion=conversion,
        hardware=hardware,
        region=region,
        utilization=utilization,
        burden_precision=burden_precision,
        params_per_pass=params_per_pass,
    )
    window = user_window(since, until)
    conv = make_conversion(conversion, hardware=hardware, region=region, utilization=utilization)
    strict = bool(data) or bool(benchmarks)
    burden = hardware_burden(burden_precision)  # validates burden_precision (InputError naming the choices)
    if burden_precision is not None:
        burden_precision = burden_precision_value(burden_precision)
    loaded = _load(benchmarks, data, burden, params_per_pass)
    check_window(window, [r for _, _, rows in loaded for r in rows])
    reference = ALL_DATA if window.bounded else (None if data is not None else PAPER_ERA)
    results = []
    for b, key, rows in loaded:
        if b is None:  # a user CSV
            best = best_error(rows)
            tg = targets or (round(best / 2, 6), round(best / 10, 6))
            ms = measures
        else:
            tg = targets or b.default_targets_pct
            ms = measures
            if strict and len(measures) > 1:  # a named benchmark: only insist on measures its rows can fit
                ms = tuple(m for m in measures if select(rows, m, exclude_flagged=exclude_flagged).n_used >= 3)
                ms = ms or measures  # none: the error names each measure's shortfall
        results.append(
            analyze_rows(
                key,
                b.name if b else key,
                rows,
                measures=ms,
                targets=tg,
                conversion=conv,
                frontier=frontier,
                exclude_flagged=exclude_flagged,
                strict=strict,
                window=window,
                reference=reference,
                allow_insignificant=allow_insignificant,
            )
        )
    return TrendsReport(
        tuple(results),
        conv,
        "frontier" if frontier else "all",
        _assumptions(conv, burden_precision, params_per_pass, window, reference),
    )


def compute_trend_for(data: str | Path | None = None) -> ComputeTrend | None:
    """The compute trend shown beside an analysis (the paper's Figure 2,
    :func:`~flopcast.trends.time.compute_trend`): it is fitted on the bundled systems and chips, so an analysis
    of the bundled benchmarks has it and one of a user CSV (``data``) has none."""
    return None if data is not None else compute_trend()


def _load(
    benchmarks: Sequence[str] | None, data: str | Path | None, burden, params_per_pass: bool
) -> list[tuple[Benchmark | None, str, list[BenchmarkRow]]]:
    """(benchmark or None for a user CSV, key, rows) for each benchmark analysed."""
    if data is not None:
        rows = load_rows(path=data, burden=burden, params_per_pass=params_per_pass)
        if not rows:
            raise TooFewRowsError(f"{data}: no data rows; a fit needs at least 3")
        return [(None, Path(data).stem, rows)]
    chosen = [get_benchmark(b) for b in benchmarks] if benchmarks else list(BENCHMARKS.values())
    return [(b, b.key, load_rows(b, burden=burden, params_per_pass=params_per_pass)) for b in dict.fromkeys(chosen)]


def _assumptions(
    conv: Conversion,
    burden_precision: str | None,
    params_per_pass: bool,
    window: YearWindow,
    reference: YearWindow | None,
) -> tuple[Assumption, ...]:
    windows = tuple(
        Assumption(
            w.name.replace("-", "_").replace(" ", "_") + "_rows",
            w.label,
            "calendar years (dated rows)",
            w.source,
            Basis.GIVEN if w.source == "given by the user" else Basis.ASSUMED,
        )
        for w in (window, reference)
        if w is not None and w.bounded
    )
    return (
        *conv.assumptions,
        Assumption("hardware_burden_utilization", 1.0, "fraction", PAPER + " (hardware burden at peak)"),
        Assumption(
            "hardware_burden_precision",
            burden_precision or "each row's train_precision",
            "",
            "given by the user (--burden-precision overrides every row)"
            if burden_precision
            else "train_precision column, cited per row or by the rule in flopcast/data/benchmarks/"
            "README.md (mixed -> the chip's fp16/bf16 tensor peak; a row without one -> the chip's "
            "default training precision)",
            Basis.GIVEN if burden_precision else Basis.ASSUMED,
        ),
        Assumption(
            "gflops_forward_unit",
            "multiply-adds (x2 = FLOP) for bundled vision rows; for a "
            "user CSV only where flops_unit_note says multiply-adds/MACs",
            "",
            "flopcast/data/benchmarks/README.md",
            Basis.GIVEN,
        ),
        Assumption("nyc_month_co2", NYC_MONTH_CO2_LBS, "lbs CO2", PAPER),
        *windows,
        *(
            (
                Assumption(
                    "nlp_forward_flop_per_token",
                    "2 x params",
                    "FLOP/token",
                    "Kaplan et al. 2020, arXiv:2001.08361 (dense models; given --params-per-pass)",
                    Basis.ESTIMATED,
                ),
            )
            if params_per_pass
            else ()
        ),
    )


__all__ = [
    "CONVERSIONS",
    "NYC_MONTH_CO2_LBS",
    "THOMPSON2020_FLOP_PER_LB_CO2",
    "THOMPSON2020_FLOP_PER_USD",
    "BenchmarkResult",
    "Conversion",
    "Projection",
    "TrendsReport",
    "analyze",
    "analyze_rows",
    "check_options_apply",
    "check_target",
    "hardware_conversion",
    "make_conversion",
    "project",
    "thompson2020_conversion",
]
