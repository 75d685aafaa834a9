"""Mixture of experts through ``aten._grouped_mm`` (transformers >= 5), forward and backward, on CPU and meta.

Hand count of a Mixtral-style decoder, 1 multiply-add = 2 FLOP, T = batch·seq tokens:
attention projections ``2·T·d·(2·h·d_h + 2·h_kv·d_h)``, scores and values ``2·2·b·h·s²·d_h``, router
``2·T·d·E``, experts ``S = T·top_k`` routed rows through gate+up ``2·S·d·2·d_ff`` and down
``2·S·d_ff·d``, head ``2·T·d·V``. The experts' cost depends on the shapes only, not on the routing.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from flopcast.count import count  # noqa: E402
from flopcast.count.formulas import grouped_mm_flop  # noqa: E402
from flopcast.count.metakernels import grouped_mm_shape  # noqa: E402

pytestmark = pytest.mark.torch

D, H, KV, FF, E, TOP_K, V, LAYERS = 32, 4, 2, 48, 4, 2, 128, 2
B, S = 2, 16


def _config():
    cfg = transformers.MixtralConfig(
        vocab_size=V,
        hidden_size=D,
        intermediate_size=FF,
        num_hidden_layers=LAYERS,
        num_attention_heads=H,
        num_key_value_heads=KV,
        num_local_experts=E,
        num_experts_per_tok=TOP_K,
        max_position_embeddings=64,
    )
    cfg._attn_implementation = "sdpa"
    return cfg


def _hand():
    t, dh = B * S, D // H
    attention = 2 * t * D * (2 * H * dh + 2 * KV * dh) + 2 * 2 * B * H * S * S * dh
    router = 2 * t * D * E
    routed = t * TOP_K
    experts = 2 * routed * D * 2 * FF + 2 * routed * FF * D
    return LAYERS * (attention + router + experts) + 2 * t * D * V, LAYERS * experts


def _build(device, dtype):
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        torch.manual_seed(0)
        with torch.device(device):
            return transformers.MixtralForCausalLM(_config())
    finally:
        torch.set_default_dtype(previous)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    ("device", "dtype"),
    [("cpu", torch.float32), ("meta", torch.float32), ("meta", torch.bfloat16), ("meta", torch.float16)],
)
def test_small_mixtral_counts_attention_router_and_routed_experts(device, dtype):
    model = _build(device, dtype)
    assert model.config._experts_implementation == "grouped_mm"
    ids = (torch.zeros if device == "meta" else lambda *a, **k: torch.randint(0, V, *a, **k))((B, S), dtype=torch.long)
    r = count(model, {"input_ids": ids.to(device)}, mode="train")
    total, experts = _hand()
    assert r.forward_flop == total  # was 0.467 of it: the experts were uncounted
    assert r.by_operator()["aten._grouped_mm"] == experts
    assert r.backward_flop == 2 * total  # token ids need no gradient; every other product runs dX and dW
    assert r.uncounted_ops == {}


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_eager_experts_on_cpu_agree_with_grouped_mm():
    model = _build("cpu", torch.float32)
    model.config._experts_implementation = "eager"  # a loop over the hit experts, real routing
    ids = torch.randint(0, V, (B, S))
    assert count(model, {"input_ids": ids}).forward_flop == _hand()[0]


@pytest.mark.parametrize(
    ("a", "b", "offs", "out", "flop"),
    [
        ((10, 8), (3, 8, 6), 3, (10, 6), 2 * 10 * 8 * 6),  # experts: rows split over groups
        ((5, 12), (12, 7), 3, (3, 5, 7), 2 * 5 * 12 * 7),  # weight gradient: K split
        ((3, 5, 8), (8, 12), 3, (5, 12), 2 * 5 * 8 * 12),  # columns split
        ((3, 5, 8), (3, 8, 7), None, (3, 5, 7), 2 * 3 * 5 * 8 * 7),  # plain bmm
    ],
)
def test_grouped_mm_shape_and_flop_every_layout(a, b, offs, out, flop):
    assert grouped_mm_shape(a, b, offs) == out
    assert grouped_mm_flop(a, b) == flop


def test_grouped_mm_on_cpu_matches_the_meta_kernel_shape_and_formula():
    a, w = torch.randn(16, 16), torch.randn(4, 16, 32)
    offs = torch.tensor([4, 8, 12, 16], dtype=torch.int32)
    out = torch._grouped_mm(a, w, offs=offs)
    assert tuple(out.shape) == grouped_mm_shape(tuple(a.shape), tuple(w.shape), 4)

    class G(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(w.clone())
            self.register_buffer("offs", offs)

        def forward(self, x):
            # (the CPU kernel rejects the expanded gradient of a bare .sum(); the product makes it dense)
            return torch._grouped_mm(x, self.w, offs=self.offs) * 2

    for device in ("cpu", "meta"):
        r = count(G().to(device), a.to(device), mode="train")
        assert r.forward_flop == 2 * 16 * 16 * 32
        assert r.backward_flop == 2 * 16 * 16 * 32  # weight gradient only (the input needs none)
