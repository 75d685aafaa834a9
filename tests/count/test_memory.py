"""Memory accounting: exact parameter, gradient and optimizer-state bytes; hand-derived saved activations."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from flopcast.count import count  # noqa: E402

pytestmark = pytest.mark.torch


def tiny(device="cpu"):
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)).to(device)


N_TINY = 4 * 8 + 8 + 8 * 3 + 3  # 67 parameters


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_fp32_adam_bytes_are_exact(device):
    r = count(tiny(device), torch.randn(2, 4).to(device), mode="train", optimizer="adam")
    m = r.memory_bytes
    assert r.params == N_TINY
    assert m["params"] == 4 * N_TINY
    assert m["gradients"] == 4 * N_TINY
    assert m["optimizer_state"] == 2 * 4 * N_TINY  # exp_avg and exp_avg_sq
    # saved for backward: the input x (2×4) for the first weight gradient and the ReLU output (2×8),
    # which the second Linear saves too (same storage, counted once); weights are parameters, not activations
    assert m["activations"] == 4 * (2 * 4 + 2 * 8)
    assert m["total"] == m["params"] + m["buffers"] + m["gradients"] + m["optimizer_state"] + m["activations"]


def test_sgd_momentum_and_no_optimizer():
    sgd = count(tiny(), torch.randn(2, 4), mode="train", optimizer="sgd").memory_bytes
    none = count(tiny(), torch.randn(2, 4), mode="train").memory_bytes
    assert sgd["optimizer_state"] == 4 * N_TINY
    assert none["optimizer_state"] == 0 and none["gradients"] == 4 * N_TINY


def test_mixed_precision_adam_keeps_fp32_states_and_master_copy():
    r = count(tiny("meta"), torch.empty(2, 4, device="meta"), mode="train", optimizer="adam", dtype="bf16")
    m = r.memory_bytes
    assert m["params"] == 2 * N_TINY and m["gradients"] == 2 * N_TINY
    assert m["optimizer_state"] == 12 * N_TINY  # ZeRO §3.1: 16 bytes per parameter in all
    assert m["params"] + m["gradients"] + m["optimizer_state"] == 16 * N_TINY
    assert m["activations"] == 2 * (2 * 4 + 2 * 8)


@pytest.mark.parametrize(("optimizer", "per_param"), [("adam", 2 * 8), ("sgd", 8)])
def test_fp64_states_have_the_weights_width(optimizer, per_param):
    # no master copy in full precision; torch.optim allocates each state like the fp64 parameter
    r = count(tiny().double(), torch.randn(2, 4, dtype=torch.float64), mode="train", optimizer=optimizer)
    assert r.memory_bytes["params"] == 8 * N_TINY
    assert r.memory_bytes["optimizer_state"] == per_param * N_TINY


def test_forward_mode_has_no_gradients_or_state_and_buffers_are_separate():
    m = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4))
    r = count(m, torch.randn(3, 4))
    assert r.memory_bytes["gradients"] == 0 and r.memory_bytes["optimizer_state"] == 0
    assert r.memory_bytes["buffers"] == 4 * (4 + 4) + 8  # running mean, var (fp32) + num_batches_tracked (int64)
    assert r.memory_bytes["params"] == 4 * (16 + 4 + 4 + 4)


def test_activations_scale_linearly_with_batch_and_frozen_params_get_no_gradient():
    a1 = count(tiny("meta"), torch.empty(1, 4, device="meta"), mode="train").memory_bytes["activations"]
    a8 = count(tiny("meta"), torch.empty(8, 4, device="meta"), mode="train").memory_bytes["activations"]
    assert a8 == 8 * a1
    m = tiny()
    m[0].requires_grad_(False)
    r = count(m, torch.randn(2, 4), mode="train", optimizer="adam")
    trainable = 8 * 3 + 3
    assert r.trainable_params == trainable
    assert r.memory_bytes["gradients"] == 4 * trainable
    assert r.memory_bytes["optimizer_state"] == 8 * trainable
    # with the first layer frozen nothing needs the input x: only the ReLU output is saved
    assert r.memory_bytes["activations"] == 4 * 2 * 8
