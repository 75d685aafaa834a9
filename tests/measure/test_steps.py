"""Losses and tokens per step: ``run.step(loss=..., tokens=...)`` in the ledger's ``steps`` table and the record;
ledger schema 2 migrates a version-1 file in place and reads one read-only as before."""

from __future__ import annotations

import dataclasses
import json
import math
import sqlite3
import threading
import time

import pytest

from flopcast.errors import InputError
from flopcast.measure import Ledger, RunRecord, track
from flopcast.measure.ledger import SCHEMA_VERSION


def test_step_losses_and_tokens_reach_ledger_and_record(tmp_path):
    path = tmp_path / "runs.sqlite"
    losses = [4.0, 3.5, 3.25, 3.0]
    with track(ledger=path, interval=0.05, model_params=1234, name="s1") as run:
        for loss in losses:
            run.step(loss=loss, tokens=512)
    rec = run.result
    assert (rec.final_loss, rec.tokens_seen, rec.model_params) == (3.0, 2048, 1234)
    assert rec.flop_per_step is None and rec.flop_per_step_source is None
    with Ledger(path, readonly=True) as led:
        rows = led.steps(run.run_id)
        stored = RunRecord.from_dict(json.loads(led.run(run.run_id)["record"]))
    assert [(r["step"], r["loss"], r["tokens"]) for r in rows] == [
        (1, 4.0, 512),
        (2, 3.5, 1024),
        (3, 3.25, 1536),
        (4, 3.0, 2048),
    ]
    assert (stored.final_loss, stored.tokens_seen, stored.model_params) == (3.0, 2048, 1234)


def test_given_flop_per_step_says_given(tmp_path):
    with track(ledger=False, flop_per_step=1e9, interval=0.05) as run:
        run.step()
    assert run.result.flop_per_step_source == "given"


def test_a_tensor_loss_is_converted_off_the_hot_path(tmp_path):
    torch = pytest.importorskip("torch")
    with track(ledger=tmp_path / "r.sqlite", interval=0.05) as run:
        run.step(loss=torch.tensor(2.5, requires_grad=True) * 1, tokens=torch.tensor(8))  # a graph's output
    assert run.result.final_loss == 2.5 and run.result.tokens_seen == 8


class ThreadRecordingTensor:
    """A one-element tensor stand-in: records the thread each value read (``item``, ``int``, ``float``) ran on."""

    def __init__(self, value):
        self.value, self.read_on = value, []

    def numel(self):  # shape: metadata, no device sync
        return 1

    def _read(self):
        self.read_on.append(threading.current_thread().name)
        return self.value.item() if hasattr(self.value, "item") else self.value

    def item(self):
        return self._read()

    def __int__(self):
        return int(self._read())

    def __float__(self):
        return float(self._read())


def _wait_drained(run):
    deadline = time.monotonic() + 30.0  # a wait for the sampling thread, not a timing assertion
    while run.log.pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not run.log.pending


