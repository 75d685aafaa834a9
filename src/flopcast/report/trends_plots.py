"""Plots for ``flopcast trends``: per-benchmark fits with extrapolation bands and the O(P^4) bound, Figure 2.

Every figure is written as PNG and SVG with matplotlib's Agg backend. Axes are logarithmic where
the quantity spans decades; titles and labels carry units; legends say which line is which form.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from flopcast.trends.data import PARAMS_PER_TOKEN
from flopcast.trends.fit import polynomial_fit
from flopcast.trends.paper import THEORY_EXPONENT

_FORM_STYLE = {"polynomial": dict(color="#1f77b4", ls="-"), "exponential": dict(color="#d62728", ls="--")}
_MAX_DECADES = 25.0  # extrapolated lines stop this many decades past the data
_MAX_VECTOR_POINTS = 5000  # above this many points a scatter is rasterized inside the SVG
# The paper's theory bound C ∝ (1/error)^THEORY_EXPONENT; its one owner is flopcast.trends.paper.
THEORY_LABEL = "theory lower bound O(performance^4) (Thompson et al. 2020)"


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _decade_label(v: float, _pos=None) -> str:
    """Plain-text log tick labels ("1e+20", "10") -- matplotlib's mathtext labels are slow to lay out."""
    if v <= 0:
        return ""
    e = math.log10(v)
    if abs(e - round(e)) > 1e-6:
        return f"{v:g}"
    e = round(e)
    return f"{v:g}" if -2 <= e <= 3 else f"1e{e}"


def _log_axis(axis, max_ticks: int = 10) -> None:
    """Log ticks on at most ``max_ticks`` decades, plain-text labels, unlabelled minor ticks."""
    from matplotlib import ticker

    axis.set_major_locator(ticker.LogLocator(base=10, numticks=max_ticks))
    axis.set_major_formatter(ticker.FuncFormatter(_decade_label))
    lo, hi = axis.get_view_interval()
    if hi / max(lo, 1e-300) > 1e6:  # wide ranges: minor ticks are clutter (and slow to lay out)
        axis.set_minor_locator(ticker.NullLocator())
    else:
        axis.set_minor_locator(ticker.LogLocator(base=10, subs=(2.0, 5.0), numticks=max_ticks))
    axis.set_minor_formatter(ticker.NullFormatter())


def _save(fig, outdir: Path, stem: str, *, tight: bool = False) -> list[Path]:
    import matplotlib

    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    with matplotlib.rc_context({"svg.hashsalt": "flopcast-trends"}):  # deterministic SVG element ids
        for ext in ("png", "svg"):
            p = outdir / f"{stem}.{ext}"
            fig.savefig(
                p, dpi=130, bbox_inches="tight" if tight else None, metadata={"Date": None} if ext == "svg" else None
            )
            paths.append(p)
    _plt().close(fig)
    return paths


def _panel(ax, result, measure: str, fits, projections, selection) -> None:
    """One measure of one benchmark: the rows used, each fit with its band, the reference and theory lines, the
    frontier fit and the targets' projections."""
    used = selection.used
    x = np.array([r.flop(measure) for r in used])
    e = np.array([r.error_pct for r in used])
    _scatter_rows(ax, used, x, e)
    projs = [p for p in projections if p.measure == measure]
    x_end, grid = _log10_grid(x, projs)
    for f in fits:
        if not f.frontier:
            _fit_line(ax, f, grid)
    _reference_line(ax, result, measure, grid)
    _theory_line(ax, measure, used, x, e, grid, polynomial_fit(fits))
    for f in fits:
        if f.frontier and f.form == "polynomial" and f.n < len(used):  # else the same line as the fit's
            _frontier_line(ax, f, grid)
    _targets(ax, projs, x_end)
    _panel_axes(ax, grid, [*e, *(p.target_error for p in projs)], e.max())
    unit = "forward FLOP per pass" if measure == "per-pass" else "training FLOP"
    if measure == "per-pass" and any(r.forward_flop_source == PARAMS_PER_TOKEN for r in used):
        unit = "forward FLOP per token, estimated 2 x params"
    ax.set_xlabel(f"computation ({unit}, log scale)")
    ax.set_ylabel("error (%, log scale)")
    ax.set_title(f"{result.name}: {measure} (split: {selection.split})", fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    # below the panel: inside it, the legend's long labels covered the rows at low computation and high error
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)


