"""--model: the real flopcast.count.sources + flopcast.count on a small factory model (meta tensors)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")

pytestmark = pytest.mark.torch

FACTORY = """
import torch


def mlp():
    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


def mlp_with_inputs():
    return mlp(), torch.empty(5, 64)
"""
MACS = 64 * 128 + 128 * 10  # multiply-adds per example; 2 FLOP each


@pytest.fixture
def factory(tmp_path):
    f = tmp_path / "mlp_factory.py"
    f.write_text(FACTORY)
    return f


def test_count_model_per_example(factory):
    from flopcast.estimate.model import count_model

    counted = count_model(f"{factory}:mlp", batch=4)
    assert counted.forward_flop_per_example == pytest.approx(2 * MACS)
    assert counted.params == 64 * 128 + 128 + 128 * 10 + 10
    # a factory that returns its own inputs (batch 5): per-example figures use that batch
    own = count_model(f"{factory}:mlp_with_inputs", batch=1)
    assert own.batch == 5 and own.forward_flop_per_example == pytest.approx(2 * MACS)


def test_cli_model_path(factory, capsys):
    from flopcast.cli import main

    assert (
        main(
            [
                "estimate",
                "--model",
                f"{factory}:mlp",
                "--batch",
                "4",
                "--examples",
                "50000",
                "--epochs",
                "10",
                "--hardware",
                "T4",
                "--json",
            ]
        )
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert d["training_flop"] == pytest.approx(3 * 2 * MACS * 50000 * 10)
    assert d["memory"]["min_chips"] == 1 and d["chips"] == 1
    assert main(["estimate", "--model", f"{factory}:nope", "--examples", "10"]) == 2
    assert "has no attribute 'nope'" in capsys.readouterr().err