def test_tensor_tokens_are_read_on_the_sampling_thread_not_the_training_thread(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "r.sqlite"
    given = [ThreadRecordingTensor(torch.tensor(8)), ThreadRecordingTensor(torch.tensor(24))]
    with track(ledger=path, interval=0.05) as run:
        for t in given:
            run.step(loss=1.0, tokens=t)
        assert all(t.read_on == [] for t in given)  # step() read no value
        _wait_drained(run)
    training = threading.current_thread().name
    reads = [name for t in given for name in t.read_on]
    assert reads and training not in reads and set(reads) == {"flopcast-sampler"}
    assert run.result.tokens_seen == 32
    with Ledger(path, readonly=True) as led:
        assert [r["tokens"] for r in led.steps(run.run_id)] == [8, 32]


def test_a_bad_tensor_token_count_is_noted_once_and_not_counted(tmp_path):
    torch = pytest.importorskip("torch")
    with pytest.raises(InputError, match=r"tokens=\.\.\.\) must be a whole number"):
        track(ledger=False).step(tokens=torch.tensor([1, 2]))  # two elements: known without a sync, raises at once
    with track(ledger=tmp_path / "r.sqlite", interval=0.05) as run:
        run.step(tokens=torch.tensor(4))
        run.step(tokens=torch.tensor(-1))
        run.step(tokens=torch.tensor(1.5))
        run.step(tokens=4)
    assert run.result.tokens_seen == 8
    assert sum("must be a whole number" in e for e in run.result.errors) == 1


def test_tokens_are_kept_when_nothing_drains_the_log(monkeypatch):
    from flopcast.measure import steplog

    monkeypatch.setattr(steplog, "MAX_PENDING", 3)
    log = steplog.StepLog()
    for i in range(1, 8):
        log.add(i, float(i), tokens=ThreadRecordingTensor(2))
    assert len(log.pending) == 3 and log.tokens_seen == 14  # 4 oldest rows dropped, their tokens still counted
    assert [r["tokens"] for r in log.drain()] == [10, 12, 14]


def test_a_nan_loss_is_null_and_noted_once(tmp_path):
    path = tmp_path / "r.sqlite"
    with track(ledger=path, interval=0.05) as run:
        run.step(loss=1.0)
        run.step(loss=math.nan)
        run.step(loss=math.inf)
    assert run.result.final_loss is None  # the run diverged: no final loss rather than nan
    assert sum("not a finite number" in e for e in run.result.errors) == 1
    with Ledger(path, readonly=True) as led:
        assert [r["loss"] for r in led.steps(run.run_id)] == [1.0, None, None]


@pytest.mark.parametrize("bad", [-1, 1.5, "12", True, math.nan])
def test_bad_tokens_are_one_line_errors(bad):
    run = track(ledger=False)
    with pytest.raises(InputError, match=r"tokens=\.\.\.\) must be a whole number"):
        run.step(tokens=bad)


@pytest.mark.parametrize("bad", [0, 1.5, -3, math.inf, "1e6"])
def test_bad_model_params_are_one_line_errors(bad):
    with pytest.raises(InputError, match="model_params must be a whole number"):
        track(model_params=bad)


def _make_v1(path):
    """A version-1 ledger: one run written, then the steps table removed and the version set back to 1."""
    with track(ledger=path, interval=0.05, name="old") as run:
        run.step()
    con = sqlite3.connect(path)
    con.executescript("DROP INDEX steps_run; DROP TABLE steps; UPDATE flopcast_schema SET version = 1;")
    con.close()
    return run.run_id


def test_version_1_ledger_reads_read_only_and_migrates_on_write(tmp_path):
    path = tmp_path / "runs.sqlite"
    old_id = _make_v1(path)
    with Ledger(path, readonly=True) as led:  # read-only: untouched, no steps
        assert [r["run_id"] for r in led.runs()] == [old_id] and led.steps(old_id) == []
    con = sqlite3.connect(path)
    assert con.execute("SELECT version FROM flopcast_schema").fetchall() == [(1,)]
    con.close()
    with track(ledger=path, interval=0.05) as run:
        run.step(loss=2.0, tokens=4)
    con = sqlite3.connect(path)
    assert con.execute("SELECT version FROM flopcast_schema").fetchall() == [(SCHEMA_VERSION,)] == [(2,)]
    con.close()
    with Ledger(path, readonly=True) as led:
        assert [r["run_id"] for r in led.runs()] == [old_id, run.run_id]
        assert [(r["loss"], r["tokens"]) for r in led.steps(run.run_id)] == [(2.0, 4)]
        assert led.steps(old_id) == []


def test_old_record_without_the_new_fields_reads(tmp_path):
    with track(ledger=False, interval=0.05) as run:
        run.step()
    data = run.result.to_dict()
    for k in ("final_loss", "final_eval_loss", "tokens_seen", "model_params", "flop_per_step_source"):
        del data[k]
    back = RunRecord.from_dict(data)
    assert back.final_loss is None and back.tokens_seen is None and back.steps == 1


def test_epochs_and_dataset_size_reach_the_record_and_ledger(tmp_path):
    path = tmp_path / "runs.sqlite"
    with track(ledger=path, interval=0.05, dataset_examples=1000) as run:
        for i in range(1, 6):
            run.step(loss=1.0, epoch=i * 0.3)  # 5 steps of 300 examples over 1000
    rec = run.result
    assert (rec.epochs, rec.dataset_examples) == (5 * 0.3, 1000)
    with Ledger(path, readonly=True) as led:
        stored = RunRecord.from_dict(json.loads(led.run(run.run_id)["record"]))
    assert (stored.epochs, stored.dataset_examples) == (5 * 0.3, 1000)
    with track(ledger=False, interval=0.05) as run:
        run.step(epoch=math.nan)
    assert (run.result.epochs, run.result.dataset_examples) == (None, None)  # junk is unknown, never a number


@pytest.mark.parametrize("bad", [0, 1.5, -3, math.inf, "1e6", True])
def test_bad_dataset_examples_are_one_line_errors(bad):
    with pytest.raises(InputError, match="dataset_examples must be a whole number"):
        track(dataset_examples=bad)


def test_amend_adds_an_evaluation_after_the_run_stopped(tmp_path):
    """``run.amend(metrics=...)`` after the ``with`` block: a step row at the last step and the record's
    ``final_eval_loss`` / ``final_loss`` updated in ``result`` and in the ledger; the rest of the record unchanged."""
    path = tmp_path / "runs.sqlite"
    with track(ledger=path, interval=0.05, name="a1") as run:
        with pytest.raises(RuntimeError, match="use observe"):
            run.amend(metrics={"eval_loss": 9.0})
        run.step(3, loss=4.0, tokens=96)
    before = run.result
    assert run.amend(metrics={"eval_loss": 2.5, "eval_accuracy": 0.75}) is run.result
    run.amend(loss=3.5, metrics={"eval_loss": 2.25})
    rec = run.result
    assert (rec.final_eval_loss, rec.final_loss) == (2.25, 3.5)
    assert rec == dataclasses.replace(before, final_eval_loss=2.25, final_loss=3.5)
    with Ledger(path, readonly=True) as led:
        stored = RunRecord.from_dict(json.loads(led.run(run.run_id)["record"]))
        rows = led.steps(run.run_id)
    assert stored == rec
    assert [(r["step"], r["loss"], r["metrics"]) for r in rows] == [
        (3, 4.0, None),
        (3, None, {"eval_loss": 2.5, "eval_accuracy": 0.75}),
        (3, 3.5, {"eval_loss": 2.25}),
    ]


def test_amend_without_a_ledger_updates_the_result_only(tmp_path):
    with track(ledger=False, interval=0.05) as run:
        run.step()
    assert run.amend(metrics={"eval_loss": 1.5}).final_eval_loss == 1.5 == run.result.final_eval_loss


def test_amend_a_ledger_that_refuses_is_one_line_in_errors(tmp_path):
    path = tmp_path / "runs.sqlite"
    with track(ledger=path, interval=0.05) as run:
        run.step()
    path.unlink()  # the ledger is gone: opening it again makes a fresh one without this run
    rec = run.amend(metrics={"eval_loss": 1.5})
    assert rec.final_eval_loss == 1.5
    assert rec.errors[-1].startswith("metrics logged after the run stopped are not in the ledger: ")


def test_figures_after_the_run_stopped_are_amended_or_refused_never_dropped(tmp_path):
    """``observe()`` on a stopped run used to drop its loss and metrics without a word, and ``step()`` to count a
    step no record would hold: now observe goes through ``amend`` and step (or a FLOP per step) raises."""
    path = tmp_path / "runs.sqlite"
    with track(ledger=path, interval=0.05, name="late") as run:
        run.step(2, loss=4.0)
    run.observe(loss=3.0, learning_rate=1e-4, metrics={"eval_loss": 2.0})
    assert (run.result.final_loss, run.result.final_eval_loss) == (3.0, 2.0)
    with Ledger(path, readonly=True) as led:
        rows = led.steps(run.run_id)
    assert [(r["step"], r["loss"], r["metrics"]) for r in rows][-1] == (
        2,
        3.0,
        {"eval_loss": 2.0, "learning_rate": 1e-4},
    )
    with pytest.raises(RuntimeError, match="after the run stopped"):
        run.step()
    with pytest.raises(RuntimeError, match="compute is final"):
        run.observe(flop_per_step=1e9)
    assert run.steps == 2
