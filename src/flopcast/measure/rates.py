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
    notes: list[Assumption] = []
    acc = None
    if hardware is not None:
        acc = hw.get_accelerator(hardware)  # UnknownNameError with nearest names
        notes.append(Assumption("hardware", acc.name, "", acc.source, Basis.GIVEN))
    elif detected_gpus:
        try:
            acc = hw.get_accelerator(detected_gpus[0])
            notes.append(
                Assumption("hardware", acc.name, "", f"detected by NVML as {detected_gpus[0]!r}", Basis.MEASURED)
            )
        except InputError as exc:
            notes.append(
                Assumption(
                    "hardware",
                    None,
                    "",
                    f"detected GPU not in catalogue ({exc}); pass --hardware for MFU and cost",
                    Basis.UNAVAILABLE,
                )
            )
    if chips is None:
        chips = len(detected_gpus) or (1 if acc is not None else None)
        if chips is not None:
            notes.append(
                Assumption(
                    "chips",
                    chips,
                    "chips",
                    "GPUs visible to the job" if detected_gpus else "one chip (hardware given, none detected)",
                    Basis.MEASURED if detected_gpus else Basis.ASSUMED,
                )
            )
    else:
        notes.append(Assumption("chips", chips, "chips", "given", Basis.GIVEN))
    peak = None
    if acc is not None:
        if precision is None:
            precision = hw.default_training_precision(acc)
            notes.append(Assumption("precision", precision, "", "chip's usual training precision", Basis.ASSUMED))
        else:
            notes.append(Assumption("precision", precision, "", "given", Basis.GIVEN))
        peak = acc.peak(precision)  # PrecisionUnavailableError names the available ones
        notes.append(Assumption("peak_flop_per_s_per_chip", peak, "FLOP/s", acc.source, Basis.ASSUMED))
    grid = hw.get_region(region) if region is not None else None
    if pue is None:
        pue, source = hw.pue_for_region(grid.code if grid is not None else None)
        notes.append(Assumption("pue", pue, "", source, Basis.ASSUMED))
    else:
        notes.append(Assumption("pue", pue, "", "given", Basis.GIVEN))
    if grid is None:
        notes.append(hw.default_grid_assumption())
        g = float(notes[-1].value)
    else:
        region, g = grid.code, float(grid.g_co2e_per_kwh)
        notes.append(Assumption("grid_intensity", g, "gCO2e/kWh", f"{grid.name}: {grid.source}", Basis.ASSUMED))
    price = None
    if acc is not None:
        try:
            p = hw.get_price(acc, pricing)
            price = float(p.usd_per_chip_hour)
            notes.append(
                Assumption(
                    "price",
                    price,
                    "USD/chip-hour",
                    f"{p.provider} {p.pricing} as of {p.as_of}: {p.source}",
                    Basis.ASSUMED,
                )
            )
        except InputError as exc:
            notes.append(Assumption("price", None, "USD/chip-hour", f"no price: {exc}", Basis.UNAVAILABLE))
    return Rates(
        acc.name if acc is not None else None,
        chips,
        precision if acc is not None else None,
        peak,
        float(pue),
        region,
        g,
        price,
        tuple(notes),
        float(acc.tdp_watts) if acc is not None and acc.tdp_watts else None,
    )


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
