"""The floating-point formats a count runs in, their bytes, and the optimizer-state bytes rule; torch-free.

One owner for three facts the count and the memory fit share (:mod:`flopcast.estimate.memory` imports them):

- the dtype names a count accepts (``"bf16"``, ``"bfloat16"``, ``"torch.bfloat16"``), read through the package's
  one spelling table, :data:`flopcast.units.PRECISION_SPELLINGS` (the catalogue's precisions use it too);
- bytes per value: :data:`flopcast.units.BYTES_PER_VALUE`, the package's one table;
- the optimizer state per parameter (Rajbhandari et al. 2020, ZeRO, arXiv:1910.02054, sec. 3.1). With
  16-bit (mixed-precision) weights the optimizer keeps an fp32 master copy of the weights and its states in
  fp32: Adam holds the copy, momentum and variance, ``K = 12`` bytes per parameter; SGD with momentum
  ``4 + 4 = 8``; a stateless update (``"none"``, plain SGD) still needs the fp32 copy it updates, 4
  (the master copy: Micikevicius et al. 2018, Mixed Precision Training, arXiv:1710.03740, sec. 3.1). With
  fp32 or fp64 weights the update runs on the weights themselves: there is no master copy, and each state
  has the weights' width (``torch.optim.Adam`` and ``SGD`` allocate ``zeros_like(param)`` / a clone of the
  gradient), so fp32 Adam is ``2 x 4 = 8`` and fp64 Adam ``2 x 8 = 16`` bytes per parameter.

``count(..., optimizer=None)`` is not ``"none"``: it counts no update at all, so it reports no optimizer
state (and no master copy) whatever the dtype; ``"none"`` is the memory fit's stateless update.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from flopcast._names import normalize
from flopcast.units import BYTES_PER_VALUE, PRECISION_SPELLINGS

#: The dtypes a count builds and runs models in.
DTYPES = ("fp32", "bf16", "fp16")

_TORCH_NAMES = MappingProxyType({"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"})

ZERO_SOURCE = "Rajbhandari et al. 2020, ZeRO: Memory Optimizations Toward Training Trillion Parameter Models, §3.1"

#: Optimizer -> state tensors it keeps per parameter (Adam: momentum and variance; SGD: the momentum buffer).
OPTIMIZER_STATES = MappingProxyType({"adam": 2, "adamw": 2, "sgd": 1, "none": 0})
#: Bytes of one fp32 value: the master copy and each state under mixed precision.
MASTER_BYTES = BYTES_PER_VALUE["fp32"]


def dtype_name(name: object) -> str | None:
    """``"bfloat16"``, ``"torch.bfloat16"``, ``"BF16"`` -> ``"bf16"``; ``None`` for a name not in :data:`DTYPES`."""
    key = normalize(str(name).lower().replace("torch.", ""))
    key = PRECISION_SPELLINGS.get(key, key)
    return key if key in DTYPES else None


def torch_dtype_of(name: str) -> Any:
    """The torch dtype of a canonical name in :data:`DTYPES` (imports torch)."""
    import torch

    return getattr(torch, _TORCH_NAMES[name])


def optimizer_state_bytes_per_param(optimizer: str, weight_bytes: float) -> float:
    """Optimizer-state bytes per parameter for weights of ``weight_bytes`` bytes (module docstring, ZeRO sec. 3.1).

    16-bit weights (``weight_bytes < 4``): fp32 master copy plus fp32 states, ``4 x (states + 1)``;
    otherwise ``weight_bytes x states``. ``optimizer`` is a key of :data:`OPTIMIZER_STATES`.
    """
    states = OPTIMIZER_STATES[optimizer]
    if weight_bytes < MASTER_BYTES:
        return MASTER_BYTES * (states + 1)
    return weight_bytes * states


def optimizer_rule(optimizer: str, mixed: bool) -> str:
    """The rule :func:`optimizer_state_bytes_per_param` applied, in one line."""
    states = OPTIMIZER_STATES[optimizer]
    what = {2: "2 moments", 1: "1 momentum buffer", 0: "no state"}[states]
    rule = f"{optimizer}: {what} per parameter"
    if mixed:
        rule += " (16-bit parameters: fp32 states plus an fp32 master copy)"
    return rule
