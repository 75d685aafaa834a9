"""``flopcast.count(model, inputs, mode=...)``: run a model once under the counter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch

from flopcast.count.engine import Counter
from flopcast.count.memory import SavedActivations, memory_bytes
from flopcast.count.precision import DTYPES, dtype_name, torch_dtype_of
from flopcast.count.result import ALL, MATMUL, CountResult, OpRecord
from flopcast.count.tracker import ModuleTracker
from flopcast.errors import FlopcastError, InputError, ModelError, one_line
from flopcast.provenance import Assumption, Basis

MODES = ("forward", "train")
OPTIMIZERS = ("adam", "adamw", "sgd")
CONVENTION = (
    "matmul-class FLOP: matrix products, convolutions, attention and fused RNN kernels; "
    "1 multiply-add = 2 FLOP; bias adds excluded; attention counts the full S×S scores "
    "even under a causal mask; backward counts the gradient products autograd dispatches; forward work "
    "redone in backward by activation checkpointing is recompute_flop, apart from backward_flop and "
    "included in train_step_flop"
)


def parse_dtype(dtype: str | torch.dtype | None) -> torch.dtype | None:
    """``"bf16"`` -> ``torch.bfloat16``; ``None`` keeps the model's own dtype."""
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    name = dtype_name(dtype)
    if name is None:
        raise InputError(f"unknown dtype {dtype!r}; use one of {', '.join(DTYPES)}")
    return torch_dtype_of(name)


def _cast(obj: Any, dtype: torch.dtype | None) -> Any:
    if dtype is None:
        return obj
    if isinstance(obj, torch.Tensor):
        return obj.to(dtype) if obj.is_floating_point() else obj
    if isinstance(obj, Mapping):
        return {k: _cast(v, dtype) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):
        return type(obj)(_cast(v, dtype) for v in obj)
    return obj


def _split_inputs(inputs: Any, kwargs: Mapping | None) -> tuple[tuple, dict]:
    kw = dict(kwargs or {})
    if inputs is None:
        return (), kw
    if isinstance(inputs, Mapping):
        return (), {**inputs, **kw}
    if isinstance(inputs, (tuple, list)):
        return tuple(inputs), kw
    return (inputs,), kw


def _scalar(out: Any) -> torch.Tensor | None:
    """The model's ``.loss`` if it returns one, else the first output that needs a gradient, summed."""
    loss = getattr(out, "loss", None)
    if isinstance(loss, torch.Tensor) and loss.requires_grad:
        return loss if loss.numel() == 1 else loss.sum()
    if isinstance(out, torch.Tensor):
        return out.sum() if out.requires_grad and out.is_floating_point() else None
    values = out.values() if isinstance(out, Mapping) else out if isinstance(out, (tuple, list)) else ()
    for v in values:
        found = _scalar(v)
        if found is not None:
            return found
    return None


class _ModelState:
    """What a counted train pass changes on the caller's model, saved before it and put back after.

    Saved: every parameter's ``.grad`` (the tensor itself, or None), every registered buffer of every
    submodule (the tensor object and a copy of its values: BatchNorm's ``running_mean``/``running_var``
    and ``num_batches_tracked``, anything a forward updates in place or rebinds) and every submodule's
    ``training`` flag. Costs one copy of the buffers (nothing on meta beyond shapes).
    """

    def __init__(self, model: torch.nn.Module) -> None:
        self.grads = [(p, p.grad) for p in model.parameters()]
        self.flags = [(m, m.training) for m in model.modules()]
        self.buffers = []
        with torch.no_grad():
            for m in model.modules():
                for key, buf in m._buffers.items():
                    self.buffers.append((m, key, buf, None if buf is None else buf.detach().clone()))

    def clear_grads(self) -> None:
        """Detach the saved gradients so backward accumulates into fresh ones, not the caller's."""
        for p, _ in self.grads:
            p.grad = None

    def restore(self) -> None:
        for p, grad in self.grads:
            p.grad = grad
        with torch.no_grad():
            for m, key, buf, values in self.buffers:
                if buf is not None and values is not None:
                    buf.copy_(values)
                m._buffers[key] = buf
        for m, flag in self.flags:
            m.training = flag


