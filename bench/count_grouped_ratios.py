"""Train-step backward/forward ratios of grouped and depthwise nets (issue 11 §3), with the models of
tests/count/test_conv_backward.py. Hand rule: every layer repeats its forward multiply-adds once for the input
gradient and once for the weight gradient (the first layer only the latter), so the ratio is just under 2.

    python bench/count_grouped_ratios.py            # this checkout
    PYTHONPATH=OLD/src python bench/count_grouped_ratios.py   # another checkout, for before/after
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn

from flopcast.count import count

spec = importlib.util.spec_from_file_location(
    "conv_backward", Path(__file__).resolve().parents[1] / "tests" / "count" / "test_conv_backward.py"
)
models = importlib.util.module_from_spec(spec)
spec.loader.exec_module(models)


def main() -> None:
    for name, build in (
        ("depthwise-separable (MobileNet-style)", models.mobilenet),
        ("ConvNeXt-style", models.convnext),
        ("ResNeXt-style", models.resnext),
    ):
        r = count(build(), torch.randn(2, 3, 32, 32), mode="train")
        print(f"{name:40s} backward/forward {r.backward_flop / r.forward_flop:8.3f}")
    r = count(nn.Conv1d(256, 256, 3, padding=1, groups=256), torch.randn(2, 256, 64, requires_grad=True), mode="train")
    print(f"{'depthwise Conv1d, 256 channels':40s} backward/forward {r.backward_flop / r.forward_flop:8.3f}")


if __name__ == "__main__":
    main()
