"""Epoch AI's chip table (``data/epoch/chips.csv``, CC BY 4.0) as :class:`Accelerator` rows.

Also holds the two hand-made tables that tie names together, each entry with its basis:
``SAME_PART`` (Epoch rows that describe a curated datasheet part) and ``ALIASES`` (names used by
the benchmark tables, Epoch's ``ml_systems.csv`` and the price table that are not chip-table names).
"""

from __future__ import annotations

import re
from types import MappingProxyType

from flopcast.data import bundled
from flopcast.hardware.spec import EPOCH_SOURCE, Accelerator, half_precisions

_COLUMNS = {
    "fp64": "FP64 (double precision) performance (FLOP/s)",
    "fp32": "FP32 (single precision) performance (FLOP/s)",
    "fp16_vector": "FP16 (half precision) performance (FLOP/s)",
    "tf32": "TF32 (TensorFloat-32) performance (FLOP/s)",
    "tensor16": "Tensor-FP16/BF16 performance (FLOP/s)",
    "int8": "INT8 performance (OP/s)",
    "fp8": "FP8 performance (FLOP/s)",
}

# Epoch row -> curated datasheet row for the same part (same silicon, same memory where Epoch states it).
SAME_PART = {
    "NVIDIA V100": "V100 SXM2 16/32GB",  # 300 W, 125 TFLOPS tensor: the SXM2 part (Epoch row gives no memory)
    "NVIDIA Tesla V100 SXM2": "V100 SXM2 16/32GB",
    "NVIDIA Tesla V100 SXM2 32 GB": "V100 SXM2 16/32GB",
    "NVIDIA Tesla V100 PCIe 32 GB": "V100 PCIe 16/32GB",
    "NVIDIA A100": "A100 SXM4 40GB",  # 400 W, 40 GB, 1.56 TB/s: the SXM4 40GB part
    "NVIDIA A100 SXM4 40 GB": "A100 SXM4 40GB",
    "NVIDIA A100 SXM4 80 GB": "A100 SXM4 80GB",
    "NVIDIA H100 SXM5 80GB": "H100 SXM5 80GB",
    "NVIDIA H100 PCIe": "H100 PCIe 80GB",
    "NVIDIA H100 NVL": "H100 NVL 94GB",
    "NVIDIA H200 SXM": "H200 SXM 141GB",
    "NVIDIA B200": "B200 HGX 180GB",
    "NVIDIA L4": "L4 PCIe 24GB",
    "NVIDIA A10 PCIe": "A10 PCIe 24GB",  # 24 GB, 150 W: the datasheet row's part
    "NVIDIA RTX A6000": "RTX A6000 48GB",  # 48 GB, 768 GB/s, 300 W
    "NVIDIA L40S": "L40S PCIe 48GB",
    "NVIDIA Tesla T4": "T4 PCIe 16GB",
    "NVIDIA GeForce RTX 4090": "GeForce RTX 4090 24GB",
    "Google TPU v4": "TPU v4",
    "Google TPU v5e": "TPU v5e",
    "Google TPU v5p": "TPU v5p",
    "AMD Radeon Instinct MI250X": "MI250X OAM 128GB",
    "AMD Instinct MI300X": "MI300X OAM 192GB",
}

# Names that are not chip-table names -> the chip-table (or curated) name they denote, with the basis.
ALIASES = {
    # benchmark tables (data/benchmarks/*.csv, train_hardware)
    "NVIDIA Tesla P100 16GB": "NVIDIA Tesla P100 PCIe 16GB",  # the product sold as "P100 16GB" is the PCIe card
    "NVIDIA V100 (Big Basin, NVLink)": "NVIDIA Tesla V100 SXM2 16 GB",  # Facebook Big Basin: 8x SXM2 V100 on NVLink
    "NVIDIA Tesla V100 16GB": "NVIDIA Tesla V100 SXM2 16 GB",  # cloud/DGX-1 V100 16GB are SXM2 (AWS p3 docs)
    "NVIDIA V100 (Volta)": "NVIDIA V100",
    "NVIDIA K40": "NVIDIA Tesla K40c",  # all K40 boards but K40st share 5.05 TFLOPS fp32 / 245 W in Epoch's table
    "NVIDIA K80": "NVIDIA Tesla K80",  # per board (two GK210 dies)
    # Epoch ml_systems.csv "Training hardware" names missing from the chip table
    "Intel A100": "NVIDIA A100",  # a typo in ml_systems.csv: Intel makes no A100
    # names NVML reports (nvidia-smi --query-gpu=name) that are not catalogue names
    "NVIDIA H100 80GB HBM3": "H100 SXM5 80GB",  # NVML's name for the SXM5 part (the PCIe card reports "H100 PCIe")
    "NVIDIA H200 141GB HBM3e": "H200 SXM 141GB",
    # price table (data/hardware/cloud_gpu_prices.csv) names
    "V100 16GB": "NVIDIA Tesla V100 SXM2 16 GB",  # AWS p3.2xlarge: V100 SXM2 16 GB (AWS P3 instance docs)
    "H100 SXM 80GB": "H100 SXM5 80GB",
    "A100 SXM 40GB": "A100 SXM4 40GB",
    "A100 SXM 80GB": "A100 SXM4 80GB",
    "H200 141GB": "H200 SXM 141GB",
    "B200 180GB": "B200 HGX 180GB",
}

