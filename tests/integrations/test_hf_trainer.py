"""A real (tiny) Hugging Face Trainer run on CPU with ``HFCallback``: losses, tokens and FLOP per step in the ledger.

The model is GPT-2 with n_layer=1, n_embd=32, vocab 64, 16 positions. Its parameters, counted by hand:
embeddings wte 64*32 = 2048, wpe 16*32 = 512; one block: ln_1 2*32 = 64, c_attn 32*96+96 = 3168,
attn c_proj 32*32+32 = 1056, ln_2 64, mlp c_fc 32*128+128 = 4224, mlp c_proj 128*32+32 = 4128; ln_f 64;
the LM head is tied to wte. Total 15328; without embeddings 12768.
The trainer's FLOP count (``Trainer.floating_point_ops``) is 6 x tokens x non-embedding parameters, so one
optimizer step of 4 sequences x 16 tokens is 6 * 64 * 12768 = 4,902,912 FLOP.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.torch

N_PARAMS = 15_328
N_NON_EMBEDDING = N_PARAMS - 64 * 32 - 16 * 32  # without wte (vocab x width) and wpe (positions x width): 12,768
FLOP_PER_STEP = 6 * 4 * 16 * 12_768  # 4,902,912


def _trainer(tmp, callbacks, **arguments):
    """A tiny GPT-2 Trainer on 16 random 16-token sequences: 4 steps of batch 4, a log every step, eval every 2
    (``arguments`` override those TrainingArguments)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(
        n_layer=1, n_embd=32, n_head=2, vocab_size=64, n_positions=16, bos_token_id=0, eos_token_id=0
    )
    model = transformers.GPT2LMHeadModel(cfg)
    data = []
    for _ in range(16):
        ids = torch.randint(0, 64, (16,))
        data.append({"input_ids": ids, "labels": ids.clone()})
    settings = {
        "output_dir": str(tmp / "out"),
        "report_to": [],
        "max_steps": 4,
        "per_device_train_batch_size": 4,
        "logging_steps": 1,
        "use_cpu": True,
        "save_strategy": "no",
        "eval_strategy": "steps",
        "eval_steps": 2,
        "disable_tqdm": True,
        "seed": 0,
    }
    args = transformers.TrainingArguments(**{**settings, **arguments})
    return transformers.Trainer(model=model, args=args, train_dataset=data, eval_dataset=data[:4], callbacks=callbacks)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    transformers = pytest.importorskip("transformers")
    from flopcast.integrations import HFCallback

    tmp = tmp_path_factory.mktemp("hf")
    flos_at_log: list[tuple[int, float]] = []

    class Spy(transformers.TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            flos_at_log.append((state.global_step, state.total_flos))

    cb = HFCallback(ledger=tmp / "runs.sqlite", interval=0.05)
    trainer = _trainer(tmp, [cb, Spy()])
    trainer.train()
    return cb, trainer, flos_at_log, tmp / "runs.sqlite"


def test_record_has_flop_per_step_from_total_flos(trained):
    cb, trainer, _, _ = trained
    rec = cb.run.result
    assert rec.status == "completed" and rec.steps == 4
    assert rec.flop_per_step_source == "state.total_flos"
    assert rec.flop_per_step == trainer.state.total_flos / 4 == FLOP_PER_STEP
    assert rec.model_params == N_PARAMS == trainer.model.num_parameters()
    # the trainer's total_flos counts 6 x tokens x the non-embedding parameters: the record holds that N too
    assert rec.model_params_non_embedding == N_NON_EMBEDDING == 12_768
    assert rec.flop_per_step == 6 * rec.tokens_seen / rec.steps * rec.model_params_non_embedding
    assert rec.tokens_seen == 4 * 4 * 16 == trainer.state.num_input_tokens_seen


def test_ledger_holds_loss_and_flop_per_step(trained):
    from flopcast.measure import Ledger

    cb, trainer, flos_at_log, path = trained
    logged = [h for h in trainer.state.log_history if "loss" in h]
    with Ledger(path, readonly=True) as led:
        rows = led.steps(cb.run.run_id)
    train_rows = [r for r in rows if r["loss"] is not None]
    assert [(r["step"], r["loss"]) for r in train_rows] == [(h["step"], h["loss"]) for h in logged]
    assert [r["learning_rate"] for r in train_rows] == [h["learning_rate"] for h in logged]
    # FLOP per step in each row = growth of state.total_flos since the previous log / steps between them
    deltas = {}
    for (s0, f0), (s1, f1) in zip([(0, 0.0), *flos_at_log], flos_at_log, strict=False):
        if s1 > s0 and f1 > f0:
            deltas[s1] = (f1 - f0) / (s1 - s0)
    with_flop = {r["step"]: r["flop_per_step"] for r in rows if r["flop_per_step"] is not None}
    assert with_flop == deltas and set(with_flop.values()) == {FLOP_PER_STEP} and len(with_flop) == 4
    assert [r["tokens"] for r in rows if r["loss"] is not None and r["tokens"] is not None] == [64, 128, 192, 256]


def test_eval_metrics_and_final_losses(trained):
    from flopcast.measure import Ledger

    cb, trainer, _, path = trained
    evals = [h for h in trainer.state.log_history if "eval_loss" in h]
    with Ledger(path, readonly=True) as led:
        rows = [r for r in led.steps(cb.run.run_id) if r["metrics"]]
    assert [(r["step"], r["metrics"]["eval_loss"]) for r in rows] == [(h["step"], h["eval_loss"]) for h in evals]
    rec = cb.run.result
    assert rec.final_loss == [h["loss"] for h in trainer.state.log_history if "loss" in h][-1]
    assert rec.final_eval_loss == evals[-1]["eval_loss"]


def test_epochs_and_dataset_size_are_the_trainers(trained):
    cb, trainer, _, path = trained
    rec = cb.run.result
    assert rec.epochs == trainer.state.epoch == 1.0  # 4 steps of 4 over 16 examples: one epoch
    assert rec.dataset_examples == len(trainer.train_dataset) == 16
    import json

    from flopcast.measure import Ledger

    with Ledger(path, readonly=True) as led:  # the ledger's record holds them too
        stored = json.loads(led.run(cb.run.run_id)["record"])
    assert (stored["epochs"], stored["dataset_examples"]) == (1.0, 16)


def test_epochs_are_fractional_past_an_epoch(tmp_path):
    pytest.importorskip("transformers")
    from flopcast.integrations import HFCallback

    cb = HFCallback(ledger=False, interval=0.05, log_figures=False)
    trainer = _trainer(tmp_path, [cb])
    trainer.args.max_steps = 6  # 6 steps over 4 per epoch
    trainer.train()
    assert cb.run.result.epochs == trainer.state.epoch == 1.5
    assert cb.run.result.dataset_examples == 16


def test_flopcast_figures_reach_the_trainer_logs(tmp_path):
    """energy, CO2e, achieved FLOP/s and MFU in log_history, and -- with attach() -- in the logs that a reporting
    callback (TensorBoard, W&B, MLflow: installed before user callbacks) receives."""
    transformers = pytest.importorskip("transformers")
    from flopcast.integrations import HFCallback

    seen: list[dict] = []

    class Reporter(transformers.TrainerCallback):  # stands where report_to's callbacks stand: before ours
        def on_log(self, args, state, control, logs=None, **kwargs):
            seen.append(dict(logs))

    cb = HFCallback(ledger=tmp_path / "runs.sqlite", interval=0.05, hardware="H100 SXM", chips=1)
    trainer = _trainer(tmp_path, [Reporter()])
    cb.attach(trainer)
    trainer.train()
    keys = {"flopcast/energy_kwh", "flopcast/co2e_kg", "flopcast/achieved_flop_per_s", "flopcast/mfu"}
    train_logs = [h for h in trainer.state.log_history if "loss" in h]
    # figures are logged once the sampler has committed a sample (a loaded CI box may miss the first log), then at
    # every log, and always all of them together (never a partial set, never 0 standing in)
    assert train_logs and keys <= set(train_logs[-1])
    assert all(keys <= set(h) or not keys & set(h) for h in train_logs)
    assert all(keys <= set(logs) or not keys & set(logs) for logs in seen if "loss" in logs)
    assert keys <= set(next(logs for logs in reversed(seen) if "loss" in logs))
    rec = cb.run.result
    last = trainer.state.log_history[-1]  # the trainer's final summary, logged just before the run stops
    assert 0 < last["flopcast/energy_kwh"] <= rec.energy_kwh
    assert last["flopcast/mfu"] == pytest.approx(last["flopcast/achieved_flop_per_s"] / rec.peak_flop_per_s_per_chip)
    ours = [v for h in trainer.state.log_history for k, v in h.items() if k.startswith("flopcast/")]
    assert all(isinstance(v, float) for v in ours)


def test_figures_can_be_left_out(tmp_path):
    pytest.importorskip("transformers")
    from flopcast.integrations import HFCallback

    trainer = _trainer(tmp_path, [HFCallback(ledger=False, interval=0.05, log_figures=False)])
    trainer.train()
    assert not any(k.startswith("flopcast/") for h in trainer.state.log_history for k in h)


HF_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from flopcast.integrations import HFCallback
from tests.integrations.test_hf_trainer import _trainer

trainer = _trainer(Path(sys.argv[1]), [HFCallback(log_figures=False)])
trainer.train()
state = trainer.state
json.dump({"log_history": state.log_history, "epoch": state.epoch}, open(Path(sys.argv[1]) / "state.json", "w"))
"""


def test_the_trainer_inside_track_cmd_fills_the_parents_ledger(tmp_path, capsys):
    """``flopcast track -- python train.py`` with HFCallback inside: the parent's run has the trainer's logged rows
    (loss, learning rate, eval loss per logged step), its epochs and dataset size; the child writes no run."""
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    import json
    import sys
    from pathlib import Path

    from flopcast.cli import main
    from flopcast.measure import Ledger

    root = str(Path(__file__).resolve().parents[2])
    ledger = tmp_path / "l.sqlite"
    args = ["track", "--json", "--interval", "0.05", "--ledger", str(ledger), "--"]
    assert main([*args, sys.executable, "-c", HF_CHILD, str(tmp_path), root]) == 0
    rec = json.loads(capsys.readouterr().out)
    state = json.loads((tmp_path / "state.json").read_text())
    with Ledger(ledger, readonly=True) as led:
        assert [r["run_id"] for r in led.runs()] == [rec["run_id"]]
        rows = led.steps(rec["run_id"])
    logged = [h for h in state["log_history"] if "loss" in h]
    train = [r for r in rows if r["loss"] is not None]
    assert [(r["step"], r["loss"], r["learning_rate"]) for r in train] == [
        (h["step"], h["loss"], h["learning_rate"]) for h in logged
    ]
    evals = [h for h in state["log_history"] if "eval_loss" in h]
    assert [(r["step"], r["metrics"]["eval_loss"]) for r in rows if r["metrics"]] == [
        (h["step"], h["eval_loss"]) for h in evals
    ]
    assert (rec["epochs"], rec["dataset_examples"], rec["steps"]) == (state["epoch"], 16, 4)
    assert rec["flop_per_step"] == FLOP_PER_STEP and rec["final_loss"] == logged[-1]["loss"]
