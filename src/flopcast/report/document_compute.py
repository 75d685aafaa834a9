"""A measured run's (or job's) training compute two ways, and the utilization their ratio implies.

Epoch AI's model pages give training compute with a confidence range; a tracked run has two measures of it:

- **operation counting**: measured steps × the FLOP per step the run was tracked with (given, or counted);
- **hardware burden**: chip-seconds × the chip's catalogue peak at the run's precision (Thompson et al. 2020's
  hardware burden), i.e. the compute at utilization 1: no run on those chips for that long computed more, so
  it is an upper bound;
- **implied utilization** = operation counting / hardware burden, over the wall time (MFU divides by the active
  time, start to last step, so the two differ by the time outside the steps).

A figure whose input is unknown (no FLOP per step, no steps reported, no accelerator or no peak at the
precision) is ``None``, labelled *unavailable* with what it needs, never a guess. O(1).
"""

from __future__ import annotations

from dataclasses import dataclass

from flopcast.provenance import Basis
from flopcast.report.document_model import Figure
from flopcast.units import SECONDS_PER_HOUR

COUNTING, BURDEN, IMPLIED = "training_flop_counting", "training_flop_burden", "implied_utilization"


@dataclass(frozen=True)
class ComputeInputs:
    """What the two measures are made of, as the record (or the job's aggregate) holds them."""

    steps: float | None
    flop_per_step: float | None
    flop_per_step_source: str  # "basis: source" of the FLOP per step figure
    chip_hours: float | None
    chip_hours_source: str  # how the chip-hours were made (chips × wall time; summed over nodes)
    hardware: str | None
    precision: str | None
    peak_flop_per_s_per_chip: float | None
    peak_source: str  # where the record's peak came from (the accelerator's datasheet)


def _counting(c: ComputeInputs) -> Figure:
    label = "training compute (operation counting)"
    if not c.flop_per_step:
        why = "needs the FLOP per step: track with --flop-per-step (or flop_per_step=, or a flopcast callback)"
        return Figure(COUNTING, label, None, "FLOP", Basis.UNAVAILABLE.value, why)
    if not c.steps:
        why = "no steps reported (the program never called run.step())"
        return Figure(COUNTING, label, None, "FLOP", Basis.UNAVAILABLE.value, why)
    source = f"{c.steps:g} steps (measured) × {c.flop_per_step:.4g} FLOP per step ({c.flop_per_step_source})"
    return Figure(COUNTING, label, float(c.steps) * float(c.flop_per_step), "FLOP", Basis.ESTIMATED.value, source)


def _burden(c: ComputeInputs) -> Figure:
    label = "training compute (hardware burden, at peak: upper bound)"
    if c.hardware and c.peak_flop_per_s_per_chip and c.chip_hours is not None:
        source = (
            f"chip-seconds ({c.chip_hours:.4g} chip-hours × 3600: {c.chip_hours_source}) × {c.precision} peak "
            f"{c.peak_flop_per_s_per_chip:.4g} FLOP/s per chip ({c.hardware}: {c.peak_source}); utilization 1 "
            "assumed, so no run on these chips for this long computed more"
        )
        value = c.chip_hours * SECONDS_PER_HOUR * c.peak_flop_per_s_per_chip
        return Figure(BURDEN, label, float(value), "FLOP", Basis.ESTIMATED.value, source)
    if not c.hardware:
        why = "no accelerator given (--hardware) or detected: no catalogue peak"
    elif not c.peak_flop_per_s_per_chip:
        why = f"no catalogue peak for {c.hardware} at {c.precision or 'the run precision'} in the record"
    else:
        why = f"no chip-hours ({c.chip_hours_source})"
    return Figure(BURDEN, label, None, "FLOP", Basis.UNAVAILABLE.value, why)


def compute_bounds(c: ComputeInputs) -> tuple[Figure, Figure, Figure]:
    """(operation counting, hardware burden, implied utilization) of a measured run or job."""
    counting, burden = _counting(c), _burden(c)
    label = "implied utilization (operation counting / hardware burden)"
    if not isinstance(counting.value, float) or not isinstance(burden.value, float) or burden.value <= 0:
        needs = [f.label for f in (counting, burden) if f.value is None]
        why = f"needs {' and '.join(needs)}" if needs else "the hardware burden is 0 (no chip-time)"
        implied = Figure(IMPLIED, label, None, "fraction of peak", Basis.UNAVAILABLE.value, why)
    else:
        source = "operation counting / hardware burden, over the wall time (MFU divides by the active time instead)"
        ratio = counting.value / burden.value
        implied = Figure(IMPLIED, label, ratio, "fraction of peak", Basis.ESTIMATED.value, source)
    return counting, burden, implied
