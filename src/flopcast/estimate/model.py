"""Forward FLOP, parameters and activation memory of a model spec, through ``flopcast.count``.

The only part of :mod:`flopcast.estimate` that needs torch, and only when a spec is counted
(``flopcast.count`` is imported inside :func:`count_model`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flopcast.errors import InputError

_TORCH_EXTRA = "pip install 'flopcast[torch]'"


@dataclass(frozen=True)
class CountedModel:
    """What ``estimate`` needs from a counted model, per training example."""

    name: str
    forward_flop_per_example: float
    params: float
    activations_bytes_per_example: float
    batch: int
    seq_len: int | None = None  # tokens per example for token models (a language model), else None


def _leading_dim(inputs: Any) -> int | None:
    """Batch size of the first tensor in ``inputs`` (a tensor, a tuple/list, or a dict)."""
    items = inputs.values() if isinstance(inputs, dict) else inputs if isinstance(inputs, (tuple, list)) else [inputs]
    for x in items:
        shape = getattr(x, "shape", None)
        if shape is not None and len(shape) > 0:
            return int(shape[0])
    return None


def _missing_extra(exc: ImportError) -> InputError | None:
    """The one-line error for a missing torch/transformers (the ``torch`` extra), else ``None``."""
    missing = (getattr(exc, "name", None) or "").split(".")[0]
    if missing not in ("torch", "transformers"):
        return None
    return InputError(
        f"--model needs PyTorch ({missing} is not installed): {_TORCH_EXTRA}; or give "
        "--params/--tokens or --flop instead"
    )


def _counting():
    """(count, load_model), or an :class:`InputError` naming the extra when torch is not installed."""
    try:
        from flopcast.count.api import count  # imports torch
        from flopcast.count.sources import load_model
    except ImportError as exc:
        raise (_missing_extra(exc) or exc) from None
    return count, load_model


def count_model(spec: str, *, batch: int = 1, seq_len: int | None = None) -> CountedModel:
    """Count ``spec`` (a preset, a ``config.json`` or a ``module:factory``; see ``flopcast count``) on meta tensors.

    FLOP and activation bytes are divided by the batch to give per-example figures: ``batch``, or
    the leading dimension of the inputs where a factory returned its own. Activation bytes are
    whatever the forward count reports.
    """
    for name, value in (("--batch", batch), ("--seq-len", seq_len)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise InputError(f"{name} must be a whole number >= 1, got {value!r}")
    count, load_model = _counting()
    try:
        loaded = load_model(spec, batch=batch, seq_len=seq_len, device="meta")
    except ImportError as exc:
        raise (_missing_extra(exc) or exc) from None
    if loaded.inputs_given:  # the factory's own inputs: their batch, not --batch
        batch = _leading_dim(loaded.inputs) or batch
    result = count(loaded.model, loaded.inputs, mode="forward", name=loaded.name)
    acts = float(result.memory_bytes.get("activations", 0) or 0)
    return CountedModel(
        loaded.name,
        result.forward_flop / batch,
        float(result.params),
        acts / batch,
        batch,
        getattr(loaded, "seq_len", None),
    )


@dataclass(frozen=True)
class ModelSource:
    """What a counted model gives :func:`~flopcast.estimate.estimate`: the per-example compute source
    (``forward_flop`` x ``examples``) and the memory-fit inputs. Empty (all ``None``) without a model.

    ``language_model`` is ``True`` for token inputs (Epoch AI's language-model utilization), else ``None``.
    """

    forward_flop: float | None = None
    examples: float | None = None
    memory_params: float | None = None
    activations_bytes: float = 0.0
    language_model: bool | None = None

    def estimate_kwargs(self, activations_bytes: float | None = None) -> dict[str, Any]:
        """Keyword arguments for ``estimate()``; ``activations_bytes`` (the user's) replaces the counted one."""
        return {
            "forward_flop": self.forward_flop,
            "examples": self.examples,
            "memory_params": self.memory_params,
            "activations_bytes": self.activations_bytes if activations_bytes is None else activations_bytes,
            "language_model": self.language_model,
        }


def model_source(
    spec: str | None, *, examples: float | None, batch: int = 1, seq_len: int | None = None
) -> ModelSource:
    """The compute source of ``spec`` counted at ``batch`` x ``seq_len``, trained on ``examples`` per epoch.

    Without ``spec``: an empty :class:`ModelSource` (refusing ``examples``, ``batch`` or ``seq_len``,
    which only say how a model is counted and trained).

    Raises
    ------
    InputError
        A spec without examples, examples/batch/seq_len without a spec, or what :func:`count_model` raises.
    """
    if spec is not None and examples is None:
        raise InputError("--model needs --examples (training examples per epoch)")
    if spec is None and examples is not None:
        raise InputError("--examples needs --model")
    if spec is None and (batch != 1 or seq_len is not None):
        raise InputError("--batch/--seq-len set how --model is counted; give --model or drop them")
    if spec is None:
        return ModelSource()
    counted = count_model(spec, batch=batch, seq_len=seq_len)
    return ModelSource(
        counted.forward_flop_per_example,
        examples,
        counted.params,
        counted.activations_bytes_per_example * counted.batch,
        counted.seq_len is not None or None,
    )
