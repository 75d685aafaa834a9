"""``count`` leaves the caller's model as it found it: gradients, buffers, training flags, in every mode."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from flopcast.count import count  # noqa: E402
from flopcast.errors import ModelError  # noqa: E402

pytestmark = pytest.mark.torch


class Net(nn.Module):
    def __init__(self, device):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, device=device)
        self.bn = nn.BatchNorm2d(4, device=device)
        self.head = nn.Linear(4, 2, device=device)
        self.register_buffer("calls", torch.zeros((), dtype=torch.long, device=device))
        self.frozen = nn.BatchNorm1d(2, device=device)  # a submodule the caller keeps in eval mode

    def forward(self, x):
        self.calls += 1  # a forward that updates its own buffer in place
        h = self.bn(self.conv(x)).mean((2, 3))
        return self.frozen(self.head(h))


def _prepared(device):
    torch.manual_seed(0)
    m = Net(device)
    m.train()
    m.frozen.eval()
    with torch.no_grad():
        m.bn.running_mean.uniform_()
        m.bn.running_var.uniform_(1, 2)
        m.bn.num_batches_tracked.fill_(7)
        m.frozen.running_mean.uniform_()
    for p in m.parameters():  # the caller's own gradients, mid-accumulation
        p.grad = torch.randn_like(p)
    m.head.bias.grad = None  # and one parameter with none
    return m


def _snapshot(m):
    grads = {n: (None if p.grad is None else p.grad.clone()) for n, p in m.named_parameters()}
    grad_ids = {n: id(p.grad) for n, p in m.named_parameters()}
    buffers = {n: b.clone() for n, b in m.named_buffers()}
    flags = {n: mod.training for n, mod in m.named_modules()}
    return grads, grad_ids, buffers, flags


def _assert_same(m, before):
    grads, grad_ids, buffers, flags = before
    for n, p in m.named_parameters():
        if grads[n] is None:
            assert p.grad is None, n
        else:
            assert torch.equal(p.grad, grads[n]), n
            assert id(p.grad) == grad_ids[n], n  # the caller's tensor itself, not a copy
    for n, b in m.named_buffers():
        assert torch.equal(b, buffers[n]), n
    assert {n: mod.training for n, mod in m.named_modules()} == flags


@pytest.mark.parametrize("kwargs", [dict(mode="train"), dict(mode="train", optimizer="adam"), dict(mode="forward")])
def test_count_leaves_grads_buffers_and_flags_as_found_on_cpu(kwargs):
    m = _prepared("cpu")
    before = _snapshot(m)
    r = count(m, torch.randn(3, 3, 8, 8), **kwargs)
    assert r.forward_flop > 0
    _assert_same(m, before)
    assert m.bn.num_batches_tracked.item() == 7


def test_the_counted_pass_really_updates_what_is_restored():
    # guard for the test above: without the restore, this pass would change the running stats and grads
    m = _prepared("cpu")
    before = _snapshot(m)
    m(torch.randn(3, 3, 8, 8)).sum().backward()
    assert not torch.equal(m.bn.running_mean, before[2]["bn.running_mean"])
    assert m.bn.num_batches_tracked.item() == 8
    assert not torch.equal(m.conv.weight.grad, before[0]["conv.weight"])


def test_count_on_meta_leaves_grads_buffers_and_flags_as_found():
    m = _prepared("meta")
    grads = {n: p.grad for n, p in m.named_parameters()}
    buffers = {n: b for n, b in m.named_buffers()}
    flags = {n: mod.training for n, mod in m.named_modules()}
    r = count(m, torch.empty(3, 3, 8, 8, device="meta"), mode="train")
    assert r.backward_flop > 0
    assert {n: p.grad for n, p in m.named_parameters()} == grads  # same objects (meta has no values)
    assert all(b is buffers[n] for n, b in m.named_buffers())
    assert {n: mod.training for n, mod in m.named_modules()} == flags


def test_a_failing_pass_also_restores():
    class Fails(Net):
        def forward(self, x):
            super().forward(x)
            raise RuntimeError("boom")

    torch.manual_seed(0)
    m = Fails("cpu")
    m.eval()
    for p in m.parameters():
        p.grad = torch.ones_like(p)
    before = _snapshot(m)
    with pytest.raises(ModelError, match="boom"):
        count(m, torch.randn(2, 3, 8, 8), mode="train")
    _assert_same(m, before)


def test_buffer_rebound_by_the_forward_is_put_back():
    class Rebinds(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)
            self.register_buffer("state", torch.zeros(3))

        def forward(self, x):
            self.state = self.state + 1  # a new tensor bound to the buffer's name
            return self.lin(x) + self.state

    m = Rebinds()
    original = m.state
    count(m, torch.randn(2, 3), mode="train")
    assert m.state is original and torch.equal(m.state, torch.zeros(3))
