"""RAPL counters (fake powercap tree), CPU-TDP estimate, and the psutil process tree against the OS."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flopcast.measure.samplers import (
    CpuTdpSampler,
    ProcessTreeSampler,
    RaplSampler,
    cpu_energy_sampler,
    cpu_tdp_energy_joules,
    rapl_delta_uj,
    rapl_package_zones,
)
from flopcast.provenance import Basis

MAX = 262143328850  # a typical max_energy_range_uj


def make_zone(root, name, energy, max_range=MAX):
    z = root / name
    z.mkdir(parents=True)
    (z / "energy_uj").write_text(f"{energy}\n")
    (z / "max_energy_range_uj").write_text(f"{max_range}\n")
    (z / "name").write_text("package-0\n")
    return z


@given(st.integers(0, MAX - 1), st.integers(0, MAX - 1))
def test_rapl_delta_handles_one_wrap(prev, step):
    cur = (prev + step) % MAX
    assert rapl_delta_uj(prev, cur, MAX) == step


def test_rapl_sums_packages_not_subzones_and_survives_a_wrap(tmp_path):
    z0 = make_zone(tmp_path, "intel-rapl:0", MAX - 1_000_000)
    z1 = make_zone(tmp_path, "intel-rapl:1", 5_000_000)
    make_zone(tmp_path, "intel-rapl:0:0", 123)  # core sub-zone: inside package 0, must not be added
    assert rapl_package_zones(tmp_path) == [z0, z1]
    s = cpu_energy_sampler(ProcessTreeSampler(), rapl_root=tmp_path)
    assert isinstance(s, RaplSampler)
    s.start(0.0)
    (z0 / "energy_uj").write_text("2000000\n")  # wrapped: 1 J before the wrap + 2 J after
    (z1 / "energy_uj").write_text("9000000\n")  # +4 J
    r = s.read(2.0)
    assert r.basis is Basis.MEASURED
    assert r.energy_joules == pytest.approx(7.0)
    assert r.power_watts == pytest.approx(3.5)
    assert "all processes" in r.note


def test_unreadable_rapl_falls_back_to_tdp_estimate_with_the_reason(tmp_path):
    z = make_zone(tmp_path, "intel-rapl:0", 1)
    (z / "energy_uj").unlink()
    (z / "energy_uj").mkdir()  # reading it raises IsADirectoryError, like EACCES on a locked-down kernel
    s = cpu_energy_sampler(ProcessTreeSampler(), rapl_root=tmp_path)
    assert isinstance(s, CpuTdpSampler)
    r = s.read(0.0)
    assert r.basis is Basis.ESTIMATED
    assert "RAPL counters unreadable" in r.note


def test_no_powercap_at_all(tmp_path):
    s = cpu_energy_sampler(ProcessTreeSampler(), rapl_root=tmp_path / "absent", tdp_watts=65)
    assert isinstance(s, CpuTdpSampler) and s.tdp_watts == 65
    assert "no powercap RAPL zones" in s.read(0.0).note


def test_cpu_tdp_formula():
    # 3 CPU-seconds on a 4-CPU, 120 W package: 3/4 of a package-second at 120 W
    assert cpu_tdp_energy_joules(3.0, 120.0, 4) == pytest.approx(90.0)


@pytest.mark.parametrize("proc_fs", [True, False], ids=["/proc walk", "psutil"])
def test_process_tree_counts_children_like_the_os(tmp_path, monkeypatch, proc_fs):
    """CPU time of a live child and a waited-for grandchild, against the OS's rusage of the child."""
    import flopcast.measure.samplers as samplers

    monkeypatch.setattr(samplers, "_PROC_CHILDREN", proc_fs and samplers._PROC_CHILDREN)
    script = (
        "import subprocess, sys, time\n"
        "subprocess.run([sys.executable, '-c', 'x=0\\nfor i in range(1_000_000): x+=i'])\n"
        "t=time.process_time()\n"
        "while time.process_time()-t < 0.3: pass\n"
        "time.sleep(0.6)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script])
    s = ProcessTreeSampler()
    s.retarget(child.pid)
    s.start(0.0)
    deadline = time.time() + 20
    last, usage = None, None
    while time.time() < deadline:
        pid, _, ru = os.wait4(child.pid, os.WNOHANG)
        if pid:
            usage = ru
            break
        last = s.read(0.0)
        time.sleep(0.05)
    child.returncode = 0
    assert last is not None and usage is not None
    exact = usage.ru_utime + usage.ru_stime  # the OS's own figure for the child and its waited grandchild
    # the child sleeps its last 0.6 s, so the sampler saw (almost) all of its CPU time
    assert last.metrics["cpu_seconds"] == pytest.approx(exact, abs=0.05)
    assert exact >= 0.3
    assert last.metrics["peak_rss_bytes"] > 1e6


def test_own_process_cpu_time_matches_process_time():
    s = ProcessTreeSampler(os.getpid())
    t0 = time.process_time()
    s.start(0.0)
    x = 0
    while time.process_time() - t0 < 0.3:
        x += 1
    r = s.read(1.0)
    spent = time.process_time() - t0
    assert r.metrics["cpu_seconds"] == pytest.approx(spent, abs=0.03)
