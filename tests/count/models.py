"""Test-suite models with independently known counts (written here; no torchvision dependency).

* :func:`resnet50`: torchvision's ResNet-50 architecture (He et al. 2016, Table 1, "50-layer";
  torchvision's v1.5 variant puts the stride on the 3x3 convolution): 25,557,032 parameters and
  4.09 GMAC (conv + fc) for one 224x224 image, the figures torchvision publishes for
  ``resnet50(weights=IMAGENET1K_V1)`` ("num_params": 25557032, "_ops": 4.089 GFLOPS-as-MAC).
* :func:`lstm_lm`: an embedding -> 2-layer LSTM -> linear language model (Zaremba et al. 2014,
  "medium": 650 units, 10k vocabulary), whose per-token MACs follow from the LSTM equations:
  ``4·h·(x + h)`` per layer (four gates, input and recurrent matrices) plus ``h·V`` for the head.

* :func:`convnext_tiny`: torchvision's ConvNeXt-T (Liu et al. 2022): 28.6M parameters and 4.456
  GFLOPS-as-MAC at 224x224, torchvision's ``ConvNeXt_Tiny_Weights.IMAGENET1K_V1`` figures
  (https://huggingface.co/lucid-dl/convnext-tiny, quoting torchvision's table).
* :func:`resnext50_32x4d`: torchvision's ResNeXt-50 32x4d (Xie et al. 2017): 25,028,904 parameters
  and 4.23 GFLOPS-as-MAC (https://pytorch.org/vision/stable/models/generated/torchvision.models.resnext50_32x4d.html).
* :func:`mobilenet_v1`: MobileNet-224 x1.0 (Howard et al. 2017, arXiv:1704.04861, Table 1, BatchNorm and
  ReLU after every convolution): 4.2M parameters, 569M mult-adds.

Every factory takes no arguments so that ``flopcast count tests/count/models.py:resnet50`` works.
"""

from __future__ import annotations

