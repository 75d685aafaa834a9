"""A paper-appendix card from a count and an estimate, without a run: per-pass FLOP, training compute by
operation counting and by hardware burden (chips × peak × hours, Thompson et al. 2020), time, energy, CO2e and
cost, each with the estimate's range. Every figure is planned (*estimated*), none measured.
"""

from __future__ import annotations

import math

from flopcast.errors import InputError
from flopcast.hardware import get_region
from flopcast.provenance import Basis
from flopcast.report.document_inputs import Counted, Planned
from flopcast.report.document_model import GRAMS_PER_KG, CardFacts, Figure, Report, constant_cost_figure, hardware_text
from flopcast.units import SECONDS_PER_HOUR


def _range(planned: Planned, key: str, scale: float = 1.0, unit: str = "") -> str:
    """``'the estimate; range 1.2 – 3.4 (favourable – unfavourable ends of the assumed ranges)'``."""
    lo, hi = (planned.data.get(end, {}).get(key) for end in ("low", "high"))
    if not all(isinstance(v, (int, float)) for v in (lo, hi)) or lo == hi:
        return "the estimate"
    return (
        f"the estimate; range {lo * scale:.4g} – {hi * scale:.4g}{' ' + unit if unit else ''} "
        "(favourable – unfavourable ends of its assumed ranges)"
    )


def _card_mismatch(counted: Counted | None, planned: Planned) -> tuple[str, ...]:
    """A note when the estimate was made for another model size than the count's (both given by the user)."""
    a = planned.assumption("params")
    if counted is None or counted.params is None or a is None or not isinstance(a.value, (int, float)):
        return ()
    if math.isclose(float(a.value), counted.params, rel_tol=0.01):
        return ()
    return (
        f"the estimate's params ({a.value:.4g}) differ from the count's ({counted.params:.4g}): "
        "re-run the estimate with --params from the count",
    )


def card_report(counted: Counted | None, planned: Planned) -> Report:
    """A paper-appendix card from a count and an estimate: per-pass FLOP, training compute by operation counting
    and by hardware burden (chips × peak × hours, Thompson et al. 2020), time, energy, CO2e, cost."""
    counts = _count_figures(counted) if counted is not None else []
    figs = (*counts, *_compute_figures(planned), *_planned_figures(planned))
    return Report(
        kind="card",
        subject=counted.model if counted else planned.path,
        title=f"Compute card: {counted.model}" if counted is not None else "Compute card",
        figures=figs,
        assumptions=(*(counted.assumptions if counted else ()), *planned.assumptions),
        card=_planned_card(planned),
        notes=("figures are planned (an estimate), not measured", *_card_mismatch(counted, planned)),
        estimate=planned.data,
        count=counted.data if counted else None,
    )


def _count_figures(counted: Counted) -> list[Figure]:
    """The model, its parameters and its FLOP per pass, as ``flopcast count`` counted them."""
    return [
        Figure("model", "model", counted.model, "", Basis.GIVEN.value, counted.path),
        Figure("params", "parameters", counted.params, "", Basis.MEASURED.value, "flopcast count"),
        Figure(
            "forward_flop",
            f"FLOP per pass ({counted.mode})",
            counted.forward_flop,
            "FLOP",
            Basis.ESTIMATED.value,
            "flopcast count (a multiply-add = 2 FLOP)" + ("; INCOMPLETE: a lower bound" if counted.incomplete else ""),
        ),
    ]


def _compute_figures(planned: Planned) -> list[Figure]:
    """Training compute two ways: operation counting (when the estimate used it) and hardware burden at peak."""
    burden = (
        planned.chips * planned.peak_flop_per_s * planned.wall_hours * SECONDS_PER_HOUR
        if planned.chips and planned.peak_flop_per_s and planned.wall_hours
        else None
    )
    counting = planned.training_flop if planned.method.startswith("operation counting") else None
    return [
        Figure(
            "training_flop_counting",
            "training compute (operation counting)",
            counting,
            "FLOP",
            Basis.ESTIMATED.value if counting is not None else Basis.UNAVAILABLE.value,
            planned.method if counting is not None else f"the estimate's method is {planned.method!r}",
        ),
        Figure(
            "training_flop_burden",
            "training compute (hardware burden, at peak)",
            burden,
            "FLOP",
            Basis.ESTIMATED.value if burden is not None else Basis.UNAVAILABLE.value,
            "chips × peak FLOP/s × hours (Thompson et al. 2020)"
            if burden is not None
            else "needs hardware, chips and hours in the estimate",
        ),
    ]


def _planned_figures(planned: Planned) -> list[Figure]:
    """Hardware, time, chip-hours, energy, CO2e and cost of the estimate, each with its range."""
    est = Basis.ESTIMATED.value
    wall_seconds = planned.wall_hours * SECONDS_PER_HOUR if planned.wall_hours is not None else None
    return [
        Figure(
            "hardware",
            "hardware",
            hardware_text(planned.hardware, planned.chips),
            "",
            Basis.GIVEN.value if planned.hardware else Basis.UNAVAILABLE.value,
            planned.path,
        ),
        Figure("wall_seconds", "time", wall_seconds, "s", est, _range(planned, "wall_hours", SECONDS_PER_HOUR, "s")),
        Figure("chip_hours", "chip-hours", planned.chip_hours, "h", est, _range(planned, "chip_hours")),
        Figure("energy_kwh", "energy (facility)", planned.energy_kwh, "kWh", est, _range(planned, "energy_kwh")),
        Figure("co2e_kg", "CO2e", planned.co2e_kg, "kg", est, _range(planned, "co2e_kg")),
        Figure("cost_usd", "cost", planned.cost_usd, "USD", est, _range(planned, "cost_usd")),
        constant_cost_figure(planned.cost_usd, planned.price_as_of),
    ]


def _planned_card(planned: Planned) -> CardFacts:
    """The card block of an estimate: planned emissions, the grid region when the user gave one."""
    return CardFacts(
        planned.co2e_kg * GRAMS_PER_KG if planned.co2e_kg is not None else None,
        f"flopcast estimate (planned, not measured: {planned.method})",
        region_label(planned.region),
        hardware_text(planned.hardware, planned.chips),
    )


def region_label(code: str | None) -> str | None:
    """``"FRA"`` -> ``"FRA (France)"`` from the grid catalogue (an unknown code as given; ``None`` stays None)."""
    if code is None:
        return None
    try:
        return get_region(code).label
    except InputError:
        return code
