"""`estimate --calibrate`: utilization and watts per chip from real tracked runs (flopcast.track into a ledger).

The runs are tracked through the public API with an injected GPU sampler that reports measured board power
(as NVML would), so MFU and GPU energy are the tracker's own figures; the expected numbers are derived here
from the records by hand (median and min/max, joules / (chips x active seconds), FLOP / (chips x peak x u)).
"""

from __future__ import annotations

import json
import statistics
import time

import pytest

from flopcast.cli import main
from flopcast.errors import InputError, UnknownNameError
from flopcast.estimate import MeasuredRates, estimate
from flopcast.measure import Ledger, list_runs, track
from flopcast.measure.calibrate import calibrate, select_runs
from flopcast.measure.samplers import Reading, Sampler
from flopcast.provenance import Basis

H100_BF16_DENSE = 989.4e12  # NVIDIA H100 SXM5 datasheet: 989.4 TFLOPS BF16 dense (1,979 with sparsity)
CHIPS = 2
SWEEP = ((1000.0, 1.0e13), (1200.0, 1.5e13), (900.0, 0.8e13))  # (total board W of the 2 chips, FLOP per step)


class Board(Sampler):
    """Measured GPU board power, constant: energy = watts x t (what NVML's energy counter reads)."""

    component, backend = "gpu", "board"

    def __init__(self, watts: float):
        self.watts = watts

    def start(self, t):
        pass

    def read(self, t):
        return Reading("gpu", "board", Basis.MEASURED, self.watts * t, self.watts)


def _run(ledger, name, *, hardware="h100", chips=CHIPS, flop_per_step=None, samplers=None, steps=5):
    with track(
        ledger=ledger,
        interval=0.02,
        samplers=samplers,
        hardware=hardware,
        chips=chips,
        flop_per_step=flop_per_step,
        name=name,
    ) as run:
        for _ in range(steps):
            time.sleep(0.02)
            run.step()
    return run.result


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    path = tmp_path_factory.mktemp("calibrate") / "runs.sqlite"
    sweep = [_run(path, f"sweep-{i}", flop_per_step=f, samplers=[Board(w)]) for i, (w, f) in enumerate(SWEEP)]
    _run(path, "other-a100", hardware="a100", chips=1, flop_per_step=1e12, samplers=[Board(300.0)], steps=3)
    _run(path, "nomfu", samplers=[Board(700.0)], steps=3)  # no FLOP per step: no MFU
    _run(path, "tdp-only", flop_per_step=1e13, samplers=[], steps=3)  # no telemetry: GPU energy assumed
    assert all(r.status == "completed" and 0 < r.mfu < 1 for r in sweep)
    return path, sweep


def test_calibration_is_the_median_and_min_max_of_the_runs_measured_figures(ledger):
    path, sweep = ledger
    cal = calibrate(path, "sweep-*", "H100")
    mfus = [r.mfu for r in sweep]
    watts = [r.components["gpu"]["energy_joules"] / (r.chips * r.active_seconds) for r in sweep]
    assert cal.n_runs == 3 and cal.run_ids == tuple(r.run_id for r in sweep)
    assert (cal.utilization_low, cal.utilization_central, cal.utilization_high) == (
        min(mfus),
        statistics.median(mfus),
        max(mfus),
    )
    assert (cal.watts_per_chip_low, cal.watts_per_chip_central, cal.watts_per_chip_high) == pytest.approx(
        (min(watts), statistics.median(watts), max(watts))
    )
    # the board drew W for the whole wall time: per chip W / chips, spread over the active span
    for (w, _), r, got in zip(SWEEP, sweep, watts, strict=True):
        assert got == pytest.approx(w / CHIPS * r.wall_seconds / r.active_seconds, rel=0.05)
    assert cal.hardware == "H100 SXM5 80GB" and cal.precision == "bf16"
    assert cal.skipped == ()
    d = cal.to_dict()
    assert d["schema"] == "flopcast.calibration/1" and d["n_runs"] == 3 and "median" in d["statistic"]


