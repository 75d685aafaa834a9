"""Figure 3 of ``flopcast trends``: computation, dollars and CO2 each target would take, on log axes.

One row of three panels per benchmark with projections (FLOP, USD, lbs CO2 against the target error),
both forms as lines through the projected values with their 95% prediction intervals as bands and
bars, and horizontal reference lines: today's largest training run (the largest training compute in
the bundled Epoch AI systems table, and what it costs at the run's conversion) and one New York City
month of CO2 (:data:`flopcast.trends.project.NYC_MONTH_CO2_LBS`, the comparator of Thompson et al. 2020).
An interval end the fit cannot bound (slope not distinguishable from 0, or past 1e300) is drawn as an
arrow to the panel's edge and the caption says so. Written as ``trends_projections.png/.svg``.

:func:`projections_figure` returns the matplotlib Figure (tests read its artists by ``gid``);
:func:`plot_projections` saves it. Cost: O(projections) artists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flopcast.report.trends_plots import _FORM_STYLE, _log_axis, _plt, _save
from flopcast.trends.project import NYC_MONTH_CO2_LBS, PAPER
from flopcast.trends.time import EPOCH_SOURCE, load_systems
from flopcast.units import LBS_PER_KG

STEM = "trends_projections"
QUANTITIES = ("flop", "usd", "co2e_lbs")
_LABELS = {"flop": "training computation (FLOP)", "usd": "cost (USD)", "co2e_lbs": "CO2 (lbs)"}


@dataclass(frozen=True)
class LargestRun:
    """The largest training compute among the bundled Epoch AI systems: today's largest training run."""

    flop: float
    model: str
    year: float
    source: str = EPOCH_SOURCE


def largest_training_run() -> LargestRun:
    """Max over :func:`flopcast.trends.time.load_systems` (the Epoch table Figure 2 uses): O(systems)."""
    year, flop, model = max(load_systems(), key=lambda s: s[1])
    return LargestRun(flop, model, year)


def _triple(p, quantity: str, conversion) -> tuple[float | None, float | None, float | None]:
    """(value, interval low, interval high) of one projection; None = not projected / unbounded."""
    if quantity == "flop":
        return p.flop, p.flop_low, p.flop_high
    if quantity == "usd":
        return p.usd, p.usd_low, p.usd_high
    if p.co2e_lbs is None:
        return None, None, None

    def lbs(flop):  # the projection's own conversion, linear in FLOP (its usd_low/high are made the same way)
        return None if flop is None else conversion.co2e_kg(flop) * LBS_PER_KG

    return p.co2e_lbs, lbs(p.flop_low), lbs(p.flop_high)


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v) and v > 0


def _draw_form(ax, projs, quantity: str, conversion, form: str, bench: str) -> list[float]:
    """One form's line, band and interval bars; arrows for unbounded ends. Returns the finite values drawn.

    Artists carry gids ``<bench>-<form>-<quantity>[-open-<i>-<edge>]`` (SVG ids: unique in the file)."""
    st = _FORM_STYLE[form]
    pts = sorted(
        ((p.target_error, *_triple(p, quantity, conversion)) for p in projs if p.form == form), key=lambda q: q[0]
    )
    shown = [(t, v, lo, hi) for t, v, lo, hi in pts if _finite(v)]
    if not shown:
        return []
    t = np.array([s[0] for s in shown])
    ax.plot(
        t, [s[1] for s in shown], marker="o", ms=4, lw=1.8, label=f"{form} fit", gid=f"{bench}-{form}-{quantity}", **st
    )
    bounded = [s for s in shown if _finite(s[2]) and _finite(s[3])]
    if len(bounded) >= 2:
        ax.fill_between(
            [s[0] for s in bounded],
            [s[2] for s in bounded],
            [s[3] for s in bounded],
            color=st["color"],
            alpha=0.12,
            lw=0,
            label=f"{form} 95% prediction interval",
        )
    values: list[float] = [float(s[1]) for s in shown if s[1] is not None]
    for j, (tt, v, lo, hi) in enumerate(shown):
        lo_ok, hi_ok = _finite(lo), _finite(hi)
        ax.plot(
            [tt, tt],
            [lo if lo_ok else v, hi if hi_ok else v],
            color=st["color"],
            lw=3,
            alpha=0.45,
            solid_capstyle="butt",
        )
        values += [float(x) for x, ok in ((lo, lo_ok), (hi, hi_ok)) if ok and x is not None]
        for edge, ok in ((0.0, lo_ok), (1.0, hi_ok)):
            if not ok:  # an open end: an arrow from the projected value to the panel's edge
                ax.annotate(
                    "",
                    xy=(tt, edge),
                    xycoords=("data", "axes fraction"),
                    xytext=(tt, v),
                    textcoords="data",
                    arrowprops=dict(arrowstyle="->", color=st["color"], lw=1.2, ls="--"),
                    gid=f"{bench}-{form}-{quantity}-open-{j}-{int(edge)}",
                )
    return values


def _references(ax, quantity: str, largest: LargestRun, conversion, bench: str) -> list[float]:
    """Today's largest run (every panel, at the run's conversion off the FLOP panel); NYC-month on CO2."""
    refs = []
    if quantity == "flop":
        refs.append(
            (
                "largest-run",
                largest.flop,
                f"today's largest training run: {largest.model} "
                f"({largest.year:.0f}), {largest.flop:.3g} FLOP (Epoch AI)",
                "0.2",
            )
        )
    elif quantity == "usd":
        refs.append(
            (
                "largest-run",
                conversion.usd(largest.flop),
                f"{largest.model}'s {largest.flop:.3g} FLOP at this conversion ({conversion.name})",
                "0.2",
            )
        )
    else:
        refs.append(
            (
                "largest-run",
                conversion.co2e_kg(largest.flop) * LBS_PER_KG,
                f"{largest.model}'s {largest.flop:.3g} FLOP at this conversion ({conversion.name})",
                "0.2",
            )
        )
        refs.append(
            (
                "nyc-month",
                NYC_MONTH_CO2_LBS,
                f"one NYC-month of CO2, {NYC_MONTH_CO2_LBS:.3g} lbs (Thompson et al. 2020)",
                "#8c564b",
            )
        )
    for gid, y, label, color in refs:
        ax.axhline(
            y, color=color, lw=1.1, ls="-." if gid == "nyc-month" else ":", label=label, gid=f"{bench}-{quantity}-{gid}"
        )
    return [float(r[1]) for r in refs if r[1] is not None]


