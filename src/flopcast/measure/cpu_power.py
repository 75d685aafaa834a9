"""CPU and RAM power when there is no counter: a package TDP by processor model, and a W/GB figure for memory.

* The processor model is the ``model name`` of ``/proc/cpuinfo``; :func:`match_cpu` finds its row in
  ``data/hardware/cpu_tdp.csv`` (vendor TDPs, Intel ARK / AMD specifications, cited per row) by the model's
  words (``xeon platinum 8380``, ``epyc 7763``) as a whole-word run, the longest row that matches winning.
  Cost: O(rows × words) per lookup, once per run.
* A matched package's power is shared per logical CPU: TDP / (cores × threads per core on this host), so a
  job keeping one logical CPU busy for a second is charged that share, on one socket or many and in a VM
  that sees a few vCPUs of a big package. Labelled *estimated* (TDP × utilisation, Green Algorithms' model).
* RAM: ``data/hardware/ram_power.csv`` (0.375 W per GB, codecarbon v2's figure), times the tracked process
  tree's resident memory, integrated over time; labelled *estimated*.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from flopcast import data

CPUINFO = Path("/proc/cpuinfo")
CPU_TABLE = "hardware/cpu_tdp.csv"
RAM_TABLE = "hardware/ram_power.csv"
_NOISE = re.compile(r"\((?:r|tm)\)|[®™]|@.*$|\b\d+(?:th|st|nd|rd) gen\b|\b\d+-core\b|\b(?:cpu|processor|intel|amd)\b")


@dataclass(frozen=True)
class CpuPower:
    """A processor model's package TDP, its cores, and where the figure comes from."""

    name: str
    tdp_watts: float
    cores: int
    source: str
    match_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class HostCpu:
    """What ``/proc/cpuinfo`` says: the first processor's ``model name`` and its threads per core."""

    model_name: str
    threads_per_core: int


def words(model_name: str) -> list[str]:
    """A model name's words, lowercase, without trademarks, clock, core count or vendor:
    ``'Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz'`` -> ``['xeon', 'platinum', '8380']``."""
    return _NOISE.sub(" ", model_name.lower()).split()


def read_cpuinfo(text: str) -> HostCpu | None:
    """The first processor block's ``model name`` and ``siblings / cpu cores`` (1 when absent); ``None``
    without a model name (ARM kernels, containers that hide it)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    name = fields.get("model name", "")
    if not name:
        return None
    try:
        tpc = max(1, int(fields.get("siblings", "0")) // max(1, int(fields.get("cpu cores", "0"))))
    except ValueError:
        tpc = 1
    return HostCpu(name, tpc if fields.get("siblings") and fields.get("cpu cores") else 1)


def cpu_table() -> tuple[CpuPower, ...]:
    """The bundled rows of ``data/hardware/cpu_tdp.csv``."""
    rows = data.bundled(CPU_TABLE, ("name", "match", "tdp_watts", "cores", "source"))
    return tuple(
        CpuPower(
            r.get("name"),
            r.number("tdp_watts", required=True, positive=True),
            int(r.number("cores", required=True, positive=True)),
            r.get("source"),
            tuple(r.get("match").lower().split()),
        )
        for r in rows
    )


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def match_cpu(model_name: str) -> CpuPower | None:
    """The table row whose model words appear, as a whole-word run, in ``model_name``; the longest such
    row (``epyc 7763`` matches ``AMD EPYC 7763 64-Core Processor`` and not ``... 7763X``); else ``None``."""
    have = words(model_name)
    best: CpuPower | None = None
    for row in cpu_table():
        need = list(row.match_words)
        if need and _contains(have, need) and (best is None or len(need) > len(best.match_words)):
            best = row
    return best


def host_cpu(cpuinfo: Path | str | None = None) -> HostCpu | None:
    """This machine's processor from ``/proc/cpuinfo`` (or the text given; a path is read); ``None``
    when it cannot be read or names no model.

    The one reader of ``/proc/cpuinfo``: the run's ``cpu_model`` (:mod:`flopcast.measure.host`) and the CPU power
    table's lookup (:func:`flopcast.measure.samplers.cpu_energy_sampler`) both ask here, and the file is read once
    per process (the processor does not change under a running process; a path given is read each time)."""
    if cpuinfo is None:
        return _this_host_cpu(CPUINFO)
    if isinstance(cpuinfo, Path):
        return _read_host_cpu(cpuinfo)
    return read_cpuinfo(cpuinfo)


@functools.cache
def _this_host_cpu(path: Path) -> HostCpu | None:
    """:func:`_read_host_cpu` of this machine's cpuinfo, once per process (per path, so a test can point
    :data:`CPUINFO` elsewhere)."""
    return _read_host_cpu(path)


def _read_host_cpu(path: Path) -> HostCpu | None:
    try:
        return read_cpuinfo(path.read_text(errors="replace"))
    except OSError:
        return None


def ram_watts_per_gb() -> tuple[float, str]:
    """RAM power per GB (2^30 bytes) of resident memory and its source (``data/hardware/ram_power.csv``)."""
    (row,) = data.bundled(RAM_TABLE, ("watts_per_gb", "source"))
    return row.number("watts_per_gb", required=True, positive=True), row.get("source")
