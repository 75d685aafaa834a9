"""``estimate()``: training compute, then time, chips, cost, energy and CO2e, with low/central/high.

Pure: numbers in, an :class:`Estimate` out (bundled reference tables are read through
:mod:`flopcast.hardware`). Every assumed number is listed in ``Estimate.assumptions`` with its
source and basis (given / assumed / estimated / unavailable).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any

from flopcast._display import Displayable
from flopcast.errors import InputError
from flopcast.estimate import defaults as D
from flopcast.estimate import formulas as F
from flopcast.estimate.compute import ComputeInputs, ComputeSource, compute_source
from flopcast.estimate.energy import EnergyInputs, EnergyOptions, energy_inputs
from flopcast.estimate.measured import MeasuredRates, check_measured
from flopcast.estimate.memory import MemoryFit, MemoryFitError
from flopcast.estimate.ranges import PriceInputs, evaluate_ranges, price_inputs
from flopcast.estimate.schedule import MemoryOptions, Schedule, accelerator, schedule, utilization_range
from flopcast.hardware import Accelerator
from flopcast.provenance import Assumption, Basis

ESTIMATE_SCHEMA = "flopcast.estimate/1"
_RATIO = F.BACKWARD_FORWARD_RATIO
CONVERSIONS = ("hardware", "thompson2020")
FIGURES = ("training_flop", "wall_hours", "chip_hours", "chips", "cost_usd", "energy_kwh", "co2e_kg", "co2e_lbs")


@dataclass(frozen=True, repr=False)  # repr: Displayable's one line (flopcast._display)
class Estimate(Displayable):
    """Training compute and its consequences. Uncertain figures also have ``low``/``high`` values.

    Attributes
    ----------
    training_flop : training compute, FLOP.
    method : how it was obtained (operation counting, hardware burden, given).
    wall_hours : wall-clock training time, hours (``None`` without hardware).
    chip_hours : accelerator-hours.
    cost_usd : US dollars (cloud price x chip-hours, electricity for owned hardware, or Thompson 2020).
    region : the grid region's code where the user named one (``None``: the default grid or a given intensity).
    price_as_of : date of the catalogue quote the cost uses (``None`` for a given price, owned hardware or
        Thompson 2020): nominal dollars of that date (``flopcast.hardware.to_constant_usd`` re-expresses them).
    energy_kwh : facility energy, kWh (chips x TDP x power fraction x (1 + host overhead) x PUE).
    co2e_kg, co2e_lbs : location-based emissions, kg and lbs CO2e.
    low, high : the same figures at the favourable / unfavourable ends of the assumed ranges.
    assumptions : every input the figures rest on, with source and basis.
    chips : accelerators used (given, from a deadline, or the memory-fit minimum).
    hardware, precision, utilization, conversion : what the figures were computed with.
    memory : the memory fit, where parameters and chip memory are known.
    """

    training_flop: float
    method: str
    wall_hours: float | None
    chip_hours: float | None
    cost_usd: float | None
    energy_kwh: float | None
    co2e_kg: float | None
    co2e_lbs: float | None
    low: Mapping[str, float]
    high: Mapping[str, float]
    assumptions: tuple[Assumption, ...]
    chips: float | None = None
    hardware: str | None = None
    precision: str | None = None
    utilization: float | None = None
    conversion: str = "hardware"
    memory: MemoryFit | None = None
    caveats: tuple[str, ...] = field(default_factory=tuple)
    price_as_of: str | None = None
    region: str | None = None

    _headline = ("training_flop", "hardware", "wall_hours", "cost_usd", "energy_kwh", "co2e_kg")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": ESTIMATE_SCHEMA,
            "training_flop": self.training_flop,
            "method": self.method,
            "wall_hours": self.wall_hours,
            "chip_hours": self.chip_hours,
            "cost_usd": self.cost_usd,
            "price_as_of": self.price_as_of,
            "region": self.region,
            "energy_kwh": self.energy_kwh,
            "co2e_kg": self.co2e_kg,
            "co2e_lbs": self.co2e_lbs,
            "chips": self.chips,
            "hardware": self.hardware,
            "precision": self.precision,
            "utilization": self.utilization,
            "conversion": self.conversion,
            "low": dict(self.low),
            "high": dict(self.high),
            "memory": self.memory.to_dict() if self.memory else None,
            "assumptions": [a.to_dict() for a in self.assumptions],
            "caveats": list(self.caveats),
        }


def _check_choices(conversion: str, architecture: str | None) -> None:
    if conversion not in CONVERSIONS:
        raise InputError(f"unknown conversion {conversion!r}; choose one of {', '.join(CONVERSIONS)}")
    if architecture is not None and architecture not in D.ARCHITECTURE_CAVEATS:
        raise InputError(f"unknown architecture {architecture!r}; choose one of {', '.join(D.ARCHITECTURE_CAVEATS)}")


def estimate(
    *,
    flop: float | None = None,
    params: float | None = None,
    tokens: float | None = None,
    forward_flop: float | None = None,
    examples: float | None = None,
    epochs: float = 1.0,
    hardware: str | Accelerator | None = None,
    chips: float | None = None,
    hours: float | None = None,
    utilization: float | None = None,
    precision: str | None = None,
    region: str | None = None,
    pue: float | None = None,
    pricing: str = "on-demand",
    conversion: str = "hardware",
    layers: float | None = None,
    context: float | None = None,
    d_model: float | None = None,
    backward_forward_ratio: float = _RATIO,
    architecture: str | None = None,
    provider: str | None = None,
    usd_per_chip_hour: float | None = None,
    power_fraction: float | None = None,
    host_overhead: float = 0.0,
    electricity_usd_per_kwh: float | None = None,
    optimizer: str = "adam",
    zero_stage: int = 3,
    activations_bytes: float = 0.0,
    memory_params: float | None = None,
    language_model: bool | None = None,
    g_co2e_per_kwh: float | None = None,
    family: str | None = None,
    measured: MeasuredRates | None = None,
) -> Estimate:
    """Estimate training compute, wall-clock time, chips, cost, energy and CO2e.

    Compute comes from exactly one source: ``flop``; ``params`` and ``tokens`` (6ND, plus the
    attention term given ``layers``, ``context``, ``d_model``); ``forward_flop`` and ``examples``
    (x ``epochs``, x (1 + ``backward_forward_ratio``)); or, with none of these, the hardware burden
    ``chips x peak x hours x utilization``. With ``hardware``: ``chips`` gives the wall clock,
    ``hours`` alone gives the chips a deadline needs, both give the implied utilization, neither
    uses the memory-fit minimum (needs ``params``, or ``memory_params`` when compute comes from
    elsewhere; ``activations_bytes`` is the activation memory of the whole batch, split across chips).

    ``architecture="encoder-decoder"`` counts 6 (N/2) D on the params/tokens path (each token meets
    only the encoder or the decoder half). ``precision=None`` uses
    :func:`~flopcast.hardware.default_training_precision`; ``utilization=None`` uses the convention of
    ``family`` (``"language"`` 0.3, ``"other"`` 0.4: Epoch AI's; without it ``language_model``, and
    without that the 6ND path counts as a language model) with a range, or 1.0 (peak) for
    ``conversion="thompson2020"``, which also prices compute with the paper's factors
    (dollars = FLOP / 6.874e16, lbs CO2 = FLOP / 3.498e17). ``pricing``: ``on-demand``, ``spot``,
    ``reserved`` (cloud quotes, low/median/high) or ``owned`` (electricity only). ``g_co2e_per_kwh``
    overrides the region's grid intensity. ``measured`` (``flopcast.measure.calibrate``) replaces the assumed
    utilization and TDP x power fraction with tracked runs'. Utilization, power and price ranges give ``low``/``high``.

    Raises
    ------
    InputError
        Missing, conflicting, zero or negative inputs; unknown hardware/region/precision; an
        impossible memory fit or an implied utilization above 1.
    """
    # Each step validates its own option group once, in this order (so the first bad input is the one named).
    _check_choices(conversion, architecture)
    source = compute_source(
        ComputeInputs(
            flop=flop,
            params=params,
            tokens=tokens,
            forward_flop=forward_flop,
            examples=examples,
            epochs=epochs,
            layers=layers,
            context=context,
            d_model=d_model,
            backward_forward_ratio=backward_forward_ratio,
            architecture=architecture,
        )
    )
    acc = accelerator(hardware, chips, hours, source.kind)
    check_measured(measured, acc, utilization, power_fraction, conversion, precision)
    n_chips = float(F.whole("chips", chips)) if chips is not None else None
    memory = MemoryOptions(
        optimizer=optimizer,
        zero_stage=zero_stage,
        activations_bytes=activations_bytes,
        params=params if params is not None else memory_params,
    )
    n_hours = F.positive("hours", hours) if hours is not None else None
    energy_options = EnergyOptions(
        region=region,
        pue=pue,
        power_fraction=power_fraction,
        host_overhead=host_overhead,
        g_co2e_per_kwh=g_co2e_per_kwh,
        measured=measured,
    )
    urange = utilization_range(utilization, conversion, source.kind, family, language_model, measured)
    plan = schedule(
        acc,
        source,
        chips=n_chips,
        hours=n_hours,
        urange=urange,
        utilization_given=utilization is not None,
        precision=precision,
        memory=memory,
        measured=measured,
    )
    energy = energy_inputs(acc, energy_options, modelled=acc is not None and conversion == "hardware")
    price = price_inputs(
        acc,
        conversion=conversion,
        pricing=pricing,
        provider=provider,
        usd_per_chip_hour=usd_per_chip_hour,
        electricity_usd_per_kwh=electricity_usd_per_kwh,
    )
    return _result(source, plan, energy, price, conversion)


def _result(
    source: ComputeSource, plan: Schedule, energy: EnergyInputs, price: PriceInputs, conversion: str
) -> Estimate:
    """Figures at the central point and over the corners of the assumed ranges, with what they rest on."""
    scenario = partial(_figures, source, plan, energy, price.kind, conversion)
    central, low, high = evaluate_ranges(scenario, plan.utilization, energy.power_fraction, price.usd)
    _require_finite(central, low, high)
    caveats = (*source.caveats, *plan.caveats)
    if plan.mode == "deadline" and plan.fit is not None and central["chips"] == plan.fit.min_chips:
        caveats = (*caveats, "the memory-fit minimum, not the deadline, sets the chip count")
    chips_read: tuple[Assumption, ...] = ()
    if plan.mode in ("chips", "deadline"):
        chips_read = (
            Assumption(
                "chips",
                central["chips"],
                "chips",
                "given by the user"
                if plan.chips_given
                else "fewest chips meeting the deadline at the central utilization"
                if plan.mode == "deadline"
                else "memory-fit minimum",
                Basis.GIVEN if plan.chips_given else Basis.ESTIMATED,
            ),
        )
    read = _dedupe([*source.assumptions, *plan.assumptions, *energy.assumptions, *price.assumptions, *chips_read])
    acc = plan.accelerator
    return Estimate(
        training_flop=_known(central["training_flop"]),
        method=source.method,
        wall_hours=central["wall_hours"],
        chip_hours=central["chip_hours"],
        cost_usd=central["cost_usd"],
        energy_kwh=central["energy_kwh"],
        co2e_kg=central["co2e_kg"],
        co2e_lbs=central["co2e_lbs"],
        low=MappingProxyType(low),
        high=MappingProxyType(high),
        assumptions=tuple(read),
        chips=central["chips"],
        hardware=acc.name if acc else None,
        precision=plan.precision,
        utilization=plan.utilization.central if acc or source.kind == "burden" else None,
        conversion=conversion,
        memory=plan.fit,
        caveats=caveats,
        price_as_of=price.as_of if central["cost_usd"] is not None else None,
        region=energy.region,
    )


def _figures(
    source: ComputeSource,
    plan: Schedule,
    energy: EnergyInputs,
    price_kind: str,
    conversion: str,
    u: float,
    p: float,
    c: float | None,
) -> dict[str, float | None]:
    """Every figure at utilization ``u``, power fraction ``p`` and price ``c`` (``None``: no price)."""
    fig: dict[str, float | None] = dict.fromkeys(FIGURES)
    if source.kind == "burden":
        flop = F.hardware_burden(_known(plan.chips), _known(plan.peak_flop_per_s), _known(plan.hours), u)
    else:
        flop = _known(source.flop)
    fig["training_flop"] = flop
    chips, hours = _chips_and_hours(plan, flop, u)
    fig["chips"], fig["wall_hours"] = chips, hours
    chip_hours = fig["chip_hours"] = None if chips is None or hours is None else chips * hours
    if conversion == "thompson2020":
        lbs = fig["co2e_lbs"] = F.thompson2020_co2_lbs(flop)
        fig["cost_usd"], fig["co2e_kg"] = F.thompson2020_cost_usd(flop), lbs / F.kg_to_lbs(1.0)
        return fig
    kwh = None
    if chip_hours is not None and energy.watts is not None:
        kwh = fig["energy_kwh"] = F.energy_kwh(chip_hours, energy.watts, p, energy.pue, energy.host_overhead)
        kg = fig["co2e_kg"] = F.co2e_kg(kwh, energy.g_co2e_per_kwh)
        fig["co2e_lbs"] = F.kg_to_lbs(kg)
    if c is not None and chip_hours is not None:
        fig["cost_usd"] = (None if kwh is None else kwh * c) if price_kind == "owned" else chip_hours * c
    return fig


def _chips_and_hours(plan: Schedule, flop: float, u: float) -> tuple[float | None, float | None]:
    """(chips, wall-clock hours) of the run at utilization ``u``, by the schedule's mode."""
    if plan.mode in ("burden", "fixed"):
        return plan.chips, plan.hours
    if plan.mode == "chips":
        return plan.chips, F.wall_hours(flop, _known(plan.chips), _known(plan.peak_flop_per_s), u)
    if plan.mode == "deadline":
        peak = _known(plan.peak_flop_per_s)
        k = F.chips_for_deadline(flop, _known(plan.hours), peak, u)
        if plan.fit is not None:
            k = max(k, plan.fit.min_chips)
        return float(k), F.wall_hours(flop, k, peak, u)
    return None, None


def _known(value: float | None) -> float:
    """A figure the schedule guarantees (e.g. the peak in every mode but ``none``)."""
    if value is None:
        raise ValueError("internal: a figure this schedule guarantees is missing")
    return value


def _require_finite(*figures: Mapping[str, float | None]) -> None:
    """No figure may overflow to inf or nan (e.g. --params 1e200 --tokens 1e200)."""
    for fig in figures:
        for k, v in fig.items():
            if v is not None and not math.isfinite(v):
                raise InputError(f"{k} overflows ({v}); the inputs are out of range: check their units")


def _dedupe(items: list[Assumption]) -> list[Assumption]:
    seen: dict[str, Assumption] = {}
    for a in items:
        seen[a.name] = a  # the last word on a name wins (e.g. chips: given, then derived)
    return list(seen.values())


__all__ = ["CONVERSIONS", "Estimate", "MemoryFitError", "estimate"]
