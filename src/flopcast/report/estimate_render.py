"""Terminal rendering of estimates (``flopcast estimate``): the figures with their ranges, the project's overhead
lines, and the calibration from tracked runs. Pure formatting of :class:`flopcast.estimate.Estimate`,
:class:`~flopcast.estimate.ProjectEstimate` and :class:`~flopcast.measure.calibrate.Calibration`."""

from __future__ import annotations

from typing import Any

from flopcast.estimate.project import FIGURES
from flopcast.report.console import assumption_line
from flopcast.units import SECONDS_PER_HOUR


def estimate_document(est: Any, proj: Any = None, cal: Any = None) -> dict[str, Any]:
    """The ``estimate --json`` document: the estimate's fields, with ``"project"`` (``--project``) and
    ``"calibration"`` (``--calibrate``) beside them when given."""
    return {
        **est.to_dict(),
        **({"project": proj.to_dict()} if proj else {}),
        **({"calibration": cal.to_dict()} if cal else {}),
    }


def estimate_json(est: Any, proj: Any = None, cal: Any = None) -> str:
    """``flopcast estimate --json``: :func:`estimate_document` as JSON text."""
    from flopcast.report.jsonout import dumps

    return dumps(estimate_document(est, proj, cal))


def render_estimate(est: Any) -> None:
    """``flopcast estimate``: each figure with its low-high range, the memory fit, caveats and assumptions."""
    from flopcast.report.console import stdout, table
    from flopcast.units import human_seconds, si

    def fmt(key: str, value, unit: str = "") -> str:
        if value is None:
            return "n/a"
        if key == "wall_hours":
            return human_seconds(value * SECONDS_PER_HOUR)
        if key == "cost_usd":
            return "$" + si(value, "", 3)
        if key == "chips":
            return f"{value:,.0f}"
        if key == "co2e_kg":
            return f"{value / 1000:,.3g} t" if value >= 1000 else f"{value:.3g} kg"
        return si(value, unit, 3)

    rows = []
    labels = [
        ("training_flop", "training compute", "FLOP"),
        ("chips", "chips", ""),
        ("wall_hours", "wall clock", ""),
        ("chip_hours", "chip-hours", "h"),
        ("cost_usd", "cost", ""),
        ("energy_kwh", "energy", "Wh"),
        ("co2e_kg", "CO2e", ""),
        ("co2e_lbs", "CO2e (lbs)", "lb"),
    ]
    for key, label, unit in labels:
        central = getattr(est, key)
        scale = 1000.0 if key == "energy_kwh" else 1.0  # kWh -> Wh so SI prefixes read naturally

        def conv(v, scale=scale):
            return None if v is None else v * scale

        lo, hi = est.low.get(key), est.high.get(key)
        rng = "" if lo is None or lo == hi else f"{fmt(key, conv(lo), unit)} - {fmt(key, conv(hi), unit)}"
        rows.append((label, fmt(key, conv(central), unit), rng))
    title = (
        f"flopcast estimate ({est.method}"
        + (f"; {est.hardware}, {est.precision}" if est.hardware else "")
        + (f"; conversion {est.conversion}" if est.conversion != "hardware" else "")
        + ")"
    )
    stdout.print(table(title, ["figure", "central", "low - high"], rows))
    if est.memory is not None:
        m = est.memory
        total = m.params_bytes + m.gradients_bytes + m.optimizer_state_bytes + m.activations_bytes
        stdout.print(
            f"memory fit: {m.min_chips} chip(s) minimum at ZeRO stage {m.zero_stage} "
            f"({total / 1e9:,.1f} GB of training state)"
        )
    for c in est.caveats:
        stdout.print(f"[yellow]caveat:[/yellow] {c}")
    for a in est.assumptions:
        value = a.value if not isinstance(a.value, float) else f"{a.value:.4g}"
        stdout.print(assumption_line(a, value), soft_wrap=True)


def _fig(key: str, value) -> str:
    from flopcast.units import si

    if value is None:
        return "n/a"
    if key == "usd":
        return "$" + si(value, "", 3)
    if key == "kg_co2e":
        return f"{value / 1000:,.3g} t" if value >= 1000 else f"{value:.3g} kg"
    if key == "kwh":
        return si(value * 1000.0, "Wh", 3)
    return si(value, "h", 3)


def _cell(key: str, central, low, high) -> str:
    text = _fig(key, central)
    if low is not None and high is not None and low != high:
        text += f" ({_fig(key, low)} - {_fig(key, high)})"
    return text


def render_project(proj: Any) -> None:
    """``estimate --project``: the final run, each overhead line with its factor and range, the total."""
    from flopcast.report.console import stdout, table

    keys = FIGURES

    def cells(central: dict, low, high) -> list[str]:
        return [_cell(k, central.get(k), low.get(k), high.get(k)) for k in keys]

    final = {
        "chip_hours": proj.final_chip_hours,
        "kwh": proj.final_kwh,
        "kg_co2e": proj.final_kg_co2e,
        "usd": proj.final_usd,
    }
    rows = [("final run", "", *cells(final, proj.final_low, proj.final_high))]
    for ln in proj.lines:
        factor = (
            f"{ln.value:.3g}"
            + (f" [{ln.value_low:.3g}-{ln.value_high:.3g}]" if ln.value_low != ln.value_high else "")
            + f" {ln.unit} ({ln.basis.value})"
        )
        line = {"chip_hours": ln.chip_hours, "kwh": ln.kwh, "kg_co2e": ln.kg_co2e, "usd": ln.usd}
        rows.append((f"+ {ln.name}", factor, *cells(line, ln.low, ln.high)))
    total = {
        "chip_hours": proj.total_chip_hours,
        "kwh": proj.total_kwh,
        "kg_co2e": proj.total_kg_co2e,
        "usd": proj.total_usd,
    }
    rows.append(("= total", "", *cells(total, proj.low, proj.high)))
    stdout.print(
        table(
            "project: final run + overheads (central (low - high))",
            ["line", "factor", "chip-hours", "energy", "CO2e", "cost"],
            rows,
            right_align_from=2,
        )
    )
    for ln in proj.lines:
        stdout.print(f"[dim]{ln.basis.value}: {ln.name} ({ln.kind}): {ln.source}[/dim]", soft_wrap=True)
    for text in proj.omitted:
        stdout.print(f"[dim]omitted: {text}[/dim]", soft_wrap=True)
    for c in proj.caveats:
        stdout.print(f"[yellow]caveat:[/yellow] {c}")


def render_calibration(cal: Any) -> None:
    """``estimate --calibrate``: which tracked runs set the utilization and power, and which were skipped."""
    from flopcast.report.console import stdout

    stdout.print(
        f"calibrated from {cal.n_runs} tracked run(s) on {cal.hardware} ({', '.join(cal.run_ids)}): "
        f"utilization {cal.utilization_central:.3g} ({cal.utilization_low:.3g}-{cal.utilization_high:.3g}), "
        f"{cal.watts_per_chip_central:.4g} W per chip ({cal.watts_per_chip_low:.4g}-"
        f"{cal.watts_per_chip_high:.4g}); median, min-max",
        soft_wrap=True,
    )
    for text in cal.skipped:
        stdout.print(f"[dim]calibration skipped {text}[/dim]", soft_wrap=True)
