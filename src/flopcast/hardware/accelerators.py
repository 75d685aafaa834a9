"""Accelerator catalogue: curated datasheet rows merged with Epoch AI's chip table.

Two bundled sources, each row keeping its source:

* ``data/hardware/accelerator_specs.csv``: today's chips, DENSE peaks from vendor datasheets
  (the CSV halves the sparse figures NVIDIA and AMD quote; its ``notes`` say so per row);
* ``data/epoch/chips.csv``: Epoch AI's chip table (CC BY 4.0), which also covers the 2010-2020
  chips the paper's benchmark rows trained on (GTX 580, K40, K80, M40, P100, TPU v2/v3...).

An Epoch row describing the same part as a curated row is folded into it (its name becomes an
alias and it fills fields the datasheet row lacks, such as FP64 or a TPU's TDP); the curated
dense figures always win. Lookup is forgiving (see :func:`get_accelerator`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from types import MappingProxyType
from typing import Any

from flopcast._names import nearest, normalize
from flopcast.data import bundled
from flopcast.errors import AmbiguousNameError, InputError, UnknownNameError
from flopcast.hardware import _epoch, _lookup

PRECISIONS = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8")
EPOCH_SOURCE = "Epoch AI chip table (CC BY 4.0), data/epoch/chips.csv"
_HINT = "see `flopcast hardware list`"


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

    def peak(self, precision: str) -> float:
        """Dense peak rate in FLOP/s for ``precision``; :class:`PrecisionUnavailableError` if unknown."""
        key = normalize_precision(precision)
        value = self.peak_flop_per_s.get(key)
        if value is None:
            have = ", ".join(p for p in PRECISIONS if p in self.peak_flop_per_s) or "none"
            raise PrecisionUnavailableError(
                f"{self.name} has no published dense {key} peak; available: {have} (choose one with --precision)"
            )
        return value

    def to_dict(self) -> dict[str, Any]:
        return {
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
        }


_PRECISION_ALIASES = {"float64": "fp64", "double": "fp64", "float32": "fp32", "single": "fp32",
                      "float16": "fp16", "half": "fp16", "bfloat16": "bf16", "tensorfloat32": "tf32",
                      "float8": "fp8", "fp8e4m3": "fp8", "fp8e5m2": "fp8", "mixed": "fp16"}


def normalize_precision(precision: str) -> str:
    """``"BF16"``, ``"bfloat16"`` -> ``"bf16"``; :class:`InputError` for an unknown precision."""
    key = normalize(precision)
    key = _PRECISION_ALIASES.get(key, key)
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


# ---------------------------------------------------------------- curated datasheet rows

_TF = 1e12
_CURATED_COLUMNS = ("accelerator", "variant", "vendor", "release_year", "fp32_tflops", "tf32_tensor_tflops_dense",
                    "fp16_bf16_tensor_tflops_dense", "fp8_tensor_tflops_dense", "int8_tops_dense", "memory_gb",
                    "memory_bw_gb_s", "tdp_w", "measured_mean_w", "measured_max_w", "source")
# Display names where "<accelerator> <variant>" reads badly.
_DISPLAY = {("TPU v4", "chip"): "TPU v4", ("TPU v5e", "chip"): "TPU v5e", ("TPU v5p", "chip"): "TPU v5p",
            ("B200", "HGX B200 per GPU"): "B200 HGX 180GB", ("RTX 4090", "GeForce 24GB"): "GeForce RTX 4090 24GB",
            ("MI250X", "OAM 128GB"): "MI250X OAM 128GB", ("MI300X", "OAM 192GB"): "MI300X OAM 192GB"}


def _half_precisions(vendor: str, year: int | None, notes: str, name: str) -> tuple[str, ...]:
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


def _curated() -> list[Accelerator]:
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
        for col, keys in (("tf32_tensor_tflops_dense", ("tf32",)),
                          ("fp16_bf16_tensor_tflops_dense", _half_precisions(vendor, year and int(year), notes, name)),
                          ("fp8_tensor_tflops_dense", ("fp8",)), ("int8_tops_dense", ("int8",))):
            if (v := row.number(col, positive=True)) is not None:
                for k in keys:
                    peaks[k] = v * _TF
                    tensor.add(k)
        mem = row.number("memory_gb", positive=True)
        bw = row.number("memory_bw_gb_s", positive=True)
        out.append(Accelerator(
            name=name, vendor=vendor, year=int(year) if year else None, peak_flop_per_s=MappingProxyType(peaks),
            memory_bytes=mem * 1e9 if mem else None, memory_bandwidth_bytes_per_s=bw * 1e9 if bw else None,
            tdp_watts=row.number("tdp_w", positive=True), source=row.get("source") + " (data/hardware/"
            "accelerator_specs.csv)", tensor_precisions=frozenset(tensor), notes=notes,
            measured_mean_watts=row.number("measured_mean_w", positive=True),
            measured_max_watts=row.number("measured_max_w", positive=True),
        ))
    return out


def _merge(curated: Accelerator, epoch: Accelerator) -> Accelerator:
    """Fold an Epoch row into the curated row for the same part: curated figures win, gaps are filled."""
    peaks = dict(curated.peak_flop_per_s)
    filled = []
    for p, v in epoch.peak_flop_per_s.items():
        if p not in peaks and p not in ("bf16", "fp16", "tf32", "fp8", "int8"):  # only non-tensor gaps (fp64/fp32)
            peaks[p] = v
            filled.append(p)
    tdp = curated.tdp_watts
    if tdp is None and epoch.tdp_watts is not None:
        tdp = epoch.tdp_watts
        filled.append("TDP")
    mean, peak = curated.measured_mean_watts, curated.measured_max_watts
    if mean is None and epoch.measured_mean_watts is not None:
        mean, peak = epoch.measured_mean_watts, epoch.measured_max_watts
        filled.append("measured power")
    source = curated.source + (f"; {', '.join(filled)} from {EPOCH_SOURCE} row {epoch.name!r}" if filled
                               else f"; same part as {EPOCH_SOURCE} row {epoch.name!r}")
    return replace(curated, peak_flop_per_s=MappingProxyType(peaks), tdp_watts=tdp, source=source,
                   aliases=(*curated.aliases, epoch.name, *epoch.aliases), measured_mean_watts=mean,
                   measured_max_watts=peak)


def _agree(a: float | None, b: float | None, rel: float = 0.02) -> bool:
    return a is None or b is None or abs(a - b) <= rel * max(abs(a), abs(b))


def _same_part(a: Accelerator, b: Accelerator) -> bool:
    """Two Epoch rows for one part: the same words once brand words are dropped ("NVIDIA GeForce
    GTX TITAN BLACK" / "NVIDIA GTX Titan Black"), and figures that agree within 2% where both state one."""
    if _lookup.key(a.name) != _lookup.key(b.name) or a.year != b.year:
        return False
    shared = set(a.peak_flop_per_s) & set(b.peak_flop_per_s)
    return all(_agree(a.peak_flop_per_s[p], b.peak_flop_per_s[p]) for p in shared) and _agree(
        a.tdp_watts, b.tdp_watts) and _agree(a.memory_bytes, b.memory_bytes)


def _fold(first: Accelerator, dup: Accelerator) -> Accelerator:
    """One row from two rows for the same part: the first row's figures, gaps filled from the other."""
    peaks = {**dup.peak_flop_per_s, **first.peak_flop_per_s}
    return replace(first, peak_flop_per_s=MappingProxyType(peaks),
                   tensor_precisions=first.tensor_precisions | (dup.tensor_precisions - set(first.peak_flop_per_s)),
                   memory_bytes=first.memory_bytes or dup.memory_bytes,
                   memory_bandwidth_bytes_per_s=first.memory_bandwidth_bytes_per_s or dup.memory_bandwidth_bytes_per_s,
                   tdp_watts=first.tdp_watts or dup.tdp_watts,
                   measured_mean_watts=first.measured_mean_watts or dup.measured_mean_watts,
                   measured_max_watts=first.measured_max_watts or dup.measured_max_watts,
                   aliases=(*first.aliases, dup.name, *dup.aliases),
                   source=f"{first.source}; duplicate {dup.source} merged")


def _merge_duplicates(rows: list[Accelerator]) -> list[Accelerator]:
    """Fold rows of Epoch's table that describe the same part (see :func:`_same_part`) into one."""
    out: list[Accelerator] = []
    by_key: dict[str, list[int]] = {}
    for acc in rows:
        slots = by_key.setdefault(_lookup.key(acc.name), [])
        hit = next((i for i in slots if _same_part(out[i], acc)), None)
        if hit is None:
            slots.append(len(out))
            out.append(acc)
        else:
            out[hit] = _fold(out[hit], acc)
    return out


@cache
def _catalog() -> tuple[Accelerator, ...]:
    curated = {a.name: a for a in _curated()}
    extra: list[Accelerator] = []
    for acc in _merge_duplicates(_epoch.load()):
        target = _epoch.SAME_PART.get(acc.name)
        if target is not None and target in curated:
            curated[target] = _merge(curated[target], acc)
        else:
            extra.append(acc)
    return (*curated.values(), *extra)


def list_accelerators() -> list[Accelerator]:
    """Every accelerator: curated datasheet rows first, then Epoch chip-table rows (each with its source)."""
    return list(_catalog())


def is_datasheet(acc: Accelerator) -> bool:
    """Whether ``acc`` comes from the curated datasheet table (else from Epoch's chip table)."""
    return "accelerator_specs.csv" in acc.source


@cache
def benchmark_accelerators() -> tuple[Accelerator, ...]:
    """The chips the bundled benchmark rows (``data/benchmarks/*.csv``, ``train_hardware``) trained on."""
    from flopcast.data import path

    found: dict[str, Accelerator] = {}
    for f in sorted(path("benchmarks").glob("*.csv")):
        for row in bundled(f"benchmarks/{f.name}"):
            cell = row.get("train_hardware")
            if not cell:
                continue
            try:
                for acc in split_hardware(cell):
                    found.setdefault(acc.name, acc)
            except InputError:
                continue  # a cell naming no chip generation ("Google Cloud TPU (Pod config...)")
    return tuple(sorted(found.values(), key=lambda a: (a.year or 0, a.name)))


# ---------------------------------------------------------------- forgiving lookup


@cache
def _index() -> tuple[dict[str, Accelerator], dict[str, Accelerator]]:
    """(exact keys -> accelerator, display name -> accelerator). Earlier entries win a shared key."""
    exact: dict[str, Accelerator] = {}
    by_name: dict[str, Accelerator] = {}
    for acc in _catalog():
        by_name[acc.name] = acc
        for n in (acc.name, *acc.aliases):
            for k in (normalize(n), _lookup.key(n)):
                if k:
                    exact.setdefault(k, acc)
    for alias, target in _epoch.ALIASES.items():
        acc = exact.get(normalize(target))
        if acc is not None:
            for k in (normalize(alias), _lookup.key(alias)):
                exact.setdefault(k, acc)
    return exact, by_name


def get_accelerator(name: str | Accelerator) -> Accelerator:
    """Find an accelerator by a forgiving name.

    Tried in order: the exact name or an alias (case, spaces, punctuation, brand words such as
    "NVIDIA", "Tesla", "GeForce", "Google", and a letter O typed for 0 ignored); then every query
    word EQUAL to a word of the name (an exact model token wins: "A10" is the A10, not the A100);
    then every query word as the START of a word of the name (``"h100 sxm"``). A memory size
    (``"40GB"``) narrows the matches; a size no row lists is taken as the board's memory. Ties go
    to datasheet rows, then the SXM (training) form factor, then the row with fewest unnamed words.
    Raises :class:`UnknownNameError` with the nearest names, or :class:`AmbiguousNameError` listing
    the matches. A cell naming several chips is rejected: use :func:`split_hardware`.
    """
    if isinstance(name, Accelerator):
        return name
    if not isinstance(name, str) or not name.strip():
        raise InputError("empty accelerator name; see `flopcast hardware list`")
    exact, by_name = _index()
    for k in (normalize(name), _lookup.key(name)):
        if k and k in exact:
            return exact[k]
    if "," in name:
        raise InputError(f"{name!r} names several accelerators; give one (flopcast.hardware.split_hardware "
                         "splits such a cell)")
    if not _lookup.words(name):
        raise UnknownNameError("accelerator", name, [], hint=_HINT)
    hits, memory = _lookup.candidates(name, _catalog(), is_datasheet)
    if len(hits) == 1 and memory is not None and is_datasheet(hits[0]):
        # a datasheet part comes in memory variants with their own TDP and bandwidth: never guess one
        raise UnknownNameError("accelerator", name, [a.name for a in hits], hint=_HINT)
    if len(hits) == 1:
        return _lookup.stating_memory(hits[0], memory)
    if hits:
        raise AmbiguousNameError("accelerator", name, [a.name for a in hits][:8], hint=_HINT)
    raise UnknownNameError("accelerator", name, nearest(name, by_name, n=6), hint=_HINT)


def get_vendor(name: str) -> str:
    """The catalogue's spelling of a manufacturer (``"nvidia"`` -> ``"NVIDIA"``); :class:`InputError`
    naming the known vendors for an unknown one (``"nvidiaa"``)."""
    vendors = sorted({a.vendor for a in _catalog() if a.vendor})
    key = normalize(name or "")
    exact = [v for v in vendors if normalize(v) == key]
    partial = [v for v in vendors if key and key in normalize(v)]
    found = exact or partial
    if len(found) == 1:
        return found[0]
    if found:
        raise InputError(f"ambiguous vendor {name!r}: matches {', '.join(found)}; give one of them")
    near = nearest(name or "", vendors, n=3)
    raise InputError(f"unknown vendor {name!r}" + (f"; nearest: {', '.join(near)}" if near else "")
                     + f"; known vendors: {', '.join(vendors)}")


def split_hardware(cell: str) -> list[Accelerator]:
    """Resolve a cell that may list several chips (``"NVIDIA M40,NVIDIA GeForce GTX TITAN X"``).

    A name that itself contains a comma (``"NVIDIA V100 (Big Basin, NVLink)"``) is tried whole first.
    """
    try:
        return [get_accelerator(cell)]
    except InputError:
        if "," not in cell:
            raise
    return [get_accelerator(part.strip()) for part in cell.split(",") if part.strip()]
