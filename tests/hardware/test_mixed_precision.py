"""One rule for "mixed" precision: the chip's 16-bit tensor rate, else fp32 (estimate, levers, trends agree)."""

from __future__ import annotations

import pytest

from flopcast.estimate import estimate
from flopcast.hardware import get_accelerator, mixed_precision, normalize_precision


@pytest.mark.parametrize(
    "chip, expected",
    [
        ("H100 SXM", "bf16"),
        ("A100 SXM4 80GB", "bf16"),
        ("V100 SXM2", "fp16"),
        ("TPU v4", "bf16"),
        ("Tesla P100", "fp32"),
    ],
)
def test_mixed_is_the_chips_16_bit_tensor_rate_else_fp32(chip, expected):
    acc = get_accelerator(chip)
    assert mixed_precision(acc) == expected
    for spelling in ("mixed", "AMP", "Mixed Precision"):
        assert normalize_precision(spelling, acc) == expected
    assert acc.peak("mixed") == acc.peak(expected)


def test_estimate_and_the_trends_burden_use_the_same_rule():
    from flopcast.trends.data import _burden_precision

    for chip in ("Tesla P100", "TPU v4", "V100 SXM2"):
        acc = get_accelerator(chip)
        est = estimate(params=1e9, tokens=2e10, hardware=chip, chips=8, precision="mixed")
        assert est.precision == mixed_precision(acc) == _burden_precision(acc, None, "mixed")[0]
