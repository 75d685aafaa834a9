"""Every torch.nn activation counts in the all-ops convention (forward and backward), none is left uncounted."""

from __future__ import annotations

import inspect

import pytest

torch = pytest.importorskip("torch")

import torch.nn.modules.activation as activation  # noqa: E402
from torch import nn  # noqa: E402

from flopcast.count import count  # noqa: E402

pytestmark = pytest.mark.torch

SKIP = {"MultiheadAttention", "Softmax2d", "Threshold"}  # not elementwise on a (B, F) input / needs arguments
ARGS = {"PReLU": (4,), "Softmax": (-1,), "LogSoftmax": (-1,), "Softmin": (-1,), "GLU": (-1,)}
NAMES = sorted(
    n
    for n, c in inspect.getmembers(activation, inspect.isclass)
    if issubclass(c, nn.Module) and c.__module__ == activation.__name__ and n not in SKIP
)


@pytest.mark.parametrize("device", ["cpu", "meta"])
@pytest.mark.parametrize("name", NAMES)
def test_activation_has_a_formula_forward_and_backward(name, device):
    act = getattr(activation, name)(*ARGS.get(name, ()))
    width = 2 if name == "GLU" else 4  # GLU halves its input
    model = nn.Sequential(nn.Linear(4, 4), act, nn.Linear(width, 3)).to(device)
    r = count(model, torch.randn(2, 4).to(device), mode="train")
    assert r.uncounted_ops == {}, name
    assert r.forward_flop == 2 * 2 * (4 * 4 + width * 3)  # the activation adds nothing to the matmul class
    assert r.forward_flop_all > r.forward_flop


@pytest.mark.parametrize("name", ["Hardswish", "GLU", "LogSigmoid", "PReLU", "ReLU6", "ELU", "Softplus"])
def test_untagged_activations_cost_one_flop_per_output_element(name):
    act = getattr(activation, name)(*ARGS.get(name, ()))
    r = count(nn.Sequential(act), torch.randn(2, 4))
    assert r.forward_flop_all == (2 * 2 if name == "GLU" else 2 * 4)  # one per element of the output


INPLACE = ["ReLU", "ReLU6", "Hardtanh", "LeakyReLU", "ELU", "CELU", "SELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid"]


@pytest.mark.parametrize("device", ["cpu", "meta"])
@pytest.mark.parametrize("name", INPLACE)
def test_in_place_activations_count_one_flop_per_element(name, device):
    # MobileNet v2's ReLU6(inplace=True) dispatches hardtanh_, which torch 2.11 does not tag pointwise
    act = getattr(activation, name)(inplace=True)
    model = nn.Sequential(nn.Linear(4, 4), act, nn.Linear(4, 3)).to(device)
    r = count(model, torch.randn(2, 4).to(device), mode="train")
    assert r.uncounted_ops == {}, name
    assert r.by_operator("forward", all_ops=True).get("aten.addmm") == 2 * 2 * (4 * 4 + 4 * 3)
    assert r.forward_flop_all - r.forward_flop == 2 * 4, name  # one per element of the (2, 4) activation


def test_cudnn_batch_norm_has_the_native_batch_norm_formula():
    from flopcast.count.ops import ALL

    aten = torch.ops.aten
    x = torch.empty(2, 3, 4, 4)
    for fwd, bwd in (
        (aten.cudnn_batch_norm, aten.cudnn_batch_norm_backward),
        (aten.miopen_batch_norm, aten.miopen_batch_norm_backward),
    ):
        assert ALL[fwd]((x, None, None, None, None, True, 0.1, 1e-5), {}, None) == 7 * x.numel()
        assert ALL[bwd]((x, x, None), {}, None) == 14 * x.numel()
        assert ALL[fwd]((x,), {}, None) == ALL[aten.native_batch_norm]((x,), {}, None)
