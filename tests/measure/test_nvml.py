"""The NVML path at the nvidia-ml-py boundary, with a fake ``pynvml`` replaying device responses."""

from __future__ import annotations

import sys

import pytest

from flopcast.measure.nvml import gpu_sampler
from flopcast.provenance import Basis

from . import fake_pynvml


@pytest.fixture
def nvml(monkeypatch):
    mod = fake_pynvml.make(fake_pynvml.load())
    monkeypatch.setitem(sys.modules, "pynvml", mod)
    return mod


def read_at(sampler, nvml, ticks_and_times):
    out = None
    for tick, t in ticks_and_times:
        nvml.tick = tick
        out = sampler.read(t)
    return out


def test_energy_counter_is_measured_and_differenced_from_the_start(nvml):
    s = gpu_sampler("0,1")
    nvml.tick = 0
    s.start(0.0)
    r = read_at(s, nvml, [(1, 1.0), (2, 2.0), (3, 3.0)])
    # counters (mJ): dev0 +850000 since tick 0, dev1 +600000 -> 1450 J
    assert r.basis is Basis.MEASURED
    assert r.energy_joules == pytest.approx(1450.0)
    assert r.power_watts == pytest.approx(300.0 + 200.0)
    assert r.metrics["gpus"] == 2
    assert r.metrics["gpu_util_percent"] == pytest.approx((96 + 93) / 2)
    assert r.metrics["gpu_memory_used_bytes"] == pytest.approx(110e9)
    assert r.metrics["gpu_sm_clock_mhz"] == pytest.approx(1410)
    assert s.tdp_watts == pytest.approx(800.0)
    assert s.names == ["NVIDIA A100-SXM4-80GB"] * 2
    s.close()
    s.close()
    assert nvml.calls.count("shutdown") == 1


def test_no_energy_counter_falls_back_to_trapezoid_power_and_says_estimated(nvml):
    s = gpu_sampler("2")  # P100: NVML_ERROR_NOT_SUPPORTED for the energy counter
    nvml.tick = 0
    s.start(0.0)
    r = read_at(s, nvml, [(1, 1.0), (2, 3.0), (3, 4.0)])
    # 0.5(100+150)*1 + 0.5(150+150)*2 + 0.5(150+50)*1 = 125 + 300 + 100
    assert r.energy_joules == pytest.approx(525.0)
    assert r.basis is Basis.ESTIMATED
    assert "power × time" in r.note


def test_mig_instance_gets_its_memory_share_of_the_parent_gpu(nvml):
    s = gpu_sampler("MIG-2a3b4c5d")
    nvml.tick = 0
    s.start(0.0)
    r = read_at(s, nvml, [(2, 2.0)])
    assert r.energy_joules == pytest.approx(0.5 * 800.0)  # half the memory of a GPU that used 800 J
    assert r.basis is Basis.ESTIMATED
    both = gpu_sampler("MIG-2a3b4c5d,MIG-3b4c5d6e")
    nvml.tick = 0
    both.start(0.0)
    assert read_at(both, nvml, [(2, 2.0)]).energy_joules == pytest.approx(800.0)  # one parent, counted once


@pytest.mark.parametrize(
    "cvd, expected",
    [(None, 4), ("1", 1), ("GPU-7c3d", 1), ("3,0", 2), ("1,GPU-nope,0", 1), ("7", 0), ("", 0), ("-1", 0)],
)
def test_only_the_devices_cuda_would_show_are_read(nvml, cvd, expected):
    s = gpu_sampler(cvd)
    n = len(getattr(s, "devices", []))
    assert n == expected
    if expected == 0:
        nvml.tick = 0
        r = s.read(0.0)
        assert r.basis is Basis.UNAVAILABLE and r.energy_joules is None
        assert "CUDA_VISIBLE_DEVICES" in r.note


def test_uuid_selects_the_right_board(nvml):
    s = gpu_sampler("GPU-7c3d")
    nvml.tick = 0
    s.start(0.0)
    assert read_at(s, nvml, [(1, 1.0)]).energy_joules == pytest.approx(200.0)


def test_missing_driver_is_unavailable_not_zero(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", fake_pynvml.make(fake_pynvml.load(), init_error=True))
    r = gpu_sampler(None).read(1.0)
    assert r.basis is Basis.UNAVAILABLE and r.energy_joules is None
    assert "NVML Shared Library Not Found" in r.note


def test_real_nvidia_ml_py_on_a_machine_without_gpu_is_unavailable():
    pytest.importorskip("pynvml")
    s = gpu_sampler(None)
    r = s.read(0.0)
    if r.basis is not Basis.UNAVAILABLE:  # pragma: no cover - only on a GPU machine
        pytest.skip("this machine has an NVIDIA GPU")
    assert r.energy_joules is None and r.note


def test_nvidia_ml_py_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import raises ImportError
    r = gpu_sampler(None).read(0.0)
    assert r.basis is Basis.UNAVAILABLE and "nvidia-ml-py" in r.note


def test_whole_tracker_on_replayed_gpus_detects_chip_counts_energy_and_mfu(nvml, tmp_path):
    """End to end: CUDA_VISIBLE_DEVICES=0,1 → two A100 80GB detected by name, counter energy, MFU vs 2 peaks."""
    from flopcast.measure import track

    nvml.tick = 0
    run = track(
        env={"CUDA_VISIBLE_DEVICES": "0,1"}, ledger=tmp_path / "l.sqlite", interval=60, region="FRA", flop_per_step=1e14
    )
    with run:
        for k in (1, 2, 3):
            nvml.tick = k
            run.step()
    rec = run.result
    assert rec.hardware == "A100 SXM4 80GB" and rec.chips == 2
    chips = next(a for a in rec.assumptions if a.name == "chips")
    assert chips.basis.value == "measured"
    assert rec.energy_source["gpu"] == "measured"
    assert rec.components["gpu"]["energy_joules"] == pytest.approx(1450.0)  # counters at tick 3
    cpu_j = rec.components["cpu"]["energy_joules"]
    ram_j = (rec.components.get("ram") or {}).get("energy_joules") or 0.0  # RAM: an estimated IT component too
    assert rec.energy_kwh == pytest.approx((1450.0 + cpu_j + ram_j) * rec.pue / 3.6e6)
    assert rec.mfu == pytest.approx(rec.achieved_flop_per_s / (2 * 312e12))
    assert rec.chip_hours == pytest.approx(2 * rec.wall_seconds / 3600)
