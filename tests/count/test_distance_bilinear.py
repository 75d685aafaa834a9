"""addr, F.bilinear (aten._trilinear), cdist (_euclidean_dist / _cdist_forward) and pdist: matmul-class formulas.

Hand counts, 1 multiply-add = 2 FLOP: ``addr`` is a rank-1 product (one multiply-add per output element);
bilinear ``y[b,o] = Σ_ij x1[b,i]·W[o,i,j]·x2[b,j]`` as two contractions, the larger summed dimension
first, ``2·B·O·I·J + 2·B·O·min(I, J)``; cdist one multiply-add per coordinate of each pair,
``2·batch·P·R·M``, whichever of its two kernels torch picks; pdist the same over the N·(N-1)/2 pairs.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from flopcast.count import count  # noqa: E402

pytestmark = pytest.mark.torch


class Fn(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, *args):
        return self.f(*args)


def _run(f, shapes, device, mode="forward"):
    torch.manual_seed(0)
    args = tuple(torch.randn(s, device=device, requires_grad=mode == "train") for s in shapes)
    return count(Fn(f), args, mode=mode)


DEVICES = ["cpu", "meta"]


@pytest.mark.parametrize("device", DEVICES)
def test_addr_is_one_multiply_add_per_output_element(device):
    r = _run(lambda m, u, v: torch.addr(m, u, v), [(5, 7), (5,), (7,)], device, "train")
    assert r.forward_flop == 2 * 5 * 7 and r.uncounted_ops == {}
    assert r.backward_flop == 2 * (2 * 5 * 7)  # u-gradient G·v and v-gradient Gᵀ·u


@pytest.mark.parametrize("device", DEVICES)
def test_bilinear_two_contractions(device):
    b, i, j, o = 3, 4, 6, 2
    r = _run(lambda x1, x2, w: F.bilinear(x1, x2, w), [(b, i), (b, j), (o, i, j)], device)
    assert r.forward_flop == 2 * b * o * i * j + 2 * b * o * min(i, j)
    assert r.uncounted_ops == {}
    layer = nn.Bilinear(i, j, o).to(device)
    x1, x2 = torch.randn(b, i, device=device), torch.randn(b, j, device=device)
    assert count(layer, (x1, x2)).forward_flop == r.forward_flop


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize(("p_rows", "r_rows", "p"), [(30, 40, 2.0), (10, 12, 2.0), (10, 12, 1.0)])
def test_cdist_both_kernels_count_alike(device, p_rows, r_rows, p):
    # torch takes the x1·x2ᵀ matmul (_euclidean_dist) above 25 rows for p = 2, else the direct kernel
    batch, m = 2, 8
    r = _run(lambda x, y: torch.cdist(x, y, p=p), [(batch, p_rows, m), (batch, r_rows, m)], device, "train")
    assert r.forward_flop == 2 * batch * p_rows * r_rows * m
    assert r.backward_flop == 2 * r.forward_flop  # gradients for x1 and x2
    assert r.uncounted_ops == {}


@pytest.mark.parametrize("device", DEVICES)
def test_pdist_counts_the_pairs(device):
    n, m = 10, 8
    r = _run(F.pdist, [(n, m)], device)
    assert r.forward_flop == 2 * (n * (n - 1) // 2) * m
    assert r.uncounted_ops == {}
