"""FLOP per optimizer step counted by the callbacks on a meta copy of the model and the first batch, when neither
``flop_per_step`` nor the trainer's ``state.total_flos`` gives it: a real tiny Lightning fit and a real tiny
Hugging Face Trainer on a model that is not a ``PreTrainedModel``. Hand counts; the user's model untouched."""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.torch,
    pytest.mark.filterwarnings(
        "ignore::FutureWarning", "ignore::DeprecationWarning", "ignore::UserWarning:lightning.*"
    ),
]

# Tiny below: Embedding(64, 8) then Linear(8, 64) on 4 sequences x 15 positions = 60 rows. The Linear is the only
# matmul: forward 2*60*8*64 = 61,440 FLOP; backward = weight grad + input grad (the embedding output needs one)
# = 2 x 61,440; the embedding's backward is a scatter-add, not a matmul. One micro-batch: 3 x 61,440 = 184,320.
MICRO_FLOP = 3 * 2 * 60 * 8 * 64


def _tiny(pl, torch, *, item_in_step=False):
    class Tiny(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(64, 8)
            self.head = torch.nn.Linear(8, 64)

        def forward(self, ids):
            return self.head(self.emb(ids))

        def training_step(self, batch, batch_idx):
            ids = batch["input_ids"]
            loss = torch.nn.functional.cross_entropy(self(ids[:, :-1]).reshape(-1, 64), ids[:, 1:].reshape(-1))
            self.log("train_loss", loss)
            if item_in_step:
                self.last = loss.item()  # reads a value: cannot run on meta
            return loss

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    return Tiny()


def _fit(tmp_path, module, *, accumulate=1, **kw):
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("lightning.pytorch")
    import flopcast

    data = [{"input_ids": torch.randint(0, 64, (16,))} for _ in range(16)]
    cb = flopcast.integrations.LightningCallback(ledger=tmp_path / "runs.sqlite", interval=0.05, **kw)
    trainer = pl.Trainer(
        max_steps=4,
        accelerator="cpu",
        devices=1,
        callbacks=[cb],
        logger=False,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        accumulate_grad_batches=accumulate,
    )
    trainer.fit(module, torch.utils.data.DataLoader(data, batch_size=4))
    return cb.run.result


@pytest.mark.parametrize("accumulate", [1, 2])
def test_lightning_counts_training_step_on_a_meta_copy(tmp_path, accumulate):
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("lightning.pytorch")
    torch.manual_seed(0)
    module = _tiny(pl, torch)
    rec = _fit(tmp_path, module, accumulate=accumulate, hardware="H100 SXM", chips=1)
    assert rec.status == "completed" and rec.steps == 4
    assert rec.flop_per_step == MICRO_FLOP * accumulate  # gradient accumulation multiplies
    assert rec.flop_per_step_source == "counted from model and batch"
    note = next(a for a in rec.assumptions if a.name == "flop_per_step")
    assert "meta copy" in note.source and f"× {accumulate} accumulation × 1 ranks" in note.source
    assert rec.mfu is not None and rec.mfu > 0
    assert all(p.device.type == "cpu" for p in module.parameters())  # the user's module trained as usual


def test_a_given_flop_per_step_is_not_recounted(tmp_path):
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("lightning.pytorch")
    rec = _fit(tmp_path, _tiny(pl, torch), flop_per_step=1e9)
    assert (rec.flop_per_step, rec.flop_per_step_source) == (1e9, "given")


def test_a_step_that_cannot_run_on_meta_is_noted_and_training_goes_on(tmp_path):
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("lightning.pytorch")
    rec = _fit(tmp_path, _tiny(pl, torch, item_in_step=True))
    assert rec.status == "completed" and rec.steps == 4 and rec.flop_per_step is None
    (err,) = [e for e in rec.errors if "meta copy" in e]
    assert "pass flop_per_step" in err and "\n" not in err


def test_meta_copy_leaves_the_model_alone_and_keeps_ties():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from flopcast.measure.meta_count import meta_copy

    model = transformers.GPT2LMHeadModel(
        transformers.GPT2Config(n_layer=1, n_embd=32, n_head=2, vocab_size=64, n_positions=16)
    )
    before = {n: (p.data_ptr(), p.detach().clone()) for n, p in model.named_parameters()}
    clone = meta_copy(model)
    assert all(p.is_meta for p in clone.parameters()) and all(b.is_meta for b in clone.buffers())
    assert clone.lm_head.weight is clone.transformer.wte.weight  # tied weights stay tied
    for n, p in model.named_parameters():
        assert p.device.type == "cpu" and p.data_ptr() == before[n][0] and torch.equal(p, before[n][1])
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_hf_trainer_counts_a_model_without_floating_point_ops(tmp_path):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    from flopcast.count import count
    from flopcast.integrations import HFCallback

    class Wrapped(torch.nn.Module):  # not a PreTrainedModel: the trainer's total_flos stays 0
        def __init__(self):
            super().__init__()
            cfg = transformers.GPT2Config(n_layer=1, n_embd=32, n_head=2, vocab_size=64, n_positions=16)
            self.lm = transformers.GPT2LMHeadModel(cfg)

        def forward(self, input_ids, labels):
            return {"loss": self.lm(input_ids=input_ids, labels=labels).loss}

    torch.manual_seed(0)
    model = Wrapped()
    data = [{"input_ids": (ids := torch.randint(0, 64, (16,))), "labels": ids.clone()} for _ in range(16)]
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        report_to=[],
        max_steps=2,
        per_device_train_batch_size=4,
        gradient_accumulation_steps=2,
        logging_steps=1,
        use_cpu=True,
        save_strategy="no",
        disable_tqdm=True,
    )
    cb = HFCallback(ledger=tmp_path / "runs.sqlite", interval=0.05)
    trainer = transformers.Trainer(model=model, args=args, train_dataset=data, callbacks=[cb])
    trainer.train()
    rec = cb.run.result
    assert trainer.state.total_flos == 0  # nothing from the trainer
    # independently: the same count on the real model (CPU) for one micro-batch of 4, x 2 accumulation
    batch = {
        "input_ids": torch.stack([d["input_ids"] for d in data[:4]]),
        "labels": torch.stack([d["labels"] for d in data[:4]]),
    }
    on_cpu = count(model, batch, mode="train").train_step_flop
    assert rec.flop_per_step == 2 * on_cpu and rec.flop_per_step_source == "counted from model and batch"
    # by hand, per token of the forward: 2 x (12,288 block matmul weights + 2,048 LM head weights) + attention's
    # QK^T and AV, 2 x 2 x 16 positions x 32 = 2,048; a train step is 3 x forward (every matmul input needs a
    # gradient: the embeddings train); 64 tokens a micro-batch, 2 micro-batches an optimizer step
    assert rec.flop_per_step == 2 * 3 * 64 * (2 * (12_288 + 2_048) + 2 * 2 * 16 * 32) == 11_796_480
