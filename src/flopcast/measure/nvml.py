"""NVIDIA GPU sampler through nvidia-ml-py (``import pynvml``), limited to the devices the job can see.

Energy per physical GPU comes from the cumulative counter ``nvmlDeviceGetTotalEnergyConsumption``
(mJ since the driver loaded; Volta and newer) — labelled *measured* — else from power readings
(``nvmlDeviceGetPowerUsage``, mW) integrated over time with the trapezoid rule — labelled *estimated*,
because the power between two samples is interpolated. A MIG instance gets its parent GPU's energy
times its share of the parent's memory (NVML has no per-instance power), labelled *estimated*.

Visibility follows CUDA's ``CUDA_VISIBLE_DEVICES``: indices, ``GPU-<uuid>`` prefixes, ``MIG-<uuid>``;
enumeration stops at the first entry that matches nothing, as CUDA's does.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flopcast.measure.samplers import Reading, Sampler, UnavailableSampler
from flopcast.provenance import Basis


@dataclass
class _Device:
    handle: Any  # the handle whose utilisation/memory we read (MIG handle for MIG)
    physical: Any  # the physical GPU's handle, whose energy/power we read
    key: str  # physical GPU UUID (dedupes MIG instances of one GPU)
    name: str
    share: float = 1.0  # fraction of the physical GPU attributed to the job
    mig: bool = False


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _try(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:  # any NVMLError: the metric is just not reported
        return None


def visible_devices(nvml: Any, cuda_visible_devices: str | None) -> tuple[list[_Device], list[str]]:
    """The devices a CUDA job with this ``CUDA_VISIBLE_DEVICES`` sees, as NVML handles, and notes.

    ``None`` (unset) means every GPU; ``""``/``-1``/``NoDevFiles`` means none. Integer indices are read
    in NVML (PCI bus) order, which equals CUDA's only under ``CUDA_DEVICE_ORDER=PCI_BUS_ID``.
    """
    count = nvml.nvmlDeviceGetCount()
    gpus = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
    uuids = [_text(nvml.nvmlDeviceGetUUID(h)) for h in gpus]
    names = [_text(nvml.nvmlDeviceGetName(h)) for h in gpus]
    notes: list[str] = []

    def whole(i: int) -> _Device:
        return _Device(gpus[i], gpus[i], uuids[i], names[i])

    if cuda_visible_devices is None:
        return [whole(i) for i in range(count)], notes
    out: list[_Device] = []
    for token in (t.strip() for t in cuda_visible_devices.split(",")):
        dev = _match(nvml, token, gpus, uuids, names)
        if dev is None:
            if token not in ("", "-1", "NoDevFiles"):
                notes.append(f"CUDA_VISIBLE_DEVICES entry {token!r} matches no GPU; later entries ignored (as CUDA)")
            break
        out.append(dev)
    return out, notes


def _match(nvml: Any, token: str, gpus: list, uuids: list[str], names: list[str]) -> _Device | None:
    if token.isdigit():
        i = int(token)
        return _Device(gpus[i], gpus[i], uuids[i], names[i]) if i < len(gpus) else None
    if token.startswith("GPU-"):
        hits = [i for i, u in enumerate(uuids) if u.startswith(token)]
        return _Device(gpus[hits[0]], gpus[hits[0]], uuids[hits[0]], names[hits[0]]) if len(hits) == 1 else None
    if token.startswith("MIG-"):
        for i, g in enumerate(gpus):
            n = _try(nvml.nvmlDeviceGetMaxMigDeviceCount, g) or 0
            for j in range(n):
                m = _try(nvml.nvmlDeviceGetMigDeviceHandleByIndex, g, j)
                if m is None:
                    continue
                if _text(nvml.nvmlDeviceGetUUID(m)).startswith(token):
                    mem_m = _try(nvml.nvmlDeviceGetMemoryInfo, m)
                    mem_g = _try(nvml.nvmlDeviceGetMemoryInfo, g)
                    share = mem_m.total / mem_g.total if mem_m and mem_g and mem_g.total else 1.0
                    return _Device(m, g, uuids[i], names[i] + " (MIG)", share=share, mig=True)
    return None


class NvmlSampler(Sampler):
    """Energy, power, utilisation, memory and SM clock of the visible NVIDIA GPUs."""

    component = "gpu"
    backend = "nvml"

    def __init__(self, nvml: Any, devices: list[_Device], notes: list[str]):
        self.nvml = nvml
        self.notes = notes
        # one entry per physical GPU; MIG instances of the same GPU add their shares
        self._phys: dict[str, _Device] = {}
        for d in devices:
            if d.key in self._phys:
                self._phys[d.key].share = min(1.0, self._phys[d.key].share + d.share)
            else:
                self._phys[d.key] = _Device(d.handle, d.physical, d.key, d.name, d.share, d.mig)
        self.devices = devices
        self.names = [d.name for d in devices]
        self._counter = {
            k: _try(nvml.nvmlDeviceGetTotalEnergyConsumption, d.physical) is not None for k, d in self._phys.items()
        }
        self._base: dict[str, float] = {}
        self._energy: dict[str, float] = {}
        self._last_power: dict[str, float | None] = {}
        self._t_prev: float | None = None
        self._closed = False

    @property
    def tdp_watts(self) -> float | None:
        """Sum of the visible GPUs' enforced power limits, W (a TDP stand-in), when NVML reports them."""
        limits = [_try(self.nvml.nvmlDeviceGetEnforcedPowerLimit, d.physical) for d in self._phys.values()]
        return sum(x / 1000.0 for x in limits) if limits and all(x is not None for x in limits) else None

    def start(self, t: float) -> None:
        for k, d in self._phys.items():
            if self._counter[k]:
                self._base[k] = float(self.nvml.nvmlDeviceGetTotalEnergyConsumption(d.physical))
            self._energy[k] = 0.0
            p = _try(self.nvml.nvmlDeviceGetPowerUsage, d.physical)
            self._last_power[k] = None if p is None else p / 1000.0
        self._t_prev = t

    def read(self, t: float) -> Reading:
        dt = 0.0 if self._t_prev is None else max(0.0, t - self._t_prev)
        power_total = 0.0
        power_known = True
        for k, d in self._phys.items():
            p_mw = _try(self.nvml.nvmlDeviceGetPowerUsage, d.physical)
            p = None if p_mw is None else p_mw / 1000.0
            if self._counter[k]:
                now = float(self.nvml.nvmlDeviceGetTotalEnergyConsumption(d.physical))
                self._energy[k] = (now - self._base[k]) / 1000.0  # mJ -> J
            elif p is not None:
                prev = self._last_power[k] if self._last_power[k] is not None else p
                self._energy[k] += 0.5 * (prev + p) * dt  # trapezoid rule
            self._last_power[k] = p
            if p is None:
                power_known = False
            else:
                power_total += p * d.share
        self._t_prev = t
        energy = sum(self._energy[k] * d.share for k, d in self._phys.items())
        all_counter = all(self._counter.values())
        any_mig = any(d.mig for d in self._phys.values())
        basis = Basis.MEASURED if all_counter and not any_mig else Basis.ESTIMATED
        return Reading(
            self.component,
            self.backend,
            basis,
            energy,
            power_total if power_known else None,
            self._metrics(),
            note=self._note(all_counter, any_mig),
        )

    def _metrics(self) -> Mapping[str, float]:
        util, mem, clock = [], 0.0, []
        for d in self.devices:
            u = _try(self.nvml.nvmlDeviceGetUtilizationRates, d.handle)
            if u is not None:
                util.append(float(u.gpu))
            m = _try(self.nvml.nvmlDeviceGetMemoryInfo, d.handle)
            if m is not None:
                mem += float(m.used)
            c = _try(self.nvml.nvmlDeviceGetClockInfo, d.physical, getattr(self.nvml, "NVML_CLOCK_SM", 1))
            if c is not None:
                clock.append(float(c))
        out = {"gpus": float(len(self.devices)), "gpu_memory_used_bytes": mem}
        if util:
            out["gpu_util_percent"] = sum(util) / len(util)
        if clock:
            out["gpu_sm_clock_mhz"] = sum(clock) / len(clock)
        return out

    def _note(self, all_counter: bool, any_mig: bool) -> str:
        parts = [", ".join(self.names)]
        parts.append(
            "energy counter (nvmlDeviceGetTotalEnergyConsumption)"
            if all_counter
            else "power × time (trapezoid over samples) where no energy counter"
        )
        if any_mig:
            parts.append("MIG: parent GPU energy × the instance's share of its memory")
        return "; ".join(parts + self.notes)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _try(self.nvml.nvmlShutdown)


def gpu_sampler(cuda_visible_devices: str | None) -> Sampler:
    """An :class:`NvmlSampler` for the visible GPUs, or an :class:`UnavailableSampler` saying why not."""
    try:
        nvml = importlib.import_module("pynvml")
    except ImportError:
        return UnavailableSampler("gpu", "nvml", "nvidia-ml-py not installed (pip install 'flopcast[nvidia]')")
    try:
        nvml.nvmlInit()
    except Exception as exc:
        return UnavailableSampler("gpu", "nvml", f"NVML not usable: {exc} (no NVIDIA driver/GPU)")
    try:
        devices, notes = visible_devices(nvml, cuda_visible_devices)
    except Exception as exc:
        _try(nvml.nvmlShutdown)
        return UnavailableSampler("gpu", "nvml", f"NVML device enumeration failed: {exc}")
    if not devices:
        _try(nvml.nvmlShutdown)
        why = "; ".join(notes) or "no GPU visible to the job"
        return UnavailableSampler("gpu", "nvml", f"{why} (CUDA_VISIBLE_DEVICES={cuda_visible_devices!r})")
    return NvmlSampler(nvml, devices, notes)
