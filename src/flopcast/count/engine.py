"""The counting engine: a ``TorchDispatchMode`` over flopcast's formula tables.

Each aten op that reaches the mode is planned once (matmul-class formula, optional "all ops"
formula, zero-cost, decomposable, or uncounted) and thereafter costs one dict lookup plus its
formula. FLOPs are attributed to the innermost running module; totals per module are summed up
the tree afterwards, so they nest by construction.

Recomputation: autograd runs backward with grad mode off (``loss.backward()`` without
``create_graph``), and activation checkpointing (``torch.utils.checkpoint``, reentrant or not)
re-runs the forward of a segment under ``torch.enable_grad()``. An op dispatched during backward
with grad mode on, or inside a module forward re-entered during backward (which also covers a
``no_grad`` block inside a recomputed module, such as rotary embeddings), is recomputed forward
work: phase ``"recompute"``, not ``"backward"``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from flopcast.count.formulas import MATMUL as MATMUL_TABLE
from flopcast.count.metakernels import META_KERNELS
from flopcast.count.ops import ALL as ALL_TABLE
from flopcast.count.ops import LISTED_ZERO, ZERO, is_metadata_only, pointwise
from flopcast.count.result import ALL, MATMUL, UNCOUNTED, OpRecord
from flopcast.count.result import ZERO as ZERO_KIND
from flopcast.count.tracker import ModuleTracker

_DECOMPOSE = "decompose"
_SILENT = "silent"  # zero-cost and not worth listing
_POINTWISE = pointwise(1)
_FOREACH_POINTWISE = {"_foreach_addcmul", "_foreach_addcdiv", "_foreach_lerp"}


def _plan(func) -> tuple[str, str, Any]:
    """(kind, operator name, formula) for one OpOverload; computed once per overload."""
    packet = func._overloadpacket
    name = str(packet)
    if name.startswith("profiler."):  # record_function markers (optimizer steps)
        return _SILENT, name, None
    f = MATMUL_TABLE.get(packet)
    if f is not None:
        return MATMUL, name, f
    f = ALL_TABLE.get(packet)
    if f is not None:
        return ALL, name, f
    if packet in ZERO:
        return (ZERO_KIND if packet in LISTED_ZERO else _SILENT), name, None
    if is_metadata_only(func):  # views, aliases, checks, queries, tensor-free factories
        return _SILENT, name, None
    tags = getattr(func, "tags", ())
    if torch.Tag.pointwise in tags or packet.__name__.startswith("_foreach_"):
        return ALL, name, _POINTWISE
    try:
        if torch._C._dispatch_has_kernel_for_dispatch_key(func.name(), "CompositeImplicitAutograd"):
            return _DECOMPOSE, name, None
    except (RuntimeError, AttributeError):
        pass
    return UNCOUNTED, name, None


class Counter(TorchDispatchMode):
    """Counts every aten op it sees into ``buckets[(phase, module)][op] = [kind, calls, flop]``."""

    def __init__(self, tracker: ModuleTracker) -> None:
        super().__init__()
        self.tracker = tracker
        self.phase = "forward"
        self.plans: dict[Any, tuple[str, str, Any]] = {}
        self.buckets: dict[tuple[str, str], dict[str, list]] = {}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        plan = self.plans.get(func)
        if plan is None:
            plan = self.plans[func] = _plan(func)
        kind, name, formula = plan
        if kind is _DECOMPOSE:
            with self:
                r = func.decompose(*args, **kwargs)
            if r is not NotImplemented:
                return r
            kind = UNCOUNTED
        meta = META_KERNELS.get(func._overloadpacket) if kind is MATMUL else None
        on_meta = meta is not None and getattr(args[0], "is_meta", False)
        out = meta(args, kwargs) if on_meta else func(*args, **kwargs)
        if kind is _SILENT:
            return out
        phase, module = self.phase, self.tracker.current
        if phase == "backward":
            stack = self.tracker.recompute
            if stack or torch.is_grad_enabled():  # forward work redone for activation checkpointing
                phase = "recompute"
                if stack:
                    module = stack[-1]
        key = (phase, module)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = {}
        entry = bucket.get(name)
        if entry is None:
            entry = bucket[name] = [kind, 0, 0]
        entry[1] += 1
        if formula is not None:
            try:
                entry[2] += int(formula(args, kwargs, out))
            except Exception:  # a formula that cannot read these arguments: say so, never a silent zero
                bad = bucket.setdefault(f"{name} (formula failed)", [UNCOUNTED, 0, 0])
                bad[1] += 1
        return out

    def records(self) -> tuple[OpRecord, ...]:
        return tuple(
            OpRecord(phase, module, op, kind, calls, flop)
            for (phase, module), bucket in self.buckets.items()
            for op, (kind, calls, flop) in bucket.items()
        )
