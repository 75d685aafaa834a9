"""The curated datasheet table (``data/hardware/accelerator_specs.csv``) as :class:`Accelerator` rows.

DENSE peaks from vendor datasheets (the CSV halves the sparse figures NVIDIA and AMD quote; its
``notes`` say so per row), each row citing its datasheet.
"""

from __future__ import annotations

from types import MappingProxyType

from flopcast.data import bundled
from flopcast.hardware.spec import Accelerator, half_precisions

_TF = 1e12
_CURATED_COLUMNS = (
    "accelerator",
    "variant",
    "vendor",
    "release_year",
    "fp32_tflops",
    "tf32_tensor_tflops_dense",
    "fp16_bf16_tensor_tflops_dense",
    "fp8_tensor_tflops_dense",
    "int8_tops_dense",
    "memory_gb",
    "memory_bw_gb_s",
    "tdp_w",
    "measured_mean_w",
    "measured_max_w",
    "source",
)
# Display names where "<accelerator> <variant>" reads badly.
_DISPLAY = {
    ("TPU v4", "chip"): "TPU v4",
    ("TPU v5e", "chip"): "TPU v5e",
    ("TPU v5p", "chip"): "TPU v5p",
    ("B200", "HGX B200 per GPU"): "B200 HGX 180GB",
    ("RTX 4090", "GeForce 24GB"): "GeForce RTX 4090 24GB",
    ("MI250X", "OAM 128GB"): "MI250X OAM 128GB",
    ("MI300X", "OAM 192GB"): "MI300X OAM 192GB",
}


def load() -> list[Accelerator]:
    """Every row of ``data/hardware/accelerator_specs.csv`` as an :class:`Accelerator` (dense peaks)."""
    rows = bundled("hardware/accelerator_specs.csv", _CURATED_COLUMNS)
    out = []
    for row in rows:
        acc, variant, vendor = row.get("accelerator"), row.get("variant"), row.get("vendor")
        year = row.number("release_year")
        notes = row.get("notes")
        name = _DISPLAY.get((acc, variant), f"{acc} {variant}".strip())
        peaks: dict[str, float] = {}
        tensor: set[str] = set()
        if (v := row.number("fp32_tflops", positive=True)) is not None:
            peaks["fp32"] = v * _TF
        half = half_precisions(vendor, int(year) if year else None, notes, name)
        for col, keys in (
            ("tf32_tensor_tflops_dense", ("tf32",)),
            ("fp16_bf16_tensor_tflops_dense", half),
            ("fp8_tensor_tflops_dense", ("fp8",)),
            ("int8_tops_dense", ("int8",)),
        ):
            if (v := row.number(col, positive=True)) is not None:
                for k in keys:
                    peaks[k] = v * _TF
                    tensor.add(k)
        mem = row.number("memory_gb", positive=True)
        bw = row.number("memory_bw_gb_s", positive=True)
        out.append(
            Accelerator(
                name=name,
                vendor=vendor,
                year=int(year) if year else None,
                peak_flop_per_s=MappingProxyType(peaks),
                memory_bytes=mem * 1e9 if mem else None,
                memory_bandwidth_bytes_per_s=bw * 1e9 if bw else None,
                tdp_watts=row.number("tdp_w", positive=True),
                source=row.get("source") + " (data/hardware/accelerator_specs.csv)",
                tensor_precisions=frozenset(tensor),
                notes=notes,
                measured_mean_watts=row.number("measured_mean_w", positive=True),
                measured_max_watts=row.number("measured_max_w", positive=True),
                origin="datasheet",
            )
        )
    return out
