"""Scaling-law plots: loss vs compute with the fitted frontier and its bootstrap band; the IsoFLOP view.

Matplotlib with the Agg backend; the format follows the file's suffix (``.png``, ``.svg``, ``.pdf``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from flopcast.scaling.laws import FLOP_PER_PARAM_TOKEN
from flopcast.scaling.laws_plan import loss_at_flop, optimal_allocation


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plain_y(ax) -> None:
    """Loss ticks as plain numbers (2.5, 3) rather than 2.5x10^0 on the log axis."""
    from matplotlib.ticker import FormatStrFormatter

    ax.yaxis.set_major_formatter(FormatStrFormatter("%.3g"))
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%.3g"))


def _finish_log_log(plt, fig, ax, path: Path, xlabel: str, title: str) -> Path:
    """Log-log loss axes with labels, legend and grid; save to ``path`` and close the figure."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_y(ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _flop_span(fit, runs, plan) -> tuple[float, float]:
    lo, hi = float(np.min(runs.flop)), float(np.max(runs.flop))
    if plan is not None and np.isfinite(plan.flop):
        lo, hi = min(lo, plan.flop), max(hi, plan.flop)
    return lo / 3, hi * 3


def frontier(fit, flop: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss along compute (compute-optimal for (N, D) laws) and its percentile-bootstrap band."""
    point = np.array([loss_at_flop(fit.law, fit.params, c) for c in flop])
    samples = fit.samples()
    if not samples:
        return point, point * np.nan, point * np.nan
    draws = np.array([[loss_at_flop(fit.law, p, c) for c in flop] for p in samples[:200]])
    tail = 50 * (1 - fit.confidence)
    return point, np.nanpercentile(draws, tail, axis=0), np.nanpercentile(draws, 100 - tail, axis=0)


def plot_loss_vs_compute(
    fit, runs, path: str | Path, plan: Any = None, points: tuple[tuple[float, float, str, str], ...] = ()
) -> Path:
    """Runs (coloured by model size), the fitted frontier, its band and an optional plan's forecast.

    ``points`` adds labelled markers, each ``(flop, loss, label, marker)`` (e.g. a held-out run's forecast
    and actual loss).
    """
    plt = _pyplot()
    path = Path(path)
    fig, ax = plt.subplots(figsize=(7.5, 5))
    lo, hi = _flop_span(fit, runs, plan)
    grid = np.logspace(np.log10(lo), np.log10(hi), 80)
    _scatter_runs(fig, ax, runs)
    _frontier_band(ax, fit, grid)
    fmax = float(np.max(runs.flop))
    ax.axvline(fmax, color="grey", ls=":", lw=1, label="largest fitted run (extrapolation beyond)")
    if plan is not None and np.isfinite(plan.flop) and np.isfinite(plan.loss):
        _plan_marker(ax, plan)
    for i, (x, y, label, marker) in enumerate(points):
        ax.scatter([x], [y], marker=marker, s=90, color=f"C{4 + i}", edgecolors="k", zorder=5, label=label)
    return _finish_log_log(plt, fig, ax, path, "training compute C (FLOP)", f"Loss vs compute: {fit.formula}")


def _scatter_runs(fig, ax, runs) -> None:
    """The runs' loss by compute, coloured by model size (with a colour bar) when the runs have one."""
    style = dict(s=18, edgecolors="k", linewidths=0.3, label=f"runs (n={len(runs)})", zorder=3)
    if runs.params is None:
        ax.scatter(runs.flop, runs.loss, color="C0", **style)
        return
    from matplotlib.colors import LogNorm

    sc = ax.scatter(runs.flop, runs.loss, c=runs.params, norm=LogNorm(), cmap="viridis", **style)
    fig.colorbar(sc, ax=ax, label="model size N (parameters)")


def _frontier_band(ax, fit, grid: np.ndarray) -> None:
    """The fitted law along ``grid`` (compute-optimal for (N, D) laws) and its bootstrap band, if any."""
    point, band_lo, band_hi = frontier(fit, grid)
    what = "compute-optimal frontier" if optimal_allocation(fit.law, fit.params, grid[0]) else "fitted law"
    ax.plot(grid, point, color="C3", lw=2, label=f"{what} ({fit.law})")
    if np.any(np.isfinite(band_lo)):
        ax.fill_between(
            grid,
            band_lo,
            band_hi,
            color="C3",
            alpha=0.2,
            label=f"{fit.confidence:.0%} bootstrap band ({fit.bootstrap} refits)",
        )


def _plan_marker(ax, plan) -> None:
    """The plan's point: the loss a budget buys (interval on the loss) or the compute a target needs (on FLOP)."""
    by_flop = plan.given == "flop"
    ci = plan.ci.get("loss") if by_flop else plan.ci.get("flop")
    ax.scatter(
        [plan.flop],
        [plan.loss],
        marker="*",
        s=180,
        color="C1",
        edgecolors="k",
        zorder=4,
        label="plan: " + ("loss at budget" if by_flop else "compute for target"),
    )
    if not ci or None in ci:
        return
    at = plan.loss if by_flop else plan.flop
    err = {"yerr" if by_flop else "xerr": [[at - ci[0]], [ci[1] - at]]}
    ax.errorbar([plan.flop], [plan.loss], **err, color="C1", capsize=4, zorder=4)


def plot_isoflop(fit, runs, path: str | Path, levels: int = 6) -> Path:
    """IsoFLOP view: loss vs model size at fixed compute (C = 6ND) for ``levels`` budgets, optima marked."""
    plt = _pyplot()
    from matplotlib.colors import LogNorm

    path = Path(path)
    spec = fit.law_spec
    fig, ax = plt.subplots(figsize=(7.5, 5))
    budgets = np.logspace(np.log10(np.min(runs.flop)), np.log10(np.max(runs.flop)), levels)
    norm = LogNorm(vmin=budgets[0], vmax=budgets[-1])
    cmap = plt.get_cmap("plasma")
    n_lo, n_hi = float(np.min(runs.params)) / 3, float(np.max(runs.params)) * 3
    for c in budgets:
        n = np.logspace(np.log10(n_lo), np.log10(min(n_hi, c / FLOP_PER_PARAM_TOKEN)), 120)
        loss = spec.predict(fit.params, params=n, tokens=c / (FLOP_PER_PARAM_TOKEN * n))
        ax.plot(n, loss, color=cmap(norm(c)), lw=1.5)
        allocation = optimal_allocation(fit.law, fit.params, c)
        if allocation is None:  # a compute-only law has no (N, D) to mark
            continue
        n_opt, d_opt = allocation
        ax.scatter(
            [n_opt],
            [spec.predict(fit.params, params=n_opt, tokens=d_opt)],
            color=cmap(norm(c)),
            marker="D",
            edgecolors="k",
            s=40,
            zorder=4,
        )
    sc = ax.scatter(
        runs.params,
        runs.loss,
        c=runs.flop,
        norm=norm,
        cmap=cmap,
        s=14,
        edgecolors="k",
        linewidths=0.3,
        zorder=3,
        label=f"runs (n={len(runs)})",
    )
    fig.colorbar(sc, ax=ax, label="training compute C (FLOP)")
    ax.scatter([], [], marker="D", color="grey", edgecolors="k", label="compute-optimal N at that budget")
    ax.plot([], [], color="grey", label=f"fitted {fit.law} law along C = 6ND")
    return _finish_log_log(
        plt, fig, ax, path, "model size N (parameters)", "IsoFLOP view: loss vs model size at fixed compute"
    )


def plot_fit(fit, runs, path: str | Path, plan: Any = None) -> list[Path]:
    """Loss vs compute at ``path``; for (N, D) laws also the IsoFLOP view at ``<stem>-isoflop<suffix>``."""
    path = Path(path)
    out = [plot_loss_vs_compute(fit, runs, path, plan)]
    if fit.law_spec.inputs == ("params", "tokens") and runs.params is not None:
        out.append(plot_isoflop(fit, runs, path.with_name(f"{path.stem}-isoflop{path.suffix or '.png'}")))
    return out
