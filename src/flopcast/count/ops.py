"""The optional "all ops" formulas and the ops flopcast deliberately counts as zero.

"All ops" FLOPs (normalisation, softmax, activations, pooling, reductions, elementwise
arithmetic, optimizer updates) are reported apart from the matmul-class count that papers use
(``forward_flop``), under one stated convention: **one FLOP per output element of an elementwise
op** (two for fused ``addcmul``/``addcdiv``/``lerp``), one per input element of a reduction,
pooling counts one per window element, and the per-element costs below for softmax and
normalisation. These are conventions, not measurements: peers differ by small factors.

Zero-cost ops (views, copies, creation, indexing, embedding lookups, random fills) are data
movement; they are executed, listed where the result shows counted-zero ops, and never reported
as uncounted. Any other op without a formula goes to ``uncounted_ops`` with its call count.
"""

from __future__ import annotations

from math import prod

import torch

from flopcast.count.formulas import Formula, ops, register

#: op packet -> formula (optional "all ops" FLOP)
ALL: dict[object, Formula] = {}


def all_formula(*targets):
    """Register an optional "all ops" formula (see :data:`ALL`)."""
    return register(ALL, *targets)


def _per_input_element(cost: int) -> Formula:
    def formula(args, kwargs, out):
        return cost * args[0].numel()

    formula.__doc__ = f"{cost} FLOP per input element (flopcast convention)"
    return formula


def _out_numel(out) -> int:
    if isinstance(out, torch.Tensor):
        return out.numel()
    if isinstance(out, (tuple, list)):
        return sum(_out_numel(o) for o in out)
    return 0


def _first(out):
    return out[0] if isinstance(out, (tuple, list)) and out else out


def pointwise(cost: int = 1) -> Formula:
    """``cost`` FLOP per output element; in-place and ``_foreach_`` list ops alike."""

    def formula(args, kwargs, out):
        n = _out_numel(out)
        if n == 0 and args and isinstance(args[0], (tuple, list)):  # in-place _foreach_ ops return None
            n = _out_numel(args[0])
        elif n == 0 and args and isinstance(args[0], torch.Tensor):
            n = args[0].numel()
        return cost * n

    formula.__doc__ = f"{cost} FLOP per output element (flopcast convention)"
    return formula


