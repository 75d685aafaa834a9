"""Lightning and Hugging Face callbacks: optimizer steps, total steps from the trainer, clean close."""

from __future__ import annotations

import sys
import types

import pytest

from flopcast.errors import InputError
from flopcast.measure import Ledger, hf_callback, lightning_callback


def test_hf_callback_counts_optimizer_steps_with_real_trainer_state(tmp_path):
    transformers = pytest.importorskip("transformers")
    state = transformers.TrainerState(max_steps=10)
    control = transformers.TrainerControl()
    cb = hf_callback(ledger=tmp_path / "l.sqlite", interval=0.05, flop_per_step=1e9)
    assert isinstance(cb, transformers.TrainerCallback)
    cb.on_train_begin(None, state, control)
    for micro in range(12):  # gradient accumulation 3: global_step advances every 3rd micro-batch
        state.global_step = (micro + 1) // 3
        cb.on_step_end(None, state, control)
    cb.on_train_end(None, state, control)
    rec = cb.run.result
    assert rec.steps == 4 and rec.total_steps == 10 and rec.status == "completed"


def test_lightning_callback_with_a_stand_in_module(monkeypatch, tmp_path):
    pl = types.ModuleType("lightning.pytorch")

    class Callback:
        pass

    pl.Callback = Callback
    monkeypatch.setitem(sys.modules, "lightning.pytorch", pl)
    cb = lightning_callback(ledger=tmp_path / "l.sqlite", interval=0.05)
    assert isinstance(cb, Callback)
    trainer = types.SimpleNamespace(estimated_stepping_batches=float("inf"), global_step=0)
    cb.on_train_start(trainer, None)
    for i in range(5):
        trainer.global_step = i + 1
        cb.on_train_batch_end(trainer, None, None, None, i)
    cb.on_exception(trainer, None, RuntimeError("nan loss"))
    rec = cb.run.result
    assert rec.steps == 5 and rec.total_steps is None  # infinite estimate: no forecast rather than a wrong one
    assert rec.status == "failed" and rec.exit_code == 1


def test_lightning_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "lightning.pytorch", None)
    monkeypatch.setitem(sys.modules, "pytorch_lightning", None)
    with pytest.raises(InputError, match="Lightning is not installed"):
        lightning_callback()


class _Ids:
    """A batch's ``input_ids`` stand-in: only its element count is read."""

    def __init__(self, n):
        self.n = n

    def numel(self):
        return self.n


def test_lightning_hooks_count_optimizer_steps_with_their_micro_batches_tokens_and_last_loss(monkeypatch, tmp_path):
    pl = types.ModuleType("lightning.pytorch")
    pl.Callback = type("Callback", (), {})
    monkeypatch.setitem(sys.modules, "lightning.pytorch", pl)
    cb = lightning_callback(ledger=tmp_path / "l.sqlite", interval=0.05, flop_per_step=1e9)
    trainer = types.SimpleNamespace(estimated_stepping_batches=3, global_step=0, world_size=2, log_every_n_steps=50)
    cb.on_train_start(trainer, None)
    for micro in range(6):  # accumulation 2: the optimizer steps after every 2nd micro-batch of 16 tokens per rank
        trainer.global_step = (micro + 1) // 2
        cb.on_train_batch_end(trainer, None, {"loss": 4.0 - micro}, {"input_ids": _Ids(16)}, micro)
    cb.on_train_end(trainer, None)
    rec = cb.run.result
    assert (rec.steps, rec.total_steps, rec.status) == (3, 3, "completed")
    assert rec.tokens_seen == 6 * 16 * 2  # every micro-batch's tokens, x 2 ranks
    assert rec.final_loss == 4.0 - 5  # the last micro-batch's loss at the last optimizer step
    with Ledger(tmp_path / "l.sqlite", readonly=True) as led:
        assert [(r["step"], r["loss"], r["tokens"]) for r in led.steps(cb.run.run_id)] == [
            (1, 3.0, 64),
            (2, 1.0, 128),
            (3, -1.0, 192),
        ]
