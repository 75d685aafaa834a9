"""The tracker on this machine's CPU path: a real PyTorch loop, OS accounting, roles, failures."""

from __future__ import annotations

import json
import os
import resource
import signal
import time

import pytest

from flopcast.errors import InputError, UnknownNameError
from flopcast.measure import Ledger, current_run, track
from flopcast.measure.samplers import Reading, Sampler
from flopcast.provenance import Basis


def cpu_now() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


@pytest.mark.torch
def test_real_pytorch_loop_agrees_with_the_os(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from flopcast.measure import cpu_power

    monkeypatch.setattr(cpu_power, "CPUINFO", tmp_path / "no-cpuinfo")  # the default TDP, whatever this host is
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x, y = torch.randn(128, 64), torch.randint(0, 10, (128,))
    # a training step of two Linear layers, 1 multiply-add = 2 FLOP: the last layer costs 3 x its forward
    # (forward, input grad, weight grad), the first 2 x (its input needs no grad)
    flop_per_step = 2 * 128 * (2 * 64 * 256 + 3 * 256 * 10)
    ledger = tmp_path / "runs.sqlite"
    run = track(model=model, batch=x, total_steps=40, interval=0.1, ledger=ledger, name="mlp").prepare()
    cpu0, t0 = cpu_now(), time.perf_counter()
    with run:
        for _ in range(40):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            run.step()
    wall, cpu = time.perf_counter() - t0, cpu_now() - cpu0
    rec = run.result
    assert rec.status == "completed" and rec.exit_code == 0 and rec.steps == 40
    # the bracket also holds entering/leaving the tracker (thread start/join, ledger writes): within 2% + 50 ms
    assert wall * 0.98 - 0.05 <= rec.wall_seconds <= wall
    assert rec.cpu_seconds == pytest.approx(cpu, abs=0.05 + 0.02 * cpu)  # psutil reads the same kernel counters
    assert rec.flop_per_step == flop_per_step  # counted once by flopcast.count from model and batch
    assert rec.achieved_flop_per_s == pytest.approx(40 * flop_per_step / rec.active_seconds)
    assert rec.active_seconds <= rec.wall_seconds
    assert rec.mfu is None and rec.chip_hours is None  # no accelerator here: unknown, not zero
    # CPU energy: estimated from CPU time and the stated TDP; GPU: unavailable with the reason
    cpu_e = rec.components["cpu"]
    assert rec.energy_source["cpu"] == "estimated"
    assert cpu_e["energy_joules"] == pytest.approx(100.0 * rec.cpu_seconds / os.cpu_count())
    assert rec.energy_source["gpu"] == "unavailable"
    ram_e = rec.components["ram"]["energy_joules"]  # resident memory x W/GB: estimated, and part of the sum
    assert rec.energy_source["ram"] == "estimated" and ram_e > 0
    assert rec.energy_kwh == pytest.approx((cpu_e["energy_joules"] + ram_e) * rec.pue / 3.6e6)
    # no region: the record says so and uses the stated world average, labelled assumed
    assert rec.region is None and rec.g_co2e_per_kwh == 480.0
    grid = next(a for a in rec.assumptions if a.name == "grid_intensity")
    assert grid.basis is Basis.ASSUMED and "region unknown" in grid.source
    assert rec.co2e_kg == pytest.approx(rec.energy_kwh * 0.48)
    counted = next(a for a in rec.assumptions if a.name == "flop_per_step")
    assert counted.basis is Basis.ESTIMATED
    assert rec.forecast is not None and rec.forecast.fraction_done == 1.0
    with Ledger(ledger, readonly=True) as led:
        row = led.run(rec.run_id)
        assert len(led.samples(rec.run_id)) == rec.samples >= 2
    assert row["status"] == "completed" and json.loads(row["record"])["steps"] == 40


def test_hardware_without_telemetry_is_assumed_at_tdp(tmp_path):
    with track(hardware="a100 sxm4 80gb", region="FRA", ledger=False, interval=0.05, flop_per_step=1e12) as run:
        for _ in range(5):
            time.sleep(0.01)
            run.step()
    rec = run.result
    assert rec.energy_source["gpu"] == "assumed"
    assert rec.components["gpu"]["energy_joules"] == pytest.approx(400.0 * rec.wall_seconds, rel=1e-6)
    assert rec.chip_hours == pytest.approx(rec.wall_seconds / 3600)
    assert rec.mfu == pytest.approx(rec.achieved_flop_per_s / 312e12)
    assert rec.region == "FRA" and rec.co2e_kg == pytest.approx(rec.energy_kwh * 0.056)
    assert rec.cost_usd is not None and rec.cost_usd > 0


def test_bad_inputs_fail_before_the_run_and_write_nothing(tmp_path):
    ledger = tmp_path / "l.sqlite"
    with pytest.raises(UnknownNameError, match="nearest"):
        track(hardware="h1000 sxm", ledger=ledger).start()
    with pytest.raises(UnknownNameError):
        track(region="Atlantis", ledger=ledger).start()
    assert track(epochs=2.5, steps_per_epoch=3, ledger=False).total_steps == 8
    for kwargs in (
        {"interval": 0},
        {"epochs": 0, "steps_per_epoch": 3},
        {"total_steps": 0},
        {"flop_per_step": -1.0},
        {"chips": 0, "ledger": ledger},
        {"pue": 0.5, "ledger": ledger},
    ):
        with pytest.raises(InputError):
            track(**kwargs).start()
    if ledger.exists():
        with Ledger(ledger, readonly=True) as led:
            assert led.runs() == []


def test_exceptions_interrupts_and_sigterm_close_the_record(tmp_path):
    ledger = tmp_path / "l.sqlite"
    with pytest.raises(ZeroDivisionError):
        with track(ledger=ledger, interval=0.05) as failing:
            failing.step()
            1 / 0
    with pytest.raises(KeyboardInterrupt):
        with track(ledger=ledger, interval=0.05) as interrupted:
            raise KeyboardInterrupt
    with pytest.raises(SystemExit) as info:
        with track(ledger=ledger, interval=0.05) as terminated:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises in the main thread before this ends
    assert info.value.code == 143
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored
    got = {r.run_id: (r.status, r.exit_code) for r in (failing.result, interrupted.result, terminated.result)}
    assert list(got.values()) == [("failed", 1), ("interrupted", 130), ("terminated", 143)]
    with Ledger(ledger, readonly=True) as led:
        assert {r["run_id"]: (r["status"], r["exit_code"]) for r in led.runs()} == got


class Broken(Sampler):
    component, backend = "gpu", "broken"

    def start(self, t):
        pass

    def read(self, t):
        raise RuntimeError("device fell off the bus")


def test_sampler_errors_are_recorded_never_raised(tmp_path):
    with track(ledger=tmp_path / "l.sqlite", interval=0.02, samplers=[Broken()]) as run:
        time.sleep(0.1)
        run.step()
    rec = run.result
    assert rec.status == "completed"
    assert any("device fell off the bus" in e for e in rec.errors)
    assert "gpu" not in rec.energy_source  # never produced a reading: not passed off as zero
    with Ledger(tmp_path / "l.sqlite", readonly=True) as led:
        assert any("fell off" in e["message"] for e in led.events(rec.run_id))


class Constant(Sampler):
    component, backend = "gpu", "const"

    def __init__(self, watts):
        self.watts = watts

    def start(self, t):
        pass

    def read(self, t):
        return Reading("gpu", "const", Basis.MEASURED, self.watts * t, self.watts)


def test_simulated_ranks_sample_once_per_node_and_aggregate_without_double_counting(tmp_path, capsys):
    from flopcast.measure import aggregate_job
    from flopcast.measure.ledger import decode

    ledger = tmp_path / "l.sqlite"
    runs = []
    for node in (0, 1):
        for local in (0, 1):
            env = {
                "RANK": str(2 * node + local),
                "LOCAL_RANK": str(local),
                "WORLD_SIZE": "4",
                "LOCAL_WORLD_SIZE": "2",
                "GROUP_RANK": str(node),
                "TORCHELASTIC_RUN_ID": "job42",
            }
            run = track(
                env=env,
                ledger=ledger,
                interval=0.02,
                samplers=[Constant(100.0 * (node + 1))],
                flop_per_step=1e9,
                pid=os.getpid(),
            )
            run.start()
            runs.append(run)
    for _ in range(3):
        time.sleep(0.02)
        for r in runs:
            r.step()
    for r in runs:
        r.stop(exit_code=0)
    assert [r.role for r in runs] == ["sampler", "passive", "sampler", "passive"]
    assert runs[1].result is None and runs[3].result is None
    with Ledger(ledger, readonly=True) as led:
        rows = led.job("torchrun-job42")
    assert len(rows) == 2  # one sampler per node
    recs = [decode(r)["record"] for r in rows]
    job = aggregate_job(recs)
    gpu_j = [rec["components"]["gpu"]["energy_joules"] for rec in recs]
    assert job["nodes"] == 2 and job["steps"] == 3  # global steps: not 6
    assert (
        job["it_energy_kwh"]
        == pytest.approx(sum(rec["it_energy_kwh"] for rec in recs))
        == pytest.approx(
            (
                sum(gpu_j)
                + sum(rec["components"]["cpu"]["energy_joules"] or 0 for rec in recs if "cpu" in rec["components"])
            )
            / 3.6e6
        )
    )
    assert job["wall_seconds"] == max(rec["wall_seconds"] for rec in recs)
    from flopcast.cli import main

    capsys.readouterr()
    assert main(["runs", "show", "torchrun-job42", "--json", "--ledger", str(ledger)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["nodes"] == 2 and shown["steps"] == 3 and shown["it_energy_kwh"] == pytest.approx(job["it_energy_kwh"])


def test_decorator_makes_one_run_per_call(tmp_path):
    ledger = tmp_path / "l.sqlite"

    @track(ledger=ledger, interval=0.05, name="epoch")
    def epoch(n):
        for _ in range(n):
            current_run().step()
        return current_run().run_id

    ids = [epoch(3), epoch(4)]
    assert current_run() is None
    with Ledger(ledger, readonly=True) as led:
        assert [(r["run_id"], r["steps"]) for r in led.runs()] == [(ids[0], 3), (ids[1], 4)]


def test_reporter_role_inside_a_tracked_command_only_reports_progress(tmp_path):
    progress = tmp_path / "p.json"
    with track(env={"FLOPCAST_PROGRESS_FILE": str(progress)}, total_steps=9, flop_per_step=5.0, interval=0.02) as run:
        for _ in range(7):
            run.step()
    assert run.role == "reporter" and run.result is None
    assert json.loads(progress.read_text())["steps"] == 7
    assert json.loads(progress.read_text())["total_steps"] == 9


def test_count_is_used_once_and_scaled_by_world_size(monkeypatch):
    calls = []

    class R:
        train_step_flop = 1000

    import flopcast.count as count_mod

    monkeypatch.setattr(count_mod, "count", lambda m, b, mode: calls.append(mode) or R())
    env = {"RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "8", "TORCHELASTIC_RUN_ID": "j"}
    run = track(model=object(), batch=object(), env=env).start()
    run.stop()
    assert run.flop_per_step == 8000 and calls == ["train"]
    with pytest.raises(InputError, match="needs both model and batch"):
        track(model=object(), ledger=False).start()
