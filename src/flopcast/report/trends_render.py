"""Terminal rendering of the paper's analysis (``flopcast trends`` / ``project`` / ``trends --paper``): the fits with
their windows, projections, affordability, the compute trend, and the reconciliation table."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from flopcast.report.console import assumption_line


def _fmt(v: float | None, digits: int = 2) -> str:
    """Compact scientific notation: 1.9e15 (None = unbounded)."""
    if v is None:
        return "unbounded"
    if v == float("inf"):
        return "unbounded"
    if v == 0:
        return "0"
    exp = int(f"{v:e}".split("e")[1])
    mant = v / 10**exp
    if round(mant, digits - 1) >= 10:
        mant, exp = mant / 10, exp + 1
    return f"{mant:.{digits - 1}f}e{exp}"


def _usd(v: float | None) -> str:
    if v is None:
        return "-"
    return f"${v:,.0f}" if v < 1e6 else "$" + _fmt(v)


def _nyc(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:.2g}" if v < 1e3 else _fmt(v)


def _ci(pair, digits: int = 3) -> str:
    if pair is None:
        return ""
    if any(v != v for v in pair):  # NaN: e.g. no bootstrap below 6 rows
        return "[n<6]"
    low, high = pair
    if math.isinf(low) or math.isinf(high):  # the data bound one side only: an open interval, never "inf"
        left = "(-∞" if math.isinf(low) else f"[{low:.{digits}g}"
        right = "∞)" if math.isinf(high) else f"{high:.{digits}g}]"
        return f"{left}, {right}"
    return f"[{low:.{digits}g}, {high:.{digits}g}]"


def _fit_row(f, window) -> tuple:
    k = f"{f.exponent:.3g} {_ci(f.exponent_ci, 2)}" if f.exponent is not None else "-"
    return (
        f"{f.benchmark} {f.measure}" + (" frontier" if f.frontier else ""),
        window.label,
        f.form[:4],
        f.n,
        f"{f.slope:.3g} {_ci(f.slope_ci, 2)}",
        f"{f.r2:.2f}",
        k,
        f"{_ci(f.bootstrap_slope_ci, 2)} {_ci(f.loo_slope_range, 2)}",
    )


def _fit_rows(report) -> list[tuple]:
    """Each window's fit with the reference window's fit of the same measure, form and rows below it."""
    rows = []
    for b in report.benchmarks:
        for f in b.fits:
            rows.append(_fit_row(f, b.window))
            ref = b.reference_fit(f)
            if ref is not None:
                rows.append(_fit_row(ref, b.reference))
    return rows


def _claim_line(claim: dict) -> str:
    def k(fits: dict) -> str:
        return (
            "; ".join(
                f"{m} k = {d['exponent']:.3g} {_ci(d['exponent_ci'], 2)}, n = {d['n']}, R2 {d['r2']:.2f}"
                for m, d in fits.items()
                if d is not None and d["exponent"] is not None
            )
            or "no fit"
        )

    return (
        f"Paper-era rows: dated up to {claim['cutoff_until']} ({claim['cutoff_source']}). The paper's ImageNet "
        f"exponent was fitted on data of that era, so it corresponds to the paper-era fit: "
        f"{k(claim['paper_era'])}. On {claim['other_window_name']}: {k(claim['other_window'])} (rows after "
        f"{claim['cutoff_until']} are data the paper never saw)."
    )


def _render_rows(out, report) -> None:
    """Which rows entered each fit, per benchmark and measure, and the reference window's counts."""
    out("[bold]Rows entering each fit[/bold] (one split per fit, one row per model; unverified_rows.csv never enters)")
    for b in report.benchmarks:
        out(f"[bold]{b.benchmark}[/bold] ({b.name}; today's best error {b.best_error:.3g}%, {b.best_model})")
        for s in b.selections:
            d = s.to_dict()
            why = "; ".join(f"{n} {w}" for w, n in d["skipped_why"].items())
            flagged = ", ".join(f"{n} {f}" for f, n in d["flagged_used"].items() if n)
            srcs = ", ".join(f"{n} {k}" for k, n in d["training_sources"].items())
            line = f"  {s.measure}: {s.n_used} used" + (f" (split {s.split})" if s.split else "")
            if flagged:
                line += f", flagged but kept: {flagged}"
            if srcs:
                line += f"; training FLOP from: {srcs}"
            line += f"; {len(s.skipped)} skipped" + (f" ({why})" if why else "")
            if b.window.bounded:
                line += f"; {b.n_outside_window} outside {b.window.label}"
            out(line, highlight=False)
        if b.reference is not None:
            used = ", ".join(f"{s.measure} {s.n_used} used" for s in b.reference_selections)
            label = f" ({b.reference.label})" if b.reference.bounded else ""
            out(f"  beside it, {b.reference.name}{label}: {used}", highlight=False)


