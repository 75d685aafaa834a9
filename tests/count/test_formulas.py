"""Hand-derived matmul-class counts (1 multiply-add = 2 FLOP) for the layers flopcast covers."""

from __future__ import annotations

from itertools import pairwise

import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402

from flopcast.count import count  # noqa: E402

pytestmark = pytest.mark.torch


def fwd(model, x, **kw):
    return count(model, x, **kw).forward_flop


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_linear_is_2_b_in_out(device):
    m = nn.Linear(7, 5).to(device)
    assert fwd(m, torch.randn(3, 7, device=device)) == 2 * 3 * 7 * 5
    # a 3-D input flattens its leading dimensions: (2·4) rows
    assert fwd(m, torch.randn(2, 4, 7, device=device)) == 2 * 8 * 7 * 5


@settings(max_examples=25, deadline=None)
@given(b=st.integers(1, 9), i=st.integers(1, 33), o=st.integers(1, 33), bias=st.booleans())
def test_linear_property(b, i, o, bias):
    m = nn.Linear(i, o, bias=bias, device="meta")
    r = count(m, torch.empty(b, i, device="meta"))
    assert r.forward_flop == 2 * b * i * o
    assert r.forward_mac == b * i * o


@settings(max_examples=15, deadline=None)
@given(widths=st.lists(st.integers(1, 24), min_size=2, max_size=5), b=st.integers(1, 5))
def test_counts_add_over_sequential_modules(widths, b):
    layers = [nn.Linear(a, c, device="meta") for a, c in pairwise(widths)]
    seq = nn.Sequential(*layers)
    x = torch.empty(b, widths[0], device="meta")
    total = count(seq, x).forward_flop
    parts, h = 0, x
    for layer in layers:
        parts += count(layer, h).forward_flop
        h = layer(h)
    assert total == parts == sum(2 * b * a * c for a, c in pairwise(widths))


def _conv_out(n, k, s=1, p=0):
    return (n + 2 * p - k) // s + 1


