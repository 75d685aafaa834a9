"""A stand-in for the ``pynvml`` module (nvidia-ml-py) that replays device responses tick by tick.

The responses in ``nvml_responses.json`` have the types and units nvidia-ml-py returns (mJ, mW,
bytes, MHz, percent, ``bytes``/``str`` names). Their values are typical of the named boards under
load; they were written for these tests, not captured from a device (no GPU on the CI box).
"""

from __future__ import annotations

import json
import types
from pathlib import Path

HERE = Path(__file__).parent


class NVMLError(Exception):
    pass


class NVMLError_NotSupported(NVMLError):
    pass


class NVMLError_LibraryNotFound(NVMLError):
    pass


def load(name: str = "nvml_responses.json") -> dict:
    return json.loads((HERE / name).read_text())


def make(spec: dict, *, init_error: bool = False) -> types.ModuleType:
    """A module object with the pynvml functions the sampler uses; ``mod.tick`` selects the response."""
    mod = types.ModuleType("pynvml")
    mod.tick = 0
    mod.calls = []
    mod.NVMLError = NVMLError
    mod.NVMLError_NotSupported = NVMLError_NotSupported
    mod.NVML_CLOCK_SM = 1
    gpus = [dict(d, kind="gpu", index=i) for i, d in enumerate(spec["devices"])]
    migs = {}
    for g in gpus:
        g["migs"] = [dict(m, kind="mig", parent=g) for m in g.get("mig", [])]
        for m in g["migs"]:
            migs[m["uuid"]] = m

    def at(dev, key):
        seq = dev[key]
        if seq is None:
            raise NVMLError_NotSupported("Not Supported")
        return seq[min(mod.tick, len(seq) - 1)] if isinstance(seq, list) else seq

    def init():
        mod.calls.append("init")
        if init_error:
            raise NVMLError_LibraryNotFound("NVML Shared Library Not Found")

    mod.nvmlInit = init
    mod.nvmlShutdown = lambda: mod.calls.append("shutdown")
    mod.nvmlDeviceGetCount = lambda: len(gpus)
    mod.nvmlDeviceGetHandleByIndex = lambda i: gpus[i]
    mod.nvmlDeviceGetUUID = lambda h: h["uuid"]
    mod.nvmlDeviceGetName = lambda h: h["name"].encode()  # older nvidia-ml-py returns bytes
    mod.nvmlDeviceGetTotalEnergyConsumption = lambda h: at(h, "energy_mj")
    mod.nvmlDeviceGetPowerUsage = lambda h: at(h, "power_mw")
    mod.nvmlDeviceGetEnforcedPowerLimit = lambda h: at(h, "power_limit_mw")
    mod.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=at(h, "util_percent"), memory=0)
    mod.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(
        used=at(h, "mem_used_bytes"),
        total=at(h, "mem_total_bytes"),
        free=at(h, "mem_total_bytes") - at(h, "mem_used_bytes"),
    )
    mod.nvmlDeviceGetClockInfo = lambda h, kind: at(h, "sm_clock_mhz")
    mod.nvmlDeviceGetMaxMigDeviceCount = lambda h: len(h.get("migs", []))
    mod.nvmlDeviceGetMigDeviceHandleByIndex = lambda h, j: h["migs"][j]
    return mod