def _meta_hint(exc: Exception, params: Sequence[torch.Tensor], args: tuple, kw: dict) -> str:
    """The fix for a model that reads tensor values while counted on meta: count it on a real device.

    torch's refusals all name meta (``Tensor.item() cannot be called on meta tensors``, ``nonzero``'s
    meta kernel, "Cannot copy out of meta tensor") or data dependence.
    """
    inputs = [a for a in (*args, *kw.values()) if isinstance(a, torch.Tensor)]
    if not any(t.is_meta for t in (*params[:1], *inputs)):
        return ""
    text = str(exc).lower()
    if "meta" not in text and "data-dependent" not in text:
        return ""
    return (
        "; the model reads tensor values, which meta tensors do not have: count it on real tensors "
        "with --device cpu (small dimensions suffice)"
    )


def _make_optimizer(name: str, params: list[torch.Tensor]) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(params, lr=1e-3, momentum=0.9)
    cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
    return cls(params, lr=1e-3)


def _proxy_step(name: str, dtype: torch.dtype, n: int) -> dict[str, list]:
    """{op: [kind, calls, flop]} of the second optimizer step on one ``n``-element CPU parameter."""
    proxy = torch.nn.Parameter(torch.zeros(n, dtype=dtype))
    proxy.grad = torch.full_like(proxy, 1e-3)
    opt = _make_optimizer(name, [proxy])
    opt.step()  # past lazy state creation
    counter = Counter(ModuleTracker(torch.nn.Module(), backward=False))
    counter.phase = "optimizer"
    with counter:
        opt.step()
    return {op: entry for bucket in counter.buckets.values() for op, entry in bucket.items()}


def optimizer_records(name: str, trainable: Sequence[torch.Tensor]) -> tuple[OpRecord, ...]:
    """The optimizer update's ops, counted on CPU proxies and scaled to ``trainable``.

    Stepping the real optimizer on meta costs seconds for a 70B model (elementwise meta kernels
    run in Python), so the step is dispatched on proxy parameters of 1024 and 2048 elements per
    dtype; their difference gives each op's FLOP per element, the rest its FLOP per tensor (the
    step counter), and the count is ``per_element · numel + per_tensor · tensors``.
    """
    by_dtype: dict[torch.dtype, tuple[int, int]] = {}
    for p in trainable:
        n, k = by_dtype.get(p.dtype, (0, 0))
        by_dtype[p.dtype] = (n + p.numel(), k + 1)
    out: dict[str, list] = {}
    small, large = 1024, 2048
    for dtype, (numel, tensors) in by_dtype.items():
        one, two = _proxy_step(name, dtype, small), _proxy_step(name, dtype, large)
        for op, (kind, calls, flop) in two.items():
            per_element = (flop - one[op][2]) // (large - small)
            per_tensor = flop - per_element * large
            entry = out.setdefault(op, [kind, 0, 0])
            entry[1] += calls * tensors
            entry[2] += per_element * numel + per_tensor * tensors
    return tuple(OpRecord("optimizer", "", op, kind, calls, flop) for op, (kind, calls, flop) in out.items())


def _check_arguments(model: Any, mode: str, optimizer: str | None, depth: int) -> str | None:
    """Refuse bad arguments (one line each); the optimizer's name in lower case."""
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; use forward or train")
    if optimizer is not None:
        optimizer = optimizer.lower()
        if optimizer not in OPTIMIZERS:
            raise InputError(f"unknown optimizer {optimizer!r}; use one of {', '.join(OPTIMIZERS)}")
        if mode != "train":
            raise InputError("an optimizer step needs mode='train'")
    if not isinstance(model, torch.nn.Module):
        raise ModelError(f"expected a torch.nn.Module, got {type(model).__name__}")
    if depth < 0:
        raise InputError(f"depth must be >= 0, got {depth}")
    return optimizer


