"""Levers that shrink a target's cost: each a cited multiplier on FLOP, FLOP/s or dollars.

``--lever KEY=VALUE`` (repeatable; they combine by multiplying):

==============  ==========  ================================================================================
lever           acts on     multiplier on cost
==============  ==========  ================================================================================
precision=P     FLOP/s      peak(bf16) / peak(P) of the reference accelerator (flopcast's catalogue,
                            :func:`flopcast.hardware.get_accelerator`; dense peaks). fp8 on H100 SXM5: 1/2.
sparsity=2:4    FLOP/s      1/2: NVIDIA's 2:4 fine-grained structured sparsity "doubles throughput by
                            skipping the computation of the zero values" on Sparse Tensor Cores (NVIDIA
                            developer blog, Exploiting NVIDIA Ampere Structured Sparsity with cuSPARSELt,
                            2020). An upper bound: it applies to matrix multiplies of pruned weights.
distill=F       FLOP        F, the fraction of the training FLOP kept (given by the user, 0 < F <= 1).
hardware=NAME   $ / FLOP    (price/peak of NAME) / (price/peak of the reference), both at bf16 dense peak and
                            flopcast's on-demand price (:func:`flopcast.hardware.get_price`); for CO2, the
                            ratio of TDP/peak (energy per FLOP at board power).
==============  ==========  ================================================================================

A lower-precision or sparse FLOP/s at equal board power is also that much less energy per FLOP, so those
levers cut CO2 by the same factor (an assumption, stated in the output).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from flopcast.errors import InputError
from flopcast.trends.project import DEFAULT_HARDWARE

KNOWN = ("precision", "sparsity", "distill", "hardware")
REFERENCE_HARDWARE = DEFAULT_HARDWARE  # today's chip: the project default is the one owner
BASELINE_PRECISION = "bf16"
SPARSITY_SOURCE = (
    "NVIDIA developer blog, Exploiting NVIDIA Ampere Structured Sparsity with cuSPARSELt (2020): "
    "the 2:4 pattern 'doubles throughput by skipping the computation of the zero values' on "
    "Sparse Tensor Cores"
)


@dataclass(frozen=True)
class Lever:
    """One lever: what it acts on, its multipliers on cost ($) and CO2, and where they come from."""

    key: str
    value: str
    acts_on: str  # "FLOP", "FLOP/s" or "$ per FLOP"
    usd_multiplier: float  # < 1 makes the target cheaper
    co2_multiplier: float
    source: str

    @property
    def label(self) -> str:
        return f"{self.key}={self.value}"

    def decades_closed(self, quantity: str = "usd") -> float:
        m = self.usd_multiplier if quantity == "usd" else self.co2_multiplier
        return -math.log10(m)

    def to_dict(self) -> dict:
        return {
            "lever": self.label,
            "acts_on": self.acts_on,
            "usd_multiplier": self.usd_multiplier,
            "co2_multiplier": self.co2_multiplier,
            "decades_closed_usd": self.decades_closed("usd"),
            "decades_closed_co2": self.decades_closed("co2"),
            "source": self.source,
        }


def _precision(value: str, reference: str) -> Lever:
    from flopcast.hardware import get_accelerator, normalize_precision

    acc = get_accelerator(reference)
    p = normalize_precision(value, acc)
    ratio = acc.peak(BASELINE_PRECISION) / acc.peak(p)
    return Lever(
        "precision",
        p,
        "FLOP/s",
        ratio,
        ratio,
        f"dense peak {BASELINE_PRECISION} / {p} of {acc.name} ({acc.source}); CO2 at equal board power",
    )


def _sparsity(value: str) -> Lever:
    if value.strip() != "2:4":
        raise InputError(
            f"--lever sparsity={value}: only 2:4 structured sparsity has a published speed-up; use --lever sparsity=2:4"
        )
    return Lever("sparsity", "2:4", "FLOP/s", 0.5, 0.5, SPARSITY_SOURCE + " (an upper bound; CO2 at equal power)")


def _distill(value: str) -> Lever:
    try:
        f = float(value)
    except ValueError:
        f = math.nan
    if not (math.isfinite(f) and 0 < f <= 1):
        raise InputError(
            f"--lever distill={value}: give the fraction of training FLOP kept, 0 < F <= 1 (e.g. distill=0.25)"
        )
    return Lever("distill", f"{f:g}", "FLOP", f, f, "given by the user (fraction of the training FLOP kept)")


def _hardware(value: str, reference: str) -> Lever:
    from flopcast.hardware import get_accelerator, get_price

    new, ref = get_accelerator(value), get_accelerator(reference)
    try:
        p_new, p_ref = get_price(new.name), get_price(ref.name)
    except InputError as exc:
        raise InputError(
            f"--lever hardware={value}: {exc}; pick an accelerator flopcast has a price for (flopcast hardware list)"
        ) from None
    peak_new, peak_ref = new.peak(BASELINE_PRECISION), ref.peak(BASELINE_PRECISION)
    usd = (p_new.usd_per_chip_hour / peak_new) / (p_ref.usd_per_chip_hour / peak_ref)
    co2 = 1.0
    if new.tdp_watts and ref.tdp_watts:
        co2 = (new.tdp_watts / peak_new) / (ref.tdp_watts / peak_ref)
    return Lever(
        "hardware",
        new.name,
        "$ per FLOP",
        usd,
        co2,
        f"{new.name} ${p_new.usd_per_chip_hour}/h ({p_new.source}) vs {ref.name} "
        f"${p_ref.usd_per_chip_hour}/h ({p_ref.source}), {BASELINE_PRECISION} dense peaks from the "
        "catalogue; CO2 by TDP/peak",
    )


def parse_lever(text: str, reference: str = REFERENCE_HARDWARE) -> Lever:
    """``"precision=fp8"`` -> a :class:`Lever`; an unknown key is one line naming the known ones."""
    key, sep, value = text.partition("=")
    key = key.strip().lower()
    if key not in KNOWN:
        raise InputError(
            f"unknown lever {key or text!r}; known levers: precision=P (e.g. fp8), sparsity=2:4, "
            "distill=F (0 < F <= 1), hardware=NAME (e.g. B200)"
        )
    if not sep or not value.strip():
        raise InputError(
            f"--lever {key} needs a value, e.g. --lever {key}="
            + {"precision": "fp8", "sparsity": "2:4", "distill": "0.25", "hardware": "B200"}[key]
        )
    value = value.strip()
    if key == "precision":
        return _precision(value, reference)
    if key == "sparsity":
        return _sparsity(value)
    if key == "distill":
        return _distill(value)
    return _hardware(value, reference)


def parse_levers(texts: Sequence[str] | None, reference: str = REFERENCE_HARDWARE) -> tuple[Lever, ...]:
    """Parse each lever; a lever given twice is refused (they would silently compound)."""
    levers = tuple(parse_lever(t, reference) for t in texts or ())
    keys = [lv.key for lv in levers]
    dup = next((k for k in keys if keys.count(k) > 1), None)
    if dup:
        raise InputError(f"--lever {dup} given more than once; give each lever once")
    return levers


__all__ = ["KNOWN", "REFERENCE_HARDWARE", "Lever", "parse_lever", "parse_levers"]
