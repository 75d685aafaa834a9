"""Grouped and depthwise convolution backward, against hand counts (issue 11 §3).

Hand rule: a convolution's forward is ``2·N·C_out·Π out·(C_in/groups)·Π k`` FLOP; its backward runs
the input gradient and the weight gradient, each repeating every forward multiply-add once, so each
costs the forward; the first layer's input needs no gradient, so autograd runs only its weight
gradient. Linear layers follow the same rule with ``2·rows·in·out``. torch's ``conv_backward_flop``
omits ``groups`` from the weight-gradient term, which made backward ``(1 + groups)×`` forward.
"""

from __future__ import annotations

from math import prod

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from flopcast.count import count  # noqa: E402

pytestmark = pytest.mark.torch


def conv(n, c_in, c_out, k, out_hw, groups=1):
    """Hand count of one convolution's forward FLOP."""
    return 2 * n * c_out * prod(out_hw) * (c_in // groups) * k ** len(out_hw)


def linear(rows, i, o):
    return 2 * rows * i * o


def _dws(cin, cout, stride):
    return [
        nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False),
        nn.BatchNorm2d(cin),
        nn.ReLU(),
        nn.Conv2d(cin, cout, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
    ]


def mobilenet():
    """Depthwise-separable net (Howard et al. 2017 style): stem, two dw 3x3 + pw 1x1 blocks, classifier."""
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, 2, 1, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        *_dws(16, 32, 1),
        *_dws(32, 64, 2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 10),
    )


class ConvNeXtBlock(nn.Module):
    """7x7 depthwise conv, LayerNorm, 4x MLP, residual (Liu et al. 2022 style)."""

    def __init__(self, c):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = nn.LayerNorm(c)
        self.fc1, self.act, self.fc2 = nn.Linear(c, 4 * c), nn.GELU(), nn.Linear(4 * c, c)

    def forward(self, x):
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.fc2(self.act(self.fc1(self.norm(y))))
        return x + y.permute(0, 3, 1, 2)


def convnext():
    return nn.Sequential(
        nn.Conv2d(3, 32, 4, 4),
        ConvNeXtBlock(32),
        ConvNeXtBlock(32),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 10),
    )


class ResNeXtBlock(nn.Module):
    """1x1 reduce, grouped 3x3 (cardinality ``groups``), 1x1 expand, projection shortcut (Xie et al. 2017 style)."""

    def __init__(self, cin, width, cout, groups):
        super().__init__()
        self.c1 = nn.Conv2d(cin, width, 1, bias=False)
        self.c2 = nn.Conv2d(width, width, 3, padding=1, groups=groups, bias=False)
        self.c3 = nn.Conv2d(width, cout, 1, bias=False)
        self.short = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return torch.relu(self.c3(torch.relu(self.c2(torch.relu(self.c1(x))))) + self.short(x))


def resnext():
    return nn.Sequential(
        nn.Conv2d(3, 64, 3, padding=1, bias=False),
        nn.ReLU(),
        ResNeXtBlock(64, 64, 128, 32),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(128, 10),
    )


def _mobilenet_hand():
    n = 2  # 32x32 input; stem stride 2 -> 16x16; second dw stride 2 -> 8x8
    first = conv(n, 3, 16, 3, (16, 16))
    rest = (
        conv(n, 16, 16, 3, (16, 16), 16)
        + conv(n, 16, 32, 1, (16, 16))
        + conv(n, 32, 32, 3, (8, 8), 32)
        + conv(n, 32, 64, 1, (8, 8))
        + linear(n, 64, 10)
    )
    return first, rest


def _convnext_hand():
    n = 2  # 32x32 input; 4x4 stride-4 stem -> 8x8, 32 channels
    first = conv(n, 3, 32, 4, (8, 8))
    block = conv(n, 32, 32, 7, (8, 8), 32) + linear(n * 64, 32, 128) + linear(n * 64, 128, 32)
    return first, 2 * block + linear(n, 32, 10)


