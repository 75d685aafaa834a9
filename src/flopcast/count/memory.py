"""Training memory: parameters, gradients, optimizer state and saved activations, in bytes.

Optimizer state follows the accounting of Rajbhandari et al. 2020 (ZeRO, §3.1), whose one owner is
:func:`flopcast.count.precision.optimizer_state_bytes_per_param`: Adam keeps two moments per parameter;
when parameters are 16-bit (mixed precision) the moments and an fp32 master copy of the weights are kept
in fp32 (12 bytes per parameter). SGD with momentum keeps one buffer (fp32 + fp32 master under mixed
precision: 8 bytes per parameter). Activations are the
tensors autograd saves for backward during the forward pass, measured with
``torch.autograd.graph.saved_tensors_hooks`` and deduplicated by storage; parameter and buffer
storages are excluded (they are counted once under ``params``/``buffers``), model inputs that are
saved are included.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

from flopcast.count.precision import MASTER_BYTES, ZERO_SOURCE, optimizer_rule, optimizer_state_bytes_per_param
from flopcast.provenance import Assumption, Basis


class SavedActivations:
    """Pack hook that sums the bytes of distinct storages autograd saves (excluding ``exclude``)."""

    def __init__(self, exclude: Iterable[torch.Tensor]) -> None:
        self._seen: set[int] = set()
        for t in exclude:
            key = _storage_key(t)
            if key is not None:
                self._seen.add(key)
        self.bytes = 0

    def pack(self, t: torch.Tensor) -> torch.Tensor:
        key = _storage_key(t)
        if key is not None and key not in self._seen:
            self._seen.add(key)
            self.bytes += t.untyped_storage().nbytes()
        return t

    @staticmethod
    def unpack(t: torch.Tensor) -> torch.Tensor:
        return t

    def hooks(self):
        return torch.autograd.graph.saved_tensors_hooks(self.pack, self.unpack)


def _storage_key(t: torch.Tensor) -> int | None:
    try:
        return t.untyped_storage()._cdata
    except (RuntimeError, NotImplementedError, AttributeError, TypeError):  # sparse, nested, wrapper subclasses
        return None


def optimizer_state_bytes(optimizer: str | None, trainable: Iterable[torch.Tensor]) -> tuple[int, str]:
    """Bytes of optimizer state for ``trainable`` parameters, with the rule used (one line).

    Per parameter: :func:`flopcast.count.precision.optimizer_state_bytes_per_param` at the parameter's width
    (trainable tensors are floating point or complex: autograd refuses integer ones).
    """
    if optimizer is None:
        return 0, "no optimizer given: no optimizer state"
    total = 0
    mixed = False
    for p in trainable:
        mixed = mixed or p.element_size() < MASTER_BYTES
        total += p.numel() * int(optimizer_state_bytes_per_param(optimizer, p.element_size()))
    return total, optimizer_rule(optimizer, mixed)


def memory_bytes(
    params: Sequence[torch.Tensor],
    buffers: Sequence[torch.Tensor],
    *,
    mode: str,
    optimizer: str | None,
    activations: int,
) -> tuple[dict[str, int], tuple[Assumption, ...]]:
    """The ``memory_bytes`` mapping of a count and the assumptions behind it."""
    trainable = [p for p in params if p.requires_grad]
    param_bytes = sum(p.numel() * p.element_size() for p in params)
    buffer_bytes = sum(b.numel() * b.element_size() for b in buffers)
    train = mode == "train"
    grad_bytes = sum(p.numel() * p.element_size() for p in trainable) if train else 0
    opt_bytes, rule = optimizer_state_bytes(optimizer, trainable) if train else (0, "forward mode: no optimizer")
    out = {
        "params": param_bytes,
        "buffers": buffer_bytes,
        "gradients": grad_bytes,
        "optimizer_state": opt_bytes,
        "activations": activations,
    }
    out["total"] = sum(out.values())
    notes = (
        Assumption("optimizer_state", rule, "bytes", ZERO_SOURCE, Basis.ESTIMATED),
        Assumption(
            "activations",
            "tensors saved for backward during one forward, deduplicated by storage",
            "bytes",
            "torch.autograd.graph.saved_tensors_hooks",
            Basis.MEASURED,
        ),
        Assumption(
            "gradients",
            "one gradient per trainable parameter at its dtype" if train else "forward mode: none",
            "bytes",
            "autograd",
            Basis.ESTIMATED,
        ),
    )
    return out, notes
