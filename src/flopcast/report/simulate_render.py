"""The terminal rendering of a :class:`flopcast.simulate.SimulationResult` (``flopcast simulate``): performance per
sample size with its 95 % interval and FLOP per fit, and the sample size and compute at which each flexible model
matches the oracle. Pure formatting: every figure comes from the result."""

from __future__ import annotations

from typing import Any


def _rows(result: Any):
    from flopcast.units import si

    sums = {m: result.model_summary(m) for m in ("oracle", "flexible", "regularized")}
    for i, n in enumerate(result.sample_sizes):
        row = [f"{n:,}"]
        for m, s in sums.items():
            row.append(f"{s['mean'][i]:.3f}±{(s['ci_high'][i] - s['ci_low'][i]) / 2:.3f}")
            row.append(si(float(result.compute_flop[m][i]), "FLOP"))
        yield row


def render_simulation(result: Any) -> None:
    """Print the performance table, the data and compute each flexible model needs to match the oracle, and the
    assumptions."""
    from flopcast.report.console import stdout, table

    c = result.config
    stdout.print(
        table(
            f"Figure 1 simulation: k={c.relevant} of p={c.features}, σ={c.noise:g}, "
            f"{c.sims:,} sims/size — performance mean ± 95 % CI",
            ["n", "oracle", "FLOP", "flexible", "FLOP", "lasso-CV", "FLOP"],
            _rows(result),
        )
    )
    m = result.data_to_match_oracle
    from flopcast.units import si

    def fmt(n, iv):
        if n is None:
            return "not reached within the sizes (add larger --sizes)"
        lo, hi = ("?" if v is None else f"{v:,.0f}" for v in iv)
        return f"n ≈ {n:,.0f} (95 % CI {lo}-{hi})"

    cm = result.compute_to_match_oracle_flop
    stdout.print(
        f"Oracle at n={m['reference_n']}: performance {m['target_performance']:.3f}, {si(cm['oracle'], 'FLOP')} per fit"
    )
    for model, label in (("flexible", "flexible (OLS)"), ("regularized", "lasso-CV")):
        flop = "" if cm[model] is None else f", {si(cm[model], 'FLOP')} per fit"
        stdout.print(f"  {label} matches it at {fmt(m[model], m[model + '_interval'])}{flop}")
    stdout.print(
        f"[dim]{result.backend}, {result.wall_seconds:.1f} s measured. Assumptions: k relevant "
        "coefficients = 1, x ~ N(0, I), FLOP per fit counted from the solver (multiply-add = 2; "
        "Gram included); see docs/simulate.md[/dim]"
    )
