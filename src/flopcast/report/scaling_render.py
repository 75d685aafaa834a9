"""Terminal rendering of scaling-law results (``flopcast scaling fit`` / ``plan``): the fitted parameters with
their intervals, the plan table, and one warning line per parameter the runs do not pin down."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from flopcast.report.console import assumption_line, stderr, stdout, table
from flopcast.units import si


def warn_unidentified(result: Any) -> None:
    """One yellow line on stderr per unidentified parameter (what runs would pin it down)."""
    for line in result.warnings:
        stderr.print(f"warning: {line}", style="yellow", markup=False, highlight=False)


def _g(v: float | None, digits: int = 4) -> str:
    return "n/a" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{v:.{digits}g}"


def _ci(pair) -> str:
    if not pair:
        return ""
    return "[" + ", ".join("unbounded" if v is None else _g(v, 3) for v in pair) + "]"


def render_fit(result: Any, written: Sequence[Any]) -> None:
    """``flopcast scaling fit``: parameters, intervals, residuals, the fitted range."""
    rows = [
        (name, "not identified", "runs do not pin it down (see warning)")
        if name in result.unidentified
        else (name, _g(value), _ci(result.ci.get(name)) if result.bootstrap else "")
        for name, value in result.params.items()
    ]
    stdout.print(
        table(
            f"{result.law}: {result.formula}  ({result.source})",
            ["parameter", "value", f"{result.confidence:.0%} CI (bootstrap, {result.bootstrap} refits)"],
            rows,
        ),
        highlight=False,
    )
    r = result.residual
    stdout.print(
        f"n = {result.n} runs; residuals in log loss: RMSE {r['rmse_log']:.3g}, max |r| "
        f"{r['max_abs_log']:.3g}; mean |error| {r['mean_abs_pct_error']:.2g}% of loss",
        highlight=False,
    )
    ranges = ", ".join(f"{k} {_g(lo, 3)}-{_g(hi, 3)}" for k, (lo, hi) in result.fitted_range.items())
    stdout.print(f"[dim]fitted over {ranges}; forecasts beyond are extrapolations[/dim]", highlight=False)
    for p in written:
        stdout.print(f"plot written to {p}", highlight=False)


def render_plan(p: Any, written: Sequence[Any]) -> None:
    """``flopcast scaling plan``: compute, loss, N, D, tokens per parameter, time and cost, assumptions."""
    loss = (
        ("not identified", "runs do not pin it down (see warning)")
        if "loss" in p.unidentified
        else (_g(p.loss), _ci(p.ci.get("loss")))
    )
    rows = [
        ("training compute", si(p.flop, "FLOP"), _ci(p.ci.get("flop"))),
        ("loss", *loss),
        (
            "model size N (compute-optimal)",
            si(p.params, "params") if p.params else "n/a (compute-only law)",
            _ci(p.ci.get("params")),
        ),
        ("tokens D", si(p.tokens, "tokens") if p.tokens else "n/a", _ci(p.ci.get("tokens"))),
        ("tokens per parameter", _g(p.tokens_per_param, 3), _ci(p.ci.get("tokens_per_param"))),
    ]
    e = p.estimate
    if e is not None:
        rows += [
            ("wall-clock hours", _g(e.wall_hours, 3), ""),
            ("chip-hours", _g(e.chip_hours, 3), ""),
            ("cost (USD)", _g(e.cost_usd, 3), ""),
            ("CO2e (kg)", _g(e.co2e_kg, 3), ""),
        ]
    given = "target loss" if p.given == "target_loss" else "compute budget"
    stdout.print(
        table(
            f"Scaling plan from the {p.law} law (given the {given})",
            ["quantity", "forecast", f"{p.confidence:.0%} CI (bootstrap over runs)"],
            rows,
        ),
        highlight=False,
    )
    if p.unreachable_fraction > 0:
        stdout.print(
            f"{p.unreachable_fraction:.0%} of bootstrap refits never reach the target (their irreducible "
            "loss is above it): the upper bound is unbounded",
            highlight=False,
        )
    if math.isfinite(p.extrapolation) and p.extrapolation > 1:
        stdout.print(
            f"[yellow]extrapolation: {p.extrapolation:.3g}x the largest fitted run's compute[/yellow]", highlight=False
        )
    for a in p.assumptions:
        stdout.print(assumption_line(a), highlight=False)
    if e is not None:
        for a in e.assumptions:
            stdout.print(assumption_line(a), highlight=False)
    for w in written:
        stdout.print(f"plot written to {w}", highlight=False)
