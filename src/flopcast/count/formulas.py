"""Matmul-class FLOP formulas: flopcast's own registry over torch's ``flop_counter`` table.

Convention (the one papers use): one multiply-add is 2 FLOP, and only multiply-adds of
matrix products and convolutions count (bias adds, activations and normalisation are the
optional "all ops" of :mod:`flopcast.count.ops`). Attention counts the full S×S score matrix
even under a causal mask, as the dense analytic count does. Backward passes count the
algorithmic products (no recomputation), so every SDPA backend agrees with the math path.

A formula is ``f(args, kwargs, out) -> int`` over the op's real (or meta) arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

import torch
from torch.utils import flop_counter as _tfc

aten = torch.ops.aten
Formula = Callable[[tuple, dict, Any], int]

#: op packet -> formula (matmul-class FLOP). Filled by :func:`matmul_formula` then by torch's table.
MATMUL: dict[Any, Formula] = {}


def register(table: dict[Any, Formula], *targets: Any) -> Callable[[Formula], Formula]:
    """Decorator adding ``f`` to ``table`` for each op packet in ``targets``; refuses duplicates."""

    def add(f: Formula) -> Formula:
        for target in targets:
            if target in table:
                raise RuntimeError(f"duplicate FLOP formula for {target}")
            table[target] = f
        return f

    return add


def matmul_formula(*targets: Any) -> Callable[[Formula], Formula]:
    """Register a matmul-class formula (see :data:`MATMUL`)."""
    return register(MATMUL, *targets)


def ops(*names: str) -> tuple:
    """The aten op packets among ``names`` that this torch build has (older builds lack some)."""
    return tuple(getattr(aten, n) for n in names if hasattr(aten, n))


def _mm(m: int, k: int, n: int, batch: int = 1) -> int:
    """(batch×m×k)·(batch×k×n): 2·batch·m·k·n FLOP (1 multiply-add = 2 FLOP)."""
    return 2 * batch * m * k * n


# --- vector products torch lacks -------------------------------------------------------------


@matmul_formula(aten.mv)
def _mv(args, kwargs, out):
    m, k = args[0].shape
    return _mm(m, k, 1)


@matmul_formula(aten.addmv)
def _addmv(args, kwargs, out):
    m, k = args[1].shape
    return _mm(m, k, 1)


@matmul_formula(aten.dot, aten.vdot)
def _dot(args, kwargs, out):
    return 2 * args[0].numel()


@matmul_formula(aten.addbmm)
def _addbmm(args, kwargs, out):
    b, m, k = args[1].shape
    return _mm(m, k, args[2].shape[-1], b)


@matmul_formula(*ops("_int_mm"))
def _int_mm(args, kwargs, out):
    m, k = args[0].shape
    return _mm(m, k, args[1].shape[-1])


@matmul_formula(*ops("_addmm_activation"))
def _addmm_activation(args, kwargs, out):
    m, k = args[1].shape
    return _mm(m, k, args[2].shape[-1])


@matmul_formula(aten.addr)
def _addr(args, kwargs, out):
    """β·M + α·(u ⊗ v): a rank-1 product, one multiply-add per output element (k = 1 GEMM)."""
    return _mm(args[1].numel(), 1, args[2].numel())


def trilinear_flop(shapes, expands, sumdim) -> int:
    """``Σ_sumdim i1·i2·i3`` (``F.bilinear``: ``y[b,o] = Σ_ij x1[b,i]·W[o,i,j]·x2[b,j]``) as two pairwise
    contractions, the larger summed dimension first: ``2·P + 2·P / max(summed sizes)``, ``P`` the
    number of terms (bilinear: ``2·B·O·I·J + 2·B·O·min(I, J)``).
    """
    full: list[int] = []
    for shape, expand in zip(shapes, expands, strict=True):
        dims = list(shape)
        for d in sorted(expand):
            dims.insert(d, 1)
        full = dims if not full else [max(a, b) for a, b in zip(full, dims, strict=True)]
    terms = prod(full)
    summed = [full[d] for d in sumdim]
    return 2 * terms + (2 * terms // max(summed) if len(summed) > 1 else 0)


@matmul_formula(*ops("_trilinear"))
def _trilinear(args, kwargs, out):
    return trilinear_flop([a.shape for a in args[:3]], args[3:6], args[6])


def pairwise_distance_flop(x1_shape, x2_shape) -> int:
    """``cdist`` of ``(…, P, M)`` and ``(…, R, M)``: one multiply-add per coordinate of each pair,
    ``2·batch·P·R·M``, whichever kernel runs (the ``x1·x2ᵀ`` matmul of ``_euclidean_dist`` or the direct
    ``_cdist_forward``; torch picks by size), so both agree; the row norms are lower order and omitted."""
    *lead, p, m = x1_shape
    return _mm(p, m, x2_shape[-2], prod(lead))


@matmul_formula(*ops("_euclidean_dist", "_cdist_forward"))
def _cdist(args, kwargs, out):
    return pairwise_distance_flop(args[0].shape, args[1].shape)


@matmul_formula(*ops("_cdist_backward"))
def _cdist_bwd(args, kwargs, out):
    # (grad, x1, x2, p, cdist): the gradient for x1, one multiply-add per coordinate of each pair
    return pairwise_distance_flop(args[1].shape, args[2].shape)


@matmul_formula(*ops("_pdist_forward", "_pdist_backward"))
def _pdist(args, kwargs, out):
    # the N·(N-1)/2 pairs of rows of an (N, M) input; backward: (grad, self, p, pdist)
    x = args[0] if args[0].dim() == 2 else args[1]
    n, m = x.shape
    return 2 * (n * (n - 1) // 2) * m


# --- grouped GEMM: mixture-of-experts experts (transformers >= 5 "grouped_mm") ---------------------


def grouped_mm_flop(a_shape, b_shape) -> int:
    """2·M·K·N over the grouped operand's full extent; 3-D x 3-D is a bmm (× G).

    2-D x 3-D (experts): ``(S, K) x (E, K, N)``, each of the S = tokens·top_k routed rows meets one
    expert: 2·S·K·N. 2-D x 2-D (expert weight gradients): the shared K is split: 2·M·K_total·N.
    3-D x 2-D: the columns are split: 2·M·K·N_total. The cost depends on the shapes only, never on
    which expert a token is routed to.
    """
    m, k, n = a_shape[-2], a_shape[-1], b_shape[-1]
    batch = a_shape[0] if len(a_shape) == 3 and len(b_shape) == 3 else 1
    return _mm(m, k, n, batch)


@matmul_formula(*ops("_grouped_mm", "_scaled_grouped_mm"))
def _grouped(args, kwargs, out):
    return grouped_mm_flop(args[0].shape, args[1].shape)


# --- attention: every SDPA backend, forward and backward ----------------------------------------


def sdpa_forward_flop(q_shape, k_shape, v_shape) -> int:
    """QKᵀ and PV over the full Sq×Sk scores; GQA broadcasts KV heads (Vaswani et al. 2017)."""
    *lead, s_q, d = q_shape
    s_k, d_v = k_shape[-2], v_shape[-1]
    bh = prod(lead)
    return _mm(s_q, d, s_k, bh) + _mm(s_q, s_k, d_v, bh)


def sdpa_backward_flop(q_shape, k_shape, v_shape) -> int:
    """dV = PᵀdO, dP = dO·Vᵀ, dQ = dS·K, dK = dSᵀ·Q: 2× forward, no score recomputation."""
    return 2 * sdpa_forward_flop(q_shape, k_shape, v_shape)


@matmul_formula(
    *ops(
        "_scaled_dot_product_flash_attention_for_cpu",
        "_scaled_dot_product_flash_attention",
        "_scaled_dot_product_efficient_attention",
        "_scaled_dot_product_cudnn_attention",
        "_scaled_dot_product_fused_attention_overrideable",
    )
)
def _sdpa_fwd(args, kwargs, out):
    return sdpa_forward_flop(args[0].shape, args[1].shape, args[2].shape)


@matmul_formula(
    *ops(
        "_scaled_dot_product_flash_attention_for_cpu_backward",
        "_scaled_dot_product_flash_attention_backward",
        "_scaled_dot_product_efficient_attention_backward",
        "_scaled_dot_product_cudnn_attention_backward",
        "_scaled_dot_product_fused_attention_overrideable_backward",
    )
)
def _sdpa_bwd(args, kwargs, out):
    # every backward schema starts (grad_out, query, key, value, ...)
    return sdpa_backward_flop(args[1].shape, args[2].shape, args[3].shape)


# --- fused fast paths of nn.MultiheadAttention / nn.TransformerEncoderLayer (eval, no grad) -------


def _heads(x_shape, heads: int, seq: int) -> tuple[int, ...]:
    """(batch, heads, seq, d_head) of a (…, seq, d) activation, as the fused kernels split it."""
    d = x_shape[-1]
    return (prod(x_shape) // (seq * d), heads, seq, d // heads)


@matmul_formula(*ops("_native_multi_head_attention"))
def _native_mha(args, kwargs, out):
    # (query, key, value, embed_dim, num_head, qkv_weight, qkv_bias, proj_weight, ...): the Q, K, V and
    # output projections of nn.MultiheadAttention plus QKᵀ and PV, as its unfused path dispatches them
    q, k, heads, proj_w = args[0], args[1], args[4], args[7]
    d = q.shape[-1]
    rows_q, rows_k = q.numel() // d, k.numel() // d
    projections = _mm(rows_q, d, d) + 2 * _mm(rows_k, d, d) + 2 * rows_q * proj_w.numel()
    qh, kh = _heads(q.shape, heads, q.shape[-2]), _heads(k.shape, heads, k.shape[-2])
    return projections + sdpa_forward_flop(qh, kh, kh)


@matmul_formula(*ops("_transformer_encoder_layer_fwd"))
def _encoder_layer(args, kwargs, out):
    # (src, embed_dim, num_heads, qkv_weight, qkv_bias, proj_weight, proj_bias, use_gelu, norm_first, eps,
    #  norm_w1, norm_b1, norm_w2, norm_b2, ffn_weight_1, ffn_bias_1, ffn_weight_2, ...): one
    # nn.TransformerEncoderLayer: self-attention projections, QKᵀ and PV, the two feed-forward products
    # A padding mask makes nn.TransformerEncoder pack src into a nested tensor of the unpadded sequences:
    # the kernel then runs on those tokens only, and so does the count.
    src, heads = args[0], args[2]
    weights = sum(w.numel() for w in (args[3], args[5], args[14], args[16]))
    d = args[3].shape[-1]
    if src.is_nested:
        lengths = [int(n) for n in src._nested_tensor_size()[:, 0].tolist()]
    else:
        lengths = [src.shape[-2]] * (src.numel() // (src.shape[-2] * d))
    attention = sum(sdpa_forward_flop(q, q, q) for q in ((1, heads, n, d // heads) for n in lengths))
    return 2 * sum(lengths) * weights + attention


# --- fused recurrent kernels ---------------------------------------------------------------------


def rnn_layer_flop(tokens: int, weights) -> int:
    """2·tokens·Σ numel(W) over the 2-D weights (W_ih, W_hh, W_hr) of one layer/direction.

    Per timestep and sequence an LSTM does x·W_ihᵀ (4H×in) and h·W_hhᵀ (4H×H); GRU 3H, RNN H.
    """
    return 2 * tokens * sum(w.numel() for w in weights if w is not None and w.dim() == 2)


@matmul_formula(*ops("mkldnn_rnn_layer"))
def _mkldnn_rnn(args, kwargs, out):
    x, w_ih, w_hh = args[0], args[1], args[2]
    return rnn_layer_flop(x.numel() // x.shape[-1], (w_ih, w_hh))


@matmul_formula(*ops("mkldnn_rnn_layer_backward"))
def _mkldnn_rnn_bwd(args, kwargs, out):
    # the kernel computes dX, dH and dW for both weights: twice the forward products
    x, w_ih, w_hh = args[0], args[1], args[2]
    return 2 * rnn_layer_flop(x.numel() // x.shape[-1], (w_ih, w_hh))


def _cudnn_rnn_flop(x, weights) -> int:
    return rnn_layer_flop(x.numel() // x.shape[-1], weights)


@matmul_formula(*ops("_cudnn_rnn", "miopen_rnn"))
def _cudnn_rnn(args, kwargs, out):
    return _cudnn_rnn_flop(args[0], args[1])


@matmul_formula(*ops("_cudnn_rnn_backward", "miopen_rnn_backward"))
def _cudnn_rnn_bwd(args, kwargs, out):
    return 2 * _cudnn_rnn_flop(args[0], args[1])


# --- convolutions: flopcast's own, forward and backward, groups included -------------------------


def conv_forward_flop(x_shape, w_shape, out_shape, transposed: bool) -> int:
    """2·N·Σ positions·numel(W): every output position of a convolution (every input position of a
    transposed one) takes one multiply-add per weight element of its group.

    ``w_shape`` is ``(C_out, C_in/groups, *k)`` (transposed: ``(C_in, C_out/groups, *k)``), so groups
    are already in ``numel(W)``: ``2·N·C_out·Π out·(C_in/groups)·Π k``.
    """
    positions = prod((x_shape if transposed else out_shape)[2:])
    return 2 * x_shape[0] * positions * prod(w_shape)


def conv_backward_flop(grad_out_shape, x_shape, w_shape, transposed: bool, output_mask) -> int:
    """Input gradient and weight gradient each repeat every forward multiply-add once, so each costs
    the forward's FLOP (groups included, unlike ``torch.utils.flop_counter.conv_backward_flop``,
    whose weight-gradient term omits ``groups``); a gradient nobody needs (``output_mask``) is not run.
    """
    forward = conv_forward_flop(x_shape, w_shape, grad_out_shape, transposed)
    return forward * (int(bool(output_mask[0])) + int(bool(output_mask[1])))


@matmul_formula(*ops("convolution", "_convolution", "convolution_overrideable"))
def _conv(args, kwargs, out):
    # (input, weight, bias, stride, padding, dilation, transposed, ...)
    transposed = args[6] if len(args) > 6 else kwargs.get("transposed", False)
    return conv_forward_flop(args[0].shape, args[1].shape, out.shape, bool(transposed))


@matmul_formula(
    *ops(
        "cudnn_convolution",
        "_slow_conv2d_forward",
        "mkldnn_convolution",
        "miopen_convolution",
        "_conv_depthwise2d",
        "slow_conv3d_forward",
        "slow_conv_dilated2d",
        "slow_conv_dilated3d",
    )
)
def _conv_direct(args, kwargs, out):
    # backend kernels called directly: (input, weight, ...), never transposed
    first = out[0] if isinstance(out, (tuple, list)) else out
    return conv_forward_flop(args[0].shape, args[1].shape, first.shape, False)


@matmul_formula(
    *ops(
        "cudnn_convolution_transpose", "miopen_convolution_transpose", "slow_conv_transpose2d", "slow_conv_transpose3d"
    )
)
def _conv_transpose_direct(args, kwargs, out):
    return conv_forward_flop(args[0].shape, args[1].shape, out.shape, True)


@matmul_formula(aten.convolution_backward)
def _conv_bwd(args, kwargs, out):
    # (grad_output, input, weight, bias_sizes, stride, padding, dilation, transposed, output_padding, groups, mask)
    grad_out, x, w = args[0], args[1], args[2]
    transposed = args[7] if len(args) > 7 else kwargs["transposed"]
    mask = args[10] if len(args) > 10 else kwargs["output_mask"]
    return conv_backward_flop(grad_out.shape, x.shape, w.shape, bool(transposed), mask)


# --- torch's own table for the rest (mm, addmm, bmm, baddbmm, _scaled_mm, raw flash kernels) ---


def _wrap_torch(f) -> Formula:
    def formula(args, kwargs, out):
        return f(*args, **kwargs, out_val=out)

    formula.__doc__ = f"torch.utils.flop_counter: {getattr(f, '__name__', f)}"
    return formula


for _packet, _f in _tfc.flop_registry.items():
    if isinstance(_packet, torch._ops.OpOverloadPacket) and _packet not in MATMUL:
        MATMUL[_packet] = _wrap_torch(_f)
