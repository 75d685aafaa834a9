"""Memory fit: the fewest accelerators that hold a model's training state, with ZeRO-style sharding.

Bytes per parameter follow Rajbhandari et al. 2020 (ZeRO, sec. 3.1): mixed-precision Adam keeps
2 bytes of 16-bit weights, 2 of 16-bit gradients and K = 12 of fp32 optimizer state (master
weights, momentum, variance) per parameter; fp32 and fp64 weights need no master copy and their
states have the weights' width (the rule's one owner:
:func:`flopcast.count.precision.optimizer_state_bytes_per_param`). ZeRO stage 1 shards the optimizer
state across the data-parallel chips, stage 2 also the gradients, stage 3 also the weights (sec. 5).
Activations for the global batch are split across chips (data parallelism).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flopcast.count.precision import OPTIMIZER_STATES, optimizer_state_bytes_per_param
from flopcast.errors import InputError
from flopcast.estimate.formulas import positive
from flopcast.units import BYTES_PER_VALUE

# Weight bytes per precision: the value's width (flopcast.units), except that 8-bit compute keeps 16-bit weights.
_WEIGHT_BYTES = {p: max(b, 2) for p, b in BYTES_PER_VALUE.items()}
OPTIMIZERS = tuple(OPTIMIZER_STATES)
USABLE_MEMORY_FRACTION = 0.9  # flopcast assumption: ~10% of device memory goes to the runtime, allocator, buffers


class MemoryFitError(InputError):
    """The training state cannot fit on the chips given, or on any number of them at this sharding stage."""


@dataclass(frozen=True)
class MemoryFit:
    """Training memory by kind (bytes, whole job) and the fewest chips that hold it.

    Attributes
    ----------
    params_bytes, gradients_bytes, optimizer_state_bytes, activations_bytes : whole-job bytes.
    zero_stage : 0 (replicate all) .. 3 (shard weights, gradients and optimizer state).
    chip_memory_bytes : one chip's memory.
    usable_fraction : share of that memory assumed available to training state.
    min_chips : fewest chips that fit.
    """

    params_bytes: float
    gradients_bytes: float
    optimizer_state_bytes: float
    activations_bytes: float
    zero_stage: int
    chip_memory_bytes: float
    usable_fraction: float
    min_chips: int

    def per_chip_bytes(self, chips: float) -> float:
        """Bytes each chip holds when the job runs on ``chips`` chips."""
        replicated, sharded = _split(
            self.params_bytes, self.gradients_bytes, self.optimizer_state_bytes, self.activations_bytes, self.zero_stage
        )
        return replicated + sharded / chips

    def to_dict(self) -> dict[str, Any]:
        return {
            "params_bytes": self.params_bytes,
            "gradients_bytes": self.gradients_bytes,
            "optimizer_state_bytes": self.optimizer_state_bytes,
            "activations_bytes": self.activations_bytes,
            "total_bytes": self.params_bytes
            + self.gradients_bytes
            + self.optimizer_state_bytes
            + self.activations_bytes,
            "zero_stage": self.zero_stage,
            "chip_memory_bytes": self.chip_memory_bytes,
            "usable_fraction": self.usable_fraction,
            "min_chips": self.min_chips,
        }


def _split(p: float, g: float, o: float, a: float, stage: int) -> tuple[float, float]:
    """(replicated bytes per chip, bytes sharded across chips) for a ZeRO stage (Rajbhandari et al. 2020 sec. 5)."""
    replicated = (p if stage < 3 else 0.0) + (g if stage < 2 else 0.0) + (o if stage < 1 else 0.0)
    sharded = (p if stage >= 3 else 0.0) + (g if stage >= 2 else 0.0) + (o if stage >= 1 else 0.0) + a
    return replicated, sharded


def training_state_bytes(params: float, precision: str = "bf16", optimizer: str = "adam") -> tuple[float, float, float]:
    """(weights, gradients, optimizer state) in bytes for ``params`` parameters (ZeRO sec. 3.1)."""
    n = positive("params", params)
    if optimizer not in OPTIMIZER_STATES:
        raise InputError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    w = _WEIGHT_BYTES.get(precision, 4)
    return n * w, n * w, n * optimizer_state_bytes_per_param(optimizer, w)


def memory_fit(
    params: float,
    chip_memory_bytes: float,
    *,
    precision: str = "bf16",
    optimizer: str = "adam",
    zero_stage: int = 3,
    activations_bytes: float = 0.0,
    usable_fraction: float = USABLE_MEMORY_FRACTION,
) -> MemoryFit:
    """Fewest chips holding weights + gradients + optimizer state + activations.

    With ``r`` replicated and ``s`` sharded bytes, a chip holds ``r + s / n``; the minimum ``n`` is
    ``ceil(s / (M u - r))`` for chip memory ``M`` and usable fraction ``u``. Raises
    :class:`MemoryFitError` if ``r`` alone exceeds ``M u`` (no chip count helps at that stage).
    """
    if zero_stage not in (0, 1, 2, 3):
        raise InputError(f"zero stage must be 0, 1, 2 or 3, got {zero_stage!r}")
    mem = positive("chip memory", chip_memory_bytes)
    act = positive("activation bytes", activations_bytes, allow_zero=True)
    p, g, o = training_state_bytes(params, precision, optimizer)
    replicated, sharded = _split(p, g, o, act, zero_stage)
    room = mem * usable_fraction - replicated
    if room <= 0:
        raise MemoryFitError(
            f"impossible memory fit: at ZeRO stage {zero_stage} each chip must hold {replicated / 1e9:.1f} GB "
            f"replicated, more than {mem * usable_fraction / 1e9:.1f} GB usable; raise --zero-stage (3 shards "
            "everything) or pick a chip with more memory"
        )
    n = max(1, math.ceil(sharded / room * (1 - 1e-12)))
    return MemoryFit(p, g, o, act, zero_stage, mem, usable_fraction, n)