import torch
from torch import nn


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carries the stride), 1x1 expand (x4), projection shortcut when shapes change."""

    expansion = 4

    def __init__(self, in_ch: int, width: int, stride: int = 1) -> None:
        super().__init__()
        out_ch = width * self.expansion
        self.conv1 = nn.Conv2d(in_ch, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_ch, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_ch)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_ch != out_ch:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, blocks: tuple[int, ...] = (3, 4, 6, 3), num_classes: int = 1000) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        in_ch = 64
        stages = []
        for i, n in enumerate(blocks):
            width = 64 * 2**i
            layer = []
            for j in range(n):
                layer.append(Bottleneck(in_ch, width, stride=2 if (j == 0 and i > 0) else 1))
                in_ch = width * Bottleneck.expansion
            stages.append(nn.Sequential(*layer))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet50() -> nn.Module:
    """ResNet-50 as torchvision builds it (random init)."""
    return ResNet((3, 4, 6, 3))


class LSTMLanguageModel(nn.Module):
    """Token ids (batch, seq) -> logits (batch, seq, vocab) through a stacked LSTM."""

    def __init__(self, vocab: int = 10_000, d_embed: int = 650, hidden: int = 650, layers: int = 2) -> None:
        super().__init__()
        self.vocab, self.d_embed, self.hidden, self.layers = vocab, d_embed, hidden, layers
        self.embed = nn.Embedding(vocab, d_embed)
        self.lstm = nn.LSTM(d_embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embed(tokens))
        return self.head(out)


def lstm_lm() -> nn.Module:
    """Zaremba et al. 2014 "medium" LSTM LM: 10k vocabulary, 2 layers of 650 units."""
    return LSTMLanguageModel()


def lstm_lm_forward_flop(model: LSTMLanguageModel, batch: int, seq_len: int) -> int:
    """Hand-derived dense forward FLOP (2 per MAC): per token, ``4·h·(x + h)`` per layer plus ``h·V`` for the head.

    Hochreiter & Schmidhuber 1997 gates as in ``torch.nn.LSTM``'s documentation: i, f, g, o each
    ``W_i·x + W_h·h``; bias additions and the elementwise cell update are not matmuls.
    """
    h, x = model.hidden, model.d_embed
    per_token = 4 * h * (x + h) + 4 * h * (h + h) * (model.layers - 1) + h * model.vocab
    return 2 * batch * seq_len * per_token


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an NCHW tensor (torchvision's ``convnext.LayerNorm2d``)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class CNBlock(nn.Module):
    """7x7 depthwise conv, LayerNorm, Linear 4x, GELU, Linear, layer scale, residual."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dw = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.fc1, self.act, self.fc2 = nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim)
        self.layer_scale = nn.Parameter(torch.full((dim, 1, 1), 1e-6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc2(self.act(self.fc1(self.norm(self.dw(x).permute(0, 2, 3, 1))))).permute(0, 3, 1, 2)
        return x + self.layer_scale * y


def convnext_tiny() -> nn.Module:
    """ConvNeXt-T as torchvision builds it: 4x4 stem, stages (3, 3, 9, 3) x (96, 192, 384, 768), 1000 classes."""
    dims, depths = (96, 192, 384, 768), (3, 3, 9, 3)
    layers: list[nn.Module] = [nn.Sequential(nn.Conv2d(3, dims[0], 4, 4), LayerNorm2d(dims[0], eps=1e-6))]
    for i, (d, n) in enumerate(zip(dims, depths, strict=True)):
        layers.append(nn.Sequential(*[CNBlock(d) for _ in range(n)]))
        if i < len(dims) - 1:
            layers.append(nn.Sequential(LayerNorm2d(d, eps=1e-6), nn.Conv2d(d, dims[i + 1], 2, 2)))
    return nn.Sequential(
        *layers, nn.AdaptiveAvgPool2d(1), LayerNorm2d(dims[-1], eps=1e-6), nn.Flatten(), nn.Linear(dims[-1], 1000)
    )


class ResNeXtBottleneck(nn.Module):
    """torchvision's Bottleneck with ``groups`` x ``base_width``: 1x1, grouped 3x3 (stride), 1x1 expand (x4)."""

    def __init__(self, in_ch: int, planes: int, stride: int, groups: int = 32, base_width: int = 4) -> None:
        super().__init__()
        width, out_ch = planes * base_width // 64 * groups, planes * 4
        self.conv1, self.bn1 = nn.Conv2d(in_ch, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch)
        self.downsample = None
        if stride != 1 or in_ch != out_ch:
            self.downsample = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        y = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(self.bn2(self.conv2(y)))
        return torch.relu(self.bn3(self.conv3(y)) + identity)


def resnext50_32x4d() -> nn.Module:
    """ResNeXt-50 32x4d as torchvision builds it (ResNet-50's stem and stages, cardinality 32, width 4)."""
    layers: list[nn.Module] = [
        nn.Conv2d(3, 64, 7, 2, 3, bias=False),
        nn.BatchNorm2d(64),
        nn.ReLU(),
        nn.MaxPool2d(3, 2, 1),
    ]
    in_ch = 64
    for i, n in enumerate((3, 4, 6, 3)):
        planes = 64 * 2**i
        for j in range(n):
            layers.append(ResNeXtBottleneck(in_ch, planes, 2 if (j == 0 and i > 0) else 1))
            in_ch = planes * 4
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_ch, 1000))


def _depthwise_separable(cin: int, cout: int, stride: int) -> list[nn.Module]:
    return [
        nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False),
        nn.BatchNorm2d(cin),
        nn.ReLU(),
        nn.Conv2d(cin, cout, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
    ]


def mobilenet_v1() -> nn.Module:
    """MobileNet-224 x1.0 (Howard et al. 2017, Table 1): a 3x3 stem, 13 depthwise-separable blocks, FC 1000."""
    plan = [
        (32, 64, 1),
        (64, 128, 2),
        (128, 128, 1),
        (128, 256, 2),
        (256, 256, 1),
        (256, 512, 2),
        *[(512, 512, 1)] * 5,
        (512, 1024, 2),
        (1024, 1024, 1),
    ]
    layers: list[nn.Module] = [nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU()]
    for cin, cout, stride in plan:
        layers += _depthwise_separable(cin, cout, stride)
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1024, 1000))


def depthwise_conv1d() -> nn.Module:
    """One 256-channel depthwise Conv1d (kernel 3): the extreme case of a grouped weight gradient."""
    return nn.Conv1d(256, 256, 3, padding=1, groups=256)
