"""``estimate()``: training compute, then time, chips, cost, energy and CO2e, with low/central/high.

Pure: numbers in, an :class:`Estimate` out (bundled reference tables are read through
:mod:`flopcast.hardware`). Every assumed number is listed in ``Estimate.assumptions`` with its
source and basis (given / assumed / estimated / unavailable).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from flopcast.errors import InputError
from flopcast.estimate import defaults as D
from flopcast.estimate import formulas as F
from flopcast.estimate.memory import OPTIMIZERS, MemoryFit, MemoryFitError, memory_fit
from flopcast.estimate.ranges import evaluate_ranges, price_for
from flopcast.hardware import (
    Accelerator,
    GridIntensity,
    default_grid,
    default_grid_assumption,
    default_training_precision,
    get_accelerator,
    get_region,
    normalize_precision,
    normalize_pricing,
    pue_for_region,
)
from flopcast.provenance import Assumption, Basis
from flopcast.units import SECONDS_PER_HOUR

CONVERSIONS = ("hardware", "thompson2020")
FIGURES = ("training_flop", "wall_hours", "chip_hours", "chips", "cost_usd", "energy_kwh", "co2e_kg", "co2e_lbs")


@dataclass(frozen=True)
class Estimate:
    """Training compute and its consequences. Uncertain figures also have ``low``/``high`` values.

    Attributes
    ----------
    training_flop : training compute, FLOP.
    method : how it was obtained (operation counting, hardware burden, given).
    wall_hours : wall-clock training time, hours (``None`` without hardware).
    chip_hours : accelerator-hours.
    cost_usd : US dollars (cloud price x chip-hours, electricity for owned hardware, or Thompson 2020).
    energy_kwh : facility energy, kWh (chips x TDP x power fraction x (1 + host overhead) x PUE).
    co2e_kg, co2e_lbs : location-based emissions, kg and lbs CO2e.
    low, high : the same figures at the favourable / unfavourable ends of the assumed ranges.
    assumptions : every input the figures rest on, with source and basis.
    chips : accelerators used (given, from a deadline, or the memory-fit minimum).
    hardware, precision, utilization, conversion : what the figures were computed with.
    memory : the memory fit, where parameters and chip memory are known.
    """

    training_flop: float
    method: str
    wall_hours: float | None
    chip_hours: float | None
    cost_usd: float | None
    energy_kwh: float | None
    co2e_kg: float | None
    co2e_lbs: float | None
    low: Mapping[str, float]
    high: Mapping[str, float]
    assumptions: tuple[Assumption, ...]
    chips: float | None = None
    hardware: str | None = None
    precision: str | None = None
    utilization: float | None = None
    conversion: str = "hardware"
    memory: MemoryFit | None = None
    caveats: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "training_flop": self.training_flop, "method": self.method, "wall_hours": self.wall_hours,
            "chip_hours": self.chip_hours, "cost_usd": self.cost_usd, "energy_kwh": self.energy_kwh,
            "co2e_kg": self.co2e_kg, "co2e_lbs": self.co2e_lbs, "chips": self.chips, "hardware": self.hardware,
            "precision": self.precision, "utilization": self.utilization, "conversion": self.conversion,
            "low": dict(self.low), "high": dict(self.high),
            "memory": self.memory.to_dict() if self.memory else None,
            "assumptions": [a.to_dict() for a in self.assumptions], "caveats": list(self.caveats),
        }


def _a(out: list[Assumption], name: str, value: Any, unit: str, source: str, basis: Basis = Basis.ASSUMED) -> None:
    out.append(Assumption(name, value, unit, source, basis))


def _compute_source(flop, params, tokens, forward_flop, examples, epochs, layers, context, d_model, ratio,
                    out: list[Assumption], architecture: str | None = None) -> tuple[str, float | None, str]:
    """(kind, FLOP or None for hardware burden, method text)."""
    given = {"flop": flop is not None, "params/tokens": params is not None or tokens is not None,
             "forward_flop/examples": forward_flop is not None or examples is not None}
    chosen = [k for k, v in given.items() if v]
    if len(chosen) > 1:
        raise InputError(f"give one compute source, not {' and '.join(chosen)}")
    if flop is not None:
        c = F.positive("flop", flop)
        _a(out, "training_flop", c, "FLOP", "given by the user", Basis.GIVEN)
        return "given", c, "given"
    if params is not None or tokens is not None:
        n, d = F.positive("params", params), F.positive("tokens", tokens)
        _a(out, "params", n, "parameters", "given by the user", Basis.GIVEN)
        _a(out, "tokens", d, "tokens", "given by the user", Basis.GIVEN)
        shape = (layers, context, d_model)
        if architecture == "encoder-decoder":
            if any(v is not None for v in shape):
                raise InputError("the attention term (--layers/--context/--d-model) is for decoder-only models; "
                                 "drop it with --architecture encoder-decoder")
            _a(out, "formula", "6 (N/2) D", "", D.ENCODER_DECODER_SOURCE, Basis.ESTIMATED)
            return "llm", F.encoder_decoder_training_flop(n, d), "operation counting: 6 (N/2) D (encoder-decoder)"
        c = F.dense_transformer_training_flop(n, d)
        method = "operation counting: 6 N D"
        _a(out, "formula", "6 N D", "", "Kaplan et al. 2020 sec. 2.1 (2ND forward + 4ND backward)", Basis.ESTIMATED)
        if any(v is not None for v in shape):
            if not all(v is not None for v in shape):
                raise InputError("the attention term needs layers, context and d_model together")
            extra = F.attention_training_flop(F.positive("layers", layers), F.positive("context", context),
                                              F.positive("d_model", d_model), d)
            c += extra
            method += " + 6 n_layer n_ctx d_model D (attention)"
            _a(out, "attention_flop", extra, "FLOP", "Kaplan et al. 2020 Table 1 (2 n_layer n_ctx d_attn per token "
               "forward, x3 for training)", Basis.ESTIMATED)
        return "llm", c, method
    if forward_flop is not None or examples is not None:
        fwd, ex = F.positive("forward_flop", forward_flop), F.positive("examples", examples)
        ep, r = F.positive("epochs", epochs), F.positive("backward_forward_ratio", ratio)
        c = F.counted_training_flop(fwd, ex, ep, r)
        _a(out, "forward_flop", fwd, "FLOP per example", "given (e.g. from `flopcast count`)", Basis.GIVEN)
        _a(out, "examples", ex, "examples per epoch", "given by the user", Basis.GIVEN)
        _a(out, "epochs", ep, "epochs", "given by the user", Basis.GIVEN)
        _a(out, "backward_forward_ratio", r, "", D.BACKWARD_FORWARD_RATIO_SOURCE if ratio == 2.0 else "given",
           Basis.ASSUMED if ratio == 2.0 else Basis.GIVEN)
        return "counted", c, f"operation counting: (1 + {r:g}) x forward FLOP x examples x epochs"
    return "burden", None, "hardware burden: chips x peak x hours x utilization"


def estimate(*, flop: float | None = None, params: float | None = None, tokens: float | None = None,
             forward_flop: float | None = None, examples: float | None = None, epochs: float = 1.0,
             hardware: str | Accelerator | None = None, chips: float | None = None, hours: float | None = None,
             utilization: float | None = None, precision: str | None = None, region: str | None = None,
             pue: float | None = None, pricing: str = "on-demand", conversion: str = "hardware",
             layers: float | None = None, context: float | None = None, d_model: float | None = None,
             backward_forward_ratio: float = 2.0, architecture: str | None = None, provider: str | None = None,
             usd_per_chip_hour: float | None = None, power_fraction: float | None = None,
             host_overhead: float = 0.0, electricity_usd_per_kwh: float | None = None, optimizer: str = "adam",
             zero_stage: int = 3, activations_bytes: float = 0.0, memory_params: float | None = None,
             language_model: bool | None = None, g_co2e_per_kwh: float | None = None,
             family: str | None = None) -> Estimate:
    """Estimate training compute, wall-clock time, chips, cost, energy and CO2e.

    Compute comes from exactly one source: ``flop``; ``params`` and ``tokens`` (6ND, plus the
    attention term given ``layers``, ``context``, ``d_model``); ``forward_flop`` and ``examples``
    (x ``epochs``, x (1 + ``backward_forward_ratio``)); or, with none of these, the hardware burden
    ``chips x peak x hours x utilization``. With ``hardware``: ``chips`` gives the wall clock,
    ``hours`` alone gives the chips a deadline needs, both give the implied utilization, neither
    uses the memory-fit minimum (needs ``params``, or ``memory_params`` when compute comes from
    elsewhere; ``activations_bytes`` is the activation memory of the whole batch, split across chips).

    ``architecture="encoder-decoder"`` counts 6 (N/2) D on the params/tokens path (each token meets
    only the encoder or the decoder half). ``precision=None`` uses
    :func:`~flopcast.hardware.default_training_precision`; ``utilization=None`` uses the convention of
    ``family`` (``"language"`` 0.3, ``"other"`` 0.4: Epoch AI's; without it ``language_model``, and
    without that the 6ND path counts as a language model) with a range, or 1.0 (peak) for
    ``conversion="thompson2020"``, which also prices compute with the paper's factors
    (dollars = FLOP / 6.874e16, lbs CO2 = FLOP / 3.498e17). ``pricing``: ``on-demand``, ``spot``,
    ``reserved`` (cloud quotes, low/median/high) or ``owned`` (electricity only). ``g_co2e_per_kwh``
    overrides the region's grid intensity.
    Utilization, power fraction and price ranges give ``low``/``high`` for every derived figure.

    Raises
    ------
    InputError
        Missing, conflicting, zero or negative inputs; unknown hardware/region/precision; an
        impossible memory fit or an implied utilization above 1.
    """
    out: list[Assumption] = []
    caveats: list[str] = []
    if conversion not in CONVERSIONS:
        raise InputError(f"unknown conversion {conversion!r}; choose one of {', '.join(CONVERSIONS)}")
    if architecture is not None and architecture not in D.ARCHITECTURE_CAVEATS:
        raise InputError(f"unknown architecture {architecture!r}; choose one of {', '.join(D.ARCHITECTURE_CAVEATS)}")
    kind, flop_c, method = _compute_source(flop, params, tokens, forward_flop, examples, epochs, layers, context,
                                           d_model, backward_forward_ratio, out, architecture)
    if F.positive("epochs", epochs) != 1.0 and kind != "counted":
        raise InputError("epochs apply to a per-example count (--model with --examples); with --tokens give the "
                         "total tokens seen, with --flop the total compute")
    if architecture is not None and D.ARCHITECTURE_CAVEATS[architecture] and kind == "llm":
        caveats.append(D.ARCHITECTURE_CAVEATS[architecture])
    acc = get_accelerator(hardware) if hardware is not None else None
    if acc is None and (chips is not None or hours is not None or kind == "burden"):
        if kind == "burden":
            raise InputError("nothing to estimate from: give --flop, --params and --tokens, --model with "
                             "--examples, or --hardware with --chips and --hours")
        raise InputError("--chips/--hours need --hardware (e.g. --hardware h100)")
    n_chips = float(F.whole("chips", chips)) if chips is not None else None
    _check_memory_options(optimizer, zero_stage, activations_bytes)
    n_hours = F.positive("hours", hours) if hours is not None else None
    hw_pue = F.positive("pue", pue) if pue is not None else None
    if hw_pue is not None and hw_pue < 1:
        raise InputError(f"pue must be >= 1 (facility energy / IT energy), got {pue!r}")
    host = F.positive("host_overhead", host_overhead, allow_zero=True)

    urange = _utilization_range(utilization, conversion, kind, family, language_model)

    prec = peak = None
    if acc is not None:
        prec = normalize_precision(precision) if precision not in (None, "auto") else default_training_precision(acc)
        peak = acc.peak(prec)
        _a(out, "hardware", acc.name, "", acc.source, Basis.GIVEN)
        _a(out, "precision", prec, "", "given by the user" if precision not in (None, "auto") else
           "default training precision for the chip (bf16/fp16 tensor rate where it has one, else fp32)",
           Basis.GIVEN if precision not in (None, "auto") else Basis.ASSUMED)
        _a(out, "peak_flop_per_s", peak, "FLOP/s", f"dense {prec} peak, {acc.source}")
        if prec not in acc.tensor_precisions and (acc.year or 0) >= 2018 and precision in (None, "auto"):
            caveats.append(D.NO_TENSOR_RATE.format(name=acc.name, prec=prec))

    # ---- memory fit
    fit = None
    fit_params = params if params is not None else memory_params
    if acc is not None and fit_params is not None and acc.memory_bytes:
        fit = memory_fit(fit_params, acc.memory_bytes, precision=prec or "bf16", optimizer=optimizer,
                         zero_stage=zero_stage, activations_bytes=activations_bytes)
        _a(out, "min_chips_memory", fit.min_chips, "chips", f"weights + gradients + {optimizer} state + activations "
           f"at ZeRO stage {zero_stage} in {fit.usable_fraction:.0%} of {acc.memory_bytes / 1e9:g} GB "
           "(Rajbhandari et al. 2020)", Basis.ESTIMATED)
        if activations_bytes == 0:
            caveats.append("memory fit excludes activations (none given); pass --activations-bytes "
                           "(activations_bytes=) with the whole batch's activation memory, or count it with --model")
        if n_chips is not None and n_chips < fit.min_chips:
            raise MemoryFitError(f"impossible memory fit: {n_chips:g} x {acc.name} cannot hold the training state; "
                                 f"needs at least {fit.min_chips} at ZeRO stage {zero_stage}")

    # ---- mode: how chips / hours / utilization relate
    mode = "none"
    if acc is not None:
        if kind == "burden":
            if n_chips is None or n_hours is None:
                raise InputError("hardware burden needs --chips and --hours")
            mode = "burden"
        elif n_chips is not None and n_hours is not None:
            if utilization is not None:
                raise InputError("over-determined: with a FLOP source, chips and hours, utilization is implied; "
                                 "drop one of them")
            implied = flop_c / (n_chips * peak * n_hours * SECONDS_PER_HOUR)
            if implied > 1:
                raise InputError(f"impossible: {n_chips:g} x {acc.name} in {n_hours:g} h would need "
                                 f"{implied:.0%} of peak; add chips or hours")
            urange = D.Range(implied, implied, implied, "implied by FLOP / (chips x peak x hours)")
            mode = "fixed"
        elif n_chips is not None:
            mode = "chips"
        elif n_hours is not None:
            mode = "deadline"
        elif fit is not None:
            n_chips = float(fit.min_chips)
            _a(out, "chips", fit.min_chips, "chips", "no chips given: the memory-fit minimum", Basis.ESTIMATED)
            mode = "chips"
        else:
            raise InputError("with --hardware give --chips (wall clock) or --hours (chips for a deadline)")
        _a(out, "utilization", urange.central, "fraction of peak", urange.source,
           Basis.GIVEN if utilization is not None else Basis.ESTIMATED if mode == "fixed" else Basis.ASSUMED)
        if urange.low != urange.high:
            _a(out, "utilization_range", [urange.low, urange.high], "fraction of peak", urange.source)

    # ---- energy inputs
    tdp, pf, power_label, power_source = _board_power(acc, power_fraction)
    grid = get_region(region) if region is not None else default_grid()
    if g_co2e_per_kwh is not None:  # the user's own figure (e.g. a market-based or measured intensity)
        g = F.positive("g_co2e_per_kwh", g_co2e_per_kwh, allow_zero=True)
        grid = GridIntensity(grid.code if region is not None else "given", "given by the user", g, None,
                             "given by the user")
    if hw_pue is not None:
        pue_v, pue_src, pue_basis = hw_pue, "given by the user", Basis.GIVEN
    else:
        (pue_v, pue_src), pue_basis = pue_for_region(grid.code), Basis.ASSUMED
    energy_possible = acc is not None and conversion == "hardware"
    if energy_possible:
        if tdp is None:
            _a(out, "tdp_watts", None, "W", f"{acc.name} has no published TDP; energy and CO2e unavailable",
               Basis.UNAVAILABLE)
        else:
            _a(out, power_label, tdp, "W", power_source)
            _a(out, "power_fraction", pf.central, f"fraction of {power_label}", pf.source,
               Basis.GIVEN if power_fraction is not None else Basis.ASSUMED)
            if pf.low != pf.high:
                _a(out, "power_fraction_range", [pf.low, pf.high], f"fraction of {power_label}", pf.source)
            _a(out, "host_overhead", host, "fraction of accelerator power",
               D.HOST_OVERHEAD_SOURCE if host_overhead == 0 else "given by the user",
               Basis.ASSUMED if host_overhead == 0 else Basis.GIVEN)
            _a(out, "pue", pue_v, "", pue_src, pue_basis)
            if region is None and g_co2e_per_kwh is None:
                out.append(default_grid_assumption())
            else:
                _a(out, "grid_intensity", grid.g_co2e_per_kwh, "gCO2e/kWh", "given by the user"
                   if g_co2e_per_kwh is not None else f"{grid.code} ({grid.name}): {grid.source}", Basis.GIVEN)

    # ---- price range
    kind_price = "owned" if str(pricing).lower() == "owned" else normalize_pricing(pricing)
    price = None
    if conversion == "hardware" and acc is not None:
        price = price_for(acc, kind_price, provider, usd_per_chip_hour, electricity_usd_per_kwh, out)
    if conversion == "thompson2020":
        _a(out, "conversion", "thompson2020", "", "Thompson et al. 2020: dollars = FLOP / 6.874e16, lbs CO2 = FLOP "
           "/ 3.498e17 (their ImageNet chart conversion; energy not modelled)")

    def scenario(u: float, p: float, c: float | None) -> dict[str, float | None]:
        fig: dict[str, float | None] = dict.fromkeys(FIGURES)
        if kind == "burden":
            fig["training_flop"] = F.hardware_burden(n_chips, peak, n_hours, u)
        else:
            fig["training_flop"] = flop_c
        if mode in ("burden", "fixed"):
            fig["chips"], fig["wall_hours"] = n_chips, n_hours
        elif mode == "chips":
            fig["chips"], fig["wall_hours"] = n_chips, F.wall_hours(flop_c, n_chips, peak, u)
        elif mode == "deadline":
            k = F.chips_for_deadline(flop_c, n_hours, peak, u)
            if fit is not None:
                k = max(k, fit.min_chips)
            fig["chips"], fig["wall_hours"] = float(k), F.wall_hours(flop_c, k, peak, u)
        if fig["wall_hours"] is not None:
            fig["chip_hours"] = fig["chips"] * fig["wall_hours"]
        if conversion == "thompson2020":
            fig["cost_usd"] = F.thompson2020_cost_usd(fig["training_flop"])
            fig["co2e_lbs"] = F.thompson2020_co2_lbs(fig["training_flop"])
            fig["co2e_kg"] = fig["co2e_lbs"] / F.kg_to_lbs(1.0)
            return fig
        if fig["chip_hours"] is not None and tdp is not None:
            fig["energy_kwh"] = F.energy_kwh(fig["chip_hours"], tdp, p, pue_v, host)
            fig["co2e_kg"] = F.co2e_kg(fig["energy_kwh"], grid.g_co2e_per_kwh)
            fig["co2e_lbs"] = F.kg_to_lbs(fig["co2e_kg"])
        if c is not None and fig["chip_hours"] is not None:
            if kind_price == "owned":
                fig["cost_usd"] = None if fig["energy_kwh"] is None else fig["energy_kwh"] * c
            else:
                fig["cost_usd"] = fig["chip_hours"] * c
        return fig

    central, low, high = evaluate_ranges(scenario, urange, pf, price)
    _require_finite(central, low, high)
    if mode == "deadline" and fit is not None and central["chips"] == fit.min_chips:
        caveats.append("the memory-fit minimum, not the deadline, sets the chip count")
    if mode == "chips" or mode == "deadline":
        _a(out, "chips", central["chips"], "chips", "given by the user" if chips is not None else
           "fewest chips meeting the deadline at the central utilization" if mode == "deadline" else
           "memory-fit minimum", Basis.GIVEN if chips is not None else Basis.ESTIMATED)
    return Estimate(
        training_flop=central["training_flop"], method=method, wall_hours=central["wall_hours"],
        chip_hours=central["chip_hours"], cost_usd=central["cost_usd"], energy_kwh=central["energy_kwh"],
        co2e_kg=central["co2e_kg"], co2e_lbs=central["co2e_lbs"], low=MappingProxyType(low),
        high=MappingProxyType(high), assumptions=tuple(_dedupe(out)), chips=central["chips"],
        hardware=acc.name if acc else None, precision=prec, utilization=urange.central if acc or kind == "burden"
        else None, conversion=conversion, memory=fit, caveats=tuple(caveats))


def _check_memory_options(optimizer: str, zero_stage: int, activations_bytes: float) -> None:
    """Refuse memory-fit options that would be silently wrong even where no fit is made."""
    if zero_stage not in (0, 1, 2, 3) or isinstance(zero_stage, bool):
        raise InputError(f"zero stage must be 0, 1, 2 or 3, got {zero_stage!r}")
    if optimizer not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}")
    F.positive("activations_bytes", activations_bytes, allow_zero=True)


def _require_finite(*figures: Mapping[str, float | None]) -> None:
    """No figure may overflow to inf or nan (e.g. --params 1e200 --tokens 1e200)."""
    for fig in figures:
        for k, v in fig.items():
            if v is not None and not math.isfinite(v):
                raise InputError(f"{k} overflows ({v}); the inputs are out of range: check their units")


def _utilization_range(utilization: float | None, conversion: str, kind: str, family: str | None,
                       language_model: bool | None) -> D.Range:
    """The utilization assumed: given; peak for Thompson 2020; else the convention for the model family."""
    if utilization is not None:
        u = F.fraction("utilization", utilization)
        return D.Range(u, u, u, "given by the user")
    if conversion == "thompson2020":
        return D.UTILIZATION_THOMPSON
    if family is not None:
        key = str(family).strip().lower()
        key = D.FAMILY_ALIASES.get(key, key)
        if key not in D.FAMILY_UTILIZATION:
            raise InputError(f"unknown model family {family!r}; choose one of "
                             f"{', '.join([*D.FAMILY_UTILIZATION, *D.FAMILY_ALIASES])}")
        r = D.FAMILY_UTILIZATION[key]
        return D.Range(r.low, r.central, r.high, f"--family {key}: {r.source}")
    is_lm = (kind == "llm") if language_model is None else language_model
    r = D.UTILIZATION_LLM if is_lm else D.UTILIZATION_OTHER
    if kind == "burden" and language_model is None:
        return D.Range(r.low, r.central, r.high, f"no --family given, so the 'other models' convention; "
                       f"--family language uses 0.3. {r.source}")
    return r


def _board_power(acc: Accelerator | None, power_fraction: float | None
                 ) -> tuple[float | None, D.Range, str, str]:
    """(watts, fraction range, label, source): TDP x power fraction, or a measured mean power as is."""
    given = None if power_fraction is None else F.fraction("power_fraction", power_fraction)
    if acc is None:
        return None, D.POWER_FRACTION, "tdp_watts", ""
    if acc.tdp_watts is None and acc.measured_mean_watts is not None:
        if given is not None:
            raise InputError(f"--power-fraction is a share of TDP; {acc.name} has no published TDP, only a "
                             f"measured mean power ({acc.measured_mean_watts:g} W) that energy uses as is; drop "
                             "--power-fraction")
        top = (acc.measured_max_watts or acc.measured_mean_watts) / acc.measured_mean_watts
        return (acc.measured_mean_watts, D.Range(1.0, 1.0, top, D.MEASURED_POWER_SOURCE), "measured_mean_watts",
                f"{acc.notes or acc.source}")
    pf = D.Range(given, given, given, "given by the user") if given is not None else D.POWER_FRACTION
    return acc.tdp_watts, pf, "tdp_watts", acc.source


def _dedupe(items: list[Assumption]) -> list[Assumption]:
    seen: dict[str, Assumption] = {}
    for a in items:
        seen[a.name] = a  # the last word on a name wins (e.g. chips: given, then derived)
    return list(seen.values())


__all__ = ["CONVERSIONS", "Estimate", "MemoryFitError", "estimate"]
