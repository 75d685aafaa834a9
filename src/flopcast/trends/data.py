"""Benchmark histories for the trends analysis: load, validate, measure and select rows.

The bundled tables live in ``flopcast/data/benchmarks/`` (conventions in its README: vision
"GFLOPs" are multiply-adds, splits differ within a file, a few duplicates, unverified values kept
in a separate file and out of fits). This module turns a table into :class:`BenchmarkRow` s with
both computation measures of Thompson et al. (2020) and decides, per measure, which rows enter a
fit, recording why every other row was skipped.

Measures
--------
``per-pass``
    Forward FLOP of one network pass: ``2 × GMACs × 1e9`` where the value is multiply-adds
    (every bundled vision row, per the README), else ``GFLOPs × 1e9``.
``training``
    Training computation: Epoch AI's ``train_compute_flop`` where present and usable, else the
    hardware burden ``chips × peak FLOP/s × hours × 3600`` (utilization 1, as the paper), the peak
    taken at the row's ``train_precision`` (see :func:`hardware_burden`).
"""

from __future__ import annotations

import csv
import gc
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from flopcast import data as _data
from flopcast._names import lookup
from flopcast.errors import DataFormatError, FlopcastError, InputError

if TYPE_CHECKING:
    from flopcast.hardware import Accelerator

MEASURES = ("per-pass", "training")
REQUIRED_COLUMNS = ("model", "score")
_OPTIONAL_COLUMNS = (
    "date",
    "metric",
    "split",
    "gflops_forward",
    "flops_unit_note",
    "train_hardware",
    "train_chips",
    "train_hours",
    "train_compute_flop",
    "score_source",
    "compute_source",
    "notes",
    "train_precision",
    "train_precision_source",
    "flags",
    "exclude_reason",
    "flop_flag",
)
# ``train_precision`` values: a catalogue precision (fp32, bf16, fp16, ...) or "mixed" (fp16/bf16 compute with
# fp32 master weights, e.g. NVIDIA apex/AMP or fairseq --fp16), priced at the chip's fp16/bf16 tensor peak.
MIXED = "mixed"
CHIP_DEFAULT = "chip"  # burden_precision value that restores the chip's default training precision for every row


class TooFewRowsError(InputError):
    """Fewer than three usable rows for a fit."""


@dataclass(frozen=True)
class Benchmark:
    """One bundled benchmark: its file, display name and the paper-style default targets (error %)."""

    key: str
    name: str
    file: str
    metric: str
    vision: bool
    default_targets_pct: tuple[float, ...]

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "file": self.file,
            "metric": self.metric,
            "default_targets_pct": list(self.default_targets_pct),
        }


# Default targets follow the spirit of Thompson et al. (2020) Table 2 (a near and a far target per area).
BENCHMARKS: dict[str, Benchmark] = {
    b.key: b
    for b in (
        Benchmark("imagenet", "ImageNet top-1", "benchmarks/imagenet.csv", "top-1 error (%)", True, (5.0, 1.0)),
        Benchmark("coco", "MS COCO box AP", "benchmarks/coco.csv", "100 - box AP", True, (30.0, 10.0)),
        Benchmark("squad11", "SQuAD 1.1 F1", "benchmarks/squad11.csv", "100 - F1", False, (2.0, 1.0)),
        Benchmark("conll2003", "CoNLL-2003 NER F1", "benchmarks/conll2003.csv", "100 - F1", False, (5.0, 2.0)),
        Benchmark("wmt14_en_fr", "WMT'14 En-Fr BLEU", "benchmarks/wmt14_en_fr.csv", "100 - BLEU", False, (50.0, 30.0)),
        Benchmark("wmt14_en_de", "WMT'14 En-De BLEU", "benchmarks/wmt14_en_de.csv", "100 - BLEU", False, (60.0, 50.0)),
        Benchmark(  # score = 100 - WER in the CSV, so the error flopcast fits is the WER itself
            "librispeech",
            "LibriSpeech test-other WER",
            "benchmarks/librispeech_test_other.csv",
            "WER (%)",
            False,
            (2.0, 1.0),
        ),
    )
}
_ALIASES = {
    "imagenet1k": "imagenet",
    "ilsvrc": "imagenet",
    "mscoco": "coco",
    "squad": "squad11",
    "squad1.1": "squad11",
    "conll": "conll2003",
    "ner": "conll2003",
    "wmtenfr": "wmt14_en_fr",
    "wmtende": "wmt14_en_de",
    "enfr": "wmt14_en_fr",
    "ende": "wmt14_en_de",
    "asr": "librispeech",
    "speech": "librispeech",
}