def _resnext_hand():
    n = 2  # 16x16 input, every conv keeps 16x16
    first = conv(n, 3, 64, 3, (16, 16))
    block = (
        conv(n, 64, 64, 1, (16, 16))
        + conv(n, 64, 64, 3, (16, 16), 32)
        + conv(n, 64, 128, 1, (16, 16))
        + conv(n, 64, 128, 1, (16, 16))
    )
    return first, block + linear(n, 128, 10)


@pytest.mark.parametrize("device", ["cpu", "meta"])
@pytest.mark.parametrize(
    ("build", "hand", "hw"),
    [(mobilenet, _mobilenet_hand, 32), (convnext, _convnext_hand, 32), (resnext, _resnext_hand, 16)],
)
def test_train_step_backward_of_grouped_nets_equals_hand_count(device, build, hand, hw):
    torch.manual_seed(0)
    model = build().to(device)
    first, rest = hand()
    r = count(model, torch.randn(2, 3, hw, hw).to(device), mode="train")
    assert r.forward_flop == first + rest
    # every layer runs input + weight gradients, except the first (its input needs no gradient)
    assert r.backward_flop == first + 2 * rest
    assert r.backward_forward_ratio == pytest.approx((first + 2 * rest) / (first + rest))
    assert 1.5 < r.backward_forward_ratio < 2.0  # was 4.4 (MobileNet), 6.5 (ConvNeXt), 3.5 (ResNeXt)


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_depthwise_conv1d_256_channels_backward_is_twice_forward(device):
    m = nn.Conv1d(256, 256, 3, padding=1, groups=256).to(device)
    forward = conv(2, 256, 256, 3, (64,), 256)
    r = count(m, torch.randn(2, 256, 64, device=device, requires_grad=True), mode="train")
    assert r.forward_flop == forward
    assert r.backward_flop == 2 * forward  # was 257x: the weight gradient counted groups x
    alone = count(m, torch.randn(2, 256, 64).to(device), mode="train")
    assert alone.backward_flop == forward  # weight gradient only


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_grouped_transposed_conv_backward_is_twice_forward(groups):
    m = nn.ConvTranspose2d(6, 12, 3, stride=2, groups=groups)
    x = torch.randn(2, 6, 5, 4, requires_grad=True)
    forward = 2 * 2 * 6 * 5 * 4 * 3 * 3 * (12 // groups)  # every input element scatters into k·k·C_out/groups
    r = count(m, x, mode="train")
    assert r.forward_flop == forward
    assert r.backward_flop == 2 * forward


STEMS = {  # the first convolution's forward FLOP at 224x224: its input needs no gradient, so backward skips it
    "convnext_tiny": conv(1, 3, 96, 4, (56, 56)),
    "resnext50_32x4d": conv(1, 3, 64, 7, (112, 112)),
    "mobilenet_v1": conv(1, 3, 32, 3, (112, 112)),
}
PUBLISHED = {  # (parameters, forward MAC) as published, to the published precision (see tests/count/models.py)
    "convnext_tiny": (28.6e6, 1e5, 4.456e9, 1e6),
    "resnext50_32x4d": (25_028_904, 0, 4.23e9, 1e7),
    "mobilenet_v1": (4.2e6, 1e5, 569e6, 1e6),
}


@pytest.mark.parametrize("name", sorted(STEMS))
def test_full_size_grouped_nets_train_step_is_twice_forward_less_the_stem_input_gradient(name):
    from pathlib import Path

    from flopcast.count.sources import load_model

    lm = load_model(f"{Path(__file__).with_name('models.py')}:{name}", input_shape=(1, 3, 224, 224))  # on meta
    r = count(lm.model, lm.inputs, mode="train")
    params, params_tol, macs, macs_tol = PUBLISHED[name]
    assert abs(r.params - params) <= params_tol / 2 and abs(r.forward_mac - macs) <= macs_tol / 2
    assert r.backward_flop == 2 * r.forward_flop - STEMS[name]
    assert 1.97 < r.backward_forward_ratio < 2.0  # was 7.69 (ConvNeXt-T), 9.47 (MobileNet v1), 3.67 (ResNeXt-50)
