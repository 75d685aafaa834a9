"""Fused fast paths: nn.TransformerEncoder / nn.MultiheadAttention in eval mode without autograd.

Under ``torch.no_grad()`` or ``inference_mode()`` an eval-mode encoder layer dispatches one
``aten._transformer_encoder_layer_fwd`` and attention one ``aten._native_multi_head_attention``
(forward_flop was 0). Hand count, d = 32, 4 heads, d_ff = 64, batch 2, 10 tokens: per layer
``2·T·(3d² + d² + 2·d·d_ff)`` for the QKV, output and feed-forward products plus ``2·2·B·S²·d`` for
QKᵀ and PV; the counts must equal the unfused path's (autograd enabled).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from flopcast.count import count  # noqa: E402

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings("ignore::UserWarning")]

D, HEADS, FF, B, S = 32, 4, 64, 2, 10


def _layer_hand(b, s, s_kv=None):
    s_kv = s if s_kv is None else s_kv
    projections = 2 * b * s * D * D * 2 + 2 * b * s_kv * D * D * 2  # Q and output on queries, K and V on keys
    return projections + 2 * 2 * b * s * s_kv * D


def _encoder(**kw):
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D, HEADS, FF, batch_first=True, dropout=0.0, **kw)
    return nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).eval()


GRADLESS = [torch.no_grad, torch.inference_mode]


@pytest.mark.parametrize("context", GRADLESS)
@pytest.mark.parametrize("kw", [{}, {"norm_first": True}, {"activation": "gelu"}])
def test_fused_encoder_layer_equals_unfused_and_hand_count(context, kw):
    enc, x = _encoder(**kw), torch.randn(B, S, D)
    hand = 2 * (_layer_hand(B, S) + 2 * B * S * 2 * D * FF)
    unfused = count(enc, x)
    with context():
        fused = count(enc, x)
    assert fused.by_operator() == {"aten._transformer_encoder_layer_fwd": hand}  # the fast path ran
    assert fused.forward_flop == unfused.forward_flop == hand
    assert fused.uncounted_ops == {}


@pytest.mark.parametrize("context", GRADLESS)
@pytest.mark.parametrize("s_kv", [S, 7])
def test_fused_multihead_attention_equals_unfused_and_hand_count(context, s_kv):
    torch.manual_seed(0)
    mha = nn.MultiheadAttention(D, HEADS, batch_first=True).eval()
    q = torch.randn(B, S, D)
    kv = q if s_kv == S else torch.randn(B, s_kv, D)
    inputs = (q, kv, kv)
    unfused = count(mha, inputs)
    with context():
        fused = count(mha, inputs)
    if s_kv == S:  # self-attention takes the fast path (cross-attention runs unfused in torch)
        assert set(fused.by_operator()) == {"aten._native_multi_head_attention"}
    assert fused.forward_flop == unfused.forward_flop == _layer_hand(B, S, s_kv)
    assert fused.uncounted_ops == {}


def test_padded_batch_takes_the_nested_path_and_counts_the_real_tokens():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(D, HEADS, FF, batch_first=True, dropout=0.0)
    enc = nn.TransformerEncoder(layer, 2).eval()  # nested tensors enabled: padding is dropped
    x = torch.randn(B, S, D)
    mask = torch.zeros(B, S, dtype=torch.bool)
    mask[0, 8:] = True  # sequence 0 has 8 tokens, sequence 1 has 10
    with torch.no_grad():
        r = count(enc, x, kwargs={"src_key_padding_mask": mask})
    per_seq = [_layer_hand(1, n) + 2 * n * 2 * D * FF for n in (8, 10)]
    assert r.forward_flop == 2 * sum(per_seq)
    assert r.uncounted_ops == {}
