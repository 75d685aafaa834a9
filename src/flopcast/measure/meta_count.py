"""FLOP per optimizer step counted from a trainer's model and first batch, on a *meta copy*: the user's model is
never run, moved or hooked, and no weights are copied.

:func:`meta_copy` deep-copies the module tree with every parameter and buffer replaced by a meta tensor of the
same shape (tied weights stay tied; a Lightning module's trainer is not copied); :func:`count_step_on_meta`
runs ``flopcast.count(copy, batch on meta, mode="train")`` once -- for a Lightning module through its
``training_step`` -- and multiplies by gradient-accumulation micro-batches and data-parallel ranks.
"""

from __future__ import annotations

import copy
import time
import warnings
from collections.abc import Mapping
from typing import Any

from flopcast.provenance import Assumption, Basis

COUNTED_SOURCE = "counted from model and batch"
_NOT_COPIED = ("_trainer", "_fabric")  # a LightningModule's back-references: the copy gets None


def meta_copy(model: Any) -> Any:
    """A copy of ``model`` whose parameters and buffers are meta tensors (shapes, dtypes, ``requires_grad`` and
    sharing kept; no storage); other attributes are deep-copied, a Lightning module's trainer is left out."""
    import torch

    memo: dict[int, Any] = {}
    for module in model.modules():
        for name in _NOT_COPIED:
            ref = module.__dict__.get(name)
            if ref is not None:
                memo[id(ref)] = None
    for p in model.parameters():
        memo.setdefault(id(p), torch.nn.Parameter(p.detach().to("meta"), requires_grad=p.requires_grad))
    for b in model.buffers():
        memo.setdefault(id(b), b.detach().to("meta"))
    return copy.deepcopy(model, memo)


def to_meta(batch: Any) -> Any:
    """``batch`` with every tensor on the meta device (dicts, lists, tuples walked; other values kept)."""
    import torch

    if isinstance(batch, torch.Tensor):
        return batch.detach().to("meta")
    if isinstance(batch, Mapping):
        return {k: to_meta(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        out = [to_meta(v) for v in batch]
        return type(batch)(*out) if hasattr(batch, "_fields") else type(batch)(out)
    return batch


def training_step_module(module: Any) -> Any:
    """A ``torch.nn.Module`` whose forward is ``module.training_step(batch, 0)``'s loss (what ``flopcast.count``
    runs for a Lightning module)."""
    import torch

    class TrainingStep(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, batch: Any) -> Any:
            out = self.inner.training_step(batch, 0)
            return out["loss"] if isinstance(out, Mapping) else out

    return TrainingStep(module)


def first_batch(loader: Any, batch_size: int | None = None) -> Any:
    """The loader's first batch built from its dataset's first items and its ``collate_fn`` -- without iterating
    the loader (no sampler or RNG state is consumed). Raises for a dataset that cannot be indexed."""
    size = int(getattr(loader, "batch_size", None) or batch_size or 1)
    dataset = loader.dataset
    items = [dataset[i] for i in range(min(size, len(dataset)))]
    return loader.collate_fn(items)


def count_step_on_meta(
    model: Any, batch: Any, *, accumulation: int = 1, world_size: int = 1, lightning: bool = False
) -> tuple[float, Assumption]:
    """FLOP of one optimizer step: ``flopcast.count`` of one micro-batch on a meta copy × ``accumulation``
    × ``world_size``. Raises whatever the count raises (the caller notes it and goes on)."""
    from flopcast.count import count

    t0 = time.perf_counter()
    clone = meta_copy(model)
    target = training_step_module(clone) if lightning else clone
    inputs = to_meta(batch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. self.log() without a trainer, in the copy's training_step
        result = count(target, (inputs,) if lightning or not isinstance(inputs, Mapping) else inputs, mode="train")
    per_micro = result.train_step_flop
    if not per_micro:
        raise ValueError("flopcast.count gave no training-step FLOP for this model")
    flop = float(per_micro) * accumulation * world_size
    how = "training_step" if lightning else "forward + backward"
    return flop, Assumption(
        "flop_per_step",
        flop,
        "FLOP",
        (
            f"flopcast.count({how} on a meta copy of the model, first batch, mode='train') = {per_micro:,} FLOP per "
            f"micro-batch × {accumulation} accumulation × {world_size} ranks; counted in "
            f"{time.perf_counter() - t0:.2f} s"
        ),
        Basis.ESTIMATED,
    )