# Epoch figures flopcast does not trust as DENSE peaks: (chip, column key) -> reason.
DROPPED = {
    (
        "AMD MI300X (GPU only)",
        "fp16_vector",
    ): "2.4e15 matches neither AMD's dense FP16 (1.307e15) nor its sparse figure (2.615e15) on the MI300X "
    "datasheet; dropped rather than risk a sparse peak standing in for dense"
}


# Epoch "TDP (W)" figures that are Google's MEASURED mean power, not a TDP: (mean W, max W, source).
# Applying a power fraction to a measured mean would count the fraction twice, so these rows get no TDP.
MEASURED_POWER = {
    "Google TPU v3": (
        220.0,
        262.0,
        "Google Cloud TPU v3 docs (cloud.google.com/tpu/docs/v3): measured min/mean/max power 123/220/262 W",
    ),
    "Google TPU v4": (
        170.0,
        192.0,
        "Google Cloud TPU v4 docs (cloud.google.com/tpu/docs/v4): measured min/mean/max power 90/170/192 W",
    ),
}


_MEM_IN_NAME = re.compile(r"\b(\d+)\s?GB\b")


def _year(date: str) -> int | None:
    return int(date[:4]) if len(date) >= 4 and date[:4].isdigit() else None


def _raw_rates(row, name: str) -> dict[str, float]:
    """The row's positive rates by key, less the figures :data:`DROPPED` names for this chip."""
    raw = {}
    for key, col in _COLUMNS.items():
        if (name, key) in DROPPED:
            continue
        v = row.number(col)
        if v is not None and v > 0:
            raw[key] = v
    return raw


def _peaks(raw: dict[str, float], vendor: str, year: int | None, name: str) -> tuple[dict[str, float], set[str]]:
    """Dense peak per precision key and the keys that are tensor/matrix-unit rates."""
    peaks: dict[str, float] = {key: raw[key] for key in ("fp64", "fp32") if key in raw}
    tensor: set[str] = set()
    if "tensor16" in raw:
        for k in half_precisions(vendor, year, "", name):
            peaks[k] = raw["tensor16"]
            tensor.add(k)
    if "fp16" not in peaks and "fp16_vector" in raw:
        peaks["fp16"] = raw["fp16_vector"]
    for key in ("tf32", "fp8", "int8"):
        if key in raw:
            peaks[key] = raw[key]
            tensor.add(key)
    return peaks, tensor


def _optional(row, column: str) -> float | None:
    return row.number(column) if column in row.values else None


def load() -> list[Accelerator]:
    """Every row of the chip table as an :class:`Accelerator` (source: Epoch AI, CC BY 4.0)."""
    rows = bundled("epoch/chips.csv", ("Hardware name", "Manufacturer", "Release date", *_COLUMNS.values()))
    out = []
    for row in rows:
        name = row.get("Hardware name")
        if not name:
            continue
        vendor = row.get("Manufacturer")
        year = _year(row.get("Release date"))
        peaks, tensor = _peaks(_raw_rates(row, name), vendor, year, name)
        if not peaks:
            continue
        mem = _optional(row, "Memory size per board (Byte)")
        bw = _optional(row, "Memory bandwidth (byte/s)")
        tdp = _optional(row, "TDP (W)")
        notes = "; ".join(r for (n, _), r in DROPPED.items() if n == name)
        mean = peak_w = None
        if name in MEASURED_POWER:
            mean, peak_w, basis = MEASURED_POWER[name]
            tdp = None
            notes = (notes + "; " if notes else "") + f"Epoch's TDP {mean:g} W is the measured mean power ({basis})"
        if not mem and (m := _MEM_IN_NAME.search(name)):
            mem = float(m.group(1)) * 1e9  # the part's name states its board memory ("V100 SXM2 16 GB")
            notes = (notes + "; " if notes else "") + "memory taken from the chip's name"
        out.append(
            Accelerator(
                name=name,
                vendor=vendor,
                year=year,
                peak_flop_per_s=MappingProxyType(peaks),
                memory_bytes=mem or None,
                memory_bandwidth_bytes_per_s=bw or None,
                tdp_watts=tdp or None,
                source=f"{EPOCH_SOURCE} row {name!r} (line {row.line})",
                tensor_precisions=frozenset(tensor),
                notes=notes,
                measured_mean_watts=mean,
                measured_max_watts=peak_w,
            )
        )
    return out
