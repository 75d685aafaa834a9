"""The schedule of an estimate: accelerator, precision, memory fit, and how chips, hours and utilization relate.

Modes: ``burden`` (chips and hours give the compute), ``fixed`` (compute, chips and hours imply the
utilization), ``chips`` (chips give the wall clock), ``deadline`` (hours give the chips), ``none``
(no hardware: compute only).
"""

from __future__ import annotations

from dataclasses import dataclass

from flopcast.errors import InputError
from flopcast.estimate import defaults as D
from flopcast.estimate import formulas as F
from flopcast.estimate.compute import ComputeSource
from flopcast.estimate.measured import MeasuredRates
from flopcast.estimate.memory import OPTIMIZERS, MemoryFit, MemoryFitError, memory_fit
from flopcast.hardware import Accelerator, default_training_precision, get_accelerator, normalize_precision
from flopcast.provenance import Assumption, Basis


@dataclass(frozen=True)
class MemoryOptions:
    """Memory-fit options, validated on construction (wrong ones are refused even where no fit is made).

    ``params`` is the parameter count the fit uses (the 6ND ``params``, or a counted model's).
    """

    optimizer: str = "adam"
    zero_stage: int = 3
    activations_bytes: float = 0.0
    params: float | None = None

    def __post_init__(self) -> None:
        if self.zero_stage not in (0, 1, 2, 3) or isinstance(self.zero_stage, bool):
            raise InputError(f"zero stage must be 0, 1, 2 or 3, got {self.zero_stage!r}")
        if self.optimizer not in OPTIMIZERS:
            raise InputError(f"unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
        F.positive("activations_bytes", self.activations_bytes, allow_zero=True)


@dataclass(frozen=True)
class Schedule:
    """How the compute runs on the hardware. Without an accelerator only ``mode="none"`` and ``utilization``.

    Attributes
    ----------
    mode : ``"none"``, ``"burden"``, ``"fixed"``, ``"chips"`` or ``"deadline"`` (see the module docstring).
    utilization : the fraction of peak assumed (low/central/high), or the one implied.
    accelerator, precision, peak_flop_per_s : the chip, the precision and its dense peak.
    chips, hours : given (or, for chips, the memory-fit minimum); the rest is derived per scenario.
    chips_given : whether the user gave the chip count.
    fit : the memory fit, where parameters and chip memory are known.
    assumptions, caveats : in the order they were read.
    """

    mode: str
    utilization: D.Range
    accelerator: Accelerator | None = None
    precision: str | None = None
    peak_flop_per_s: float | None = None
    chips: float | None = None
    hours: float | None = None
    chips_given: bool = False
    fit: MemoryFit | None = None
    assumptions: tuple[Assumption, ...] = ()
    caveats: tuple[str, ...] = ()


def accelerator(
    hardware: str | Accelerator | None, chips: float | None, hours: float | None, kind: str
) -> Accelerator | None:
    """The accelerator named (or ``None``); refuses chips/hours or a hardware burden without one."""
    acc = get_accelerator(hardware) if hardware is not None else None
    if acc is None and (chips is not None or hours is not None or kind == "burden"):
        if kind == "burden":
            raise InputError(
                "nothing to estimate from: give --flop, --params and --tokens, --model with "
                "--examples, or --hardware with --chips and --hours"
            )
        raise InputError("--chips/--hours need --hardware (e.g. --hardware h100)")
    return acc


def utilization_range(
    utilization: float | None,
    conversion: str,
    kind: str,
    family: str | None,
    language_model: bool | None,
    measured: MeasuredRates | None = None,
) -> D.Range:
    """The utilization assumed: measured on tracked runs; given; peak for Thompson 2020; else the convention
    for the model family."""
    if measured is not None:
        lo, c, hi = measured.utilization
        return D.Range(lo, c, hi, measured.source)
    if utilization is not None:
        u = F.fraction("utilization", utilization)
        return D.Range(u, u, u, "given by the user")
    if conversion == "thompson2020":
        return D.UTILIZATION_THOMPSON
    if family is not None:
        key = str(family).strip().lower()
        key = D.FAMILY_ALIASES.get(key, key)
        if key not in D.FAMILY_UTILIZATION:
            raise InputError(
                f"unknown model family {family!r}; choose one of "
                f"{', '.join([*D.FAMILY_UTILIZATION, *D.FAMILY_ALIASES])}"
            )
        r = D.FAMILY_UTILIZATION[key]
        return D.Range(r.low, r.central, r.high, f"--family {key}: {r.source}")
    is_lm = (kind == "llm") if language_model is None else language_model
    r = D.UTILIZATION_LLM if is_lm else D.UTILIZATION_OTHER
    if kind == "burden" and language_model is None:
        return D.Range(
            r.low,
            r.central,
            r.high,
            f"no --family given, so the 'other models' convention; --family language uses 0.3. {r.source}",
        )
    return r


def schedule(
    acc: Accelerator | None,
    source: ComputeSource,
    *,
    chips: float | None,
    hours: float | None,
    urange: D.Range,
    utilization_given: bool,
    precision: str | None,
    memory: MemoryOptions,
    measured: MeasuredRates | None = None,
) -> Schedule:
    """Precision and peak, the memory fit, then the mode; ``chips``/``hours`` already validated.

    ``measured``: ``urange`` was measured on these tracked runs (labelled so; like a given one, it
    over-determines a FLOP source with chips and hours), and no precision given means the runs'."""
    if acc is None:
        return Schedule("none", urange)
    prec, peak, read, caveats = _precision(acc, precision, measured.precision if measured else None)
    fit, fit_read, fit_caveats = _fit(acc, prec, chips, memory)
    fixed_u = utilization_given or measured is not None
    mode, urange, n_chips, mode_read = _mode(source, chips, hours, urange, fixed_u, peak, fit, acc.name)
    basis = (
        Basis.MEASURED
        if measured
        else Basis.GIVEN
        if utilization_given
        else Basis.ESTIMATED
        if mode == "fixed"
        else Basis.ASSUMED
    )
    u_source = urange.source
    used: tuple[Assumption, ...] = (Assumption("utilization", urange.central, "fraction of peak", u_source, basis),)
    if urange.low != urange.high:
        used = (
            *used,
            Assumption(
                "utilization_range",
                [urange.low, urange.high],
                "fraction of peak",
                urange.source,
                Basis.MEASURED if measured else Basis.ASSUMED,
            ),
        )
    return Schedule(
        mode,
        urange,
        acc,
        prec,
        peak,
        n_chips,
        hours,
        chips_given=chips is not None,
        fit=fit,
        assumptions=(*read, *fit_read, *mode_read, *used),
        caveats=(*caveats, *fit_caveats),
    )


def _precision(
    acc: Accelerator, precision: str | None, runs_precision: str | None = None
) -> tuple[str, float, tuple[Assumption, ...], tuple[str, ...]]:
    """(precision, dense peak FLOP/s, assumptions, caveats) for ``acc``; ``None``/``"auto"`` = the calibrating
    runs' precision (``runs_precision``), else the chip's default."""
    auto = precision is None or precision == "auto"
    runs = auto and runs_precision is not None
    prec = (
        runs_precision
        if runs and runs_precision
        else default_training_precision(acc)
        if auto
        else normalize_precision(str(precision), acc)
    )
    why = (
        "the calibrating runs' (their MFU is relative to its peak)"
        if runs
        else "default training precision for the chip (bf16/fp16 tensor rate where it has one, else fp32)"
        if auto
        else "given by the user"
    )
    peak = acc.peak(prec)
    read = (
        Assumption("hardware", acc.name, "", acc.source, Basis.GIVEN),
        Assumption("precision", prec, "", why, Basis.ASSUMED if auto else Basis.GIVEN),
        Assumption("peak_flop_per_s", peak, "FLOP/s", f"dense {prec} peak, {acc.source}", Basis.ASSUMED),
    )
    no_tensor = prec not in acc.tensor_precisions and (acc.year or 0) >= 2018 and auto and not runs
    return prec, peak, read, (D.NO_TENSOR_RATE.format(name=acc.name, prec=prec),) if no_tensor else ()


def _fit(
    acc: Accelerator, prec: str, chips: float | None, memory: MemoryOptions
) -> tuple[MemoryFit | None, tuple[Assumption, ...], tuple[str, ...]]:
    """The memory fit where parameters and chip memory are known; refuses chips that cannot hold the state."""
    if memory.params is None or not acc.memory_bytes:
        return None, (), ()
    fit = memory_fit(
        memory.params,
        acc.memory_bytes,
        precision=prec or "bf16",
        optimizer=memory.optimizer,
        zero_stage=memory.zero_stage,
        activations_bytes=memory.activations_bytes,
    )
    read = (
        Assumption(
            "min_chips_memory",
            fit.min_chips,
            "chips",
            f"weights + gradients + {memory.optimizer} state "
            f"+ activations at ZeRO stage {memory.zero_stage} in {fit.usable_fraction:.0%} of "
            f"{acc.memory_bytes / 1e9:g} GB (Rajbhandari et al. 2020)",
            Basis.ESTIMATED,
        ),
    )
    caveats = (
        ()
        if memory.activations_bytes != 0
        else (
            "memory fit excludes activations (none given); pass --activations-bytes "
            "(activations_bytes=) with the whole "
            "batch's activation memory, or count it with --model",
        )
    )
    if chips is not None and chips < fit.min_chips:
        raise MemoryFitError(
            f"impossible memory fit: {chips:g} x {acc.name} cannot hold the training state; "
            f"needs at least {fit.min_chips} at ZeRO stage {memory.zero_stage}"
        )
    return fit, read, caveats


def _mode(
    source: ComputeSource,
    chips: float | None,
    hours: float | None,
    urange: D.Range,
    utilization_given: bool,
    peak: float,
    fit: MemoryFit | None,
    name: str,
) -> tuple[str, D.Range, float | None, tuple[Assumption, ...]]:
    """(mode, utilization, chips, assumptions): which of chips / hours / utilization the others determine."""
    if source.kind == "burden":
        if chips is None or hours is None:
            raise InputError("hardware burden needs --chips and --hours")
        return "burden", urange, chips, ()
    if chips is not None and hours is not None:
        if utilization_given:
            raise InputError(
                "over-determined: with a FLOP source, chips and hours, utilization is implied; drop one of them"
            )
        implied = _flop(source) / F.hardware_burden(chips, peak, hours)
        if implied > 1:
            raise InputError(
                f"impossible: {chips:g} x {name} in {hours:g} h would need {implied:.0%} of peak; add chips or hours"
            )
        return "fixed", D.Range(implied, implied, implied, "implied by FLOP / (chips x peak x hours)"), chips, ()
    if chips is not None:
        return "chips", urange, chips, ()
    if hours is not None:
        return "deadline", urange, None, ()
    if fit is not None:
        return (
            "chips",
            urange,
            float(fit.min_chips),
            (Assumption("chips", fit.min_chips, "chips", "no chips given: the memory-fit minimum", Basis.ESTIMATED),),
        )
    raise InputError("with --hardware give --chips (wall clock) or --hours (chips for a deadline)")


def _flop(source: ComputeSource) -> float:
    """The FLOP of a source that has them (every kind but the hardware burden)."""
    if source.flop is None:
        raise ValueError(f"a {source.kind} compute source has no FLOP of its own")
    return source.flop
