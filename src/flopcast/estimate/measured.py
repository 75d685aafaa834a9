"""Measured rates for an estimate: utilization and board power per chip from tracked runs on the same chip.

Pure data (``flopcast.measure.calibrate`` reads the ledger and builds a :class:`MeasuredRates`); this module
checks that the rates fit the estimate they are given to (same accelerator, same precision, and no assumed
utilization or power fraction given beside them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flopcast.errors import InputError
from flopcast.hardware import Accelerator, normalize_precision

BOTH_UTILIZATION = "give --utilization or --calibrate (which measures it on tracked runs), not both: drop --utilization"


@dataclass(frozen=True)
class MeasuredRates:
    """Utilization and board power per chip measured on tracked runs, each as (low, central, high).

    Attributes
    ----------
    hardware : canonical accelerator name the runs ran on (the estimate must be for the same chip).
    precision : the precision whose dense peak the runs' MFU is relative to.
    utilization : (low, central, high) model FLOP utilization, fraction of that peak, in (0, 1].
    watts_per_chip : (low, central, high) mean board power per chip while training, W.
    source : which runs, and how the central value and the range were taken (printed with each figure).
    """

    hardware: str
    precision: str
    utilization: tuple[float, float, float]
    watts_per_chip: tuple[float, float, float]
    source: str

    def __post_init__(self) -> None:
        for name, (lo, c, hi) in (("utilization", self.utilization), ("watts_per_chip", self.watts_per_chip)):
            if not all(isinstance(v, (int, float)) and math.isfinite(v) and v > 0 for v in (lo, c, hi)):
                raise InputError(f"measured {name} must be positive finite numbers, got {(lo, c, hi)!r}")
            if not lo <= c <= hi:
                raise InputError(f"measured {name} must be (low, central, high) in order, got {(lo, c, hi)!r}")
        if self.utilization[2] > 1:
            raise InputError(
                f"measured utilization above 1 ({self.utilization[2]:g}): the runs' FLOP per step or hardware is wrong"
            )


def refuse_both_utilization(utilization: float | None) -> None:
    """Refuse an assumed ``utilization`` beside measured rates (:data:`BOTH_UTILIZATION`); needs no rates, so a
    caller about to measure them (``estimate --calibrate``) refuses before it reads the ledger."""
    if utilization is not None:
        raise InputError(BOTH_UTILIZATION)


def check_measured(
    measured: MeasuredRates | None,
    acc: Accelerator | None,
    utilization: float | None,
    power_fraction: float | None,
    conversion: str,
    precision: str | None,
) -> None:
    """Refuse (:class:`InputError`) what conflicts with ``measured``; no precision given uses the runs'."""
    if measured is None:
        return
    refuse_both_utilization(utilization)
    if power_fraction is not None:
        raise InputError(
            "calibrated board power is measured, not a fraction of TDP: drop --power-fraction (or --calibrate)"
        )
    if conversion != "hardware":
        raise InputError(f"--calibrate applies to the hardware conversion, not {conversion}; drop one of them")
    if acc is None:
        raise InputError(f"the calibration was measured on {measured.hardware}: add --hardware {measured.hardware!r}")
    if acc.name != measured.hardware:
        raise InputError(
            f"the calibration was measured on {measured.hardware}, but the estimate is for "
            f"{acc.name}; calibrate from runs on {acc.name}"
        )
    if precision is not None and precision != "auto" and normalize_precision(precision, acc) != measured.precision:
        raise InputError(
            f"the runs' MFU is relative to the {measured.precision} peak, but the estimate uses "
            f"{normalize_precision(precision, acc)}: drop --precision or pass --precision "
            f"{measured.precision}"
        )
