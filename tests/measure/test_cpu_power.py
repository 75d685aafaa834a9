"""CPU power by processor model (``data/hardware/cpu_tdp.csv``) and RAM power (``data/hardware/ram_power.csv``):
fake ``/proc/cpuinfo`` texts and process-tree figures, hand-derived energies."""

from __future__ import annotations

import itertools

import pytest

from flopcast import data
from flopcast.measure import cpu_power, samplers, track
from flopcast.measure.cpu_power import host_cpu, match_cpu, ram_watts_per_gb, read_cpuinfo, words
from flopcast.measure.samplers import DEFAULT_CPU_TDP_WATTS, CpuTdpSampler, RamSampler, cpu_energy_sampler
from flopcast.units import BYTES_PER_GIB as GIB


def cpuinfo(model: str, siblings: int = 80, cores: int = 40, blocks: int = 2) -> str:
    block = (
        f"processor\t: {{i}}\nvendor_id\t: GenuineIntel\nmodel name\t: {model}\nphysical id\t: 0\n"
        f"siblings\t: {siblings}\ncpu cores\t: {cores}\nflags\t\t: fpu vme\n\n"
    )
    return "".join(block.format(i=i) for i in range(blocks))


XEON_8380 = cpuinfo("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz")
EPYC_7763 = cpuinfo("AMD EPYC 7763 64-Core Processor", siblings=128, cores=64)
ARM = "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n\n"


class FakeTree:
    """What CpuTdpSampler and RamSampler read from a ProcessTreeSampler."""

    def __init__(self, cpu_seconds=0.0, rss_bytes=0.0):
        self.cpu_seconds, self.rss_bytes = cpu_seconds, rss_bytes


def test_model_words_drop_trademarks_clock_core_count_and_vendor():
    assert words("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz") == ["xeon", "platinum", "8380"]
    assert words("AMD EPYC 7763 64-Core Processor") == ["epyc", "7763"]
    assert words("13th Gen Intel(R) Core(TM) i7-13700K") == ["core", "i7-13700k"]


@pytest.mark.parametrize(
    ("model", "name", "tdp"),
    [
        ("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz", "Intel Xeon Platinum 8380", 270),
        ("Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", "Intel Xeon E5-2680 v4", 120),
        ("Intel(R) Xeon(R) Platinum 8480+", "Intel Xeon Platinum 8480+", 350),
        ("AMD EPYC 7763 64-Core Processor", "AMD EPYC 7763", 280),
        ("AMD EPYC 9654 96-Core Processor", "AMD EPYC 9654", 360),
        ("AMD Ryzen Threadripper 3990X 64-Core Processor", "AMD Ryzen Threadripper 3990X", 280),
    ],
)
def test_known_models_match_their_vendor_tdp(model, name, tdp):
    # independently published too: EPYC 7763 "configured with a 280W TDP" (wccftech, 2020), Platinum 8380 270 W
    # (the top Ice Lake-SP TDP in the 105-270 W range, wccftech 2021)
    got = match_cpu(model)
    assert got is not None and (got.name, got.tdp_watts) == (name, tdp)


@pytest.mark.parametrize(
    "model", ["AMD EPYC", "AMD EPYC 7763X", "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz", "Apple M2", ""]
)
def test_unknown_or_partial_models_do_not_match(model):
    assert match_cpu(model) is None  # 'EPYC 7763X' is not 'EPYC 7763'; a VM's bare 'AMD EPYC' names no model


def test_cpuinfo_gives_the_first_model_and_threads_per_core():
    assert read_cpuinfo(XEON_8380) == cpu_power.HostCpu("Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz", 2)
    assert read_cpuinfo(cpuinfo("AMD EPYC 7763 64-Core Processor", siblings=64, cores=64)).threads_per_core == 1
    assert read_cpuinfo(ARM) is None and read_cpuinfo("") is None


def test_a_known_cpu_is_shared_per_logical_cpu_of_one_package(tmp_path):
    # 270 W / (40 cores x 2 threads) = 3.375 W per busy logical CPU; 10 CPU-seconds -> 33.75 J (hand)
    s = cpu_energy_sampler(FakeTree(cpu_seconds=10.0), rapl_root=tmp_path, cpuinfo=XEON_8380)
    assert isinstance(s, CpuTdpSampler) and (s.tdp_watts, s.share_cpus) == (270.0, 80)
    s.start(0.0)
    r = s.read(1.0)
    assert r.energy_joules == pytest.approx(33.75) and r.basis.value == "estimated"
    assert "Intel Xeon Platinum 8380" in r.note and "ark.intel.com" in r.note and "40 cores × 2 threads" in r.note
    (a,) = s.assumptions
    assert (a.name, a.value, a.basis.value) == ("cpu_tdp_watts", 270.0, "assumed") and "ark.intel.com" in a.source


