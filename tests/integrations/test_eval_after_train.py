"""Train, then evaluate: the metrics of a ``trainer.evaluate()`` called after ``trainer.train()`` (Lightning: a
``validate()`` / ``test()`` after ``fit()``) reach the finished run -- its record's ``final_eval_loss`` and a
per-step row in the ledger -- while the run's time, energy and status stay those of the run as it stopped.

The callback closes the run at the end of training; the evaluation comes after, so before this fix its metrics
were noted in a run that no longer wrote anything, and the ledger never saw them."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from .test_hf_trainer import _trainer

pytestmark = [
    pytest.mark.torch,
    pytest.mark.filterwarnings(
        "ignore::FutureWarning", "ignore::DeprecationWarning", "ignore::UserWarning:lightning.*"
    ),
]

UNCHANGED = ("status", "exit_code", "steps", "wall_seconds", "energy_kwh", "ended_at", "final_loss", "samples")


def _stored(path, run_id):
    from flopcast.measure import Ledger

    with Ledger(path, readonly=True) as led:
        return json.loads(led.run(run_id)["record"]), led.steps(run_id)


def test_hf_evaluate_after_train_reaches_the_record_and_ledger(tmp_path):
    pytest.importorskip("transformers")
    from flopcast.integrations import HFCallback

    path = tmp_path / "runs.sqlite"
    cb = HFCallback(ledger=path, interval=0.05, log_figures=False)
    trainer = _trainer(tmp_path, [cb], eval_strategy="no")  # no evaluation during training
    trainer.train()
    before, rows_before = _stored(path, cb.run.run_id)
    assert before["final_eval_loss"] is None and not any(r["metrics"] for r in rows_before)

    first = trainer.evaluate()
    second = trainer.evaluate(eval_dataset=trainer.train_dataset[4:8])  # other data: another loss
    assert first["eval_loss"] != second["eval_loss"]
    rec = cb.run.result
    after, rows = _stored(path, cb.run.run_id)
    assert rec.final_eval_loss == after["final_eval_loss"] == second["eval_loss"]  # the last evaluation's
    evals = [(r["step"], r["metrics"]["eval_loss"]) for r in rows if r["metrics"]]
    assert evals == [(4, first["eval_loss"]), (4, second["eval_loss"])]  # at the run's last optimizer step
    assert rows[: len(rows_before)] == rows_before  # the training rows as they were
    assert {k: after[k] for k in UNCHANGED} == {k: before[k] for k in UNCHANGED}
    assert rec.to_dict() == after


def test_hf_run_without_a_later_evaluate_is_unchanged_by_an_evaluate_before_train(tmp_path):
    """An evaluate() before train() has no run to join; the run train() then records has no eval loss."""
    pytest.importorskip("transformers")
    from flopcast.integrations import HFCallback

    path = tmp_path / "runs.sqlite"
    cb = HFCallback(ledger=path, interval=0.05, log_figures=False)
    trainer = _trainer(tmp_path, [cb], eval_strategy="no")
    trainer.evaluate()
    assert cb.run is None
    trainer.train()
    stored, rows = _stored(path, cb.run.run_id)
    assert stored["final_eval_loss"] is None and not any(r["metrics"] for r in rows)


HF_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from flopcast.integrations import HFCallback
from tests.integrations.test_hf_trainer import _trainer

trainer = _trainer(Path(sys.argv[1]), [HFCallback(log_figures=False)], eval_strategy="no")
trainer.train()
json.dump(trainer.evaluate(), open(Path(sys.argv[1]) / "eval.json", "w"))
"""


def test_hf_evaluate_after_train_inside_track_cmd_reaches_the_parents_run(tmp_path, capsys):
    """Inside ``flopcast track -- CMD`` the reporter hands the evaluation to the parent, still measuring."""
    pytest.importorskip("transformers")
    from flopcast.cli import main

    root = str(Path(__file__).resolve().parents[2])
    ledger = tmp_path / "l.sqlite"
    args = ["track", "--json", "--interval", "0.05", "--ledger", str(ledger), "--"]
    assert main([*args, sys.executable, "-c", HF_CHILD, str(tmp_path), root]) == 0
    rec = json.loads(capsys.readouterr().out)
    ev = json.loads((tmp_path / "eval.json").read_text())
    stored, rows = _stored(ledger, rec["run_id"])
    assert rec["final_eval_loss"] == stored["final_eval_loss"] == ev["eval_loss"]
    assert [(r["step"], r["metrics"]["eval_loss"]) for r in rows if r["metrics"]] == [(4, ev["eval_loss"])]


def _tiny_module(torch, pl):
    class Tiny(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(64, 8)
            self.head = torch.nn.Linear(8, 64)

        def _loss(self, batch):
            ids = batch["input_ids"]
            out = self.head(self.emb(ids[:, :-1]))
            return torch.nn.functional.cross_entropy(out.reshape(-1, 64), ids[:, 1:].reshape(-1))

        def training_step(self, batch, batch_idx):
            time.sleep(0.1)  # 2x the sampling interval
            return self._loss(batch)

        def validation_step(self, batch, batch_idx):
            self.log("val_loss", self._loss(batch))

        def test_step(self, batch, batch_idx):
            self.log("test_loss", self._loss(batch))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    return Tiny()


def test_lightning_validate_and_test_after_fit_reach_the_record_and_ledger(tmp_path):
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("lightning.pytorch")
    import flopcast

    torch.manual_seed(0)
    data = [{"input_ids": torch.randint(0, 64, (16,))} for _ in range(16)]
    loader = torch.utils.data.DataLoader(data, batch_size=4)
    path = tmp_path / "runs.sqlite"
    cb = flopcast.integrations.LightningCallback(ledger=path, interval=0.05, flop_per_step=1e6, log_figures=False)
    trainer = pl.Trainer(
        max_steps=4,
        accelerator="cpu",
        devices=1,
        callbacks=[cb],
        logger=False,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
    )
    model = _tiny_module(torch, pl)
    trainer.fit(model, loader)  # no validation loader: no validation during fit
    before, _ = _stored(path, cb.run.run_id)
    assert before["final_eval_loss"] is None
    val = trainer.validate(model, torch.utils.data.DataLoader(data[:8], batch_size=4), verbose=False)[0]
    test = trainer.test(model, torch.utils.data.DataLoader(data[8:], batch_size=4), verbose=False)[0]
    after, rows = _stored(path, cb.run.run_id)
    assert cb.run.result.final_eval_loss == after["final_eval_loss"] == pytest.approx(val["val_loss"], rel=1e-6)
    metrics = [r["metrics"] for r in rows if r["metrics"]]
    assert [m.get("eval_loss") for m in metrics][:1] == pytest.approx([val["val_loss"]], rel=1e-6)
    assert metrics[-1]["test_loss"] == pytest.approx(test["test_loss"], rel=1e-6)
    assert all(r["step"] == 4 for r in rows if r["metrics"])
    assert {k: after[k] for k in UNCHANGED} == {k: before[k] for k in UNCHANGED}