def _scatter_rows(ax, used, x: np.ndarray, e: np.ndarray) -> None:
    """The rows used: filled; ensembles and extra-data rows (kept in the fit) hollow."""
    flagged = np.array([bool(r.flags) and bool({"ensemble", "extra data"} & set(r.flags)) for r in used])
    raster = len(used) > _MAX_VECTOR_POINTS  # an SVG with a million circles is ~100 MB: draw them as an image
    ax.scatter(
        x[~flagged], e[~flagged], s=22, color="0.25", zorder=3, label=f"results used (n={len(used)})", rasterized=raster
    )
    if flagged.any():
        ax.scatter(
            x[flagged],
            e[flagged],
            s=26,
            facecolors="none",
            edgecolors="0.25",
            zorder=3,
            label="ensemble / extra data (kept)",
            rasterized=raster,
        )


def _log10_grid(x: np.ndarray, projs) -> tuple[float, np.ndarray]:
    """(right end, log10 FLOP grid): from just below the data to past the farthest projection, capped at
    ``_MAX_DECADES`` beyond the data."""
    x_hi = float(np.log10(x.max()))
    reach = [math.log10(p.flop) for p in projs if p.flop and math.isfinite(p.flop)]
    x_end = min(max([x_hi + 0.5, *reach]) + 0.5, x_hi + _MAX_DECADES)
    return x_end, np.linspace(float(np.log10(x.min())) - 0.3, x_end, 300)


def _fit_line(ax, f, grid: np.ndarray) -> None:
    """A fit's line (where its error is positive) and its 95% prediction band."""
    st = _FORM_STYLE[f.form]
    pred = np.asarray(f.predict_error(grid), dtype=float)
    ok = pred > 0
    label = f"{f.form}: " + (
        f"FLOP ~ (1/err)^{f.exponent:.3g}, R2={f.r2:.2f}"
        if f.exponent
        else f"err = {f.intercept:.3g} {'-' if f.slope < 0 else '+'} {abs(f.slope):.3g}*log10(FLOP), R2={f.r2:.2f}"
    )
    ax.plot(10 ** grid[ok], pred[ok], lw=1.8, label=label, **st)
    lo, hi = f.band(grid, prediction=True)
    lo = np.maximum(lo, 1e-3)  # the exponential band crosses zero error: fill down to the axis
    ax.fill_between(
        10**grid,
        lo,
        hi,
        color=st["color"],
        alpha=0.12 if f.form == "polynomial" else 0.07,
        lw=0,
        label=f"{f.form} 95% prediction band",
    )


def _frontier_line(ax, f, grid: np.ndarray) -> None:
    pred = np.asarray(f.predict_error(grid), dtype=float)
    ax.plot(
        10**grid,
        pred,
        color="#2ca02c",
        lw=1.2,
        ls=":",
        label=f"frontier polynomial (n={f.n}): k={f.exponent:.3g}" if f.exponent else "frontier polynomial",
    )


def _targets(ax, projs, x_end: float) -> None:
    """A dotted line per target error, and a diamond where each projection reaches it (within the plot)."""
    for t in sorted({p.target_error for p in projs}):
        ax.axhline(t, color="0.5", lw=0.8, ls=(0, (1, 2)))
        ax.annotate(
            f"target {t:g}%",
            xy=(0.01, t),
            xycoords=("axes fraction", "data"),
            ha="left",
            va="bottom",
            fontsize=8,
            color="0.35",
        )
    for p in projs:
        if p.flop and math.isfinite(p.flop) and math.log10(p.flop) <= x_end:
            ax.plot([p.flop], [p.target_error], marker="D", ms=6, color=_FORM_STYLE[p.form]["color"], zorder=4)