def _run(
    model: torch.nn.Module,
    args: tuple,
    kw: dict,
    *,
    train: bool,
    tracker: ModuleTracker,
    counter: Counter,
    saved: SavedActivations,
) -> None:
    """The counted pass: forward, then (``train``) backward from the model's loss; the model left as found."""
    state = _ModelState(model)
    if train:
        state.clear_grads()
        model.train()
    try:
        with tracker:
            with counter, saved.hooks():
                out = model(*args, **kw)
            tracker.stop_forward()
            if train:
                loss = _scalar(out)
                if loss is None:
                    raise ModelError(
                        "mode='train' needs an output that depends on trainable parameters "
                        "(no output requires a gradient)"
                    )
                counter.phase = "backward"
                with counter:
                    loss.backward()
    except FlopcastError:
        raise
    except Exception as exc:
        params = list(model.parameters())
        raise ModelError(f"the model failed on its input: {one_line(exc)}{_meta_hint(exc, params, args, kw)}") from exc
    finally:
        state.restore()


def _assumptions(train: bool, optimizer: str | None, mem_notes: Sequence[Assumption]) -> tuple[Assumption, ...]:
    """The conventions a count rests on, each with its source and basis."""
    out: tuple[Assumption, ...] = (
        Assumption("flop_convention", CONVENTION, "FLOP", "flopcast.count.formulas", Basis.ASSUMED),
        Assumption(
            "all_ops_convention",
            "forward_flop_all adds 1 FLOP per output element of elementwise ops, "
            "per input element of reductions, 5 (softmax) / 7 (norms) per element",
            "FLOP",
            "flopcast.count.ops",
            Basis.ASSUMED,
        ),
        *mem_notes,
    )
    if train:
        out += (
            Assumption(
                "recompute_flop",
                "forward ops autograd re-runs during backward (activation "
                "checkpointing: ops under grad mode or inside a re-entered module forward) are "
                "recompute_flop, not backward_flop; train_step_flop = forward + backward + "
                "recompute (+ optimizer)",
                "FLOP",
                "flopcast.count.engine",
                Basis.ASSUMED,
            ),
        )
    if optimizer is not None:
        out += (
            Assumption(
                "optimizer_flop",
                f"torch.optim {optimizer} step dispatched on CPU proxy "
                "parameters, counted with the elementwise convention and scaled to the trainable "
                "parameters (per element and per tensor); included in train_step_flop",
                "FLOP",
                "flopcast.count.api.optimizer_records",
                Basis.ESTIMATED,
            ),
        )
    return out


def count(
    model: torch.nn.Module,
    inputs: Any = None,
    *,
    mode: str = "forward",
    kwargs: dict | None = None,
    optimizer: str | None = None,
    depth: int = 2,
    name: str | None = None,
    dtype: str | torch.dtype | None = None,
) -> CountResult:
    """Count FLOPs, parameters and memory of one pass of ``model`` on ``inputs``.

    Parameters
    ----------
    model : torch.nn.Module
        Any module; on the ``meta`` device nothing is allocated.
    inputs : Tensor, tuple or dict, optional
        Positional inputs (a tensor or a tuple) or keyword inputs (a dict).
    mode : {"forward", "train"}
        ``"train"`` also runs backward from the model's ``.loss`` (or the sum of its output), as
        dispatched by autograd, and the ``optimizer`` step if one is given.
    kwargs : dict, optional
        Extra keyword arguments to the model.
    optimizer : {None, "adam", "adamw", "sgd"}
        Optimizer whose step is counted (``mode="train"``; dispatched on proxy parameters, the model's
        own are never stepped); also sizes its state memory.
    depth : int
        Depth of the module tree in the result's breakdowns (0 = whole model only).
    name : str, optional
        Display name (default: the model's class name).
    dtype : {"fp32", "bf16", "fp16"} or torch.dtype, optional
        Cast floating parameters and inputs to this dtype first (the model is modified in place: the
        one change flopcast leaves; otherwise the model is left as found, see Notes).

    Returns
    -------
    CountResult
        FLOP (matmul-class, 1 multiply-add = 2 FLOP), parameters and memory (bytes).

    Raises
    ------
    InputError
        Unknown mode, optimizer or dtype.
    ModelError
        The model fails on the given input (its own message, one line).

    Notes
    -----
    The model is left as found, whatever the mode and whether the pass succeeds: every ``.grad``
    (value, or None), every registered buffer (BatchNorm running statistics, ``num_batches_tracked``)
    and every submodule's ``training`` flag are saved before the pass and restored after it.
    """
    optimizer = _check_arguments(model, mode, optimizer, depth)
    tdtype = parse_dtype(dtype)
    if tdtype is not None:
        model.to(tdtype)
    args, kw = _split_inputs(_cast(inputs, tdtype), _cast(kwargs, tdtype))

    params = list(model.parameters())
    buffers = list(model.buffers())
    trainable = [p for p in params if p.requires_grad]
    train = mode == "train"
    sizes = _param_counts(model, params, trainable)

    tracker = ModuleTracker(model, backward=train)
    counter = Counter(tracker)
    saved = SavedActivations([*params, *buffers])
    _run(model, args, kw, train=train, tracker=tracker, counter=counter, saved=saved)

    records = counter.records()
    if optimizer is not None:
        records += optimizer_records(optimizer, trainable)
    mem, mem_notes = memory_bytes(params, buffers, mode=mode, optimizer=optimizer, activations=saved.bytes)
    device, used_dtype = _placement(params)
    return CountResult(
        model=name or type(model).__name__,
        mode=mode,
        **sizes,
        **_flop_fields(records, train=train, optimizer=optimizer is not None),
        memory_bytes=mem,
        uncounted_ops=_uncounted(records),
        dtype=used_dtype,
        device=device,
        optimizer=optimizer,
        depth=depth,
        records=records,
        module_types=dict(tracker.types),
        assumptions=_assumptions(train, optimizer, mem_notes),
    )


