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

from collections.abc import Iterable
from dataclasses import replace
from functools import cache
from types import MappingProxyType

from flopcast._names import nearest, normalize
from flopcast.errors import AmbiguousNameError, InputError, UnknownNameError
from flopcast.hardware import _datasheet, _epoch, _lookup
from flopcast.hardware.spec import (
    BYTES_PER_VALUE,
    EPOCH_SOURCE,
    PRECISIONS,
    Accelerator,
    PrecisionUnavailableError,
    default_training_precision,
    mixed_precision,
    normalize_precision,
)

_HINT = "see `flopcast hardware list`"


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
    source = curated.source + (
        f"; {', '.join(filled)} from {EPOCH_SOURCE} row {epoch.name!r}"
        if filled
        else f"; same part as {EPOCH_SOURCE} row {epoch.name!r}"
    )
    return replace(
        curated,
        peak_flop_per_s=MappingProxyType(peaks),
        tdp_watts=tdp,
        source=source,
        aliases=(*curated.aliases, epoch.name, *epoch.aliases),
        measured_mean_watts=mean,
        measured_max_watts=peak,
    )


def _agree(a: float | None, b: float | None, rel: float = 0.02) -> bool:
    return a is None or b is None or abs(a - b) <= rel * max(abs(a), abs(b))


def _same_part(a: Accelerator, b: Accelerator) -> bool:
    """Two Epoch rows for one part: the same words once brand words are dropped ("NVIDIA GeForce
    GTX TITAN BLACK" / "NVIDIA GTX Titan Black"), and figures that agree within 2% where both state one."""
    if _lookup.key(a.name) != _lookup.key(b.name) or a.year != b.year:
        return False
    shared = set(a.peak_flop_per_s) & set(b.peak_flop_per_s)
    return (
        all(_agree(a.peak_flop_per_s[p], b.peak_flop_per_s[p]) for p in shared)
        and _agree(a.tdp_watts, b.tdp_watts)
        and _agree(a.memory_bytes, b.memory_bytes)
    )


def _fold(first: Accelerator, dup: Accelerator) -> Accelerator:
    """One row from two rows for the same part: the first row's figures, gaps filled from the other."""
    peaks = {**dup.peak_flop_per_s, **first.peak_flop_per_s}
    return replace(
        first,
        peak_flop_per_s=MappingProxyType(peaks),
        tensor_precisions=first.tensor_precisions | (dup.tensor_precisions - set(first.peak_flop_per_s)),
        memory_bytes=first.memory_bytes or dup.memory_bytes,
        memory_bandwidth_bytes_per_s=first.memory_bandwidth_bytes_per_s or dup.memory_bandwidth_bytes_per_s,
        tdp_watts=first.tdp_watts or dup.tdp_watts,
        measured_mean_watts=first.measured_mean_watts or dup.measured_mean_watts,
        measured_max_watts=first.measured_max_watts or dup.measured_max_watts,
        aliases=(*first.aliases, dup.name, *dup.aliases),
        source=f"{first.source}; duplicate {dup.source} merged",
    )


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
    curated = {a.name: a for a in _datasheet.load()}
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


def select_accelerators(
    rows: Iterable[Accelerator], *, search: str | None = None, vendor: str | None = None
) -> list[Accelerator]:
    """``rows`` whose name or an alias contains ``search`` (forgiving: case, spaces, hyphens) and whose maker is
    ``vendor`` (:func:`get_vendor`: an unknown vendor is an :class:`InputError`). O(rows)."""
    out = list(rows)
    if search:
        key = normalize(search)
        out = [a for a in out if any(key in normalize(n) for n in (a.name, *a.aliases))]
    if vendor is not None:
        maker = get_vendor(vendor)
        out = [a for a in out if a.vendor == maker]
    return out


def is_datasheet(acc: Accelerator) -> bool:
    """Whether ``acc`` comes from the curated datasheet table (else from Epoch's chip table)."""
    return acc.origin == "datasheet"


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
        known = exact.get(normalize(target))
        if known is not None:
            for k in (normalize(alias), _lookup.key(alias)):
                exact.setdefault(k, known)
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
        raise InputError(
            f"{name!r} names several accelerators; give one (flopcast.hardware.split_hardware splits such a cell)"
        )
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
    raise InputError(
        f"unknown vendor {name!r}"
        + (f"; nearest: {', '.join(near)}" if near else "")
        + f"; known vendors: {', '.join(vendors)}"
    )


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


__all__ = [
    "BYTES_PER_VALUE",
    "PRECISIONS",
    "Accelerator",
    "PrecisionUnavailableError",
    "default_training_precision",
    "get_accelerator",
    "get_vendor",
    "is_datasheet",
    "list_accelerators",
    "mixed_precision",
    "normalize_precision",
    "select_accelerators",
    "split_hardware",
]