def test_estimate_takes_the_measured_mfu_and_watts(ledger):
    path, sweep = ledger
    cal = calibrate(path, "sweep-*", "h100")
    flop = 1.2e20
    est = estimate(flop=flop, hardware="h100", chips=8, pue=1.0, measured=cal.rates())
    u_lo, u, u_hi = sorted(r.mfu for r in sweep)
    w = [r.components["gpu"]["energy_joules"] / (r.chips * r.active_seconds) for r in sweep]
    w_lo, w_c, w_hi = sorted(w)
    hours = flop / (8 * H100_BF16_DENSE * u) / 3600
    assert est.utilization == u and est.precision == "bf16"
    assert est.wall_hours == pytest.approx(hours)
    assert est.energy_kwh == pytest.approx(8 * hours * w_c / 1000)
    # low: the fastest run's MFU and the lowest power; high: the slowest MFU and the highest power
    assert est.low["wall_hours"] == pytest.approx(flop / (8 * H100_BF16_DENSE * u_hi) / 3600)
    assert est.low["energy_kwh"] == pytest.approx(8 * flop / (8 * H100_BF16_DENSE * u_hi) / 3600 * w_lo / 1000)
    assert est.high["energy_kwh"] == pytest.approx(8 * flop / (8 * H100_BF16_DENSE * u_lo) / 3600 * w_hi / 1000)
    read = {a.name: a for a in est.assumptions}
    for name in ("utilization", "utilization_range", "measured_watts_per_chip"):
        assert read[name].basis is Basis.MEASURED
        assert all(r.run_id in read[name].source for r in sweep)
    assert read["measured_watts_per_chip"].value == pytest.approx(w_c)
    assert "tdp_watts" not in read


def test_one_run_gives_its_own_figures_with_no_range(ledger):
    path, sweep = ledger
    cal = calibrate(path, sweep[1].run_id, "h100")
    est = estimate(flop=1e20, hardware="h100", chips=4, pue=1.0, measured=cal.rates())
    assert est.utilization == sweep[1].mfu and est.low["wall_hours"] == est.high["wall_hours"] == est.wall_hours
    assert "one run" in cal.source


def test_selection_by_id_prefix_name_and_glob(ledger):
    path, sweep = ledger
    with Ledger(path, readonly=True) as led:
        runs = list_runs(led)
    assert [r.run_id for r in select_runs(runs, "sweep-1")] == [sweep[1].run_id]
    assert [r.run_id for r in select_runs(runs, sweep[2].run_id)] == [sweep[2].run_id]
    assert len(select_runs(runs, "sweep-[02]")) == 2
    with pytest.raises(UnknownNameError, match="sweep-1"):
        select_runs(runs, "swep-1")