# softmax: max, subtract, exp, sum, divide = 5 per element; its backward y·(g − Σ g·y) = 4.
all_formula(*ops("_softmax", "_safe_softmax", "_log_softmax", "_masked_softmax"))(_per_input_element(5))
all_formula(*ops("_softmax_backward_data", "_log_softmax_backward_data"))(_per_input_element(4))
# normalisation: mean, subtract, square, sum, rsqrt-scale = 5 per element, + 2 for the affine scale and shift.
all_formula(
    *ops(
        "native_layer_norm",
        "native_group_norm",
        "native_batch_norm",
        "_native_batch_norm_legit",
        "_native_batch_norm_legit_no_training",
        "_native_batch_norm_legit_functional",
        "_batch_norm_with_update",
        "_batch_norm_no_update",
    )
)(_per_input_element(7))
# RMSNorm (Zhang & Sennrich 2019): square, mean, rsqrt-scale, weight = 4 per element.
all_formula(*ops("_fused_rms_norm"))(_per_input_element(4))
# backward of a normalisation: twice its forward (gradients for the input and the affine parameters).
all_formula(
    *ops(
        "native_layer_norm_backward", "native_group_norm_backward", "native_batch_norm_backward", "batch_norm_backward"
    )
)(lambda args, kwargs, out: 14 * args[1].numel())
# the cuDNN / MIOpen batch norms CUDA and ROCm dispatch instead (input first, then grad_output in backward).
all_formula(*ops("cudnn_batch_norm", "miopen_batch_norm"))(_per_input_element(7))
all_formula(*ops("cudnn_batch_norm_backward", "miopen_batch_norm_backward"))(_per_input_element(14))
all_formula(*ops("_fused_rms_norm_backward"))(lambda args, kwargs, out: 8 * args[1].numel())
# reductions and scans: one operation per input element.
all_formula(
    *ops(
        "sum",
        "mean",
        "amax",
        "amin",
        "max",
        "min",
        "argmax",
        "argmin",
        "var",
        "var_mean",
        "std",
        "std_mean",
        "prod",
        "logsumexp",
        "linalg_vector_norm",
        "norm",
        "cumsum",
        "cumprod",
        "topk",
        "any",
        "all",
    )
)(_per_input_element(1))
# sorting, binning and order statistics (MoE routing sorts tokens by expert and counts them per expert):
# one operation per input element, as for topk above.
all_formula(
    *ops(
        "sort",
        "argsort",
        "msort",
        "histc",
        "bincount",
        "bucketize",
        "aminmax",
        "kthvalue",
        "median",
        "nanmedian",
        "mode",
        "unique_consecutive",
        "_unique2",
        "_unique",
        "unique_dim",
    )
)(_per_input_element(1))
# scatter-accumulates (MoE experts write back routed rows): one add per source element.
all_formula(*ops("index_add", "index_add_"))(lambda args, kwargs, out: args[3].numel())
all_formula(*ops("scatter_add", "scatter_add_", "scatter_reduce", "scatter_reduce_"))(
    lambda args, kwargs, out: args[3].numel()
)
# integer and floor division are elementwise arithmetic torch does not tag pointwise.
all_formula(*ops("floor_divide", "floor_divide_"))(pointwise(1))
# activations, forward, in place and backward: one FLOP per element of the first output (log_sigmoid_forward's
# buffer, PReLU's weight gradient and RReLU's noise are by-products, not more elements). Listed by name, not
# left to torch's pointwise tag: torch tags some in one release and not another (hardtanh_, leaky_relu in 2.11)
# and never tags others (gelu_, mish_, threshold_, the backwards).
all_formula(
    *ops(
        "relu",
        "relu_",
        "hardtanh",
        "hardtanh_",
        "leaky_relu",
        "leaky_relu_",
        "elu",
        "elu_",
        "celu",
        "celu_",
        "gelu",
        "gelu_",
        "silu",
        "silu_",
        "mish",
        "mish_",
        "softplus",
        "hardsigmoid",
        "hardsigmoid_",
        "hardshrink",
        "softshrink",
        "threshold",
        "threshold_",
        "hardswish",
        "hardswish_",
        "hardswish_backward",
        "hardsigmoid_backward",
        "hardtanh_backward",
        "elu_backward",
        "leaky_relu_backward",
        "softplus_backward",
        "hardshrink_backward",
        "softshrink_backward",
        "log_sigmoid_forward",
        "log_sigmoid_backward",
        "glu",
        "glu_backward",
        "_prelu_kernel",
        "_prelu_kernel_backward",
        "rrelu_with_noise",
        "rrelu_with_noise_",
        "rrelu_with_noise_backward",
    )
)(lambda args, kwargs, out: _out_numel(_first(out)))
# embedding backward accumulates the output gradient rows into the table: one add per element.
all_formula(*ops("embedding_dense_backward"))(_per_input_element(1))
# embedding bags reduce their bag's rows: one add per gathered element (indices × embedding width).
# (forward: weight, indices, ...; backward: grad, indices, ...: the gradient row goes back to each index)
all_formula(
    *ops("_embedding_bag", "_embedding_bag_forward_only", "_embedding_bag_backward", "_embedding_bag_dense_backward")
)(lambda args, kwargs, out: args[1].numel() * args[0].shape[-1])
# losses (their log-softmax is counted above): one operation per target element.
all_formula(*ops("nll_loss_forward", "nll_loss2d_forward", "nll_loss_backward", "nll_loss2d_backward"))(
    lambda args, kwargs, out: args[1].numel() if args[0] is not None else 0
)


def _window(kernel) -> int:
    return prod(kernel) if isinstance(kernel, (tuple, list)) else int(kernel)


@all_formula(
    *ops(
        "max_pool2d_with_indices",
        "max_pool3d_with_indices",
        "max_pool1d_with_indices",
        "avg_pool2d",
        "avg_pool3d",
        "avg_pool1d",
        "max_pool2d",
        "max_pool1d",
    )
)
def _pool(args, kwargs, out):
    """One comparison or add per window element of each output element."""
    first = out[0] if isinstance(out, (tuple, list)) else out
    return first.numel() * _window(args[1])


@all_formula(
    *ops(
        "max_pool2d_with_indices_backward",
        "max_pool3d_with_indices_backward",
        "avg_pool2d_backward",
        "avg_pool3d_backward",
        "_adaptive_avg_pool2d",
        "_adaptive_avg_pool3d",
        "adaptive_max_pool2d",
        "adaptive_max_pool3d",
        "_adaptive_avg_pool2d_backward",
        "_adaptive_avg_pool3d_backward",
        "adaptive_max_pool2d_backward",
    )
)
def _pool_other(args, kwargs, out):
    """Adaptive pooling and pooling backward: one operation per input-sized element."""
    return max(args[0].numel(), args[1].numel() if isinstance(args[1], torch.Tensor) else 0)


