"""What a tracked run's measurements are worth: hardware peak, PUE, grid intensity, price — resolved
once before the run starts (so a bad name fails before the job), each with its provenance.

The catalogue comes from :mod:`flopcast.hardware`. No region given → the CO2e figure uses a stated
world-average grid intensity, labelled *assumed*, and the record says the region is unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flopcast.errors import InputError
from flopcast.measure.checks import RUN_NUMBERS, check_number
from flopcast.provenance import Assumption, Basis
from flopcast.units import SECONDS_PER_HOUR


@dataclass(frozen=True)
class Rates:
    """Conversion factors for one run, resolved before it starts."""

    hardware: str | None  # canonical accelerator name, or None
    chips: int | None
    precision: str | None
    peak_flop_per_s_per_chip: float | None
    pue: float
    region: str | None  # canonical region code; None = unknown
    g_co2e_per_kwh: float
    usd_per_chip_hour: float | None
    assumptions: tuple[Assumption, ...]
    tdp_watts_per_chip: float | None = None
    price_as_of: str | None = None  # the catalogue quote's date (nominal dollars of that date)

    @property
    def kg_co2e_per_kwh(self) -> float:
        return self.g_co2e_per_kwh / 1000.0  # grams -> kilograms

    @property
    def usd_per_second(self) -> float | None:
        if self.usd_per_chip_hour is None or not self.chips:
            return None
        return self.usd_per_chip_hour * self.chips / SECONDS_PER_HOUR

    def to_dict(self) -> dict[str, Any]:
        return {
            "hardware": self.hardware,
            "chips": self.chips,
            "precision": self.precision,
            "peak_flop_per_s_per_chip": self.peak_flop_per_s_per_chip,
            "pue": self.pue,
            "region": self.region,
            "g_co2e_per_kwh": self.g_co2e_per_kwh,
            "usd_per_chip_hour": self.usd_per_chip_hour,
            "tdp_watts_per_chip": self.tdp_watts_per_chip,
            "price_as_of": self.price_as_of,
            "assumptions": [a.to_dict() for a in self.assumptions],
        }


def _hardware_module() -> Any:
    from flopcast import hardware

    return hardware


def resolve_rates(
    *,
    hardware: str | None = None,
    chips: int | None = None,
    precision: str | None = None,
    region: str | None = None,
    pue: float | None = None,
    pricing: str = "on-demand",
    detected_gpus: Sequence[str] = (),
) -> Rates:
    """Look up everything a run's record needs; raises :class:`InputError` for a bad name or value.

    Parameters
    ----------
    hardware : str, optional
        Accelerator name (forgiving); when omitted, the first detected GPU's name is tried.
    chips : int, optional
        Accelerators used; default = GPUs detected, or 1 when ``hardware`` is given.
    precision : str, optional
        Precision key for the peak (``"bf16"``...); default = the chip's usual training precision.
    region : str, optional
        ISO3 country or cloud region; ``None`` → world average, labelled assumed.
    pue : float, optional
        Power usage effectiveness; default from the catalogue, labelled assumed.
    """
    if chips is not None:
        chips = int(check_number("chips", chips, RUN_NUMBERS["chips"]))
    if pue is not None and not (1.0 <= pue <= 3.0):
        raise InputError(f"pue must be between 1.0 and 3.0 (got {pue})")
    hw = _hardware_module()
    acc, notes = _accelerator(hw, hardware, detected_gpus)
    chips, chip_notes = _chips(chips, detected_gpus, acc)
    precision, peak, peak_notes = _peak(hw, acc, precision)
    grid = hw.get_region(region) if region is not None else None
    pue, pue_note = _pue(hw, pue, grid)
    if grid is not None:
        region = grid.code
    grid_note = _grid_intensity(hw, grid)
    price, price_notes, price_as_of = _price(hw, acc, pricing)
    return Rates(
        acc.name if acc is not None else None,
        chips,
        precision if acc is not None else None,
        peak,
        float(pue),
        region,
        float(grid_note.value),
        price,
        (*notes, *chip_notes, *peak_notes, pue_note, grid_note, *price_notes),
        float(acc.tdp_watts) if acc is not None and acc.tdp_watts else None,
        price_as_of,
    )


def _accelerator(hw: Any, hardware: str | None, detected_gpus: Sequence[str]) -> tuple[Any, list[Assumption]]:
    """The catalogue accelerator given (an unknown name raises) or detected (an unknown one is noted)."""
    if hardware is not None:
        acc = hw.get_accelerator(hardware)  # UnknownNameError with nearest names
        return acc, [Assumption("hardware", acc.name, "", acc.source, Basis.GIVEN)]
    if not detected_gpus:
        return None, []
    try:
        acc = hw.get_accelerator(detected_gpus[0])
    except InputError as exc:
        note = f"detected GPU not in catalogue ({exc}); pass --hardware for MFU and cost"
        return None, [Assumption("hardware", None, "", note, Basis.UNAVAILABLE)]
    return acc, [Assumption("hardware", acc.name, "", f"detected by NVML as {detected_gpus[0]!r}", Basis.MEASURED)]


def _chips(chips: int | None, detected_gpus: Sequence[str], acc: Any) -> tuple[int | None, list[Assumption]]:
    """Chips given, else the GPUs visible, else one when the hardware is known; ``None`` otherwise."""
    if chips is not None:
        return chips, [Assumption("chips", chips, "chips", "given", Basis.GIVEN)]
    chips = len(detected_gpus) or (1 if acc is not None else None)
    if chips is None:
        return None, []
    source = "GPUs visible to the job" if detected_gpus else "one chip (hardware given, none detected)"
    return chips, [Assumption("chips", chips, "chips", source, Basis.MEASURED if detected_gpus else Basis.ASSUMED)]


def _peak(hw: Any, acc: Any, precision: str | None) -> tuple[str | None, float | None, list[Assumption]]:
    """The precision (given, or the chip's usual training one) and the chip's peak FLOP/s at it."""
    if acc is None:
        return precision, None, []
    if precision is None:
        precision = hw.default_training_precision(acc)
        notes = [Assumption("precision", precision, "", "chip's usual training precision", Basis.ASSUMED)]
    else:
        notes = [Assumption("precision", precision, "", "given", Basis.GIVEN)]
    peak = acc.peak(precision)  # PrecisionUnavailableError names the available ones
    notes.append(Assumption("peak_flop_per_s_per_chip", peak, "FLOP/s", acc.source, Basis.ASSUMED))
    return precision, peak, notes


def _pue(hw: Any, pue: float | None, grid: Any) -> tuple[float, Assumption]:
    """The PUE given, or the catalogue's for the region (or its default), labelled assumed."""
    if pue is not None:
        return pue, Assumption("pue", pue, "", "given", Basis.GIVEN)
    pue, source = hw.pue_for_region(grid.code if grid is not None else None)
    return pue, Assumption("pue", pue, "", source, Basis.ASSUMED)


def _grid_intensity(hw: Any, grid: Any) -> Assumption:
    """The region's grid intensity, or the catalogue's stated world average when no region is given."""
    if grid is None:
        default: Assumption = hw.default_grid_assumption()
        return default
    g = float(grid.g_co2e_per_kwh)
    return Assumption("grid_intensity", g, "gCO2e/kWh", f"{grid.name}: {grid.source}", Basis.ASSUMED)


def _price(hw: Any, acc: Any, pricing: str) -> tuple[float | None, list[Assumption], str | None]:
    """The chip's USD/chip-hour for ``pricing`` and the quote's date; a missing price is noted as unavailable."""
    if acc is None:
        return None, [], None
    try:
        p = hw.get_price(acc, pricing)
    except InputError as exc:
        return None, [Assumption("price", None, "USD/chip-hour", f"no price: {exc}", Basis.UNAVAILABLE)], None
    price = float(p.usd_per_chip_hour)
    source = f"{p.provider} {p.pricing} as of {p.as_of}: {p.source}"
    return price, [Assumption("price", price, "USD/chip-hour", source, Basis.ASSUMED)], p.as_of


def mfu(achieved_flop_per_s: float, chips: int, peak_flop_per_s_per_chip: float) -> float:
    """Model FLOP/s utilisation = achieved / (chips × peak) (PaLM, Chowdhery et al. 2022, App. B)."""
    return achieved_flop_per_s / (chips * peak_flop_per_s_per_chip)


def count_flop_per_step(model: Any, batch: Any, world_size: int = 1) -> tuple[float, Assumption]:
    """FLOP of one global training step: ``flopcast.count(model, batch, mode="train")`` × ranks."""
    from flopcast.count import count

    per_rank = count(model, batch, mode="train").train_step_flop
    if not per_rank:
        raise InputError("flopcast.count gave no training-step FLOP for this model; pass flop_per_step")
    flop = float(per_rank) * world_size
    return flop, Assumption(
        "flop_per_step",
        flop,
        "FLOP",
        f"flopcast.count(model, batch, mode='train') × {world_size} ranks",
        Basis.ESTIMATED,
    )
