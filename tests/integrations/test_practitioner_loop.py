"""bench/practitioner_loop.py --quick: the practitioner's loop runs end to end (the plumbing; accuracy is the bench's).

Tiny GPT-2 models trained with the real ``transformers.Trainer`` and ``flopcast.integrations.HFCallback`` into one
ledger; the law fitted from the ledger; a plan; the planned run trained and tracked; ``results.json`` written.
The parameter counts are GPT-2's, by hand: a block has ln_1 2d, c_attn 3d^2+3d, attn c_proj d^2+d, ln_2 2d,
mlp c_fc 4d^2+4d, mlp c_proj 4d^2+d, i.e. 12d^2+13d; ln_f 2d; embeddings wte 256d and wpe (context)d; the LM head is
tied to wte. The trainer's FLOP per step is 6 x tokens x non-embedding parameters (``Trainer.floating_point_ops``).
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.torch]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "practitioner_loop.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("practitioner_loop", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("practitioner_loop", module)  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def non_embedding(d: int, layers: int) -> int:
    return layers * (12 * d * d + 13 * d) + 2 * d


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    bench = load_bench()
    tmp = tmp_path_factory.mktemp("loop")
    record = bench.run(bench.QUICK, tmp / "out", ledger=tmp / "runs.sqlite", log=lambda msg: None)
    return bench, record, tmp


def _rows(path):
    from flopcast.measure import Ledger
    from flopcast.measure.ledger import decode

    with Ledger(path, readonly=True) as book:
        return [(decode(r), book.steps(r["run_id"])) for r in book.runs()]


def test_sweep_runs_carry_flop_per_step_losses_and_size_in_the_ledger(loop):
    bench, _, tmp = loop
    mode = bench.QUICK
    sweep = [(row, steps) for row, steps in _rows(tmp / "runs.sqlite") if row["name"].startswith("sweep-")]
    assert sorted((row["record"]["steps"], row["name"]) for row, _ in sweep) == sorted(
        (s, f"sweep-d{d}-s{s}") for d, s in mode.sweep
    )
    tokens_per_step = mode.batch * mode.context
    for row, steps in sweep:
        rec, d = row["record"], int(row["name"].split("-")[1][1:])
        assert row["status"] == "completed" and rec["flop_per_step_source"] == "state.total_flos"
        assert rec["flop_per_step"] == 6 * tokens_per_step * non_embedding(d, mode.layers)
        assert rec["model_params"] == non_embedding(d, mode.layers) + (256 + mode.context) * d
        assert rec["tokens_seen"] == rec["steps"] * tokens_per_step
        assert math.isfinite(rec["final_loss"]) and math.isfinite(rec["final_eval_loss"])
        losses = [s["loss"] for s in steps if s["loss"] is not None]
        assert len(losses) == 10 and losses[-1] == rec["final_loss"]  # a log every tenth of the run
        assert [s["metrics"]["eval_loss"] for s in steps if s["metrics"]] == [rec["final_eval_loss"]]


def test_fit_from_the_ledger_plan_and_the_tracked_target(loop):
    bench, record, tmp = loop
    assert record["fit"]["n"] == len(bench.QUICK.sweep)
    for fit in (record["fit"], record["fit_eval_loss"]):  # the form chosen by backtest, among the (N, D) laws
        assert fit["law"] == fit["selection"]["chosen"] and fit["law"] in ("chinchilla", "kaplan")
        assert [s["law"] for s in fit["selection"]["scores"]] == ["chinchilla", "kaplan"]
    assert record["fit_source"].endswith("--tag sweep-*")
    plan = record["plan"]
    assert plan["params"] > 0 and plan["tokens"] > 0 and plan["flop"] > 0
    assert plan["source"] in ("flopcast.scaling.plan", bench.FALLBACK_SOURCE)
    assert (plan["refused"] is None) == (plan["source"] == "flopcast.scaling.plan")
    targets = [row for row, _ in _rows(tmp / "runs.sqlite") if row["name"].startswith("target-")]
    assert [t["name"] for t in targets] == [record["target_spec"]["name"]] == [record["actual"]["name"]]
    assert targets[0]["status"] == "completed" and targets[0]["record"]["steps"] == record["target_spec"]["steps"]
    assert record["comparison"]["measured_extrapolation_x"] >= 5  # the "a run >= 5x the largest"
    assert record["forecast"]["flop"] == record["actual"]["flop"]  # the trainer counts what the bench planned


def test_the_fit_counts_n_as_the_trainer_counts_compute(loop):
    """The plan splits C = 6ND, so the fit's N must be the N the trainer's FLOP counts (non-embedding): for every
    sweep run 6 x N x D equals its measured FLOP. With every parameter as N this fails by N_all / N_non-embedding."""
    from flopcast.scaling import ledger_runs

    bench, record, tmp = loop
    found = ledger_runs(tmp / "runs.sqlite", tag="sweep-*", params=bench.FIT_PARAMS)
    by_run = {(r["non_embedding_params"], r["tokens_seen"]): r["flop"] for r in record["sweep"]}
    pairs = list(zip(found.runs.params, found.runs.tokens, strict=True))
    assert len(pairs) == len(record["sweep"])
    for n, d in pairs:
        assert 6.0 * n * d == pytest.approx(by_run[(int(n), int(d))], rel=1e-12)
    assert record["forecast"]["params_non_embedding"] == record["actual"]["non_embedding_params"]


def test_results_json_has_the_forecasts_actuals_and_errors(loop):
    _, record, tmp = loop
    saved = json.loads((tmp / "out" / "results.json").read_text())
    assert saved["comparison"] == json.loads(json.dumps(record["comparison"]))
    f, a, c = saved["forecast"], saved["actual"], saved["comparison"]
    for key in ("train_loss", "eval_loss"):
        assert set(f[key]) == {"loss", "loss_ci", "identified"} and f[key]["loss"] > 0
    assert f["wall_seconds"] > 0 and a["wall_seconds"] > 0 and a["energy_source"]
    for key in ("eval_loss_pct", "train_loss_pct", "wall_time_pct", "flop_pct"):
        assert math.isfinite(c[key])
    assert (f["energy_kwh"] is None) == (c["energy_pct"] is None)
    assert set(c["targets"]) == {"eval_loss_within_2pct", "train_loss_within_2pct", "wall_time_within_15pct"}


def test_the_fit_is_what_the_cli_fits_from_the_same_ledger(loop):
    """The bench's fits are ``flopcast scaling fit --ledger L --tag 'sweep-*' --law auto [--loss eval]`` on its
    ledger, to the last digit."""
    import contextlib
    import io

    from flopcast.cli import main

    bench, record, tmp = loop
    argv = ["scaling", "fit", "--ledger", str(tmp / "runs.sqlite"), "--tag", "sweep-*", "--law", "auto", "--json"]
    argv += ["--params", bench.FIT_PARAMS]
    for loss, key in (("final", "fit"), ("eval", "fit_eval_loss")):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main([*argv, "--loss", loss, "--bootstrap", str(bench.QUICK.bootstrap)])
        assert code == 0
        cli = json.loads(out.getvalue())
        assert cli["params"] == record[key]["params"] and cli["n"] == record[key]["n"]
        assert cli["selection"] == record[key]["selection"]


def test_factor_below_five_is_refused_with_exit_code_2():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--factor", "2", "--out", "/nonexistent"], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "--factor 2.0: give 5 or more" in done.stderr.splitlines()[-1]


def test_an_existing_ledger_is_refused_with_exit_code_2(tmp_path):
    # its 'sweep-*' runs would join the fit; the file is left as it was
    ledger = tmp_path / "runs.sqlite"
    ledger.write_bytes(b"kept")
    done = subprocess.run(
        [sys.executable, str(BENCH), "--ledger", str(ledger), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "exists: give a new path" in done.stderr.splitlines()[-1]
    assert ledger.read_bytes() == b"kept" and not (tmp_path / "out").exists()
