"""A real (tiny) Lightning ``fit`` on CPU with ``LightningCallback``: steps, losses, tokens, parameter count and
validation loss in the ledger, and flopcast's figures in the trainer's logger (a CSVLogger's metrics.csv)."""

from __future__ import annotations

import csv
import time

import pytest

pytestmark = [
    pytest.mark.torch,
    # Lightning's own noise (torch pytree deprecations, "few dataloader workers"), never flopcast's
    pytest.mark.filterwarnings(
        "ignore::FutureWarning", "ignore::DeprecationWarning", "ignore::UserWarning:lightning.*"
    ),
]


def test_lightning_fit_records_losses_and_logs_figures(tmp_path):
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("lightning.pytorch")
    from lightning.pytorch.loggers import CSVLogger

    import flopcast
    from flopcast.measure import Ledger

    class Tiny(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(64, 8)  # 512 parameters
            self.head = torch.nn.Linear(8, 64)  # 8*64 + 64 = 576 parameters

        def forward(self, ids):
            return self.head(self.emb(ids))

        def _loss(self, batch):
            ids = batch["input_ids"]
            return torch.nn.functional.cross_entropy(self(ids[:, :-1]).reshape(-1, 64), ids[:, 1:].reshape(-1))

        def training_step(self, batch, batch_idx):
            time.sleep(0.2)  # 4x the sampling interval: a sample is committed before each step's log
            loss = self._loss(batch)
            self.seen.append(float(loss.detach()))
            return loss

        def validation_step(self, batch, batch_idx):
            self.log("val_loss", self._loss(batch))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    torch.manual_seed(0)
    data = [{"input_ids": torch.randint(0, 64, (16,))} for _ in range(16)]
    loader = torch.utils.data.DataLoader(data, batch_size=4)
    model = Tiny()
    model.seen = []
    cb = flopcast.integrations.LightningCallback(
        ledger=tmp_path / "runs.sqlite", interval=0.05, hardware="H100 SXM", chips=1, flop_per_step=1e9
    )
    trainer = pl.Trainer(
        max_steps=4,
        accelerator="cpu",
        devices=1,
        callbacks=[cb],
        log_every_n_steps=1,
        logger=CSVLogger(tmp_path / "logs"),
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        val_check_interval=2,
    )
    trainer.fit(model, loader, loader)
    rec = cb.run.result
    assert (rec.status, rec.steps, rec.total_steps, rec.model_params) == ("completed", 4, 4, 512 + 576)
    assert rec.model_params_non_embedding == 576  # the Embedding(64, 8) table left out
    assert rec.tokens_seen == 4 * 4 * 16 and rec.final_loss == pytest.approx(model.seen[-1], rel=1e-6)
    assert rec.final_eval_loss == pytest.approx(float(trainer.callback_metrics["val_loss"]), rel=1e-6)
    # one whole epoch of the 16 examples (4 batches of 4): the trainer's own epoch count and the dataset's length
    assert (rec.epochs, rec.dataset_examples) == (trainer.current_epoch, len(data)) == (1, 16)
    with Ledger(tmp_path / "runs.sqlite", readonly=True) as led:
        rows = led.steps(cb.run.run_id)
    assert [r["loss"] for r in rows if r["loss"] is not None] == pytest.approx(model.seen, rel=1e-6)
    with open(trainer.logger.log_dir + "/metrics.csv", newline="") as f:
        logged = list(csv.DictReader(f))
    ours = [r for r in logged if r.get("flopcast/energy_kwh")]
    assert ours and all(float(r["flopcast/mfu"]) > 0 for r in ours)
    # a figure is logged once the sampler has committed a sample (never as 0 before): on a loaded CI box the
    # sampling thread may miss the first log, never the last ones
    steps = [int(r["step"]) for r in ours]
    assert steps == sorted(set(steps)) and steps[-2:] == [3, 4] and set(steps) <= {1, 2, 3, 4}


def test_lightning_epochs_count_the_batches_of_a_part_epoch(tmp_path):
    """6 optimizer steps over 4 batches per epoch: 1.5 epochs, the trainer's own batch count / batches per epoch
    (Lightning's current_epoch says 2 there: it counts the epoch max_steps stopped as completed)."""
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("lightning.pytorch")

    import flopcast

    class Linear(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.head = torch.nn.Linear(4, 1)

        def training_step(self, batch, batch_idx):
            return self.head(batch).pow(2).mean()

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    torch.manual_seed(0)
    data = torch.randn(16, 4)
    cb = flopcast.integrations.LightningCallback(ledger=False, interval=0.05)
    trainer = pl.Trainer(
        max_steps=6,
        accelerator="cpu",
        devices=1,
        callbacks=[cb],
        logger=False,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
    )
    trainer.fit(Linear(), torch.utils.data.DataLoader(data, batch_size=4))
    rec = cb.run.result
    batches = trainer.fit_loop.epoch_loop.batch_progress.total.completed
    assert (batches, trainer.num_training_batches) == (6, 4)
    assert rec.epochs == batches / trainer.num_training_batches == 1.5
    assert rec.dataset_examples == len(data) == 16
