"""Shape-only kernels for the ``meta`` device where torch's meta kernel is stricter than its CPU kernel.

A count on meta needs only each op's output shape and dtype. torch's meta registration of
``aten._grouped_mm`` (the op transformers >= 5 runs MoE experts through) enforces the CUDA kernel's
restrictions — bf16 only, 16-byte-aligned strides (``torch/_meta_registrations.py``,
``_meta_grouped_mm_common``) — although the CPU kernel takes fp32 and fp16, so a Mixtral-style model
could not be counted on meta in fp32 or fp16. Here the output is built from the shape rule of
``_create_grouped_mm_output_tensor`` in the same file, for every dtype. A kernel is
``f(args, kwargs) -> Tensor`` and runs only when the op's first argument is a meta tensor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from flopcast.count.formulas import ops

MetaKernel = Callable[[tuple, dict], Any]

#: op packet -> shape-only meta kernel
META_KERNELS: dict[Any, MetaKernel] = {}


def grouped_mm_shape(a_shape, b_shape, groups: int | None) -> tuple[int, ...]:
    """Output shape of ``_grouped_mm(a, b, offs)`` (``groups`` = ``len(offs)``).

    2-D x 3-D: rows of ``a`` split by ``offs`` over the experts -> ``(M, N)``; 3-D x 2-D: columns of ``b``
    split -> ``(M, N_total)``; 2-D x 2-D: the shared ``K`` split -> one ``(M, N)`` per group; 3-D x 3-D: bmm.
    """
    if len(a_shape) == 2 and len(b_shape) == 2:
        return (int(groups or 0), a_shape[0], b_shape[1])
    if len(a_shape) == 2:
        return (a_shape[0], b_shape[-1])
    if len(b_shape) == 2:
        return (a_shape[1], b_shape[1])
    return (a_shape[0], a_shape[1], b_shape[-1])


def _grouped_mm(args, kwargs):
    a, b = args[0], args[1]
    offs = args[2] if len(args) > 2 else kwargs.get("offs")
    out_dtype = (args[4] if len(args) > 4 else kwargs.get("out_dtype")) or a.dtype
    shape = grouped_mm_shape(tuple(a.shape), tuple(b.shape), None if offs is None else offs.shape[0])
    return torch.empty(shape, dtype=out_dtype, device="meta")


for _op in ops("_grouped_mm"):
    META_KERNELS[_op] = _grouped_mm