def get_benchmark(name: str) -> Benchmark:
    """A bundled benchmark by forgiving name; :class:`UnknownNameError` lists the known ones."""
    return lookup(
        name,
        BENCHMARKS,
        kind="benchmark",
        aliases=_ALIASES,
        hint="bundled: " + ", ".join(BENCHMARKS) + "; or pass your own with --data FILE.csv",
    )


# Row annotations are explicit columns with closed vocabularies (data/benchmarks/README.md, "Row flags"); a cell
# may hold several values separated by ";". Each maps a CSV value to the label flopcast prints.
FLAGS = {"ensemble": "ensemble", "extra-data": "extra data", "secondary": "secondary"}  # kept in fits, counted
EXCLUDE_REASONS = {  # rows that never enter a fit (one row per model; published models only)
    "duplicate": "duplicate of another row of the same model (notes: use one)",
    "rescore": "re-score of the paper's row for the same model",
    "commercial": "commercial system, not a published model",
}
FLOP_FLAGS = {  # about the row's FLOP values: one the row must not use, or where gflops_forward came from
    "epoch-implausible": "Epoch FLOP flagged implausible in notes",  # Epoch train_compute_flop -> hardware burden
    "epoch-ensemble": "Epoch FLOP covers an 8-model ensemble",  # Epoch train_compute_flop -> hardware burden
    "sparse": "2 x params would overstate forward FLOP (sparse model, per notes)",  # no --params-per-pass estimate
    "counted": "GFLOPs counted by flopcast (scripts/count_nlp_rows.py; not a published value)",  # value in FLOP
}
VOCABULARIES: dict[str, dict[str, str]] = {"flags": FLAGS, "exclude_reason": EXCLUDE_REASONS, "flop_flag": FLOP_FLAGS}
_EPOCH_FLOP_FLAGS = ("epoch-implausible", "epoch-ensemble")
_MACS = re.compile(r"multiply|\bmacs?\b|gmacs", re.I)


@dataclass(frozen=True, slots=True)  # slots: a million rows take ~100 MB less
class BenchmarkRow:
    """One result: a model's error on a benchmark with its computation, each with its source."""

    benchmark: str
    model: str
    line: int
    year: float | None  # decimal year of the date column (YYYY-MM -> YYYY + (M-0.5)/12)
    score: float
    error_pct: float  # 100 - score (scores are percentages)
    split: str
    forward_flop: float | None  # one forward pass, FLOP (1 multiply-add = 2 FLOP)
    forward_flop_source: str  # how forward_flop was obtained
    training_flop: float | None  # training computation, FLOP
    training_flop_source: str  # "epoch" | "hardware burden" | reason it is missing
    score_source: str
    compute_source: str
    flags: tuple[str, ...] = ()  # "ensemble", "extra data", "secondary"
    skip_reason: str | None = None  # set for rows that never enter a fit (duplicates, no date for frontier...)
    hardware: str = ""
    chips: float | None = None
    hours: float | None = None
    train_precision: str = ""  # the row's train_precision cell, normalized ("" where the CSV has none)
    train_precision_source: str = ""  # "cited: URL (...)" or "rule: ..." (bundled rows; README gives the rule)

    def flop(self, measure: str) -> float | None:
        return self.forward_flop if measure == "per-pass" else self.training_flop

    def to_dict(self) -> dict:
        return {
            "benchmark": self.benchmark,
            "model": self.model,
            "line": self.line,
            "year": self.year,
            "score": self.score,
            "error_pct": self.error_pct,
            "split": self.split,
            "forward_flop": self.forward_flop,
            "forward_flop_source": self.forward_flop_source,
            "training_flop": self.training_flop,
            "training_flop_source": self.training_flop_source,
            "flags": list(self.flags),
            "skip_reason": self.skip_reason,
            "score_source": self.score_source,
            "compute_source": self.compute_source,
            "train_precision": self.train_precision or None,
            "train_precision_source": self.train_precision_source or None,
        }


