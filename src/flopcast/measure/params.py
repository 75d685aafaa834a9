"""A tracked model's size: its parameter count, with and without the embedding tables.

Two conventions are in use. ``model_params`` counts every parameter (``num_parameters()`` of a Hugging Face model,
the sum of ``numel()`` over a module's parameters: a tied LM head once). ``model_params_non_embedding`` leaves out
the embedding tables, as Kaplan et al. (2020, "Scaling Laws for Neural Language Models", arXiv:2001.08361, §1.3)
define N: "the number of model parameters, excluding all vocabulary and positional embeddings", with the compute
C ≈ 6NBS of that N. The Hugging Face trainer's ``total_flos`` is 6 x tokens x that count
(``num_parameters(exclude_embeddings=True)``), so a fit or plan that is to agree with it needs the second.

For a Hugging Face model both are the model's own (``num_parameters()`` and ``num_parameters(
exclude_embeddings=True)``: the weights of its ``nn.Embedding`` modules left out); for another ``torch.nn.Module``
the embedding tables are the weights of its ``nn.Embedding`` / ``nn.EmbeddingBag`` modules
(:func:`flopcast.count.api.embedding_params`; a table shared with a tied head is left out once).
"""

from __future__ import annotations

from typing import Any


def parameter_counts(model: Any) -> tuple[int | None, int | None]:
    """``(all parameters, non-embedding parameters)`` of ``model``; ``None`` for a count that cannot be made
    (no model, an object without parameters or with none, or a non-torch object with ``parameters()``: its
    embeddings are unknown)."""
    if model is None:
        return None, None
    try:
        if hasattr(model, "num_parameters"):  # a Hugging Face model: its own counts (those of its total_flos)
            return int(model.num_parameters()), _hf_non_embedding(model)
        total = int(sum(p.numel() for p in model.parameters()))
    except (AttributeError, TypeError):
        return None, None
    if total < 1:  # nothing to count (the record's counts are >= 1)
        return None, None
    return total, _torch_non_embedding(model, total)


def _hf_non_embedding(model: Any) -> int | None:
    try:
        return int(model.num_parameters(exclude_embeddings=True))
    except (AttributeError, TypeError):  # a num_parameters() without that argument
        return None


def _torch_non_embedding(model: Any, total: int) -> int | None:
    try:
        import torch
    except ImportError:
        return None
    if not isinstance(model, torch.nn.Module):
        return None
    from flopcast.count.api import embedding_params

    return total - embedding_params(model)