def test_unknown_cpu_keeps_the_default_and_says_why(tmp_path):
    s = cpu_energy_sampler(FakeTree(10.0), rapl_root=tmp_path, cpuinfo=cpuinfo("Some Future CPU 9000"))
    assert (
        s.tdp_watts == DEFAULT_CPU_TDP_WATTS and "'Some Future CPU 9000' is not in flopcast's CPU table" in s.tdp_source
    )
    assert cpu_energy_sampler(FakeTree(), rapl_root=tmp_path, cpuinfo=ARM).tdp_watts == DEFAULT_CPU_TDP_WATTS
    assert host_cpu(tmp_path / "missing") is None


def test_a_given_tdp_wins_over_the_table(tmp_path):
    s = cpu_energy_sampler(FakeTree(), rapl_root=tmp_path, tdp_watts=65, cpuinfo=EPYC_7763)
    assert s.tdp_watts == 65 and s.tdp_source == "given" and s.assumptions[0].basis.value == "given"


def test_ram_energy_is_watts_per_gb_times_resident_gb_over_time():
    w, source = ram_watts_per_gb()
    assert w == 0.375 and "3 Watts for 8 GB" in source  # codecarbon v2: 3 W / 8 GB
    tree = FakeTree(rss_bytes=8 * GIB)
    s = RamSampler(tree)
    s.start(0.0)
    r = s.read(10.0)
    assert r.energy_joules == pytest.approx(30.0) and r.power_watts == pytest.approx(3.0)  # 3 W x 10 s
    tree.rss_bytes = 0.0
    assert s.read(20.0).energy_joules == pytest.approx(30.0 + 15.0)  # 8 GiB -> 0 over 10 s: trapezoid, 15 J
    assert r.basis.value == "estimated" and s.assumptions[0].name == "ram_watts_per_gb"


def test_a_run_records_cpu_by_model_and_ram_and_sums_them(tmp_path, monkeypatch):
    (tmp_path / "cpuinfo").write_text(XEON_8380)
    monkeypatch.setattr(cpu_power, "CPUINFO", tmp_path / "cpuinfo")
    ticks = itertools.count()
    monkeypatch.setattr(samplers, "tree_cpu_seconds", lambda proc: (2.0 * next(ticks), 4.0 * GIB))  # psutil figures
    with track(ledger=False, interval=0.02, rapl_root=tmp_path / "no-rapl", pue=1.0) as run:
        run.step()
    rec = run.result
    cpu, ram = rec.components["cpu"], rec.components["ram"]
    assert {k: rec.energy_source[k] for k in ("cpu", "ram")} == {"cpu": "estimated", "ram": "estimated"}
    assert cpu["energy_joules"] == pytest.approx(270.0 * rec.cpu_seconds / 80)
    assert ram["power_watts"] == pytest.approx(1.5)  # 4 GiB x 0.375 W/GB
    gpu = rec.components["gpu"]["energy_joules"] or 0.0
    assert rec.it_energy_kwh == pytest.approx((gpu + cpu["energy_joules"] + ram["energy_joules"]) / 3.6e6)
    names = {a.name: a for a in rec.assumptions}
    assert names["cpu_tdp_watts"].value == 270.0 and names["ram_watts_per_gb"].value == 0.375


def test_the_cpu_table_is_sourced_and_sane():
    rows = data.bundled(cpu_power.CPU_TABLE)
    assert len(rows) >= 40
    matches = [r.get("match") for r in rows]
    assert len(set(matches)) == len(matches)
    for r in rows:
        assert r.get("source") and ("ark.intel.com" in r.get("source") or "amd.com" in r.get("source"))
        assert 35 <= r.number("tdp_watts", required=True) <= 500 and r.number("cores", required=True) >= 4
        assert match_cpu(r.get("name")).name == r.get("name")  # every row finds itself by its own name


class CountingCpuinfo:
    """Stands where ``/proc/cpuinfo`` is read: counts the reads."""

    def __init__(self, text: str):
        self.text, self.reads = text, 0

    def read_text(self, errors: str | None = None) -> str:
        self.reads += 1
        return self.text


def test_cpuinfo_is_read_once_for_the_cpu_model_and_the_power_table(tmp_path, monkeypatch):
    """Both the record's cpu_model (measure.host) and the CPU TDP lookup need the processor: one read serves them,
    and a second run in the same process reads nothing more (before: two reads per run)."""
    fake = CountingCpuinfo(XEON_8380)
    monkeypatch.setattr(cpu_power, "CPUINFO", fake)
    for _ in range(2):
        with track(ledger=False, interval=0.02, rapl_root=tmp_path / "no-rapl") as run:
            run.step()
        rec = run.result
        assert rec.cpu_model == "Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz"
        assert {a.name: a.value for a in rec.assumptions}["cpu_tdp_watts"] == 270.0  # the 8380's row
    assert fake.reads == 1
