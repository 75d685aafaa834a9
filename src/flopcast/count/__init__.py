"""flopcast.count: FLOPs, MACs, parameters and memory of one pass of a PyTorch model.

``count(model, inputs, mode="forward"|"train")`` runs the model once under a
``TorchDispatchMode`` with flopcast's own formula table (every SDPA backend, fused RNN kernels,
grouped/transposed convolutions, einsum via its matmuls), on any device including ``meta``, and
returns a frozen :class:`CountResult`. torch is imported on first use of these names.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import Any

from flopcast._lazy import lazy_getattr

_LAZY = {
    "ATTENTIONS": ("flopcast.count.hf", "ATTENTIONS"),
    "DTYPES": ("flopcast.count.precision", "DTYPES"),
    "MODES": ("flopcast.count.api", "MODES"),
    "count": ("flopcast.count.api", "count"),
    "CountResult": ("flopcast.count.result", "CountResult"),
    "OpRecord": ("flopcast.count.result", "OpRecord"),
    "load_model": ("flopcast.count.sources", "load_model"),
    "require": ("flopcast.count.deps", "require"),
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = ["ATTENTIONS", "DTYPES", "MODES", "CountResult", "OpRecord", "count", "load_model", "require"]


class _CallableModule(types.ModuleType):
    """``flopcast.count`` is both this package and the function: importing the package binds the name
    ``count`` on ``flopcast`` to it, so ``from flopcast import count; count(model, x)`` must work too."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return import_module("flopcast.count.api").count(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