def embedding_params(model: torch.nn.Module) -> int:
    """Parameters in ``model``'s embedding tables: the weights of its ``nn.Embedding`` / ``nn.EmbeddingBag``
    modules, a table shared by several modules (an LM head tied to the token embedding) counted once."""
    tables = {
        id(m.weight): m.weight.numel()
        for m in model.modules()
        if isinstance(m, (torch.nn.Embedding, torch.nn.EmbeddingBag))
    }
    return sum(tables.values())


def _param_counts(model: torch.nn.Module, params: Sequence[torch.Tensor], trainable: Sequence[torch.Tensor]) -> dict:
    """Parameter counts of a result: all, trainable, embedding tables (shared tables once) and the rest."""
    embedding = embedding_params(model)
    n_params = sum(p.numel() for p in params)
    return {
        "params": n_params,
        "trainable_params": sum(p.numel() for p in trainable),
        "embedding_params": embedding,
        "non_embedding_params": n_params - embedding,
    }


def _flop_fields(records: Sequence[OpRecord], *, train: bool, optimizer: bool) -> dict:
    """The FLOP fields of a result, summed from ``records`` by phase and kind."""

    def phase_sum(phase: str, kind: str) -> int:
        return sum(r.flop for r in records if r.phase == phase and r.kind == kind)

    fwd = phase_sum("forward", MATMUL)
    bwd = phase_sum("backward", MATMUL) if train else None
    recompute = phase_sum("recompute", MATMUL) if train else None
    opt = phase_sum("optimizer", MATMUL) + phase_sum("optimizer", ALL) if optimizer else None
    return {
        "forward_flop": fwd,
        "forward_mac": fwd // 2,
        "forward_flop_all": fwd + phase_sum("forward", ALL),
        "backward_flop": bwd,
        "train_step_flop": (fwd + bwd + recompute + (opt or 0)) if bwd is not None and recompute is not None else None,
        "recompute_flop": recompute,
        "optimizer_flop": opt,
        "backward_forward_ratio": (bwd / fwd) if bwd is not None and fwd else None,
    }


def _uncounted(records: Sequence[OpRecord]) -> dict[str, int]:
    """Calls per op that no formula counted."""
    uncounted: dict[str, int] = {}
    for r in records:
        if r.kind == "uncounted":
            uncounted[r.op] = uncounted.get(r.op, 0) + r.calls
    return uncounted


def _placement(params: Sequence[torch.Tensor]) -> tuple[str, str]:
    """(device type, dtype name) of the first parameter; ``("cpu", "float32")`` for a model without any."""
    first = next(iter(params), None)
    device = str(first.device.type) if first is not None else "cpu"
    used_dtype = str(first.dtype).replace("torch.", "") if first is not None else "float32"
    return device, used_dtype
