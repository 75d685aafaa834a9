"""Checks of the numbers a tracked run is given: one place, one message shape, one per option.

Every physical input of a run (a TDP, a sampling interval, FLOP per step, step and chip counts) must be
a finite number on the right side of zero, or the record would carry a negative energy, an infinite
forecast or a CO2e figure that means nothing. Each check raises :class:`~flopcast.errors.InputError`
naming the library argument, the ``flopcast track`` option and the fix, in one line.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from flopcast.errors import InputError


@dataclass(frozen=True)
class Spec:
    """What one numeric argument of a run must be."""

    option: str  # the ``flopcast track`` flag that sets it
    unit: str  # unit in words, for the message
    integer: bool = False  # a count (whole number) rather than a quantity
    minimum: float = 0.0  # exclusive lower bound for quantities, inclusive for counts
    maximum: float = math.inf  # inclusive upper bound
    example: str = ""  # a valid value, for the fix


# One row per numeric argument of :class:`flopcast.measure.Run` (and ``flopcast track``).
RUN_NUMBERS: dict[str, Spec] = {
    "flop_per_step": Spec("--flop-per-step", "FLOP", example="1.2e12"),
    "total_steps": Spec("--total-steps", "steps", integer=True, minimum=1, example="1000"),
    "epochs": Spec("--epochs", "epochs", example="3"),
    "steps_per_epoch": Spec("--steps-per-epoch", "steps", integer=True, minimum=1, example="500"),
    "chips": Spec("--chips", "chips", integer=True, minimum=1, example="8"),
    # 1 ms to 1 day: faster sampling measures the tracker, slower exceeds threading's wait limits.
    "interval": Spec("--interval", "seconds", minimum=0.001, maximum=86_400.0, example="1"),
    "cpu_tdp_watts": Spec("--cpu-tdp", "W", example="150"),
}


def check_number(name: str, value: object, spec: Spec) -> float | int:
    """``value`` as a float (or an int for counts) satisfying ``spec``, else a one-line :class:`InputError`."""
    label = name
    fix = f"e.g. {spec.option} {spec.example} (or {name}={spec.example})" if spec.example else "give a positive number"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{label} must be a number of {spec.unit} (got {value!r}); {fix}")
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"{label} must be a finite number of {spec.unit} (got {value!r}); {fix}")
    if spec.integer:
        if not v.is_integer():
            raise InputError(f"{label} must be a whole number of {spec.unit} (got {value!r}); {fix}")
        if not spec.minimum <= v <= spec.maximum:
            raise InputError(f"{label} must be at least {spec.minimum:g} (got {value!r}); {fix}")
        return int(v)
    if not v > spec.minimum:
        bound = "positive" if spec.minimum == 0 else f"more than {spec.minimum:g} {spec.unit}"
        raise InputError(f"{label} must be {bound} (got {value!r} {spec.unit}); {fix}")
    if v > spec.maximum:
        raise InputError(f"{label} must be at most {spec.maximum:g} {spec.unit} (got {value!r}); {fix}")
    return v


def check_run_numbers(values: dict[str, Any]) -> dict[str, Any]:
    """Check every non-``None`` entry of ``values`` named in :data:`RUN_NUMBERS`; return them converted."""
    return {
        k: (None if v is None else check_number(k, v, RUN_NUMBERS[k]) if k in RUN_NUMBERS else v)
        for k, v in values.items()
    }


def total_steps_of(total_steps: int | None, epochs: float | None, steps_per_epoch: int | None) -> int | None:
    """Steps in the whole run from ``total_steps`` or ``epochs × steps_per_epoch`` (rounded up).

    One of the two epoch arguments alone is refused (it would be silently ignored), and so is a
    ``total_steps`` that contradicts ``epochs × steps_per_epoch``.
    """
    if (epochs is None) != (steps_per_epoch is None):
        given, missing = (
            ("epochs (--epochs)", "steps_per_epoch (--steps-per-epoch)")
            if epochs is not None
            else ("steps_per_epoch (--steps-per-epoch)", "epochs (--epochs)")
        )
        raise InputError(
            f"{given} needs {missing} to give the run's total steps; pass both, or total_steps (--total-steps) instead"
        )
    if epochs is None or steps_per_epoch is None:
        return total_steps
    from_epochs = math.ceil(epochs * steps_per_epoch)
    if total_steps is not None and total_steps != from_epochs:
        raise InputError(
            f"total_steps (--total-steps) {total_steps} contradicts epochs × steps_per_epoch = "
            f"{epochs:g} × {steps_per_epoch} = {from_epochs}; pass one or the other"
        )
    return from_epochs
