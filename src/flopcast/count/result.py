"""The frozen result of :func:`flopcast.count` and its fvcore-style query API (no torch import)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flopcast._display import Tabular
from flopcast.provenance import Assumption

COUNT_SCHEMA = "flopcast.count/1"
PHASES = ("forward", "backward", "recompute", "optimizer")
MATMUL, ALL, ZERO, UNCOUNTED = "matmul", "all", "zero", "uncounted"

#: Operator-name families of matrix products, convolutions, attention, recurrent kernels and dense linear
#: algebra: an uncounted op of one of them means ``forward_flop`` itself is short, not just the all-ops count.
_MATMUL_FAMILY = re.compile(
    r"(mm|mv|matmul|conv|attention|einsum|tensordot|linear|dot|dist|addr|rnn|lstm|gru"
    r"|multi_head|transformer_encoder|linalg|cholesky|inverse|solve|svd|qr|baddbmm)",
    re.IGNORECASE,
)


def is_matmul_family(op: str) -> bool:
    """Whether operator ``op`` (``"aten._grouped_mm"``) belongs to the matmul class by its name."""
    name = op.split(" ", 1)[0].split(".", 1)[-1]  # "aten.mm (formula failed)" -> "mm"
    return bool(_MATMUL_FAMILY.search(name))


@dataclass(frozen=True)
class OpRecord:
    """One operator in one module in one phase: its kind, call count and FLOP (kind's convention)."""

    phase: str
    module: str
    op: str
    kind: str  # "matmul" | "all" | "zero" | "uncounted"
    calls: int
    flop: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase,
            "module": self.module,
            "op": self.op,
            "kind": self.kind,
            "calls": self.calls,
            "flop": self.flop,
        }


def _prefixes(module: str):
    """``"a.b.c"`` -> ``"", "a", "a.b", "a.b.c"`` (the module and every ancestor)."""
    yield ""
    if module:
        parts = module.split(".")
        for i in range(1, len(parts) + 1):
            yield ".".join(parts[:i])


def _depth(module: str) -> int:
    return 0 if not module else module.count(".") + 1