def _panel_axes(ax, grid: np.ndarray, errors: list, e_max: float) -> None:
    """Log-log axes over the grid, the errors (rows and targets) with a margin, plain-text ticks."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(10 ** grid[0], 10 ** grid[-1])
    ax.set_ylim(min(errors) / 1.6, min(100.0, e_max * 1.6))
    _log_axis(ax.xaxis)
    _log_axis(ax.yaxis)
    ax.yaxis.set_minor_formatter(__import__("matplotlib").ticker.FuncFormatter(lambda v, _p: f"{v:g}"))


def _reference_line(ax, result, measure: str, grid: np.ndarray) -> None:
    """The reference window's polynomial fit (e.g. paper-era rows beside all rows), dashed, if it differs."""
    ref = getattr(result, "reference", None)
    f = next(
        (
            f
            for f in getattr(result, "reference_fits", ())
            if (f.measure, f.form, f.frontier) == (measure, "polynomial", False)
        ),
        None,
    )
    own = next((g for g in result.fits if (g.measure, g.form, g.frontier) == (measure, "polynomial", False)), None)
    if ref is None or f is None or (own is not None and own.n == f.n and own.slope == f.slope):
        return
    pred = np.asarray(f.predict_error(grid), dtype=float)
    k = f"k={f.exponent:.3g}, " if f.exponent else ""
    ax.plot(
        10**grid,
        pred,
        color="#9467bd",
        lw=1.4,
        ls="--",
        label=f"{ref.name} ({ref.label}) polynomial: {k}n={f.n}, R2={f.r2:.2f}",
    )


def theory_line(x_best: float, error_best: float, log10_flop: np.ndarray) -> np.ndarray:
    """Error (%) on C ∝ (1/error)^4 through (``x_best`` FLOP, ``error_best`` %) at ``log10_flop``: slope 4 in
    log10(C) vs log10(1/error), so error = error_best · (C / x_best)^(−1/4)."""
    return error_best * 10.0 ** (-(np.asarray(log10_flop, dtype=float) - math.log10(x_best)) / THEORY_EXPONENT)


def _theory_line(ax, measure: str, used, x: np.ndarray, e: np.ndarray, grid: np.ndarray, poly) -> None:
    """The O(performance^4) bound anchored at today's best row (lowest error; least computation on a tie)."""
    i = min(range(len(used)), key=lambda j: (e[j], x[j]))
    gap = "" if poly is None or poly.exponent is None else f"; k - 4 = {poly.exponent - THEORY_EXPONENT:+.3g}"
    ax.plot(
        10**grid,
        theory_line(x[i], e[i], grid),
        color="#e377c2",
        lw=1.3,
        ls=(0, (5, 2, 1, 2)),
        label=f"{THEORY_LABEL} at today's best{gap}",
        gid=f"theory-bound-{measure}",
    )


def benchmark_figure(result):
    """One figure per benchmark, a panel per measure that has fits (None if none has)."""
    measures = [s.measure for s in result.selections if any(f.measure == s.measure for f in result.fits)]
    if not measures:
        return None
    plt = _plt()
    fig, axes = plt.subplots(1, len(measures), figsize=(7.0 * len(measures), 7.0), squeeze=False)
    for ax, m in zip(axes[0], measures, strict=True):
        sel = next(s for s in result.selections if s.measure == m)
        _panel(ax, result, m, [f for f in result.fits if f.measure == m], result.projections, sel)
    fig.suptitle(f"{result.name}: error vs computation, both fits extrapolated to the targets", fontsize=11)
    w, h = fig.get_size_inches()  # fixed margins in inches (tight_layout costs as much as drawing twice)
    # the bottom margin holds the x label and the legend (up to 9 entries)
    fig.subplots_adjust(left=0.75 / w, right=1 - 0.2 / w, bottom=2.25 / h, top=1 - 0.75 / h, wspace=1.0 / 7.0)
    return fig


