"""The machine a run ran on, read once at run start: CPU model, total RAM, OS and Python version.

These are codecarbon's ``cpu_model``, ``ram_total_size``, ``os`` and ``python_version`` columns (issue 14). Each
is cheap (``/proc/cpuinfo`` through :func:`flopcast.measure.cpu_power.host_cpu`, which reads it once per process
for this and the CPU power table alike, one ``psutil.virtual_memory()``, :mod:`platform`'s cached strings, about
2 ms in all) and needs no new dependency; one that cannot be read is ``None`` (unavailable), never guessed.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from typing import Any

from flopcast.measure.cpu_power import host_cpu

CPU_MODEL_SOURCE = "model name of /proc/cpuinfo (the CPU power table's lookup key, measure.cpu_power)"
RAM_TOTAL_SOURCE = "psutil.virtual_memory().total at run start (the machine's RAM, not the run's peak RSS)"
OS_SOURCE = "platform.platform() of the tracking process at run start"
PYTHON_SOURCE = "platform.python_version() of the tracking process (under track -- CMD: flopcast's, not the command's)"


@dataclass(frozen=True)
class HostFacts:
    """What the machine is; ``None``: could not be read."""

    cpu_model: str | None = None
    ram_total_bytes: int | None = None
    os: str | None = None
    python_version: str | None = None

    def fields(self) -> dict[str, Any]:
        """The record's fields (:class:`~flopcast.measure.record.RunRecord` has one per attribute)."""
        return dict(self.__dict__)


def _ram_total_bytes() -> int | None:
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except Exception:  # psutil unusable here (a sandbox without /proc/meminfo): unavailable, not 0
        return None


def host_facts() -> HostFacts:
    """This machine, now (the processor as first read in this process). O(size of /proc/cpuinfo) the first time."""
    cpu = host_cpu()
    return HostFacts(
        cpu_model=cpu.model_name if cpu is not None else None,
        ram_total_bytes=_ram_total_bytes(),
        os=platform.platform() or None,
        python_version=platform.python_version() or None,
    )