@dataclass(frozen=True, repr=False)  # repr: Tabular's one line (flopcast._display)
class CountResult(Tabular):
    """FLOPs, parameters and memory of one model on one input.

    ``forward_flop`` is matmul-class (matrix products, convolutions, attention: 1 multiply-add =
    2 FLOP) and ``forward_mac`` its multiply-adds; ``forward_flop_all`` adds the optional ops
    (normalisation, softmax, activations, pooling, elementwise). ``backward_flop`` and
    ``train_step_flop`` (forward + backward + recompute + optimizer update) exist in ``mode="train"``;
    ``recompute_flop`` is the forward work redone during backward by activation checkpointing (0
    without it), kept out of ``backward_flop``, which is the gradient work alone.
    ``memory_bytes`` holds ``params``, ``buffers``, ``gradients``, ``optimizer_state``,
    ``activations`` (tensors autograd saves for backward, deduplicated by storage) and ``total``.
    ``uncounted_matmul_ops`` are the uncounted ops of the matmul class: when there is any, ``incomplete``
    is true and ``forward_flop`` (or ``backward_flop``) is a lower bound.
    """

    model: str
    mode: str
    params: int
    trainable_params: int
    embedding_params: int
    non_embedding_params: int
    forward_flop: int
    forward_mac: int
    forward_flop_all: int
    backward_flop: int | None
    train_step_flop: int | None
    optimizer_flop: int | None
    backward_forward_ratio: float | None
    memory_bytes: Mapping[str, int]
    uncounted_ops: Mapping[str, int]
    dtype: str = "float32"
    device: str = "cpu"
    optimizer: str | None = None
    depth: int = 2
    records: tuple[OpRecord, ...] = ()
    module_types: Mapping[str, str] = field(default_factory=dict)
    assumptions: tuple[Assumption, ...] = ()
    recompute_flop: int | None = None

    _headline = ("model", "mode", "params", "forward_flop", "train_step_flop", "incomplete")
    _table = "module_tree"  # to_pandas(): one row per module, as module_tree() gives them
    _table_index = "module"

    @property
    def uncounted_matmul_ops(self) -> dict[str, int]:
        """``{operator: calls}`` of uncounted ops of the matmul class (their FLOPs are missing from the totals)."""
        return {op: n for op, n in self.uncounted_ops.items() if is_matmul_family(op)}

    @property
    def incomplete(self) -> bool:
        """True when a matmul-class op has no formula: the headline FLOP is then a lower bound."""
        return bool(self.uncounted_matmul_ops)

    # -- queries ------------------------------------------------------------------------------
    def total(self, module: str = "", phase: str = "forward") -> int:
        """Matmul-class FLOP of ``module`` (``""`` = whole model) and its submodules in ``phase``."""
        return self._tree.get((phase, module), {}).get(MATMUL, 0)

    def by_operator(self, phase: str = "forward", *, all_ops: bool = False) -> dict[str, int]:
        """FLOP per operator in ``phase``; ``all_ops`` adds the optional ops to the matmul class."""
        out: dict[str, int] = {}
        kinds = (MATMUL, ALL) if all_ops else (MATMUL,)
        for r in self.records:
            if r.phase == phase and r.kind in kinds:
                out[r.op] = out.get(r.op, 0) + r.flop
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def by_module(self, depth: int | None = None, phase: str = "forward") -> dict[str, int]:
        """Matmul-class FLOP per module (totals include submodules), modules up to ``depth``."""
        depth = self.depth if depth is None else depth
        return {m: v.get(MATMUL, 0) for (p, m), v in self._tree.items() if p == phase and _depth(m) <= depth}

    def by_module_and_operator(self, depth: int | None = None, phase: str = "forward") -> dict[str, dict[str, int]]:
        """``{module: {operator: FLOP}}`` (matmul class, submodules included) up to ``depth``."""
        depth = self.depth if depth is None else depth
        out: dict[str, dict[str, int]] = {}
        for r in self.records:
            if r.phase != phase or r.kind != MATMUL:
                continue
            for m in _prefixes(r.module):
                if _depth(m) <= depth:
                    ops = out.setdefault(m, {})
                    ops[r.op] = ops.get(r.op, 0) + r.flop
        return out

    def unsupported_ops(self, module: str = "") -> dict[str, int]:
        """``{operator: calls}`` of ops without a formula seen in ``module`` (any phase)."""
        return dict(self._uncounted_tree.get(module, {}))

    @cached_property
    def _uncounted_tree(self) -> dict[str, dict[str, int]]:
        tree: dict[str, dict[str, int]] = {}
        for r in self.records:
            if r.kind == UNCOUNTED:
                for m in _prefixes(r.module):
                    ops = tree.setdefault(m, {})
                    ops[r.op] = ops.get(r.op, 0) + r.calls
        return tree

    def counted_zero_ops(self) -> dict[str, int]:
        """``{operator: calls}`` of listed zero-FLOP ops (embedding lookups, dropout) in forward."""
        out: dict[str, int] = {}
        for r in self.records:
            if r.kind == ZERO and r.phase == "forward":
                out[r.op] = out.get(r.op, 0) + r.calls
        return out

    @cached_property
    def _tree(self) -> dict[tuple[str, str], dict[str, int]]:
        """(phase, module) -> {kind: FLOP or calls} with every module's total including its submodules."""
        tree: dict[tuple[str, str], dict[str, int]] = {}
        for r in self.records:
            for m in _prefixes(r.module):
                node = tree.setdefault((r.phase, m), {})
                node[r.kind] = node.get(r.kind, 0) + (r.calls if r.kind == UNCOUNTED else r.flop)
        return tree

    def module_tree(self, depth: int | None = None) -> dict[str, dict[str, Any]]:
        """``{module: {type, forward_flop, forward_flop_all, backward_flop, uncounted_ops}}`` up to ``depth``."""
        depth = self.depth if depth is None else depth
        order = {m: i for i, m in enumerate(self.module_types)}  # definition order (named_modules)
        names = sorted({m for (_, m) in self._tree if _depth(m) <= depth}, key=lambda m: (order.get(m, len(order)), m))
        out: dict[str, dict[str, Any]] = {}
        for m in names:
            fwd = self._tree.get(("forward", m), {})
            bwd = self._tree.get(("backward", m), {})
            row: dict[str, Any] = {
                "type": self.module_types.get(m, ""),
                "forward_flop": fwd.get(MATMUL, 0),
                "forward_flop_all": fwd.get(MATMUL, 0) + fwd.get(ALL, 0),
            }
            if self.mode == "train":
                row["backward_flop"] = bwd.get(MATMUL, 0)
                if self.recompute_flop:
                    row["recompute_flop"] = self._tree.get(("recompute", m), {}).get(MATMUL, 0)
            uncounted = self.unsupported_ops(m)
            if uncounted:
                row["uncounted_ops"] = uncounted
            out[m] = row
        return out

    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape (``flopcast count --json``, schema ``flopcast.count/1``)."""
        return {
            "schema": COUNT_SCHEMA,
            "model": self.model,
            "mode": self.mode,
            "dtype": self.dtype,
            "device": self.device,
            "optimizer": self.optimizer,
            "params": self.params,
            "trainable_params": self.trainable_params,
            "embedding_params": self.embedding_params,
            "non_embedding_params": self.non_embedding_params,
            "forward_flop": self.forward_flop,
            "forward_mac": self.forward_mac,
            "forward_flop_all": self.forward_flop_all,
            "backward_flop": self.backward_flop,
            "recompute_flop": self.recompute_flop,
            "optimizer_flop": self.optimizer_flop,
            "train_step_flop": self.train_step_flop,
            "backward_forward_ratio": self.backward_forward_ratio,
            "memory_bytes": dict(self.memory_bytes),
            "by_module": self.module_tree(),
            "by_operator": {p: self.by_operator(p) for p in PHASES if any(r.phase == p for r in self.records)},
            "by_operator_all_ops": self.by_operator("forward", all_ops=True),
            "counted_zero_ops": self.counted_zero_ops(),
            "uncounted_ops": dict(self.uncounted_ops),
            "incomplete": self.incomplete,
            "uncounted_matmul_ops": self.uncounted_matmul_ops,
            "assumptions": [a.to_dict() for a in self.assumptions],
        }