def render_trends(report, trend=None, plots: list[Path] | None = None, plot_dir: Path | None = None, affs=None) -> None:
    """The analysis on stdout: rows per fit, the fits, the paper's claim, projections, the compute trend, the
    assumptions, affordability and the plots written."""
    out = _wide_printer()
    _render_rows(out, report)
    out(_fits_table(report))
    claim = report.paper_claim()
    if claim is not None:
        out(_claim_line(claim), highlight=False)
    out(_projections_table(report))
    if trend is not None:
        out(_trend_table(trend))
    for a in report.assumptions:
        out(assumption_line(a))
    if affs:
        _render_afford(out, affs)
    out(
        "[dim]NYC-months: one month of New York City's CO2, 1.04e10 lbs (comparator of Thompson et al. "
        "2020). Extrapolations far beyond the data are statements about the fitted line, not forecasts.[/dim]"
    )
    if plots:
        out(f"Plots ({len(plots)} files) written to {plot_dir}/")


def _wide_printer():
    """``out(obj, **kw)``: print on stdout, at least 160 columns wide when piped (no squeezing to 80)."""
    from flopcast.report.console import stdout

    width = stdout.width if stdout.is_terminal else max(stdout.width, 160)

    def out(obj, **kw) -> None:
        saved = stdout.width
        stdout.width = width  # rich clamps print(width=) to the console width, so widen the console itself
        try:
            stdout.print(obj, **kw)
        finally:
            stdout.width = saved

    return out


def _fits_table(report):
    from flopcast.report.console import table

    return table(
        "Fits (OLS, 95% CI): poly: log10(err%) = a + b*log10(FLOP), FLOP ~ (1/err)^k, k = -1/b; "
        "expo: err% = a + b*log10(FLOP); rows: the years fitted",
        ["fit", "rows", "form", "n", "slope b [95% CI]", "R2", "k [95% CI]", "b: bootstrap 95%, leave-one-out"],
        _fit_rows(report),
        right_align_from=3,
    )


def _projection_row(p) -> tuple:
    pi = "unbounded" if p.flop_low is None else f"{_fmt(p.flop_low)}-{_fmt(p.flop_high)}"
    return (
        f"{p.benchmark} {p.measure}",
        p.form[:4],
        p.n,
        f"{p.r2:.2f}" if p.r2 is not None else "-",
        "yes" if p.slope_significant else "NO",
        f"{p.target_error:g}%",
        _fmt(p.flop),
        pi,
        "-" if p.decades_beyond_data is None else f"{p.decades_beyond_data:+.1f}",
        _usd(p.usd),
        "-" if p.co2e_lbs is None else _fmt(p.co2e_lbs),
        _nyc(p.nyc_months),
    )


def _projections_table(report):
    from flopcast.report.console import table

    rows_used = report.projection_rows + " rows"
    bounded = {b.window.label for b in report.benchmarks if b.window.bounded}
    if bounded:
        rows_used += f" dated {', '.join(sorted(bounded))}"
    return table(
        f"Projections ({rows_used}; conversion {report.conversion.name}): FLOP to reach the "
        "target error with its 95% PREDICTION interval (unbounded: slope not significant); "
        "beyond = decades past the largest fitted FLOP; sig = slope significant at 95% "
        "(not significant: not priced unless --allow-insignificant)",
        ["fit", "form", "n", "R2", "sig", "target", "FLOP", "95% PI", "beyond", "USD", "lbs CO2", "NYC-mo"],
        [_projection_row(p) for p in report.projections],
        right_align_from=2,
    )


def _trend_table(trend):
    from flopcast.report.console import table

    return table(
        "Compute over time (Figure 2): doubling times, OLS of log10 on year",
        ["series", "years", "n", "doubling (months) [95% CI]", "R2"],
        [
            (
                e.series,
                f"{e.start_year:.0f}-{e.end_year:.0f}",
                e.fit.n,
                f"{e.doubling_months:.3g} {_ci(e.doubling_months_ci)}",
                f"{e.fit.r2:.2f}",
            )
            for e in trend.eras
        ],
        right_align_from=2,
    )


def _yr(v: float | None) -> str:
    return "never" if v is None else f"{v:.0f}"