# fused elementwise updates: two FLOP per output element.
for _name in ("addcmul", "addcdiv", "lerp", "_foreach_addcmul", "_foreach_addcdiv", "_foreach_lerp"):
    for _op in ops(_name, _name + "_"):
        ALL[_op] = pointwise(2)


def _is_tensor(type_) -> bool:
    return "Tensor" in str(type_)


def is_metadata_only(func) -> bool:
    """Whether an aten overload does no arithmetic, read off its schema and tags (never a list of names).

    Zero-cost by definition: views and in-place views (``is_view``, ``torch.Tag.inplace_view``:
    ``transpose_``, ``squeeze_``, ``as_strided_``), ops returning only read-only aliases of their inputs
    (``alias``, ``detach``, ``contiguous``), checks and queries that return no tensor and write none
    (``_linalg_check_errors``, ``_assert_async``, ``sym_size``, ``.item()``), and factories that take no
    tensor (``eye``, ``arange``, ``zeros``): they create, not compute. An in-place arithmetic op such as
    ``add_`` writes its input (``Tensor(a!)``), so it is never matched here.
    """
    if getattr(func, "is_view", False) or torch.Tag.inplace_view in getattr(func, "tags", ()):
        return True
    schema = func._schema
    if any(a.alias_info is not None and a.alias_info.is_write for a in schema.arguments):
        return False
    if not any(_is_tensor(a.type) for a in schema.arguments):
        return True
    returns = [r for r in schema.returns if _is_tensor(r.type)]
    return all(r.alias_info is not None for r in returns)


#: executed, counted as zero FLOP by convention: data movement (copies, gathers, scatters, padding), creation
#: from tensors (``*_like``, ``new_*``), lookups and random fills. Metadata-only ops need no entry here: the
#: schema rule :func:`is_metadata_only` covers views, aliases, checks, queries and tensor-free factories.
ZERO: frozenset = frozenset(
    ops(
        "clone",
        "copy_",
        "_to_copy",
        "lift_fresh_copy",
        "empty_like",
        "new_empty",
        "new_empty_strided",
        "new_zeros",
        "new_ones",
        "new_full",
        "zeros_like",
        "ones_like",
        "full_like",
        "fill_",
        "fill",
        "zero_",
        "linspace",
        "cat",
        "stack",
        "index",
        "index_select",
        "gather",
        "scatter",
        "scatter_",
        "index_put",
        "index_put_",
        "_index_put_impl_",
        "index_copy",
        "index_copy_",
        "index_fill",
        "index_fill_",
        "masked_fill",
        "masked_fill_",
        "where",
        "embedding",
        "_unsafe_view",
        "repeat",
        "repeat_interleave",
        "constant_pad_nd",
        "flip",
        "roll",
        "tril",
        "triu",
        "tril_",
        "triu_",
        "randn_like",
        "rand_like",
        "uniform_",
        "normal_",
        "bernoulli_",
        "bernoulli",
        "native_dropout",
        "native_dropout_backward",
        "unsafe_split",
        "unsafe_split_with_sizes",
        "unsafe_chunk",
        "slice_scatter",
        "select_scatter",
        "diagonal_scatter",
        "as_strided_scatter",
        "select_backward",
        "slice_backward",
        "masked_select",
        "nonzero",
        "one_hot",
        "_copy_from",
        "_copy_from_and_resize",
        "_functional_assert_async",
        "_pin_memory",
        "expand_copy",
        "view_copy",
        "permute_copy",
        "t_copy",
        "transpose_copy",
        "unsqueeze_copy",
        "squeeze_copy",
        "_foreach_copy_",
        "_foreach_zero_",
        "record_stream",
        "_reshape_copy",
        "_unsafe_index",
        "_unsafe_index_put",
        "embedding_renorm_",
        "_nested_tensor_from_mask",
        "to_padded_tensor",
        "_nested_from_padded",
        "_nested_tensor_from_tensor_list",
    )
)
"""Zero-cost ops by convention; metadata-only ops (:func:`is_metadata_only`) are zero by definition."""

#: zero-cost ops worth listing in a breakdown (a reader may wonder where their FLOPs went).
LISTED_ZERO: frozenset = frozenset(ops("embedding", "native_dropout"))
