"""`flopcast count`: JSON shape, human output, one-line errors with exit 2 (fake and real model sources)."""

from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from flopcast.cli import main  # noqa: E402
from flopcast.errors import ModelError  # noqa: E402

pytestmark = pytest.mark.torch


@dataclass
class Loaded:
    model: Any
    inputs: Any
    name: str
    kind: str = "factory"
    config: Any = None


@pytest.fixture
def fake_sources(monkeypatch):
    """A stand-in for flopcast.count.sources: 'mlp' builds a tiny MLP for the requested input shape."""
    calls = []

    def load_model(spec, *, batch=1, seq_len=None, input_shape=None, dtype="fp32", device="meta", **kw):
        calls.append(
            {
                "spec": spec,
                "batch": batch,
                "seq_len": seq_len,
                "input_shape": input_shape,
                "dtype": dtype,
                "device": device,
                **kw,
            }
        )
        if spec != "mlp":
            raise ModelError(f"unknown model {spec!r}")
        model = nn.Sequential(nn.Linear(6, 10), nn.ReLU(), nn.Linear(10, 3)).to(device)
        shape = input_shape or (batch, 6)
        return Loaded(model, torch.empty(shape, device=device), "mlp")

    fake = types.ModuleType("flopcast.count.sources")
    fake.load_model = load_model
    monkeypatch.setitem(sys.modules, "flopcast.count.sources", fake)
    import flopcast.count

    monkeypatch.setattr(flopcast.count, "sources", fake, raising=False)
    return calls


def run_json(capsys, *args):
    assert main(["count", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_the_contract_keys(fake_sources, capsys):
    d = run_json(capsys, "mlp", "--batch", "4", "--mode", "train", "--optimizer", "adam")
    fwd = 2 * 4 * (6 * 10 + 10 * 3)
    assert d["model"] == "mlp" and d["params"] == 6 * 10 + 10 + 10 * 3 + 3 == d["trainable_params"]
    assert d["forward_flop"] == fwd and d["forward_mac"] == fwd // 2
    assert d["train_step_flop"] == 3 * fwd - 2 * 4 * 6 * 10 + d["optimizer_flop"]
    assert set(d["memory_bytes"]) >= {"params", "gradients", "optimizer_state", "activations", "total"}
    assert d["by_module"]["0"]["forward_flop"] == 2 * 4 * 6 * 10
    assert d["by_operator"]["forward"] == {"aten.addmm": fwd}
    assert d["uncounted_ops"] == {}
    assert fake_sources[-1]["batch"] == 4 and fake_sources[-1]["device"] == "meta"


def test_input_shape_dtype_and_attention_are_passed_through(fake_sources, capsys):
    d = run_json(capsys, "mlp", "--input-shape", "3,6", "--dtype", "bf16", "--attention", "eager")
    assert d["forward_flop"] == 2 * 3 * (6 * 10 + 10 * 3) and d["dtype"] == "bfloat16"
    assert fake_sources[-1]["input_shape"] == (3, 6) and fake_sources[-1]["attn_implementation"] == "eager"
    assert d["train_step_flop"] is None and d["memory_bytes"]["gradients"] == 0


def test_human_output_has_units_and_tree(fake_sources, capsys):
    assert main(["count", "mlp", "--batch", "100000", "--mode", "train"]) == 0
    out = capsys.readouterr().out
    assert "MFLOP" in out and "backward / forward" in out and "Linear" in out and "multiply-add" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["mlp", "--input-shape", "1,x,3"], "--input-shape"),
        (["mlp", "--input-shape", "2,6", "--seq-len", "8"], "not both"),
        (["mlp", "--mode", "infer"], "--mode"),
        (["mlp", "--dtype", "fp8"], "--dtype"),
        (["mlp", "--attention", "flash"], "--attention"),
        (["mlp", "--optimizer", "adam"], "--mode train"),
        (["mlp", "--input-shape", "2,7"], "failed on its input"),  # the model's own shape error, summarised
        (["nosuch"], "unknown model"),
    ],
)
def test_bad_input_is_one_line_exit_2(fake_sources, capsys, args, needle):
    assert main(["count", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flopcast: error:") and err.count("\n") == 1 and needle in err


def _real_sources():
    try:
        from flopcast.count.sources import load_model  # noqa: F401
    except ImportError:
        pytest.skip("flopcast.count.sources not available")


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_real_gpt2_preset_matches_the_analytic_dense_count(capsys):
    _real_sources()
    d = run_json(capsys, "gpt2", "--batch", "1", "--seq-len", "64", "--mode", "train")
    s, n_layer, dm, vocab = 64, 12, 768, 50257
    analytic = s * (n_layer * (24 * dm * dm + 4 * s * dm) + 2 * dm * vocab)
    assert d["params"] == 124_439_808
    assert d["forward_flop"] == analytic
    assert d["train_step_flop"] == 3 * analytic  # token ids need no gradient; embeddings cost 0
    assert d["uncounted_ops"] == {}