def _factor(v: float | None) -> str:
    return "unbounded" if v is None else (f"{v:.3g}x" if v < 1e4 else _fmt(v) + "x")


def _amount(quantity: str, v: float | None) -> str:
    if v is None:
        return "unbounded"
    return _usd(v) if quantity == "usd" else (f"{v:,.3g} t" if v < 1e6 else _fmt(v) + " t")


def _render_afford(out, affs) -> None:
    """Efficiency needed, the year affordable and the levers, per form and budget."""
    out(_afford_table(affs))
    if affs[0].levers:
        _render_levers(out, affs[0])
    for a in affs[0].assumptions:
        out(assumption_line(a, f"{a.value:.3g}"), highlight=False)
    out(
        "[dim]Price-performance and algorithmic progress lower the $ cost; algorithmic progress and hardware "
        "energy efficiency (FLOP/s per W) lower CO2, at today's grid intensity. Years are when the trends, if "
        "they continue, bring the cost under the budget.[/dim]",
        highlight=False,
    )


def _afford_row(a, g) -> tuple:
    lo, hi = g.efficiency_interval
    ylo, yhi = g.year_interval
    return (
        f"{a.benchmark} {a.target_error:g}% {a.form[:4]}",
        f"{a.n}",
        f"{a.r2:.2f}",
        "yes" if a.slope_significant else "NO",
        "levers" if g.levers else "none",
        _amount(g.quantity, g.budget),
        _amount(g.quantity, g.cost),
        _factor(g.efficiency_needed),
        f"[{_factor(lo)}, {_factor(hi)}]",
        _yr(g.year),
        f"[{_yr(ylo)}, {_yr(yhi)}]",
        "" if g.p_by_year is None else f"{g.p_by_year:.0%}",
    )


def _afford_table(affs):
    from flopcast.report.console import table

    year = next((a.by_year for a in affs if a.by_year is not None), None)
    base = affs[0].base_year
    return table(
        f"What makes the target affordable (training compute; costs at {base} prices, {affs[0].draws:,} "
        "Monte Carlo draws: fit prediction interval x each rate's CI; 95% intervals)",
        [
            "target",
            "n",
            "R2",
            "sig",
            "levers",
            "budget",
            f"cost {base}",
            "efficiency needed",
            "95%",
            "affordable",
            "95%",
            f"P(by {year})" if year else "P(by year)",
        ],
        [_afford_row(a, g) for a in affs for g in a.gaps],
        right_align_from=1,
    )


def _render_levers(out, aff) -> None:
    """Each lever's cost and CO2 multipliers and its share of the USD gap (decades), then its source."""
    from flopcast.report.console import table

    gap = next((g for g in aff.gaps if not g.levers), None)
    need = math.log10(gap.efficiency_needed) if gap and gap.efficiency_needed else None
    rows = [
        (
            lv.label,
            lv.acts_on,
            f"{lv.usd_multiplier:.3g}",
            f"{lv.decades_closed('usd'):.2f}",
            "-" if not need or need <= 0 else f"{lv.decades_closed('usd') / need:.0%}",
            f"{lv.co2_multiplier:.3g}",
        )
        for lv in aff.levers
    ]
    out(
        table(
            f"Levers (combined by multiplying; share of the {aff.form} USD gap of "
            f"{'-' if need is None else f'{need:.2f}'} decades at {aff.base_year})",
            ["lever", "acts on", "x cost", "decades closed", "share of gap", "x CO2"],
            rows,
            right_align_from=2,
        )
    )
    for lv in aff.levers:
        out(f"[dim]{lv.label}: {lv.source}[/dim]", highlight=False)


def render_paper(rec: Any) -> None:
    """``flopcast trends --paper``: each claim beside flopcast's number, then where each claim was read."""
    from flopcast.report.console import stdout, table

    rows = [(c.claim, c.paper, c.flopcast, c.status, c.reason) for c in rec.claims]
    saved = stdout.width
    stdout.width = saved if stdout.is_terminal else max(saved, 200)  # piped: don't squeeze the table to 80
    try:
        stdout.print(
            table(
                "Thompson et al. 2020 (arXiv:2007.05558; IEEE Spectrum 2021) beside flopcast",
                ["claim", "paper", "flopcast", "verdict", "why"],
                rows,
                right_align_from=5,
            )
        )
        for c in rec.claims:
            how = "quoted from" if c.quoted else "claim"
            stdout.print(f"[dim]{c.key}: {how} {c.source}[/dim]", highlight=False)
    finally:
        stdout.width = saved