def plot_benchmark(result, outdir: Path) -> list[Path]:
    """Write :func:`benchmark_figure` as ``trends_<benchmark>.png/.svg``."""
    fig = benchmark_figure(result)
    return [] if fig is None else _save(fig, outdir, f"trends_{result.benchmark}")


def plot_compute_trend(trend, outdir: Path) -> list[Path]:
    """Figure 2: training compute of ML systems over time, and the best chip's peak FLOP/s per year."""
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 8.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    yrs = _compute_panel(ax1, trend)
    cy = _hardware_panel(ax2, trend)
    ax2.set_xlim(max(1950.0, float(yrs.min()) - 1), float(max(yrs.max(), cy.max())) + 1)
    fig.tight_layout()
    return _save(fig, outdir, "trends_compute_over_time")


def _compute_panel(ax, trend) -> np.ndarray:
    """Training compute of each system by year, with each era's fit; returns the systems' years."""
    yrs = np.array([s[0] for s in trend.systems])
    flop = np.array([s[1] for s in trend.systems])
    ax.scatter(yrs, flop, s=6, color="0.45", alpha=0.5, label=f"ML systems (Epoch AI, n={len(yrs)})")
    eras = [e for e in trend.eras if e.series == "training compute"]
    for k, e in enumerate(eras):
        g = np.linspace(e.start_year, e.end_year, 50)
        ax.plot(
            g,
            10 ** e.fit.predict_y(g),
            color=("#ff7f0e", "#d62728")[k % 2],
            lw=2.2,
            label=f"{e.start_year:.0f}-{e.end_year:.0f}: doubles every {e.doubling_months:.3g} months "
            f"(95% CI {e.doubling_months_ci[0]:.3g}-{e.doubling_months_ci[1]:.3g})",
        )
    ax.axvline(2012, color="0.3", lw=0.8, ls=":")
    ax.set_yscale("log")
    _log_axis(ax.yaxis, 14)
    ax.set_ylabel("training compute (FLOP, log scale)")
    ax.set_title(
        "Training compute of ML systems over time vs hardware peak rate (Figure 2 of Thompson et al. "
        "2020, on Epoch AI data)",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, alpha=0.3)
    return yrs


def _hardware_panel(ax, trend) -> np.ndarray:
    """The best chip's peak FLOP/s by release year (fp32; with tensor units), with each era's fit; returns the
    chips' years."""
    cy = np.array([c[0] for c in trend.chips])
    cp = np.array([c[1] for c in trend.chips])
    ax.scatter(cy, cp, s=16, color="#1f77b4", label="best fp32 peak released that year")
    if trend.tensor_chips:
        ty = np.array([c[0] for c in trend.tensor_chips])
        tp = np.array([c[1] for c in trend.tensor_chips])
        ax.scatter(
            ty,
            tp,
            s=16,
            marker="^",
            facecolors="none",
            edgecolors="#9467bd",
            label="best peak incl. fp16/bf16 tensor units",
        )
    for e in trend.eras:
        if not e.series.startswith("hardware"):
            continue
        g = np.linspace(e.start_year, e.end_year, 50)
        tensor = "tensor" in e.series
        ax.plot(
            g,
            10 ** e.fit.predict_y(g),
            color="#9467bd" if tensor else "#1f77b4",
            lw=1.8,
            ls="--" if tensor else "-",
            label=f"{'incl. tensor ' if tensor else 'fp32 '}{e.start_year:.0f}-{e.end_year:.0f}: doubles every "
            f"{e.doubling_months:.3g} months",
        )
    ax.axvline(2012, color="0.3", lw=0.8, ls=":")
    ax.set_yscale("log")
    _log_axis(ax.yaxis)
    ax.set_ylabel("chip peak (FLOP/s, log scale)")
    ax.set_xlabel("year (publication / chip release)")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(True, alpha=0.3)
    return cy