@dataclass(frozen=True)
class Selection:
    """Which rows of one benchmark enter the fit for one measure, and why the others do not."""

    benchmark: str
    measure: str
    split: str  # the split fitted (one split per fit)
    used: tuple[BenchmarkRow, ...]
    skipped: tuple[tuple[BenchmarkRow, str], ...]

    @property
    def n_used(self) -> int:
        return len(self.used)

    def skip_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for _, why in self.skipped:
            out[why] = out.get(why, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    def to_dict(self) -> dict:
        return {
            "benchmark": self.benchmark,
            "measure": self.measure,
            "split": self.split,
            "n_used": self.n_used,
            "n_skipped": len(self.skipped),
            "skipped_why": self.skip_counts(),
            "flagged_used": {f: sum(f in r.flags for r in self.used) for f in ("ensemble", "extra data")},
            "training_sources": _count(r.training_flop_source.split(" (")[0] for r in self.used)
            if self.measure == "training"
            else {},
        }


def _count(items) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return out


@lru_cache(maxsize=4096)  # a large CSV repeats a few hundred dates: parse each once
def decimal_year(text: str) -> float | None:
    """``"2017-06" -> 2017.458`` (mid-month), ``"2018" -> 2018.5`` (mid-year); empty -> None."""
    text = text.strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", text)
    if not m:
        return None
    year = int(m.group(1))
    if m.group(2) is None:
        return year + 0.5
    month = int(m.group(2))
    if not 1 <= month <= 12:
        return None
    return year + (month - 0.5) / 12


def canonical_split(split: str) -> str:
    """Group split labels that are the same evaluation set: ``test-dev``, ``val``, ``unstated`` or ``test``."""
    s = split.lower()
    if "test-dev" in s:
        return "test-dev"
    if "not stated" in s or not s.strip():
        return "unstated"
    if "val" in s or "minival" in s:
        return "val"
    return "test"


HardwareBurden = Callable[[str, float, float, str], tuple[float, str]]


def hardware_burden(precision: str | None = None) -> HardwareBurden:
    """Thompson et al. (2020) hardware burden: chips × peak FLOP/s × hours × 3600, utilization 1.

    The returned function ``burden(hardware, chips, hours, row_precision)`` gives (FLOP, label).
    The peak is the chip's catalogued rate at, in order of precedence:

    - ``precision``, an override for every row (``--burden-precision``; a catalogue precision, or
      ``"chip"`` for each chip's default training precision, the convention before per-row precision);
    - the row's ``train_precision`` (``"mixed"`` -> the chip's fp16/bf16 tensor rate, as
      :func:`flopcast.hardware.default_training_precision` picks it; fp32 on a chip without one);
    - for a row with no ``train_precision`` (a user CSV without the column), the chip's default
      training precision, labelled so.
    """
    override = None if precision is None else burden_precision_value(precision)

    def burden(hardware: str, chips: float, hours: float, row_precision: str = "") -> tuple[float, str]:
        from flopcast.estimate import hardware_burden_flop
        from flopcast.hardware import get_accelerator

        acc = get_accelerator(hardware)
        prec, why = _burden_precision(acc, override, row_precision)
        flop = float(hardware_burden_flop(acc, chips, hours, utilization=1.0, precision=prec))
        return flop, f"hardware burden ({acc.name} {prec} peak, {why})"

    return burden


def _burden_precision(acc: Accelerator, override: str | None, row_precision: str) -> tuple[str, str]:
    """(catalogue precision, why) for one burden row: the override, else the row's, else the chip's default."""
    from flopcast.hardware import default_training_precision

    if override == CHIP_DEFAULT:
        return default_training_precision(acc), "chip default, --burden-precision chip"
    if override is not None:
        return (_mixed(acc) if override == MIXED else override), "--burden-precision " + override
    if row_precision == MIXED:
        return _mixed(acc), "row trained mixed"
    if row_precision:
        return row_precision, "row train_precision"
    return default_training_precision(acc), "chip default; row gives no train_precision"


def _mixed(acc: Accelerator) -> str:
    """Mixed precision on ``acc``: the hardware catalogue's one rule (:func:`flopcast.hardware.mixed_precision`)."""
    from flopcast.hardware import mixed_precision

    return mixed_precision(acc)


@lru_cache(maxsize=64)  # a million rows repeat a few precision spellings
def burden_precision_value(text: str) -> str:
    """``"FP32"`` -> ``"fp32"``, ``"Mixed"`` -> ``"mixed"``, ``"chip"``; :class:`InputError` otherwise."""
    from flopcast.hardware import normalize_precision

    key = text.strip().lower()
    if key in (MIXED, "amp", "mixed precision", CHIP_DEFAULT):
        return CHIP_DEFAULT if key == CHIP_DEFAULT else MIXED
    try:
        return normalize_precision(text)
    except InputError:
        raise InputError(
            f"unknown precision {text!r}; use fp32, fp16, bf16 or mixed (--burden-precision also "
            "takes chip: each chip's default training precision)"
        ) from None


_default_burden = hardware_burden()


def _clean_hardware(name: str) -> str:
    """``"NVIDIA V100 (Big Basin, NVLink)" -> "NVIDIA V100"``: drop parenthesised system notes."""
    return re.sub(r"\s*\([^)]*\)", "", name).strip()


#: The sources a row's FLOP carries when nothing more specific explains it (compared by identity of value,
#: never searched: a fit reports a row's own source as the reason it is unusable unless it is one of these).
NO_FORWARD_FLOP = "no forward FLOP in source"
NO_TRAINING_FLOP = "no training FLOP and no hardware x chips x hours"
PARAMS_PER_TOKEN = "2 x params per token (estimated, dense model)"  # Kaplan et al. 2020's 2N per token


def _training(
    values: dict[str, float | None],
    hardware: str,
    flop_flags: tuple[str, ...],
    burden: HardwareBurden | None,
    precision: str = "",
) -> tuple[float | None, str]:
    epoch = values["train_compute_flop"]
    unusable = next((FLOP_FLAGS[f] for f in flop_flags if f in _EPOCH_FLOP_FLAGS), None)
    if epoch is not None and unusable is None:
        return epoch, "epoch"
    chips, hours = values["train_chips"], values["train_hours"]
    chip = _clean_hardware(hardware)
    if chip and "," not in chip and chips and hours and burden is not None:
        try:
            return burden(chip, chips, hours, precision)
        except FlopcastError as exc:  # a broken install (ImportError) is a bug to surface, not a row to skip
            return None, f"hardware {hardware!r} not usable ({type(exc).__name__})"
    if unusable:
        return None, unusable + "; no hardware x chips x hours"
    if "," in chip:
        return None, "mixed hardware, no training FLOP"
    return None, NO_TRAINING_FLOP


def _forward(
    gflops: float | None, note: str, vision: bool, params: float | None = None, flop_flags: tuple[str, ...] = ()
) -> tuple[float | None, str]:
    # --params-per-pass: a counted value is per sequence, the estimate per token; one fit must not mix the two
    if gflops is None or ("counted" in flop_flags and params is not None and not vision):
        if params is not None and not vision:
            if "sparse" in flop_flags:
                return None, FLOP_FLAGS["sparse"]
            # Kaplan et al. 2020 (arXiv:2001.08361): a dense network's forward pass costs ~2N FLOP per token
            return 2.0 * params, PARAMS_PER_TOKEN
        return None, NO_FORWARD_FLOP
    if "counted" in flop_flags:  # flopcast's forward_flop / 1e9: FLOP, whatever the unit note says
        return gflops * 1e9, FLOP_FLAGS["counted"]
    if vision or _MACS.search(note):
        return 2.0 * gflops * 1e9, "2 x published GMACs" + (" (timm-measured)" if "timm" in note.lower() else "")
    return gflops * 1e9, "published GFLOPs"


def _num(
    row: _data.Row,
    column: str,
    *,
    required: bool = False,
    positive: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float | None:
    """``row.number(...)`` with a fast path for a plain finite in-range number (same value, same errors).

    ``float`` accepts exactly the plain cells ``Row.number`` turns into the same value; anything
    else (empty, ``nan``, commas, out of range) goes to ``Row.number``, which owns the rules and messages.
    """
    raw = row.values.get(column)
    if not raw and not required:
        return None  # an empty optional cell, as Row.number gives
    if raw:
        try:
            v = float(raw)
        except ValueError:
            pass
        else:
            if (
                math.isfinite(v)
                and (not positive or v > 0)
                and (minimum is None or v >= minimum)
                and (maximum is None or v <= maximum)
            ):
                return v
    return row.number(column, required=required, positive=positive, minimum=minimum, maximum=maximum)


def iter_csv(file: str | Path, required: Sequence[str]) -> Iterator[_data.Row]:
    """Rows of a user CSV one at a time (memory O(one row)), with :func:`flopcast.data.read_csv`'s checks.

    Same rules and messages as ``read_csv`` (which holds the whole text and every row in memory:
    about 1 GB for a million rows); a file that cannot be read is an :class:`InputError`, not a traceback.
    """
    p, name = Path(file), str(file)
    if not p.exists():
        raise InputError(f"{name}: no such file")
    if p.is_dir():
        raise InputError(f"{name}: is a directory, expected a CSV file")
    try:
        fh = open(p, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed in the finally below
    except OSError as exc:
        raise _unreadable(name, exc) from None
    reader = csv.reader(fh)
    try:
        header = [h.strip() for h in _next_header(reader, name)]
        missing = [c for c in required if c not in header]
        if missing:
            raise DataFormatError(
                name, f"missing column(s) {', '.join(map(repr, missing))}; header has: {', '.join(header)}", line=1
            )
        for cells in reader:
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise DataFormatError(name, f"{len(cells)} fields, header has {len(header)}", line=reader.line_num)
            yield _data.Row(name, reader.line_num, dict(zip(header, cells, strict=True)))
    except UnicodeDecodeError as exc:
        raise DataFormatError(name, f"not UTF-8 text ({exc.reason}) near line {reader.line_num + 1}") from None
    except csv.Error as exc:
        raise DataFormatError(name, f"unreadable CSV ({exc})", line=reader.line_num) from None
    except OSError as exc:
        raise _unreadable(name, exc) from None
    finally:
        fh.close()


def _unreadable(name: str, exc: OSError) -> InputError:
    return InputError(f"{name}: cannot be read ({exc.strerror or exc}); check the path and its permissions")


def _next_header(reader, name: str) -> list[str]:
    try:
        return next(reader)
    except StopIteration:
        raise DataFormatError(name, "empty file; expected a header row") from None


@lru_cache(maxsize=256)  # a million rows repeat a few cells
def _vocabulary_cell(column: str, cell: str) -> tuple[str, ...]:
    """A ``flags`` / ``exclude_reason`` / ``flop_flag`` cell: its values in vocabulary order; ValueError if unknown."""
    vocabulary = VOCABULARIES[column]
    given = {v.strip().lower(): v.strip() for v in cell.split(";") if v.strip()}
    unknown = [spelled for v, spelled in given.items() if v not in vocabulary]
    if unknown:
        raise ValueError(
            f"unknown value {unknown[0]!r}; use one of: {', '.join(vocabulary)} (several: separate with ;)"
        )
    return tuple(v for v in vocabulary if v in given)


def _annotations(r: _data.Row, get: Callable[[str], str]) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    """(flag labels, skip reason or None, flop_flag values) of one row, from its three vocabulary columns."""
    parsed = {}
    for column in VOCABULARIES:
        cell = get(column)
        try:
            parsed[column] = _vocabulary_cell(column, cell) if cell else ()
        except ValueError as exc:
            raise DataFormatError(r.file, str(exc), line=r.line, column=column) from None
    if len(parsed["exclude_reason"]) > 1:
        raise DataFormatError(r.file, "one exclude_reason per row", line=r.line, column="exclude_reason")
    skip = EXCLUDE_REASONS[parsed["exclude_reason"][0]] if parsed["exclude_reason"] else None
    return tuple(FLAGS[f] for f in parsed["flags"]), skip, parsed["flop_flag"]


def _parse_row(
    r: _data.Row, key: str, vision: bool, burden: HardwareBurden | None, params_per_pass: bool
) -> BenchmarkRow:
    """One CSV row as a :class:`BenchmarkRow` (validated, line-numbered errors)."""
    values = r.values

    def get(column: str) -> str:  # Row.get without the method call: this runs ~10x per row
        return (values.get(column) or "").strip()

    model = get("model")
    if not model:
        raise DataFormatError(r.file, "empty model name", line=r.line, column="model")
    score = _num(r, "score", required=True, minimum=0.0, maximum=100.0)
    if score is None:  # unreachable: a required cell is a number or a DataFormatError
        raise DataFormatError(r.file, "empty value; a number is required", line=r.line, column="score")
    if score == 100.0:
        raise DataFormatError(
            r.file, "score 100 means zero error, which a log fit cannot use", line=r.line, column="score"
        )
    vals = {
        c: _num(r, c, positive=True) for c in ("gflops_forward", "train_chips", "train_hours", "train_compute_flop")
    }
    flags, skip, flop_flags = _annotations(r, get)
    date = get("date")
    year = decimal_year(date) if date else None
    if date and year is None:
        raise DataFormatError(
            r.file, f"{date!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)", line=r.line, column="date"
        )
    params = _num(r, "params", positive=True) if params_per_pass else None
    fwd, fwd_src = _forward(vals["gflops_forward"], get("flops_unit_note"), vision, params, flop_flags)
    hardware = get("train_hardware")
    precision = _row_precision(r, get("train_precision"))
    train, train_src = _training(vals, hardware, flop_flags, burden, precision)
    return BenchmarkRow(
        benchmark=key,
        model=model,
        line=r.line,
        year=year,
        score=score,
        error_pct=round(100.0 - score, 9),
        split=get("split"),
        forward_flop=fwd,
        forward_flop_source=fwd_src,
        training_flop=train,
        training_flop_source=train_src,
        score_source=get("score_source") or r.file,
        compute_source=get("compute_source"),
        flags=flags,
        skip_reason=skip,
        hardware=hardware,
        chips=vals["train_chips"],
        hours=vals["train_hours"],
        train_precision=precision,
        train_precision_source=get("train_precision_source"),
    )


def _row_precision(r: _data.Row, cell: str) -> str:
    """A ``train_precision`` cell normalized (``""`` if empty); a line-numbered error for an unknown one."""
    if not cell:
        return ""
    try:
        value = burden_precision_value(cell)
    except InputError as exc:
        raise DataFormatError(r.file, str(exc), line=r.line, column="train_precision") from None
    if value == CHIP_DEFAULT:
        raise DataFormatError(
            r.file,
            "'chip' is not a training precision; use fp32, fp16, bf16 or mixed",
            line=r.line,
            column="train_precision",
        )
    return value


def load_rows(
    benchmark: Benchmark | None = None,
    *,
    path: str | Path | None = None,
    burden: HardwareBurden | None = _default_burden,
    params_per_pass: bool = False,
) -> list[BenchmarkRow]:
    """Rows of a bundled benchmark, or of a user CSV at ``path`` (validated, line-numbered errors).

    A user CSV needs ``model`` and ``score`` (a percentage in [0, 100]); optional columns are the
    bundled ones (``date``, ``split``, ``gflops_forward``, ``flops_unit_note``, ``train_hardware``,
    ``train_chips``, ``train_hours``, ``train_compute_flop``, ``notes``...), and the row annotations
    ``flags``, ``exclude_reason`` and ``flop_flag`` (closed vocabularies, :data:`VOCABULARIES`; ``notes`` is
    free text that flopcast never reads).
    ``params_per_pass`` estimates the per-pass measure of non-vision rows without published
    FLOPs as 2 × params per token (dense models only; labelled *estimated*).
    A user CSV is streamed: memory is O(rows kept), a few hundred bytes per row.
    """
    if path is not None:
        rows = iter_csv(path, REQUIRED_COLUMNS)
        key, vision = Path(path).stem, False
    else:
        assert benchmark is not None
        rows = iter(_data.bundled(benchmark.file, REQUIRED_COLUMNS))
        key, vision = benchmark.key, benchmark.vision
    with _gc_paused():
        return [_parse_row(r, key, vision, burden, params_per_pass) for r in rows]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while a million acyclic rows are built (it would rescan them all, ~2x slower)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def select(
    rows: Sequence[BenchmarkRow], measure: str, *, frontier: bool = False, exclude_flagged: bool = False
) -> Selection:
    """Rows entering a fit for ``measure``: one split (the one with most usable rows), one row per model.

    ``frontier`` keeps only rows that were the best result to date (no earlier-or-same-dated row
    had a lower error); ``exclude_flagged`` drops ensembles and rows trained with extra data.
    O(n log n) time, O(n) memory.
    """
    if measure not in MEASURES:
        raise InputError(f"unknown measure {measure!r}; use one of: {', '.join(MEASURES)}")
    benchmark = rows[0].benchmark if rows else ""
    skipped: list[tuple[BenchmarkRow, str]] = []
    by_split: dict[str, list[BenchmarkRow]] = {}
    with _gc_paused():
        for r in rows:
            why = _unusable(r, measure, exclude_flagged)
            if why:
                skipped.append((r, why))
            else:
                by_split.setdefault(canonical_split(r.split), []).append(r)
    split = max(sorted(by_split), key=lambda s: len(by_split[s])) if by_split else ""
    used: list[BenchmarkRow] = []
    for s, rs in by_split.items():
        if s == split:
            used.extend(rs)
        else:
            skipped.extend((r, f"split {s} (fit uses {split})") for r in rs)
    flop = np.array([r.flop(measure) for r in used], dtype=float)
    order = np.lexsort((np.array([r.line for r in used], dtype=np.int64), flop))  # by (flop, line), stable
    sel = Selection(benchmark, measure, split, tuple(used[i] for i in order.tolist()), tuple(skipped))
    return frontier_of(sel) if frontier else sel


def _unusable(r: BenchmarkRow, measure: str, exclude_flagged: bool) -> str | None:
    """Why ``r`` cannot enter a ``measure`` fit, or None."""
    if r.skip_reason:
        return r.skip_reason
    if r.flop(measure) is None:
        if measure == "per-pass" and r.forward_flop_source != NO_FORWARD_FLOP:
            return r.forward_flop_source  # e.g. a sparse model, whose 2 x params would overstate it
        if measure == "training" and r.training_flop_source != NO_TRAINING_FLOP:
            return r.training_flop_source  # e.g. an ambiguous chip name or a flagged Epoch value
        return "no per-pass FLOP" if measure == "per-pass" else "no training FLOP"
    if exclude_flagged and r.flags and ({"ensemble", "extra data"} & set(r.flags)):
        return "ensemble / extra data (excluded on request)"
    return None


def frontier_of(sel: Selection) -> Selection:
    """The frontier subset of a selection: rows that were the best result to date (order kept)."""
    with _gc_paused():  # a million (row, reason) tuples would trigger full collections over every row
        on, off = _frontier(sel.used)
    return Selection(sel.benchmark, sel.measure, sel.split, tuple(on), sel.skipped + tuple(off))


def _frontier(rows: Sequence[BenchmarkRow]) -> tuple[list[BenchmarkRow], list[tuple[BenchmarkRow, str]]]:
    """Rows no earlier-or-same-dated row beats on (error, line), in O(n log n).

    A dated row is on the frontier iff it is the (error, line) minimum of all rows dated up to and
    including its year: rank rows by (error, line), take each year's minimum rank, carry the running
    minimum forward over the years, and keep the row holding it.
    """
    dated = [i for i, r in enumerate(rows) if r.year is not None]
    on_mask = np.zeros(len(rows), dtype=bool)
    if dated:
        year = np.array([rows[i].year for i in dated], dtype=float)
        err = np.array([rows[i].error_pct for i in dated], dtype=float)
        line = np.array([rows[i].line for i in dated], dtype=np.int64)
        rank = np.empty(len(dated), dtype=np.int64)
        rank[np.lexsort((line, err))] = np.arange(len(dated))
        years, group = np.unique(year, return_inverse=True)
        year_min = np.full(len(years), len(dated), dtype=np.int64)
        np.minimum.at(year_min, group, rank)
        best_to_date = np.minimum.accumulate(year_min)
        on_mask[np.array(dated, dtype=np.int64)] = rank == best_to_date[group]
    keep = on_mask.tolist()
    on = [r for r, k in zip(rows, keep, strict=True) if k]
    off = [
        (r, "no date (frontier needs one)" if r.year is None else "not best to date (frontier)")
        for r, k in zip(rows, keep, strict=True)
        if not k
    ]
    return on, off


def best_error(rows: Sequence[BenchmarkRow]) -> float:
    """Today's best error among a benchmark's rows (duplicates and commercial systems excluded)."""
    errs = [r.error_pct for r in rows if not r.skip_reason]
    if not errs:
        raise InputError("no usable rows")
    return min(errs)


__all__ = [
    "BENCHMARKS",
    "CHIP_DEFAULT",
    "MEASURES",
    "MIXED",
    "VOCABULARIES",
    "Benchmark",
    "BenchmarkRow",
    "Selection",
    "TooFewRowsError",
    "best_error",
    "burden_precision_value",
    "canonical_split",
    "decimal_year",
    "frontier_of",
    "get_benchmark",
    "hardware_burden",
    "iter_csv",
    "load_rows",
    "select",
]
