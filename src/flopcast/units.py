"""Unit constants and human-readable formatting (SI prefixes, bytes, durations)."""

from __future__ import annotations

import math
from types import MappingProxyType

SECONDS_PER_HOUR = 3600.0
JOULES_PER_KWH = 3.6e6  # 1 kWh = 1000 W x 3600 s (SI definition)
GRAMS_PER_KG = 1000.0  # SI prefix kilo-
LBS_PER_KG = 2.2046226218487757  # exact by definition of the avoirdupois pound (0.45359237 kg)
BYTES_PER_GIB = 1024**3

# Bytes per stored value, by the width of each format (IEEE 754 binary64/32/16, bfloat16, FP8 E4M3/E5M2,
# int8); TF32 is a tensor-core compute mode over fp32 storage (NVIDIA A100 architecture whitepaper), so 4.
BYTES_PER_VALUE = MappingProxyType({"fp64": 8, "fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1})

#: Other spellings of the formats above -> their short name; the package's one table (the catalogue's precisions
#: and a count's dtypes both read it). Keys are lower-case letters and digits only (``flopcast._names.normalize``
#: of what a user types; torch's ``"torch.bfloat16"`` reads as ``"bfloat16"``). FP8 has two encodings, E4M3 and
#: E5M2 (Micikevicius et al. 2022, arXiv:2209.05433); the catalogue lists one fp8 rate for both.
PRECISION_SPELLINGS = MappingProxyType(
    {
        "float64": "fp64",
        "double": "fp64",
        "float32": "fp32",
        "float": "fp32",
        "single": "fp32",
        "tensorfloat32": "tf32",
        "bfloat16": "bf16",
        "float16": "fp16",
        "half": "fp16",
        "float8": "fp8",
        "fp8e4m3": "fp8",
        "fp8e5m2": "fp8",
    }
)

_SI = [(1e24, "Y"), (1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]


def si(value: float | None, unit: str = "", digits: int = 3) -> str:
    """``si(3.14e23, "FLOP") -> "314 ZFLOP"``; beyond yotta, scientific notation."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if value == 0:
        return f"0 {unit}".strip()
    mag = abs(value)
    if mag >= 1e27:
        return f"{value:.{digits - 1}e} {unit}".strip()
    for scale, prefix in _SI:
        if mag >= scale:
            return f"{value / scale:.{digits}g} {prefix}{unit}".strip()
    return f"{value:.{digits}g} {unit}".strip()


def sci(value: float | None, digits: int = 3) -> str:
    """``sci(3.14e23) -> "3.14e+23"``; ``None``/NaN -> ``"n/a"``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits - 1}e}"


def human_bytes(n: float | None) -> str:
    """Binary prefixes: ``human_bytes(3 * 2**30) -> "3.00 GiB"``."""
    if n is None:
        return "n/a"
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:.0f} B"


def human_seconds(s: float | None) -> str:
    """``human_seconds(90061) -> "1.0 d"``: seconds, minutes, hours, days or years."""
    if s is None or (isinstance(s, float) and math.isnan(s)):
        return "n/a"
    for unit, scale in (("y", 365.25 * 86400), ("d", 86400), ("h", 3600), ("min", 60)):
        if abs(s) >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s:.3g} s"