def _panel(ax, bench: str, projs, quantity: str, conversion, largest: LargestRun | None) -> None:
    measure = projs[0].measure
    drawn = []
    for form in dict.fromkeys(p.form for p in projs):
        drawn += _draw_form(ax, projs, quantity, conversion, form, bench)
    priced_run = largest is not None and measure == "training"
    refs = _references(ax, quantity, largest, conversion, bench) if largest is not None and priced_run else []
    values = drawn + refs
    targets = sorted({p.target_error for p in projs})
    ax.set_xscale("log")
    ax.set_xlim(max(targets) * 1.5, min(targets) / 1.5)  # harder targets to the right
    if not drawn:
        why = "per-pass FLOP is not priced" if measure == "per-pass" else "not priced (see the caption)"
        ax.text(
            0.5,
            0.5,
            why,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=9,
            color="0.4",
            gid=f"{bench}-{quantity}-not-priced",
        )
    if not values:
        ax.set_yticks([])
    else:
        ax.set_yscale("log")
        ax.set_ylim(min(values) / 10, max(values) * 10)
        _log_axis(ax.yaxis)
        ax.legend(fontsize=6.5, loc="upper left", framealpha=0.9)
    ax.set_xticks(targets, [f"{t:g}" for t in targets])
    ax.xaxis.set_minor_locator(__import__("matplotlib").ticker.NullLocator())
    ax.set_xlabel("target error (%, log scale; harder to the right)")
    unit = _LABELS[quantity] if measure == "training" else "forward FLOP per pass"
    ax.set_ylabel(f"{unit}, log scale")
    ax.set_title(f"{bench} ({measure}): {_LABELS[quantity].split(' (')[0]}", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)


def _rows(report) -> list[tuple[str, list]]:
    """(benchmark, projections of the measure drawn: training if projected, else per-pass) per benchmark."""
    out = []
    for b in report.benchmarks:
        for m in ("training", "per-pass"):
            projs = [p for p in b.projections if p.measure == m]
            if projs:
                out.append((b.benchmark, projs))
                break
    return out


def _caption(report, rows) -> str:
    open_ends = any(
        p.flop is not None and not (_finite(p.flop_low) and _finite(p.flop_high)) for _, ps in rows for p in ps
    )
    unpriced = sorted(
        {
            f"{b} ({p.form})"
            for b, ps in rows
            for p in ps
            if p.measure == "training" and p.flop is not None and p.usd is None
        }
    )
    missing = sorted({f"{b} ({p.form})" for b, ps in rows for p in ps if p.flop is None})
    lines = [
        f"Lines: the projected value at each target ({report.projection_rows} rows, conversion "
        f"{report.conversion.name}); bars and bands: its 95% prediction interval (Fieller)."
    ]
    if open_ends:
        lines.append(
            "Arrows to the panel's edge: an interval end the fit cannot bound (slope not distinguishable "
            "from 0 at 95%, or beyond 1e300 FLOP)."
        )
    if unpriced:
        lines.append("Not priced (slope not significant; --allow-insignificant prices them): " + ", ".join(unpriced))
    if missing:
        lines.append("No projection (error does not fall with computation): " + ", ".join(missing))
    lines.append(f"Reference lines: today's largest training run ({EPOCH_SOURCE}); one NYC-month of CO2 ({PAPER}).")
    return "\n".join(lines)


def projections_figure(report, largest: LargestRun | None = None):
    """Figure 3 as a matplotlib Figure (None without projections); ``largest`` defaults to the Epoch table's."""
    rows = _rows(report)
    if not rows:
        return None
    if largest is None and any(ps[0].measure == "training" for _, ps in rows):
        largest = largest_training_run()
    plt = _plt()
    fig, axes = plt.subplots(len(rows), 3, figsize=(16.5, 3.9 * len(rows) + 1.2), squeeze=False)
    for ax_row, (bench, projs) in zip(axes, rows, strict=True):
        for ax, q in zip(ax_row, QUANTITIES, strict=True):
            _panel(ax, bench, projs, q, report.conversion, largest)
    fig.suptitle(
        "Figure 3: computation, cost and CO2 to reach each target error (both forms, 95% prediction intervals)",
        fontsize=11,
    )
    w, h = fig.get_size_inches()
    fig.subplots_adjust(
        left=0.7 / w, right=1 - 0.2 / w, top=1 - 0.95 / h, bottom=(0.75 + 0.8) / h, hspace=0.9 / 3.9, wspace=0.25
    )
    fig.text(0.7 / w, 0.15 / h, _caption(report, rows), fontsize=7.5, va="bottom", ha="left")
    return fig


def plot_projections(report, outdir: Path, largest: LargestRun | None = None) -> list[Path]:
    """Write Figure 3 as ``trends_projections.png`` and ``.svg``; nothing without projections."""
    fig = projections_figure(report, largest)
    return [] if fig is None else _save(fig, Path(outdir), STEM)


__all__ = ["QUANTITIES", "STEM", "LargestRun", "largest_training_run", "plot_projections", "projections_figure"]