@pytest.mark.parametrize("device", ["cpu", "meta"])
@pytest.mark.parametrize("groups", [1, 2, 8])  # dense, grouped, depthwise (groups == in_channels)
def test_conv2d_with_groups(device, groups):
    cin, cout, k, h, w, n = 8, 16, 3, 11, 9, 2
    m = nn.Conv2d(cin, cout, k, stride=2, padding=1, groups=groups).to(device)
    ho, wo = _conv_out(h, k, 2, 1), _conv_out(w, k, 2, 1)
    # each output element: (cin/groups)·k·k multiply-adds
    expected = 2 * n * cout * ho * wo * (cin // groups) * k * k
    assert fwd(m, torch.randn(n, cin, h, w, device=device)) == expected


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_conv_transpose2d(device):
    cin, cout, k, h, w, n, g = 4, 6, 3, 5, 7, 2, 2
    m = nn.ConvTranspose2d(cin, cout, k, stride=2, groups=g).to(device)
    # every input element scatters into k·k·(cout/groups) outputs
    expected = 2 * n * cin * h * w * k * k * (cout // g)
    assert fwd(m, torch.randn(n, cin, h, w, device=device)) == expected


def test_conv_backward_is_twice_forward_when_input_needs_grad():
    m = nn.Conv2d(4, 8, 3, padding=1)
    x = torch.randn(2, 4, 6, 6, requires_grad=True)
    r = count(m, x, mode="train")
    assert r.backward_flop == 2 * r.forward_flop  # grad input + grad weight


def _rnn_formula(gates, t, b, i, h, layers):
    """2·T·B·gates·H·(in + H) for layer 0, with in = H above it."""
    return 2 * t * b * gates * h * ((i + h) + (h + h) * (layers - 1))


@pytest.mark.parametrize(("cls", "gates"), [(nn.LSTM, 4), (nn.GRU, 3), (nn.RNN, 1)])
def test_recurrent_forward_fused_cpu_equals_meta_equals_formula(cls, gates):
    t, b, i, h, layers = 6, 3, 5, 7, 2
    counts = []
    for device in ("cpu", "meta"):
        m = cls(i, h, num_layers=layers).to(device)
        r = count(m, torch.randn(t, b, i, device=device))
        assert not r.uncounted_ops
        counts.append(r.forward_flop)
    assert counts == [_rnn_formula(gates, t, b, i, h, layers)] * 2


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_projected_lstm_counts_gates_from_the_projection_and_the_projection(device):
    """ELMo's biLM cell (``proj_size``; torch falls back from oneDNN): per step 4H x (in + P) for the gates, whose
    recurrent input is the P-wide projection, plus H x P for the projection (torch.nn.LSTM docs, h_t = W_hr h_t)."""
    t, b, i, h, p, layers = 5, 2, 6, 8, 3, 2
    m = nn.LSTM(i, h, num_layers=layers, proj_size=p).to(device)
    r = count(m, torch.randn(t, b, i, device=device))
    per_step = 4 * h * (i + p) + h * p + (layers - 1) * (4 * h * (p + p) + h * p)
    assert r.forward_flop == 2 * t * b * per_step


def test_cpu_lstm_uses_the_fused_kernel_and_counts_it():
    m = nn.LSTM(5, 7, batch_first=True)
    r = count(m, torch.randn(2, 4, 5))
    assert set(r.by_operator()) == {"aten.mkldnn_rnn_layer"}  # what torch's FlopCounterMode counts as 0


def test_lstm_backward_fused_and_decomposed():
    t, b, i, h, layers = 4, 2, 3, 5, 2
    f = _rnn_formula(4, t, b, i, h, layers)
    cpu = count(nn.LSTM(i, h, num_layers=layers), torch.randn(t, b, i), mode="train")
    meta = count(nn.LSTM(i, h, num_layers=layers, device="meta"), torch.empty(t, b, i, device="meta"), mode="train")
    # the fused kernel computes every gradient: dX, dH, dW_ih, dW_hh
    assert cpu.backward_flop == 2 * f
    # autograd on the decomposed cell skips the first layer's input gradient and dh0 (inputs without grad)
    assert meta.backward_flop == 2 * f - 2 * t * b * 4 * h * i - layers * 2 * b * 4 * h * h


@pytest.mark.parametrize(("cls", "gates"), [(nn.LSTMCell, 4), (nn.GRUCell, 3), (nn.RNNCell, 1)])
def test_cells_per_timestep(cls, gates):
    b, i, h = 3, 5, 6
    assert fwd(cls(i, h), torch.randn(b, i)) == 2 * b * gates * h * (i + h)


class Attention(nn.Module):
    def __init__(self, causal=False):
        super().__init__()
        self.causal = causal

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)


def _attn_inputs(device, b=2, h=4, s=16, d=8, requires_grad=False):
    g = torch.Generator().manual_seed(0)
    return tuple(torch.randn(b, h, s, d, generator=g).to(device).requires_grad_(requires_grad) for _ in range(3))


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize(
    ("backend", "device", "op"),
    [
        (SDPBackend.MATH, "cpu", "aten.bmm"),
        (SDPBackend.FLASH_ATTENTION, "cpu", "aten._scaled_dot_product_flash_attention_for_cpu"),
        (SDPBackend.MATH, "meta", "aten.bmm"),
    ],
)
def test_sdpa_every_backend_counts_full_scores(backend, device, op, causal):
    b, h, s, d = 2, 4, 16, 8
    with sdpa_kernel(backend):
        r = count(Attention(causal), _attn_inputs(device, b, h, s, d, requires_grad=True), mode="train")
    # QKᵀ (b·h, s, d)@(d, s) and PV (b·h, s, s)@(s, d); the causal mask is not subtracted (stated convention)
    expected = 2 * (2 * b * h * s * s * d)
    assert set(r.by_operator()) == {op}
    assert r.forward_flop == expected
    # backward: dV, dP, dQ, dK, four products of the same size, no recomputation
    assert r.backward_flop == 2 * expected


def test_sdpa_grouped_query_attention():
    b, hq, hkv, s, d = 1, 8, 2, 12, 4
    q = torch.randn(b, hq, s, d)
    k, v = torch.randn(b, hkv, s, d), torch.randn(b, hkv, s, d)

    class GQA(nn.Module):
        def forward(self, q, k, v):
            return F.scaled_dot_product_attention(q, k, v, enable_gqa=True)

    counts = {}
    for backend in (SDPBackend.MATH, SDPBackend.FLASH_ATTENTION):
        with sdpa_kernel(backend):
            counts[backend] = count(GQA(), (q, k, v)).forward_flop
    assert set(counts.values()) == {2 * (2 * b * hq * s * s * d)}


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_einsum_counts_its_contraction(device):
    class E(nn.Module):
        def forward(self, a, b):
            return torch.einsum("bij,bjk->bik", a, b)

    a, b = torch.randn(3, 4, 5, device=device), torch.randn(3, 5, 6, device=device)
    assert fwd(E(), (a, b)) == 2 * 3 * 4 * 5 * 6


def test_vector_products():
    class V(nn.Module):
        def forward(self, m, x):
            return torch.mv(m, x).dot(x[:4])

    assert fwd(V(), (torch.randn(4, 9), torch.randn(9))) == 2 * 4 * 9 + 2 * 4


def test_embedding_is_counted_zero_not_uncounted():
    m = nn.Embedding(100, 16)
    r = count(m, torch.tensor([[1, 2, 3]]))
    assert r.forward_flop == 0 and not r.uncounted_ops
    assert r.counted_zero_ops() == {"aten.embedding": 1}
    assert r.embedding_params == 1600 and r.non_embedding_params == 0


class TinyMoE(nn.Module):
    """Top-1 routing over 4 experts; tokens are routed by the sign pattern we choose."""

    def __init__(self, d=8, f=16, experts=4):
        super().__init__()
        self.router = nn.Linear(d, experts, bias=False)
        self.experts = nn.ModuleList(nn.Sequential(nn.Linear(d, f), nn.ReLU(), nn.Linear(f, d)) for _ in range(experts))

    def forward(self, x):
        choice = self.router(x).argmax(-1)
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            idx = (choice == e).nonzero().squeeze(-1)
            if idx.numel():
                out[idx] = expert(x[idx])
        return out


def test_moe_counts_only_routed_experts():
    torch.manual_seed(0)
    d, f, e, tokens = 8, 16, 4, 10
    m = TinyMoE(d, f, e)
    with torch.no_grad():  # route token t to expert t % 2 (experts 2, 3 never used)
        m.router.weight.zero_()
        m.router.weight[0, 0] = 1.0
        m.router.weight[1, 0] = -1.0
    x = torch.randn(tokens, d)
    x[:, 0] = torch.tensor([1.0, -1.0] * (tokens // 2))
    r = count(m, x, depth=2)
    expert_flop = 2 * tokens * (d * f + f * d)  # every token through exactly one expert
    assert r.forward_flop == 2 * tokens * d * e + expert_flop
    assert r.by_module().get("experts.2", 0) == 0 and r.by_module().get("experts.3", 0) == 0
    assert r.by_module()["experts.0"] == 2 * (tokens // 2) * 2 * d * f


def test_moe_on_meta_fails_with_model_error():
    from flopcast.errors import ModelError

    with pytest.raises(ModelError, match="failed on its input"):
        count(TinyMoE().to("meta"), torch.empty(4, 8, device="meta"))


class Call(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


aten = torch.ops.aten


@pytest.mark.parametrize(
    "kernel",
    [
        lambda q: aten._scaled_dot_product_flash_attention(q, q, q, is_causal=True)[0],
        lambda q: aten._scaled_dot_product_efficient_attention(q, q, q, None, True, is_causal=True)[0],
        lambda q: aten._scaled_dot_product_cudnn_attention(q, q, q, None, True, is_causal=True)[0],
    ],
)
def test_gpu_attention_kernels_forward_and_backward_on_meta(kernel):
    # the CUDA kernels have meta implementations and autograd formulas: dispatch them for real, without a GPU
    b, h, s, d = 2, 4, 16, 8
    q = torch.empty(b, h, s, d, device="meta", requires_grad=True)
    r = count(Call(kernel), q, mode="train")
    assert not r.uncounted_ops
    assert r.forward_flop == 2 * (2 * b * h * s * s * d)
    assert r.backward_flop == 2 * r.forward_flop
    assert all(op.endswith("_backward") for op in r.by_operator("backward"))


def test_cudnn_rnn_formula_per_layer_and_direction():
    from flopcast.count.formulas import MATMUL

    t, b, i, h = 5, 3, 8, 16
    meta = {"device": "meta"}
    layer0 = [
        torch.empty(4 * h, i, **meta),
        torch.empty(4 * h, h, **meta),
        torch.empty(4 * h, **meta),
        torch.empty(4 * h, **meta),
    ]
    layer1 = [
        torch.empty(4 * h, h, **meta),
        torch.empty(4 * h, h, **meta),
        torch.empty(4 * h, **meta),
        torch.empty(4 * h, **meta),
    ]
    x = torch.empty(t, b, i, **meta)
    fwd = MATMUL[aten._cudnn_rnn]((x, layer0 + layer1, 4), {}, None)
    assert fwd == _rnn_formula(4, t, b, i, h, 2)
    assert MATMUL[aten._cudnn_rnn_backward]((x, layer0 + layer1, 4), {}, None) == 2 * fwd


def test_a_formula_that_fails_is_reported_not_zero(monkeypatch):
    from flopcast.count import formulas

    def broken(args, kwargs, out):
        raise ValueError("unexpected arguments")

    monkeypatch.setitem(formulas.MATMUL, aten.mv, broken)
    r = count(Call(torch.mv), (torch.randn(3, 4), torch.randn(4)))
    assert r.uncounted_ops == {"aten.mv (formula failed)": 1}


def test_int8_matmul_and_embedding_bag():
    a = torch.randint(-5, 5, (32, 64), dtype=torch.int8)
    b = torch.randint(-5, 5, (64, 16), dtype=torch.int8)
    assert fwd(Call(torch._int_mm), (a, b)) == 2 * 32 * 64 * 16
    bag = nn.EmbeddingBag(10, 4, mode="sum")
    r = count(bag, (torch.tensor([1, 2, 3, 4, 5, 6]), torch.tensor([0, 3])), mode="train")
    assert r.forward_flop == 0 and r.uncounted_ops == {}
    assert r.forward_flop_all == 6 * 4  # one add per gathered element
    assert r.by_operator("backward", all_ops=True) == {"aten._embedding_bag_backward": 6 * 4}