def test_calibrate_reads_the_runs_in_one_query_without_samples_or_events(ledger, monkeypatch):
    path, sweep = ledger
    before = calibrate(path, "sweep-*", "h100")
    queries = []
    real_query = Ledger._query

    def counted(self, sql, args=()):
        queries.append(sql)
        return real_query(self, sql, args)

    def refused(self, run_id):
        raise AssertionError("calibrate needs no per-run samples or events")

    monkeypatch.setattr(Ledger, "_query", counted)
    monkeypatch.setattr(Ledger, "sample_count", refused)
    monkeypatch.setattr(Ledger, "events", refused)
    after = calibrate(path, "sweep-*", "h100")
    assert after == before and after.run_ids == tuple(r.run_id for r in sweep)
    assert [q for q in queries if "runs" in q] == ["SELECT * FROM runs ORDER BY started_at, rowid"]
    assert not any("samples" in q or "events" in q for q in queries)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("other-a100", "runs matched 'other-a100': 1 on A100 SXM4 40GB, but the estimate is for H100 SXM5 80GB"),
        ("nomfu", "no MFU"),
        ("tdp-only", "no measured GPU energy"),
    ],
)
def test_runs_that_cannot_calibrate_are_refused_in_one_line(ledger, target, message):
    with pytest.raises(InputError) as err:
        calibrate(ledger[0], target, "h100")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_cli_estimate_calibrated_json_and_text_name_the_runs(ledger, capsys):
    path, sweep = ledger
    argv = [
        "estimate",
        "--flop",
        "1.2e20",
        "--hardware",
        "h100",
        "--chips",
        "8",
        "--pue",
        "1",
        "--calibrate",
        "sweep-*",
        "--ledger",
        str(path),
    ]
    assert main([*argv, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["utilization"] == statistics.median(r.mfu for r in sweep)
    assert d["calibration"]["run_ids"] == [r.run_id for r in sweep]
    basis = {a["name"]: a["basis"] for a in d["assumptions"]}
    assert basis["utilization"] == basis["measured_watts_per_chip"] == "measured"
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "calibrated from 3 tracked run(s) on H100 SXM5 80GB" in text
    assert all(r.run_id in text for r in sweep) and "measured: utilization" in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--calibrate", "nosuch"], "unknown run id, name or pattern 'nosuch'"),
        (["--calibrate", "other-a100"], "but the estimate is for H100 SXM5 80GB"),
        (["--calibrate", "nomfu"], "no MFU"),
        (["--calibrate", "tdp-only"], "no measured GPU energy"),
        (["--calibrate", "sweep-*", "--utilization", "0.3"], "not both: drop --utilization"),
        (["--calibrate", "sweep-*", "--power-fraction", "0.5"], "drop --power-fraction"),
        (["--calibrate", "sweep-*", "--precision", "fp8"], "not fp8"),
        (["--calibrate", "sweep-*", "--hours", "10"], "over-determined"),
        (["--calibrate", "sweep-*", "--conversion", "thompson2020"], "hardware conversion"),
    ],
)
def test_cli_calibrate_refusals_are_one_line_exit_2(ledger, capsys, extra, message):
    argv = ["estimate", "--flop", "1e20", "--hardware", "h100", "--chips", "8", "--ledger", str(ledger[0]), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("flopcast: error:") and message in err and "\n" not in err


def test_cli_calibrate_needs_hardware_and_ledger_needs_calibrate(ledger, capsys):
    assert main(["estimate", "--flop", "1e20", "--calibrate", "sweep-*", "--ledger", str(ledger[0])]) == 2
    assert "--calibrate needs --hardware" in capsys.readouterr().err
    assert main(["estimate", "--flop", "1e20", "--hardware", "h100", "--chips", "8", "--ledger", str(ledger[0])]) == 2
    assert "add --calibrate" in capsys.readouterr().err


def test_measured_rates_are_checked():
    with pytest.raises(InputError, match="above 1"):
        MeasuredRates("H100 SXM5 80GB", "bf16", (0.5, 0.9, 1.2), (500.0, 600.0, 700.0), "runs")
    with pytest.raises(InputError, match="in order"):
        MeasuredRates("H100 SXM5 80GB", "bf16", (0.5, 0.4, 0.6), (500.0, 600.0, 700.0), "runs")
    with pytest.raises(InputError, match="positive finite"):
        MeasuredRates("H100 SXM5 80GB", "bf16", (0.3, 0.4, 0.5), (0.0, 600.0, float("inf")), "runs")
    m = MeasuredRates("H100 SXM5 80GB", "bf16", (0.3, 0.4, 0.5), (500.0, 600.0, 700.0), "runs r1, r2")
    with pytest.raises(InputError, match="but the estimate is for A100"):
        estimate(flop=1e20, hardware="a100", chips=8, measured=m)
    # the hardware burden: chips x peak x hours x the measured utilization
    burden = estimate(hardware="h100", chips=8, hours=10, measured=m, pue=1.0)
    assert burden.training_flop == pytest.approx(8 * H100_BF16_DENSE * 10 * 3600 * 0.4)
    assert burden.energy_kwh == pytest.approx(8 * 10 * 600.0 / 1000)


def test_a_run_measured_through_nvml_calibrates_from_its_energy_counters(monkeypatch, tmp_path):
    """Two A100 80GB replayed by the fake NVML: their energy counters advance 850 J + 600 J (1,450 J) over the run."""
    import sys

    from . import fake_pynvml

    nvml = fake_pynvml.make(fake_pynvml.load())
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    nvml.tick = 0
    run = track(
        env={"CUDA_VISIBLE_DEVICES": "0,1"},
        ledger=tmp_path / "l.sqlite",
        interval=60,
        flop_per_step=1e12,
        name="nvml-run",
    )
    with run:
        for k in (1, 2, 3):
            time.sleep(0.05)
            nvml.tick = k
            run.step()
    rec = run.result
    assert rec.hardware == "A100 SXM4 80GB" and rec.chips == 2 and rec.energy_source["gpu"] == "measured"
    cal = calibrate(tmp_path / "l.sqlite", "nvml-run", "a100 80gb")
    assert cal.watts_per_chip_central == pytest.approx(1450.0 / (2 * rec.active_seconds))
    assert cal.utilization_central == rec.mfu == pytest.approx(3e12 / rec.active_seconds / (2 * 312e12))
    est = estimate(flop=1e19, hardware="a100 80gb", chips=4, pue=1.0, measured=cal.rates())
    hours = 1e19 / (4 * 312e12 * rec.mfu) / 3600  # A100 datasheet: 312 TFLOPS BF16 dense
    assert est.wall_hours == pytest.approx(hours)
    assert est.energy_kwh == pytest.approx(4 * hours * 1450.0 / (2 * rec.active_seconds) / 1000)


def test_project_idle_line_uses_the_measured_board_power(ledger):
    from flopcast.estimate import ProjectOverheads, project_estimate

    cal = calibrate(ledger[0], "sweep-*", "h100")
    final = estimate(flop=1.2e20, hardware="h100", chips=8, pue=1.0, measured=cal.rates())
    proj = project_estimate(final, ProjectOverheads(experiments=1.0, goodput=1.0, idle_fraction=0.5))
    idle = next(ln for ln in proj.lines if ln.name == "idle")
    # no lost time or sweeps: idle = the final run's chip-hours x measured W per chip x 0.5 = half its energy (PUE 1)
    assert idle.kwh == pytest.approx(final.chip_hours * cal.watts_per_chip_central * 0.5 / 1000)
    assert idle.kwh == pytest.approx(0.5 * final.energy_kwh)
