"""Samplers: small readers of one instrument each, behind one interface.

Every sampler reports *cumulative* figures since its own ``start()`` as a :class:`Reading` whose
``basis`` says how the energy figure came to be (``measured`` from a counter, ``estimated`` from a
stated formula, ``unavailable`` when the backend is missing). A missing backend never raises out of
a sampler and never reads as zero: it becomes an :class:`UnavailableSampler` with the reason.

Samplers here: :class:`ProcessTreeSampler` (psutil CPU time and memory of a process and its live
descendants), :class:`RaplSampler` (Linux powercap package energy, counter wrap handled),
:class:`CpuTdpSampler` (CPU time × a TDP share, estimated; the TDP by processor model from
:mod:`flopcast.measure.cpu_power`) and :class:`RamSampler` (resident memory × W/GB, estimated).
The NVIDIA sampler is in :mod:`flopcast.measure.nvml`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flopcast.measure.checks import RUN_NUMBERS, check_number
from flopcast.measure.cpu_power import host_cpu, match_cpu, ram_watts_per_gb
from flopcast.provenance import Assumption, Basis
from flopcast.units import BYTES_PER_GIB

RAPL_ROOT = Path("/sys/class/powercap")

# A CPU package's TDP when the user gives none: a round mid-range server value, not a measurement.
# Typical server packages span ~65-350 W; pass ``cpu_tdp_watts`` for the real figure.
DEFAULT_CPU_TDP_WATTS = 100.0
DEFAULT_CPU_TDP_SOURCE = "flopcast default (round mid-range server CPU package TDP); pass cpu_tdp_watts / --cpu-tdp"


@dataclass(frozen=True)
class Reading:
    """One sampler's cumulative view at one instant.

    Attributes
    ----------
    component : str
        ``"gpu"``, ``"cpu"`` or ``"process"``.
    backend : str
        The instrument: ``"nvml"``, ``"rapl"``, ``"cpu-tdp"``, ``"psutil"`` or ``"none"``.
    basis : Basis
        How ``energy_joules`` was obtained (``UNAVAILABLE`` when it could not be).
    energy_joules : float or None
        Energy since the sampler started, J; ``None`` when unavailable (never 0 for "unknown").
    power_watts : float or None
        Latest instantaneous (or interval-mean) power, W.
    metrics : Mapping[str, float]
        Other figures with units in their names (``cpu_seconds``, ``rss_bytes``, ``gpu_util_percent``...).
    note : str
        Scope or reason (``"whole CPU package, all processes"``, ``"no NVIDIA driver"``).
    """

    component: str
    backend: str
    basis: Basis
    energy_joules: float | None = None
    power_watts: float | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "backend": self.backend,
            "basis": self.basis.value,
            "energy_joules": self.energy_joules,
            "power_watts": self.power_watts,
            "metrics": dict(self.metrics),
            "note": self.note,
        }


class Sampler:
    """Interface: ``start(t)`` takes the baseline, ``read(t)`` returns cumulative figures, ``close()``."""

    component = "?"
    backend = "?"

    def start(self, t: float) -> None:  # pragma: no cover - interface
        """Take the baseline at monotonic time ``t`` (s)."""

    def read(self, t: float) -> Reading:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        """Release the backend (idempotent)."""


class UnavailableSampler(Sampler):
    """Stands in for a backend that is not there, so the record says so instead of reading zero."""

    def __init__(self, component: str, backend: str, reason: str):
        self.component, self.backend, self.reason = component, backend, reason

    def start(self, t: float) -> None:
        pass

    def read(self, t: float) -> Reading:
        return Reading(self.component, self.backend, Basis.UNAVAILABLE, note=self.reason)


# ---------------------------------------------------------------------------------------------
# Process tree (psutil)
# ---------------------------------------------------------------------------------------------


_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_PROC_CHILDREN = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists()


def _proc_stat(pid: int) -> tuple[float, float] | None:
    """(user+system+children's user+system CPU s, RSS bytes) from ``/proc/PID/stat``; ``None`` if gone.

    proc(5): fields 14-17 are utime, stime, cutime, cstime in clock ticks, field 24 is RSS in pages.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    ticks = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    return ticks / _CLK_TCK, float(int(fields[21]) * _PAGE)


def _proc_children(pid: int) -> list[int]:
    """Direct children from ``/proc/PID/task/*/children`` (no scan of every process on the machine)."""
    kids: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                kids.extend(int(x) for x in f.read().split())
        except OSError:
            continue
    return kids


def tree_cpu_seconds(proc: Any) -> tuple[float, float]:
    """CPU seconds (user+system, incl. reaped children) and RSS bytes of ``proc`` and its live descendants.

    A process's ``children_user``/``children_system`` hold only children it has already waited for, so
    adding the live descendants' own times counts each process exactly once. On Linux with
    ``/proc/PID/task/TID/children`` the tree is walked from ``/proc`` directly (a few reads per process);
    elsewhere through psutil, whose child listing scans every process on the machine.
    """
    if _PROC_CHILDREN:
        cpu = rss = 0.0
        todo = [proc.pid]
        while todo:
            pid = todo.pop()
            st = _proc_stat(pid)
            if st is None:
                continue
            cpu += st[0]
            rss += st[1]
            todo.extend(_proc_children(pid))
        return cpu, rss
    import psutil

    procs = [proc]
    with contextlib.suppress(psutil.Error):
        procs += proc.children(recursive=True)
    cpu = 0.0
    rss = 0.0
    for p in procs:
        try:
            with p.oneshot():
                ct = p.cpu_times()
                mem = p.memory_info()
        except psutil.Error:  # exited between listing and reading
            continue
        cpu += ct.user + ct.system + getattr(ct, "children_user", 0.0) + getattr(ct, "children_system", 0.0)
        rss += mem.rss
    return cpu, rss


class ProcessTreeSampler(Sampler):
    """CPU time and resident memory of a process tree, from psutil (the OS's own accounting).

    The CPU-seconds figure is kept monotone: a descendant that exits before its parent waits for it
    would otherwise make the sum dip for one sample.
    """

    component = "process"
    backend = "psutil"

    def __init__(self, pid: int | None = None):
        import psutil

        self.pid = os.getpid() if pid is None else pid
        self._proc = psutil.Process(self.pid)
        self._cpu0 = 0.0
        self._cpu_max = 0.0
        self._peak_rss = 0.0
        self.rss_bytes = 0.0  # as of the last start/read (what RamSampler integrates)
        self._fresh = False

    def start(self, t: float) -> None:
        cpu, rss = tree_cpu_seconds(self._proc)
        self.rss_bytes = rss
        self._peak_rss = max(self._peak_rss, rss)
        if self._fresh:  # a process we spawned: count everything since its birth
            self._cpu_max = max(self._cpu_max, cpu)
            return
        self._cpu0 = self._cpu_max = cpu

    def read(self, t: float) -> Reading:
        cpu, rss = tree_cpu_seconds(self._proc)
        self.rss_bytes = rss
        self._cpu_max = max(self._cpu_max, cpu)
        self._peak_rss = max(self._peak_rss, rss)
        metrics = {"cpu_seconds": self._cpu_max - self._cpu0, "rss_bytes": rss, "peak_rss_bytes": self._peak_rss}
        return Reading(
            self.component,
            self.backend,
            Basis.MEASURED,
            metrics=metrics,
            note=f"pid {self.pid} and its live descendants",
        )

    def retarget(self, pid: int) -> None:
        """Measure ``pid``'s tree from its birth instead (baseline 0): the CLI's freshly spawned command."""
        import psutil

        self.pid = pid
        self._proc = psutil.Process(pid)
        self._cpu0 = self._cpu_max = self._peak_rss = 0.0
        self._fresh = True

    def settle(self, cpu_seconds: float) -> None:
        """Replace the sampled CPU time with an exact total (e.g. ``wait4`` rusage once the tree has exited)."""
        self._cpu_max = self._cpu0 + cpu_seconds

    @property
    def cpu_seconds(self) -> float:
        """CPU seconds since ``start`` as of the last read."""
        return self._cpu_max - self._cpu0


# ---------------------------------------------------------------------------------------------
# CPU energy: RAPL (measured) or CPU time × TDP share (estimated)
# ---------------------------------------------------------------------------------------------


def rapl_delta_uj(previous: int, current: int, max_range_uj: int) -> int:
    """Energy between two reads of a RAPL ``energy_uj`` counter, µJ; one wrap at ``max_energy_range_uj``.

    Linux powercap ABI (Documentation/power/powercap/powercap.rst): the counter wraps to 0 after
    ``max_energy_range_uj``.
    """
    if current >= previous:
        return current - previous
    return current + max_range_uj - previous


def rapl_package_zones(root: Path = RAPL_ROOT) -> list[Path]:
    """Top-level package zones (``intel-rapl:0``, ``intel-rapl:1``...); sub-zones would double count."""
    if not root.is_dir():
        return []
    zones = []
    for p in sorted(root.iterdir()):
        parts = p.name.split(":")
        if len(parts) == 2 and parts[0] in ("intel-rapl", "amd-rapl") and (p / "energy_uj").exists():
            zones.append(p)
    return zones


class RaplSampler(Sampler):
    """CPU package energy from the powercap RAPL counters (whole packages, all processes on them)."""

    component = "cpu"
    backend = "rapl"

    def __init__(self, zones: list[Path]):
        if not zones:
            raise OSError("no RAPL package zones")
        self.zones = zones
        self._max = [int((z / "max_energy_range_uj").read_text()) for z in zones]
        self._prev = [self._read(z) for z in zones]  # raises PermissionError when unreadable
        self._total_uj = 0
        self._t_prev: float | None = None
        self._power: float | None = None

    @staticmethod
    def _read(zone: Path) -> int:
        return int((zone / "energy_uj").read_text())

    def start(self, t: float) -> None:
        self._prev = [self._read(z) for z in self.zones]
        self._total_uj = 0
        self._t_prev = t

    def read(self, t: float) -> Reading:
        step = 0
        for i, z in enumerate(self.zones):
            cur = self._read(z)
            step += rapl_delta_uj(self._prev[i], cur, self._max[i])
            self._prev[i] = cur
        self._total_uj += step
        if self._t_prev is not None and t > self._t_prev:
            self._power = step / 1e6 / (t - self._t_prev)
        self._t_prev = t
        return Reading(
            self.component,
            self.backend,
            Basis.MEASURED,
            self._total_uj / 1e6,
            self._power,
            {"packages": float(len(self.zones))},
            note="RAPL package counters: whole CPU package(s), all processes on them",
        )


def cpu_tdp_energy_joules(cpu_seconds: float, tdp_watts: float, logical_cpus: int) -> float:
    """Estimated CPU energy, J = TDP × (CPU-seconds / logical CPUs): the job's share of a fully busy package.

    The same share-of-TDP model as Green Algorithms (Lannelongue et al. 2021, Adv. Sci. 8:2100707).
    """
    return tdp_watts * cpu_seconds / max(1, logical_cpus)


class CpuTdpSampler(Sampler):
    """CPU energy estimated from the tracked tree's CPU time and a package TDP (labelled estimated)."""

    component = "cpu"
    backend = "cpu-tdp"

    def __init__(
        self,
        process: ProcessTreeSampler,
        tdp_watts: float,
        tdp_source: str,
        logical_cpus: int | None = None,
        reason: str = "",
        share_cpus: int | None = None,
        share_note: str = "",
    ):
        self.process = process
        self.tdp_watts = float(check_number("cpu_tdp_watts", tdp_watts, RUN_NUMBERS["cpu_tdp_watts"]))
        self.tdp_source = tdp_source
        self.logical_cpus = logical_cpus or os.cpu_count() or 1
        self.share_cpus = share_cpus or self.logical_cpus  # logical CPUs one TDP is shared by
        self.share_note = share_note or f"{self.logical_cpus} logical CPUs"
        self.reason = reason
        self.assumptions = (
            Assumption(
                "cpu_tdp_watts",
                self.tdp_watts,
                "W",
                tdp_source,
                Basis.GIVEN if tdp_source == "given" else Basis.ASSUMED,
            ),
        )
        self._e_prev = 0.0
        self._t_prev: float | None = None

    def start(self, t: float) -> None:
        self._e_prev, self._t_prev = 0.0, t

    def read(self, t: float) -> Reading:
        energy = cpu_tdp_energy_joules(self.process.cpu_seconds, self.tdp_watts, self.share_cpus)
        power = None
        if self._t_prev is not None and t > self._t_prev:
            power = (energy - self._e_prev) / (t - self._t_prev)
        self._e_prev, self._t_prev = energy, t
        note = f"CPU-seconds × {self.tdp_watts:g} W TDP / {self.share_note} (TDP: {self.tdp_source})"
        if self.reason:
            note += f"; RAPL not used: {self.reason}"
        return Reading(
            self.component,
            self.backend,
            Basis.ESTIMATED,
            energy,
            power,
            {
                "tdp_watts": self.tdp_watts,
                "logical_cpus": float(self.logical_cpus),
                "share_cpus": float(self.share_cpus),
            },
            note=note,
        )


def cpu_energy_sampler(
    process: ProcessTreeSampler,
    *,
    tdp_watts: float | None = None,
    rapl_root: Path = RAPL_ROOT,
    use_rapl: bool = True,
    cpuinfo: Path | str | None = None,
) -> Sampler:
    """RAPL when its counters are readable, else CPU time × TDP (estimated), with the reason recorded.

    The TDP: ``tdp_watts`` when given; else the processor model's row of ``data/hardware/cpu_tdp.csv``
    (``model name`` of ``/proc/cpuinfo``, or ``cpuinfo``: a path or its text), shared per logical CPU of one
    package (cores × this host's threads per core); else :data:`DEFAULT_CPU_TDP_WATTS` over the host's CPUs.
    """
    reason = "disabled"
    if use_rapl:
        zones = rapl_package_zones(rapl_root)
        if not zones:
            reason = f"no powercap RAPL zones under {rapl_root}"
        else:
            try:
                return RaplSampler(zones)
            except (OSError, ValueError) as exc:
                reason = f"RAPL counters unreadable ({type(exc).__name__}: {exc})"
    if tdp_watts is not None:
        return CpuTdpSampler(process, tdp_watts, "given", reason=reason)
    host = host_cpu(cpuinfo)
    known = match_cpu(host.model_name) if host is not None else None
    if host is None or known is None:
        seen = f"; processor {host.model_name!r} is not in flopcast's CPU table" if host is not None else ""
        return CpuTdpSampler(process, DEFAULT_CPU_TDP_WATTS, DEFAULT_CPU_TDP_SOURCE + seen, reason=reason)
    share = known.cores * host.threads_per_core
    return CpuTdpSampler(
        process,
        known.tdp_watts,
        f"{known.name} (/proc/cpuinfo {host.model_name!r}): {known.source}",
        reason=reason,
        share_cpus=share,
        share_note=f"({known.cores} cores × {host.threads_per_core} threads per core of one package)",
    )


# ---------------------------------------------------------------------------------------------
# RAM: resident memory × W/GB (estimated)
# ---------------------------------------------------------------------------------------------


class RamSampler(Sampler):
    """Memory energy estimated from the tracked tree's resident memory: W/GB × RSS GB, integrated over the
    samples (trapezoid). Labelled estimated; the figure's source is in the note and the assumptions."""

    component = "ram"
    backend = "ram-estimate"

    def __init__(self, process: ProcessTreeSampler, watts_per_gb: float | None = None, source: str = ""):
        if watts_per_gb is None:
            watts_per_gb, source = ram_watts_per_gb()
        self.process, self.watts_per_gb, self.source = process, float(watts_per_gb), source
        self.assumptions = (Assumption("ram_watts_per_gb", self.watts_per_gb, "W/GB", source, Basis.ASSUMED),)
        self._e = 0.0
        self._t_prev: float | None = None
        self._gb_prev = 0.0

    def start(self, t: float) -> None:
        self._e, self._t_prev, self._gb_prev = 0.0, t, self.process.rss_bytes / BYTES_PER_GIB

    def read(self, t: float) -> Reading:
        gb = self.process.rss_bytes / BYTES_PER_GIB
        if self._t_prev is not None and t > self._t_prev:
            self._e += self.watts_per_gb * (self._gb_prev + gb) / 2 * (t - self._t_prev)
        self._t_prev, self._gb_prev = t, gb
        return Reading(
            self.component,
            self.backend,
            Basis.ESTIMATED,
            self._e,
            self.watts_per_gb * gb,
            {"rss_bytes": gb * BYTES_PER_GIB, "watts_per_gb": self.watts_per_gb},
            note=f"resident memory of the tracked processes × {self.watts_per_gb:g} W/GB ({self.source})",
        )