def write_plots(report, outdir: str | Path, *, trend=None) -> list[Path]:
    """Write every trends plot under ``outdir``; returns the files written."""
    out = Path(outdir)
    written: list[Path] = []
    for b in report.benchmarks:
        written += plot_benchmark(b, out)
    from flopcast.report.trends_figure3 import plot_projections  # it imports this module's helpers

    written += plot_projections(report, out)
    if trend is not None:
        written += plot_compute_trend(trend, out)
    return written


def _afford_panel(ax, gaps, label: str, unit: str) -> None:
    g0 = gaps[0]
    ends = [y for g in gaps for y in (g.year, g.year_interval[1]) if y is not None]
    x_hi = min(g0.curve[-1][0], max([g0.curve[0][0] + 10, *[e + 5 for e in ends]]))
    for g, color in zip(gaps, ("#1f77b4", "#2ca02c"), strict=False):
        pts = [c for c in g.curve if c[1] is not None and c[2] is not None and c[3] is not None and c[0] <= x_hi]
        if not pts:
            continue
        yr = np.array([c[0] for c in pts])
        tag = "with levers" if g.levers else "no levers"
        ax.plot(yr, [c[1] for c in pts], color=color, label=f"cost, median ({tag})")
        ax.fill_between(
            yr, [c[2] for c in pts], [c[3] for c in pts], color=color, alpha=0.15, label=f"95% interval ({tag})"
        )
        if g.year is not None:
            ax.axvline(g.year, color=color, ls=":", lw=1)
            ax.annotate(
                f"{g.year:.0f}", (g.year, g.budget), color=color, fontsize=8, xytext=(3, 6), textcoords="offset points"
            )
    ax.set_xlim(g0.curve[0][0], x_hi)
    ax.set_ylim(bottom=g0.budget / 1e3)
    budget = [(c[0], c[4]) for c in g0.curve if c[4] is not None and c[0] <= x_hi]
    ax.plot([b[0] for b in budget], [b[1] for b in budget], color="k", ls="--", lw=1.2, label="budget")
    ax.set_yscale("log")
    _log_axis(ax.yaxis)
    ax.set_ylabel(f"cost of the target ({unit}, log scale)")
    ax.set_xlabel("year")
    ax.set_title(label, fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")


def plot_affordability(affs, outdir: str | Path) -> list[Path]:
    """Cost of each target over the years under the trends, with the budget line and the year it crosses.

    One figure per benchmark and target: a panel per form (rows) and budget (columns: USD, CO2).
    """
    plt = _plt()
    out = Path(outdir)
    written: list[Path] = []
    by_target: dict[tuple[str, float], list] = {}
    for a in affs:
        by_target.setdefault((a.benchmark, a.target_error), []).append(a)
    for (bench, target), group in by_target.items():
        quantities = list(dict.fromkeys(g.quantity for g in group[0].gaps))
        fig, axes = plt.subplots(
            len(group), len(quantities), figsize=(6.2 * len(quantities), 4.2 * len(group)), squeeze=False
        )
        for i, a in enumerate(group):
            for j, q in enumerate(quantities):
                unit = "USD" if q == "usd" else "t CO2e"
                _afford_panel(
                    axes[i][j],
                    [g for g in a.gaps if g.quantity == q],
                    f"{bench} {target:g}% error, {a.form} fit (n = {a.n}, R2 {a.r2:.2f}), {unit}",
                    unit,
                )
        fig.tight_layout()
        written += _save(fig, out, f"trends_affordability_{bench}_{target:g}".replace(".", "p"))
    return written


__all__ = [
    "THEORY_EXPONENT",
    "THEORY_LABEL",
    "benchmark_figure",
    "plot_affordability",
    "plot_benchmark",
    "plot_compute_trend",
    "theory_line",
    "write_plots",
]
