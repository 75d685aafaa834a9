"""Pure view and metadata ops are zero-cost by a schema rule, never listed as uncounted (issue 11 §3)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from flopcast.count import count  # noqa: E402
from flopcast.count.ops import ZERO, is_metadata_only  # noqa: E402

pytestmark = pytest.mark.torch
aten = torch.ops.aten


class InPlaceViews(nn.Module):
    def forward(self, x):
        y = x * 2
        y.transpose_(0, 1)
        y.unsqueeze_(0)
        y.squeeze_(0)
        y.t_()
        y.as_strided_((3, 3), (3, 1))
        # inv checks its info tensor with _linalg_check_errors
        return torch.linalg.inv(y) + torch.eye(3, device=x.device)


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_in_place_views_and_checks_are_not_uncounted(device):
    r = count(InPlaceViews(), torch.randn(3, 3, device=device))
    for op in ("transpose_", "unsqueeze_", "squeeze_", "t_", "as_strided_", "_linalg_check_errors", "eye"):
        assert f"aten.{op}" not in r.uncounted_ops
    assert "aten.linalg_inv_ex" in r.uncounted_ops  # an inversion does arithmetic: it stays listed


@pytest.mark.parametrize(
    "func",
    [
        aten.transpose_.default,
        aten.squeeze_.default,
        aten.as_strided_.default,
        aten._linalg_check_errors.default,
        aten.sym_size.int,
        aten.detach.default,
        aten.alias.default,
        aten._local_scalar_dense.default,
        aten.eye.default,
        aten.arange.default,
    ],
)
def test_metadata_only_by_schema(func):
    assert is_metadata_only(func)


@pytest.mark.parametrize(
    "func",
    [
        aten.add_.Tensor,
        aten.mul.Tensor,
        aten._foreach_add_.List,
        aten.copy_.default,
        aten.mm.default,
        aten.index_put_.default,
        aten.fill_.Scalar,
        aten.zeros.out,
    ],
)
def test_arithmetic_and_writes_are_never_metadata_only(func):
    assert not is_metadata_only(func)


def _overloads(pred):
    for name in dir(aten):
        packet = getattr(aten, name, None)
        if isinstance(packet, torch._ops.OpOverloadPacket):
            for overload in packet.overloads():
                func = getattr(packet, overload)
                if pred(func):
                    yield func


def test_rule_covers_every_inplace_view_and_no_arithmetic():
    inplace_views = list(_overloads(lambda f: torch.Tag.inplace_view in f.tags))
    assert inplace_views and all(is_metadata_only(f) for f in inplace_views)
    # positive(x) returns x itself; equal(a, b) returns a Python bool (a comparison, zero by convention before)
    pointwise = [str(f) for f in _overloads(lambda f: torch.Tag.pointwise in f.tags) if is_metadata_only(f)]
    assert sorted(pointwise) == ["aten.equal.default", "aten.positive.default"]


def test_the_explicit_zero_list_holds_no_op_the_rule_already_covers():
    for packet in ZERO:
        overloads = [getattr(packet, o) for o in packet.overloads() if "out" not in o]
        assert not all(is_metadata_only(f) for f in overloads), packet
