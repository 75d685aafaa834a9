"""One accelerator's figures (:class:`Accelerator`) and the precisions they are given in.

The one type both catalogue readers build: the datasheet table (:mod:`flopcast.hardware._datasheet`)
and Epoch AI's chip table (:mod:`flopcast.hardware._epoch`); :mod:`flopcast.hardware.accelerators`
merges them. Imports nothing else of :mod:`flopcast.hardware`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flopcast._names import normalize
from flopcast.errors import InputError
from flopcast.units import BYTES_PER_VALUE as BYTES_PER_VALUE  # one owner (units); count reads it too
from flopcast.units import PRECISION_SPELLINGS

PRECISIONS = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8")

EPOCH_SOURCE = "Epoch AI chip table (CC BY 4.0), data/epoch/chips.csv"
ACCELERATOR_SCHEMA = "flopcast.accelerator/1"


class PrecisionUnavailableError(InputError):
    """The accelerator has no published dense peak for the requested precision."""


@dataclass(frozen=True)
class Accelerator:
    """One accelerator with its DENSE peak rates (sparse figures never stand in for dense).

    Attributes
    ----------
    name : canonical display name (``"H100 SXM5 80GB"``, ``"NVIDIA GeForce GTX 580"``).
    vendor : manufacturer.
    year : release year, or ``None``.
    peak_flop_per_s : dense peak in FLOP/s (OP/s for int8) per precision key
        (``fp64, fp32, tf32, bf16, fp16, fp8, int8``).
    memory_bytes : on-board memory in bytes (decimal GB x 1e9), or ``None``.
    memory_bandwidth_bytes_per_s : memory bandwidth in bytes/s, or ``None``.
    tdp_watts : thermal design power (board power limit) in W, or ``None`` where none is published.
    measured_mean_watts, measured_max_watts : MEASURED board power in use (Google publishes these for
        TPUs instead of a TDP), or ``None``. Already a mean during work: no power fraction applies to it.
    source : where the figures come from.
    tensor_precisions : precisions whose peak is a tensor/matrix-unit rate.
    aliases : other names that resolve to this accelerator.
    notes : caveats carried from the data (e.g. how sparse figures were halved).
    origin : which table the row comes from: ``"datasheet"`` (the curated, cited datasheet table
        ``data/hardware/accelerator_specs.csv``, Epoch's figures folded in) or ``"epoch"`` (Epoch AI's chip
        table only).
    """

    name: str
    vendor: str
    year: int | None
    peak_flop_per_s: Mapping[str, float]
    memory_bytes: float | None
    memory_bandwidth_bytes_per_s: float | None
    tdp_watts: float | None
    source: str
    tensor_precisions: frozenset[str] = field(default_factory=frozenset)
    aliases: tuple[str, ...] = ()
    notes: str = ""
    measured_mean_watts: float | None = None
    measured_max_watts: float | None = None
    origin: str = "epoch"

    def peak(self, precision: str) -> float:
        """Dense peak rate in FLOP/s for ``precision``; :class:`PrecisionUnavailableError` if unknown."""
        key = normalize_precision(precision, self)
        value = self.peak_flop_per_s.get(key)
        if value is None:
            have = ", ".join(p for p in PRECISIONS if p in self.peak_flop_per_s) or "none"
            raise PrecisionUnavailableError(
                f"{self.name} has no published dense {key} peak; available: {have} (choose one with --precision)"
            )
        return value

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": ACCELERATOR_SCHEMA,
            "name": self.name,
            "vendor": self.vendor,
            "year": self.year,
            "peak_flop_per_s": {p: self.peak_flop_per_s[p] for p in PRECISIONS if p in self.peak_flop_per_s},
            "tensor_precisions": sorted(self.tensor_precisions),
            "memory_bytes": self.memory_bytes,
            "memory_bandwidth_bytes_per_s": self.memory_bandwidth_bytes_per_s,
            "tdp_watts": self.tdp_watts,
            "measured_mean_watts": self.measured_mean_watts,
            "measured_max_watts": self.measured_max_watts,
            "default_training_precision": default_training_precision(self),
            "source": self.source,
            "aliases": list(self.aliases),
            "notes": self.notes,
            "origin": self.origin,
        }


#: Spellings of mixed precision (fp16/bf16 compute, fp32 master weights; Micikevicius et al. 2018,
#: arXiv:1710.03740): not one format but the chip's 16-bit tensor rate, resolved by :func:`mixed_precision`.
MIXED_NAMES = frozenset({"mixed", "amp", "mixedprecision"})


def normalize_precision(precision: str, acc: Accelerator | None = None) -> str:
    """``"BF16"``, ``"bfloat16"`` -> ``"bf16"``; ``"mixed"`` -> ``acc``'s :func:`mixed_precision` (fp16
    without a chip); :class:`InputError` for an unknown precision."""
    key = normalize(precision)
    if key in MIXED_NAMES:
        return mixed_precision(acc) if acc is not None else "fp16"
    key = PRECISION_SPELLINGS.get(key, key)
    if key not in PRECISIONS:
        raise InputError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    return key


def default_training_precision(acc: Accelerator) -> str:
    """The precision a training run on ``acc`` would have used.

    The bf16 tensor rate where the chip has one, else an fp16 tensor/matrix rate (V100, T4),
    else fp32 (pre-2017 GPUs trained in fp32; their fp16 vector rate is not what was used).
    An inference-only part with no float rate falls back to its best listed precision.
    """
    peaks = acc.peak_flop_per_s
    if "bf16" in peaks and "bf16" in acc.tensor_precisions:
        return "bf16"
    if "fp16" in peaks and "fp16" in acc.tensor_precisions:
        return "fp16"
    if "fp32" in peaks:
        return "fp32"
    for p in ("bf16", "fp16", "tf32", "fp8", "int8", "fp64"):
        if p in peaks:
            return p
    raise PrecisionUnavailableError(f"{acc.name} lists no peak rate at all")


def mixed_precision(acc: Accelerator) -> str:
    """Mixed precision runs at the chip's fp16/bf16 tensor rate (its default training precision when that is
    16-bit); a chip without a 16-bit tensor rate ran it at fp32 (its fp16 vector rate was not what was used)."""
    prec = default_training_precision(acc)
    return prec if prec in ("fp16", "bf16") else "fp32"


def half_precisions(vendor: str, year: int | None, notes: str, name: str) -> tuple[str, ...]:
    """Which 16-bit formats a "FP16/BF16 tensor" figure applies to.

    Volta and Turing tensor cores (V100, T4) have FP16 but no BF16 (NVIDIA V100/T4 datasheets);
    Google TPUs compute in bfloat16 (Google Cloud TPU docs); Ampere and later, and AMD CDNA2+, do both.
    """
    text = (name + " " + notes).lower()
    if vendor.lower() == "google" or "tpu" in text:
        return ("bf16",)
    if "no bf16" in text or (vendor.lower() == "nvidia" and year is not None and year < 2020):
        return ("fp16",)
    return ("bf16", "fp16")
