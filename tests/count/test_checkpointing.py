"""Activation checkpointing: forward work redone in backward is ``recompute_flop``, not ``backward_flop``."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.utils.checkpoint import checkpoint  # noqa: E402

from flopcast.cli import main  # noqa: E402
from flopcast.count import count  # noqa: E402

pytestmark = pytest.mark.torch

B = 7
WIDTHS = (3, 4, 5, 6, 2)  # first Linear 3->4, checkpointed segment 4->5->6, last Linear 6->2


class Checkpointed(nn.Module):
    """Linear, then a checkpointed segment of Linear+ReLU blocks, then Linear."""

    def __init__(
        self, *, reentrant: bool = False, device: str = "cpu", tail_relu: bool = True, checkpointed: bool = True
    ) -> None:
        super().__init__()
        self.first = nn.Linear(3, 4, device=device)
        layers = [nn.Linear(4, 5, device=device), nn.ReLU(), nn.Linear(5, 6, device=device)]
        self.seg = nn.Sequential(*layers, *([nn.ReLU()] if tail_relu else []))
        self.last = nn.Linear(6, 2, device=device)
        self.reentrant, self.checkpointed = reentrant, checkpointed

    def forward(self, x):
        h = self.first(x)
        h = checkpoint(self.seg, h, use_reentrant=self.reentrant) if self.checkpointed else self.seg(h)
        return self.last(h)


def build(reentrant: bool = False):
    """Factory for the CLI test."""
    return Checkpointed(reentrant=reentrant)


FORWARD = 2 * B * (3 * 4 + 4 * 5 + 5 * 6 + 6 * 2)  # 2·B·in·out per Linear
SEGMENT = 2 * B * (4 * 5 + 5 * 6)
FIRST_INPUT_GRAD = 2 * B * 3 * 4  # the input needs no gradient: autograd skips it


@pytest.mark.parametrize("device", ["cpu", "meta"])
@pytest.mark.parametrize("reentrant", [False, True])
def test_checkpointed_segment_is_recomputed_once_and_backward_is_the_gradient_work(device, reentrant):
    r = count(Checkpointed(reentrant=reentrant, device=device), torch.randn(B, 3).to(device), mode="train")
    assert r.forward_flop == FORWARD
    assert r.recompute_flop == SEGMENT
    assert r.backward_flop == 2 * FORWARD - FIRST_INPUT_GRAD
    assert r.train_step_flop == FORWARD + r.backward_flop + SEGMENT
    assert r.by_module(phase="recompute") == {
        "": SEGMENT,
        "seg": SEGMENT,
        "seg.0": 2 * B * 4 * 5,
        "seg.1": 0,
        "seg.2": 2 * B * 5 * 6,
        "seg.3": 0,
    }
    d = r.to_dict()
    assert d["recompute_flop"] == SEGMENT and d["by_operator"]["recompute"] == {"aten.addmm": SEGMENT}


def test_backward_equals_the_uncheckpointed_run_and_twice_forward_when_the_input_needs_grad():
    x = torch.randn(B, 3, requires_grad=True)
    plain = count(Checkpointed(checkpointed=False), x, mode="train")
    ck = count(Checkpointed(), x, mode="train")
    assert plain.recompute_flop == 0 and plain.train_step_flop == 3 * FORWARD
    assert ck.backward_flop == plain.backward_flop == 2 * FORWARD
    assert ck.train_step_flop == plain.train_step_flop + SEGMENT


def test_early_stopping_recompute_stops_after_the_last_saved_tensor():
    # non-reentrant checkpoint stops recomputing once every tensor backward needs is rebuilt: a segment
    # ending in a Linear (whose output nobody saves) does not redo that last product; reentrant redoes all
    x = torch.randn(B, 3)
    early = count(Checkpointed(tail_relu=False), x, mode="train")
    full = count(Checkpointed(tail_relu=False, reentrant=True), x, mode="train")
    assert early.recompute_flop == 2 * B * 4 * 5
    assert full.recompute_flop == SEGMENT
    assert early.backward_flop == full.backward_flop == 2 * FORWARD - FIRST_INPUT_GRAD


def test_forward_mode_has_no_recompute_figure():
    r = count(Checkpointed(), torch.randn(B, 3))
    assert r.recompute_flop is None and r.to_dict()["recompute_flop"] is None


def test_hugging_face_gradient_checkpointing_recomputes_every_layer():
    pytest.importorskip("transformers")
    from flopcast.count import hf

    values = dict(
        model_type="gpt2",
        architectures=["GPT2LMHeadModel"],
        n_layer=2,
        n_embd=32,
        n_head=4,
        n_positions=64,
        vocab_size=100,
        bos_token_id=0,
        eos_token_id=0,
    )
    ids = hf._token_ids((2, 16), 100, "meta")
    plain = count(hf.build_model(hf.make_config(values)), {"input_ids": ids, "labels": ids}, mode="train")
    model = hf.build_model(hf.make_config(values))
    # transformers >= 5.2x names it activation_checkpointing_enable (gradient_checkpointing_enable, deprecated alias)
    enable = getattr(model, "activation_checkpointing_enable", None) or model.gradient_checkpointing_enable
    enable()
    ck = count(model, {"input_ids": ids, "labels": ids}, mode="train")
    layers = plain.total("transformer.h")
    d, s = 32, 16
    # per layer: qkv 3d², out d², mlp 8d² per token (2·tokens·12d²), plus QKᵀ and PV (2·2·B·S²·d)
    assert layers == 2 * (2 * 2 * s * 12 * d * d + 2 * 2 * 2 * s * s * d)
    assert ck.forward_flop == plain.forward_flop
    assert ck.backward_flop == plain.backward_flop
    assert ck.recompute_flop == layers  # every decoder layer, not the LM head
    assert ck.train_step_flop == plain.train_step_flop + layers


def test_cli_shows_the_recompute_figure(capsys):
    spec = f"{__file__}:build"
    assert main(["count", spec, "--input-shape", f"{B},3", "--mode", "train", "--device", "cpu", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["recompute_flop"] == SEGMENT and d["train_step_flop"] == FORWARD + d["backward_flop"] + SEGMENT
    assert main(["count", spec, "--input-shape", f"{B},3", "--mode", "train", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "recompute FLOP (checkpointing)" in out and f"({SEGMENT})" in out
