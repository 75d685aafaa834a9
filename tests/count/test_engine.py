"""The counting engine: train steps, uncounted ops, module attribution, eager vs meta, errors, the result API."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from flopcast.count import CountResult, count  # noqa: E402
from flopcast.count.formulas import MATMUL, register  # noqa: E402
from flopcast.errors import InputError, ModelError  # noqa: E402
from flopcast.report.jsonout import dumps  # noqa: E402

pytestmark = pytest.mark.torch


def mlp(widths=(6, 10, 8, 3), device="cpu"):
    layers = []
    for a, b in pairwise(widths):
        layers += [nn.Linear(a, b, device=device), nn.ReLU()]
    return nn.Sequential(*layers[:-1])


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_train_step_is_three_forward_minus_first_layer_input_gradient(device):
    b, widths = 5, (6, 10, 8, 3)
    r = count(mlp(widths, device), torch.randn(b, widths[0]).to(device), mode="train")
    fwd = sum(2 * b * a * c for a, c in pairwise(widths))
    first_input_grad = 2 * b * widths[0] * widths[1]  # the input needs no gradient: autograd skips it
    assert r.forward_flop == fwd
    assert r.backward_flop == 2 * fwd - first_input_grad
    assert r.train_step_flop == 3 * fwd - first_input_grad
    assert r.backward_forward_ratio == pytest.approx((2 * fwd - first_input_grad) / fwd)
    assert r.optimizer_flop is None


def test_input_that_needs_grad_gives_exactly_twice_forward():
    r = count(mlp(), torch.randn(5, 6, requires_grad=True), mode="train")
    assert r.backward_flop == 2 * r.forward_flop


def test_optimizer_step_is_counted_and_added():
    m = mlp()
    n = sum(p.numel() for p in m.parameters())
    adam = count(m, torch.randn(2, 6), mode="train", optimizer="adam")
    sgd = count(m, torch.randn(2, 6), mode="train", optimizer="sgd")
    assert adam.train_step_flop == adam.forward_flop + adam.backward_flop + adam.optimizer_flop
    # torch.optim.Adam per element: lerp_ (2) + mul_ (1) + addcmul_ (2) + sqrt, div, add_ (3) + addcdiv_ (2),
    # plus its step counter (one add per parameter tensor)
    tensors = len(list(m.parameters()))
    assert adam.optimizer_flop == 10 * n + tensors
    assert adam.by_operator("optimizer", all_ops=True)["aten.addcdiv_"] == 2 * n
    # SGD with momentum per element: buf.mul_(μ).add_(g) (2) and p.add_(buf, alpha=-lr) (1)
    assert sgd.optimizer_flop == 3 * n
    assert all(p.grad is None for p in m.parameters())  # the model is left as it was


def test_uncounted_ops_are_listed_with_call_counts_per_module():
    class Spectral(nn.Module):
        def forward(self, x):
            return torch.fft.rfft(x).abs()

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(8, 8)
            self.spec = Spectral()

        def forward(self, x):
            return self.spec(self.proj(x)) + self.spec(x).sum()

    r = count(Net(), torch.randn(2, 8))
    fft_ops = {k: v for k, v in r.uncounted_ops.items() if "fft" in k}
    assert fft_ops and sum(fft_ops.values()) == 2
    assert r.unsupported_ops("spec") == fft_ops
    assert r.unsupported_ops("proj") == {}
    assert r.module_tree()["spec"]["uncounted_ops"] == fft_ops
    assert r.forward_flop == 2 * 2 * 8 * 8


def test_typical_models_have_no_uncounted_ops():
    convnet = nn.Sequential(
        nn.Conv2d(3, 8, 3),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, groups=8),
        nn.GELU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.LayerNorm(8),
        nn.Dropout(0.1),
        nn.Linear(8, 4),
        nn.Softmax(-1),
    )
    r = count(convnet, torch.randn(2, 3, 12, 12), mode="train", optimizer="adam")
    assert r.uncounted_ops == {}
    assert r.forward_flop_all > r.forward_flop


def test_module_totals_nest_in_forward_and_backward():
    m = nn.Sequential(mlp(), nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)))
    r = count(m, torch.randn(3, 6), mode="train", depth=3)
    for phase in ("forward", "backward"):
        by = r.by_module(phase=phase)
        assert by[""] == r.total(phase=phase) == sum(by[k] for k in ("0", "1"))
        assert by["1"] == by["1.0"] + by["1.1"]
        assert by["0"] == by["0.0"] + by["0.2"] + by["0.4"]
    # each Linear's backward lands on that Linear: weight grad + input grad (not for the very first)
    bwd = r.by_module(phase="backward")
    assert bwd["1.1"] == 2 * (2 * 3 * 4 * 2)
    assert bwd["0.0"] == 2 * 3 * 6 * 10
    assert r.by_module(depth=1).keys() == {"", "0", "1"}
    assert r.by_module_and_operator(depth=1)["1"] == {"aten.addmm": 2 * 3 * (3 * 4 + 4 * 2)}


def test_shared_module_called_twice_counts_twice():
    lin = nn.Linear(4, 4)

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = lin

        def forward(self, x):
            return self.lin(self.lin(x))

    r = count(Twice(), torch.randn(2, 4))
    assert r.forward_flop == r.by_module()["lin"] == 2 * (2 * 2 * 4 * 4)
    assert r.params == 20


def _gpt2(attn, device):
    transformers = pytest.importorskip("transformers")
    cfg = transformers.GPT2Config(
        n_layer=2, n_embd=64, n_head=4, vocab_size=512, n_positions=64, bos_token_id=0, eos_token_id=0
    )
    cfg._attn_implementation = attn
    torch.manual_seed(0)
    with torch.device(device):
        return transformers.GPT2LMHeadModel(cfg), cfg


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_gpt2_eager_sdpa_cpu_meta_all_equal_the_analytic_dense_count():
    b, s = 2, 32
    results = {}
    for attn in ("eager", "sdpa"):
        for device in ("cpu", "meta"):
            m, cfg = _gpt2(attn, device)
            ids = torch.randint(0, cfg.vocab_size, (b, s)).to(device)
            results[attn, device] = count(m, {"input_ids": ids}, mode="train")
    d, n_layer, vocab = 64, 2, 512
    # per token: 24·d² per layer (QKV, output and 4d MLP projections), 4·s·d attention (QKᵀ, PV), 2·d·V head
    analytic = b * s * (n_layer * (24 * d * d + 4 * s * d) + 2 * d * vocab)
    assert {r.forward_flop for r in results.values()} == {analytic}
    assert {r.backward_flop for r in results.values()} == {2 * analytic}  # ids need no grad; embeddings are 0
    assert all(not r.uncounted_ops for r in results.values())
    assert len({r.memory_bytes["activations"] for r in results.values()}) == 1


def test_model_failure_is_one_line_model_error():
    with pytest.raises(ModelError, match=r"failed on its input: RuntimeError: .*shapes cannot be multiplied") as e:
        count(nn.Linear(4, 3), torch.randn(2, 5))
    assert "\n" not in str(e.value)


def test_train_mode_needs_something_to_differentiate():
    m = nn.Linear(3, 3).requires_grad_(False)
    with pytest.raises(ModelError, match="requires a gradient"):
        count(m, torch.randn(2, 3), mode="train")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mode": "inference"}, "unknown mode"),
        ({"mode": "train", "optimizer": "lion"}, "unknown optimizer"),
        ({"optimizer": "adam"}, "needs mode='train'"),
        ({"dtype": "fp8"}, "unknown dtype"),
        ({"depth": -1}, "depth"),
    ],
)
def test_bad_arguments_are_input_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        count(nn.Linear(2, 2), torch.randn(1, 2), **kwargs)


def test_not_a_module():
    with pytest.raises(ModelError, match=r"torch\.nn\.Module"):
        count(lambda x: x, torch.randn(2))


def test_inputs_as_tensor_tuple_dict_and_kwargs():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 4), nn.Linear(5, 4)

        def forward(self, x, y=None):
            return self.a(x) + (self.b(y) if y is not None else 0)

    x, y = torch.randn(2, 3), torch.randn(2, 5)
    only_x = 2 * 2 * 3 * 4
    both = only_x + 2 * 2 * 5 * 4
    assert count(Two(), x).forward_flop == only_x
    assert count(Two(), (x, y)).forward_flop == both
    assert count(Two(), {"x": x, "y": y}).forward_flop == both
    assert count(Two(), x, kwargs={"y": y}).forward_flop == both


def test_dtype_cast_and_result_is_frozen_and_serialisable():
    r = count(mlp(), torch.randn(2, 6), mode="train", optimizer="adam", dtype="bf16", name="tiny")
    assert isinstance(r, CountResult) and r.model == "tiny" and r.dtype == "bfloat16"
    with pytest.raises(AttributeError):
        r.forward_flop = 0
    d = json.loads(dumps(r))
    for key in (
        "model",
        "params",
        "trainable_params",
        "forward_flop",
        "forward_mac",
        "train_step_flop",
        "memory_bytes",
        "by_module",
        "by_operator",
        "uncounted_ops",
        "assumptions",
    ):
        assert key in d
    assert d["by_operator"]["forward"] == {"aten.addmm": r.forward_flop}
    assert d["by_module"][""]["forward_flop"] == r.forward_flop


def test_registry_refuses_duplicates():
    with pytest.raises(RuntimeError, match="duplicate"):
        register(MATMUL, torch.ops.aten.mm)(lambda args, kwargs, out: 0)


def test_top_level_count_is_callable_however_imported():
    import flopcast
    from flopcast import count as top

    m, x = nn.Linear(3, 2), torch.randn(1, 3)
    assert top(m, x).forward_flop == flopcast.count(m, x).forward_flop == count(m, x).forward_flop == 12


def test_backward_starts_from_the_models_loss_when_it_returns_one():
    from types import SimpleNamespace

    class WithLoss(nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.head = nn.Linear(4, 6), nn.Linear(4, 50)

        def forward(self, x):
            y = self.body(x)
            return SimpleNamespace(loss=(y**2).mean(), logits=self.head(x))

    r = count(WithLoss(), torch.randn(3, 4), mode="train")
    assert r.forward_flop == 2 * 3 * 4 * (6 + 50)
    assert r.backward_flop == 2 * 3 * 4 * 6  # only body's weight gradient: the head is not in the loss
