"""``flopcast.integrations.HFCallback`` / ``LightningCallback``: framework classes after a plain ``import flopcast``."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from flopcast.errors import InputError


def test_plain_import_reaches_the_classes_without_torch():
    code = (
        "import sys, flopcast; m = flopcast.integrations; assert 'torch' not in sys.modules; "
        "assert 'transformers' not in sys.modules; print(m.__name__, callable(flopcast.measure.hf_callback))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["flopcast.integrations", "True"]


def test_hf_callback_is_a_trainer_callback(tmp_path):
    transformers = pytest.importorskip("transformers")
    import flopcast

    cb = flopcast.integrations.HFCallback(ledger=tmp_path / "l.sqlite", interval=0.05, flop_per_step=1e9)
    assert isinstance(cb, transformers.TrainerCallback)
    assert flopcast.HFCallback is flopcast.integrations.HFCallback
    state, control = transformers.TrainerState(max_steps=6), transformers.TrainerControl()
    cb.on_train_begin(None, state, control)
    for micro in range(6):  # gradient accumulation 2: global_step advances every 2nd micro-batch
        state.global_step = (micro + 1) // 2
        cb.on_step_end(None, state, control)
    cb.on_train_end(None, state, control)
    assert (cb.run.result.steps, cb.run.result.total_steps, cb.run.result.status) == (3, 6, "completed")


def test_old_names_build_from_the_same_hooks():
    pytest.importorskip("transformers")
    from flopcast.integrations import HFCallback
    from flopcast.measure import hf_callback

    old = hf_callback(ledger=False)
    assert type(old).__mro__[1] is HFCallback.__mro__[1]  # measure.integrations.HFHooks


def test_lightning_callback_with_a_stand_in_module(monkeypatch, tmp_path):
    pl = types.ModuleType("lightning.pytorch")

    class Callback:
        pass

    pl.Callback = Callback
    monkeypatch.setitem(sys.modules, "lightning.pytorch", pl)
    monkeypatch.delitem(sys.modules, "flopcast.integrations.lightning", raising=False)
    import flopcast

    cb = flopcast.integrations.LightningCallback(ledger=tmp_path / "l.sqlite", interval=0.05)
    assert isinstance(cb, Callback)
    trainer = types.SimpleNamespace(estimated_stepping_batches=4, global_step=0)
    cb.on_train_start(trainer, None)
    for i in range(4):
        trainer.global_step = i + 1
        cb.on_train_batch_end(trainer, None, None, None, i)
    cb.on_train_end(trainer, None)
    assert (cb.run.result.steps, cb.run.result.total_steps, cb.run.result.status) == (4, 4, "completed")
    sys.modules.pop("flopcast.integrations.lightning", None)  # built on the stand-in: not for later tests


def test_lightning_missing_is_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "lightning.pytorch", None)
    monkeypatch.setitem(sys.modules, "pytorch_lightning", None)
    monkeypatch.delitem(sys.modules, "flopcast.integrations.lightning", raising=False)
    import flopcast

    with pytest.raises(InputError, match="Lightning is not installed"):
        flopcast.integrations.LightningCallback


def test_the_old_names_return_instances_of_the_public_classes():
    pytest.importorskip("transformers")
    import flopcast
    from flopcast.measure import hf_callback

    first, second = hf_callback(ledger=False), hf_callback(ledger=False, region="FRA")
    assert type(first) is type(second) is flopcast.integrations.HFCallback  # one class, not one per call
    assert (type(first).__module__, type(first).__qualname__) == ("flopcast.integrations.hf", "HFCallback")
    assert second.stepper.options.region == "FRA"


def test_lightning_callback_is_the_public_class_on_a_stand_in(monkeypatch, tmp_path):
    pl = types.ModuleType("lightning.pytorch")

    class Callback:
        pass

    pl.Callback = Callback
    monkeypatch.setitem(sys.modules, "lightning.pytorch", pl)
    monkeypatch.delitem(sys.modules, "flopcast.integrations.lightning", raising=False)
    import flopcast
    from flopcast.measure import lightning_callback

    cb = lightning_callback(ledger=False)
    assert type(cb) is type(lightning_callback(ledger=False)) is flopcast.integrations.LightningCallback
    assert isinstance(cb, Callback)
    sys.modules.pop("flopcast.integrations.lightning", None)  # built on the stand-in: not for later tests
