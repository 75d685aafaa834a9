"""Price the project, not only the final run: the overheads around one clean training run, each cited.

:func:`project_estimate` is pure: an :class:`~flopcast.estimate.Estimate` of the final run and a
:class:`ProjectOverheads` in, a :class:`ProjectEstimate` out, with one labelled line per overhead:

==================  =====================================================================================
line                what it adds (F = the final run's figures, S = F + lost + experimentation + evaluation)
==================  =====================================================================================
goodput             lost chip-time: F x (1/g - 1), g = useful training time / elapsed time, in (0, 1]
experimentation     sweeps, ablations, failed attempts: F x (X - 1), X >= 1 a multiple of the final run
evaluation          F x f, f >= 0 a fraction of the final run (no published default: give it)
idle                static power the dynamic estimate misses: S.chip_hours x board W x i (no PUE: the
                    published figure already includes network, storage and cooling)
embodied            manufacturing of chips and servers amortized: S.chip_hours x r kg CO2e per chip-hour
serving             queries/day x Wh/query x days (all given: no published default)
==================  =====================================================================================

Defaults come from published accounts in ``data/overheads/accounts.csv`` (see :func:`default_overheads`),
each labelled *assumed* with its source and the range across accounts; a value the user gives is
*given*. The low / high project figures take every overhead at its favourable / unfavourable end
together with the final run's low / high; each line is monotone in its factor, so these bound it.
Complexity: O(lines), constant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from types import MappingProxyType
from typing import Any

from flopcast._display import Tabular
from flopcast.data import bundled
from flopcast.errors import InputError
from flopcast.estimate.core import Estimate, estimate
from flopcast.estimate.defaults import Range
from flopcast.provenance import Basis

SCHEMA = "flopcast.project_estimate/1"
FIGURES = ("chip_hours", "kwh", "kg_co2e", "usd")
HOURS_PER_YEAR = 8760.0  # 365 days, as Luccioni et al. 2022 amortize over years of service
_ACCOUNTS = "overheads/accounts.csv"


# ---------------------------------------------------------------- published accounts and the defaults they give


@cache
def published_accounts() -> Mapping[tuple[str, str], tuple[float, str, str]]:
    """``(account, quantity) -> (value, unit, source)`` from ``data/overheads/accounts.csv``."""
    rows = bundled(_ACCOUNTS, ("account", "quantity", "value", "unit", "source"))
    return MappingProxyType(
        {
            (r.get("account"), r.get("quantity")): (r.number("value", required=True), r.get("unit"), r.get("source"))
            for r in rows
        }
    )


def account(name: str, quantity: str) -> float:
    """One published figure, e.g. ``account("bloom_2022", "idle_kwh")`` -> 256646.0."""
    return published_accounts()[(name, quantity)][0]


def bloom_embodied_kg_per_chip_hour() -> float:
    """(GPU kg + server kg / GPUs per server) / (service years x 8760 h x average usage), Luccioni et al. 2022."""
    a = "bloom_2022"
    per_gpu = account(a, "gpu_embodied_kg") + account(a, "server_embodied_kg") / account(a, "gpus_per_server")
    return per_gpu / (account(a, "service_life_years") * HOURS_PER_YEAR * account(a, "average_usage"))


@cache
def default_overheads() -> Mapping[str, Range]:
    """The assumed factor of each overhead that a published account supports, with its range and sources."""
    bloom_idle = account("bloom_2022", "idle_kwh") / account("bloom_2022", "dynamic_kwh")
    share = account("bloom_2022", "idle_share_of_power")
    olmo = 1.0 + account("olmo_2025", "development_fraction_of_training")
    bigscience = account("bigscience_2022", "all_experiments_kg_co2e") / account("bigscience_2022", "final_kg_co2e")
    opt = account("opt175b_2021", "ideal_days") / account("opt175b_2021", "elapsed_days")
    llama = account("llama3_2024", "effective_training_time")
    return MappingProxyType(
        {
            "experiments": Range(
                olmo,
                olmo,
                bigscience,
                (
                    f"low/central {olmo:g}: Morrison et al. 2025 (OLMo, arXiv:2503.05804) development "
                    "~50% of final training; "
                    f"high {bigscience:.2f}: BigScience, all experiments 66,290 kg vs 24,690 kg CO2e "
                    "for the final BLOOM run "
                    "(Luccioni et al. 2022 via the bigscience/bloom climate-awareness card)"
                ),
            ),
            "goodput": Range(
                opt,
                llama,
                llama,
                (
                    f"central/high {llama:g}: Llama 3 405B, effective training time higher than 90% "
                    "over 54 days and 466 "
                    f"job interruptions (Dubey et al. 2024, arXiv:2407.21783); low {opt:.2f}: "
                    "OPT-175B, ~33 days of ideal "
                    "training took 56 days (2021-11-11 to 2022-01-06, ~90 restarts; metaseq OPT chronicles)"
                ),
            ),
            "idle_fraction": Range(
                bloom_idle,
                bloom_idle,
                share / (1 - share),
                (
                    "BLOOM (Luccioni et al. 2022 sec. 4.3): idle 256,646 kWh over dynamic 433,196 "
                    f"kWh = {bloom_idle:.3f} of "
                    f"chip-hours x board power; high {share / (1 - share):.2f}: the same paper's "
                    "measured split, 46% of "
                    "cluster power keeping nodes on vs 54% running the code"
                ),
            ),
            "embodied_kg_per_chip_hour": Range(
                *(bloom_embodied_kg_per_chip_hour(),) * 3,
                (
                    "BLOOM (Luccioni et al. 2022 sec. 4.1): (150 kg per GPU, a lower bound, + 2500 "
                    "kg per 8-GPU server) / "
                    "(6 years x 85% usage, IDRIS) per chip-hour; an A100-era figure, the only "
                    "published per-chip account"
                ),
            ),
        }
    )


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ProjectOverheads:
    """The overheads to add around the final run. ``None``: the cited default where one exists, else omitted.

    Attributes
    ----------
    experiments : total training compute before and including the final run, as a multiple of it (>= 1).
    goodput : useful training time / elapsed time during the run, in (0, 1].
    idle_fraction : static (idle-node, network, storage, cooling) energy per chip-hour, as a fraction of board
        power (>= 0).
    embodied_kg_per_chip_hour : manufacturing CO2e amortized per chip-hour, kg (>= 0).
    eval_fraction : evaluation runs as a fraction of the final run (>= 0); no default.
    serving_queries_per_day, serving_wh_per_query, serving_days : serving, all three or none; no defaults.

    Raises
    ------
    InputError
        A factor out of range, or a serving input without the other two.
    """

    experiments: float | None = None
    goodput: float | None = None
    idle_fraction: float | None = None
    embodied_kg_per_chip_hour: float | None = None
    eval_fraction: float | None = None
    serving_queries_per_day: float | None = None
    serving_wh_per_query: float | None = None
    serving_days: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
                raise InputError(f"{f.name} must be a finite number, got {v!r}")
        if self.experiments is not None and self.experiments < 1:
            raise InputError(f"experiments is a multiple of the final run and must be >= 1, got {self.experiments!r}")
        if self.goodput is not None and not 0 < self.goodput <= 1:
            raise InputError(f"goodput is useful / elapsed training time and must be in (0, 1], got {self.goodput!r}")
        for name in (
            "idle_fraction",
            "embodied_kg_per_chip_hour",
            "eval_fraction",
            "serving_queries_per_day",
            "serving_wh_per_query",
            "serving_days",
        ):
            if (getattr(self, name) or 0) < 0:
                raise InputError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        serving = {
            "serving_queries_per_day": self.serving_queries_per_day,
            "serving_wh_per_query": self.serving_wh_per_query,
            "serving_days": self.serving_days,
        }
        given = [k for k, v in serving.items() if v is not None]
        if given and len(given) < 3:
            missing = ", ".join(k for k in serving if k not in given)
            raise InputError(f"serving needs queries per day, Wh per query and days together; missing {missing}")


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class OverheadLine:
    """One overhead: its factor ``value`` in ``[value_low, value_high]`` and what it adds.

    ``low`` / ``high`` are the figures at the favourable / unfavourable end of the factor's range (for
    goodput the favourable end is ``value_high``), with the final run's own low / high figures.
    """

    name: str
    kind: str
    value: float
    value_low: float
    value_high: float
    unit: str
    chip_hours: float
    kwh: float
    kg_co2e: float
    usd: float | None
    low: Mapping[str, float]
    high: Mapping[str, float]
    source: str
    basis: Basis

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "value": self.value,
            "value_low": self.value_low,
            "value_high": self.value_high,
            "unit": self.unit,
            "chip_hours": self.chip_hours,
            "kwh": self.kwh,
            "kg_co2e": self.kg_co2e,
            "usd": self.usd,
            "low": dict(self.low),
            "high": dict(self.high),
            "source": self.source,
            "basis": self.basis.value,
        }


@dataclass(frozen=True, repr=False)  # repr: Tabular's one line (flopcast._display)
class ProjectEstimate(Tabular):
    """The final run, each overhead line, and the project total (figures: chip_hours, kwh, kg_co2e, usd)."""

    final_chip_hours: float
    final_kwh: float
    final_kg_co2e: float
    final_usd: float | None
    final_low: Mapping[str, float]
    final_high: Mapping[str, float]
    lines: tuple[OverheadLine, ...]
    total_chip_hours: float
    total_kwh: float
    total_kg_co2e: float
    total_usd: float | None
    low: Mapping[str, float]
    high: Mapping[str, float]
    omitted: tuple[str, ...] = field(default_factory=tuple)
    caveats: tuple[str, ...] = field(default_factory=tuple)

    _headline = ("final_chip_hours", "total_chip_hours", "total_kwh", "total_kg_co2e", "total_usd", "lines")
    _assumptions = "lines"  # summary() and the HTML list each overhead's factor and basis
    _table = "lines"  # to_pandas(): one row per overhead line (low/high spread into low.kwh... columns)

    def line(self, name: str) -> OverheadLine:
        """The line called ``name`` (``KeyError`` if it was omitted)."""
        for ln in self.lines:
            if ln.name == name:
                return ln
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "final": {
                "chip_hours": self.final_chip_hours,
                "kwh": self.final_kwh,
                "kg_co2e": self.final_kg_co2e,
                "usd": self.final_usd,
                "low": dict(self.final_low),
                "high": dict(self.final_high),
            },
            "lines": [ln.to_dict() for ln in self.lines],
            "total": {
                "chip_hours": self.total_chip_hours,
                "kwh": self.total_kwh,
                "kg_co2e": self.total_kg_co2e,
                "usd": self.total_usd,
                "low": dict(self.low),
                "high": dict(self.high),
            },
            "omitted": list(self.omitted),
            "caveats": list(self.caveats),
        }


# ---------------------------------------------------------------- arithmetic


@dataclass(frozen=True)
class _Factor:
    name: str
    kind: str
    unit: str
    range: Range
    favourable_low: bool  # True: the low value is the favourable (cheaper) end
    basis: Basis


@dataclass(frozen=True)
class _Overhead:
    """One overhead: its line name, the kind of multiplier, its unit, and whether the low value is favourable."""

    line: str
    kind: str
    unit: str
    favourable_low: bool


_OVERHEADS = {
    "goodput": _Overhead("goodput", "lost chip-time: final x (1/g - 1)", "useful/elapsed", False),
    "experiments": _Overhead("experimentation", "multiple of the final run: final x (X - 1)", "x final", True),
    "eval_fraction": _Overhead("evaluation", "fraction of the final run: final x f", "x final", True),
    "idle_fraction": _Overhead("idle", "static energy: chip-hours x board W x i", "x board W", True),
    "embodied_kg_per_chip_hour": _Overhead("embodied", "embodied CO2e: chip-hours x r", "kg/chip-h", True),
}


def _factors(ov: ProjectOverheads) -> tuple[list[_Factor], list[str]]:
    """The factors in effect (given, else assumed from a published account) and what is omitted, and why."""
    defaults = default_overheads()
    out: list[_Factor] = []
    omitted: list[str] = []
    for name, o in _OVERHEADS.items():
        given = getattr(ov, name)
        if given is not None:
            g = float(given)
            out.append(
                _Factor(name, o.kind, o.unit, Range(g, g, g, "given by the user"), o.favourable_low, Basis.GIVEN)
            )
        elif name in defaults:
            out.append(_Factor(name, o.kind, o.unit, defaults[name], o.favourable_low, Basis.ASSUMED))
        else:
            omitted.append(f"{o.line}: no published default; give --eval-fraction (eval_fraction=)")
    if ov.serving_days is None:
        omitted.append(
            "serving: not included; give --serving-queries-per-day, --serving-wh-per-query and --serving-days"
        )
    return out, omitted


def _end(f: _Factor, end: str) -> float:
    if end == "central":
        return f.range.central
    favourable = f.range.low if f.favourable_low else f.range.high
    unfavourable = f.range.high if f.favourable_low else f.range.low
    return favourable if end == "low" else unfavourable


@dataclass(frozen=True)
class _Figs:
    """One set of project figures; ``usd`` is ``None`` where nothing prices it."""

    chip_hours: float
    kwh: float
    kg_co2e: float
    usd: float | None

    def scaled(self, k: float) -> _Figs:
        return _Figs(self.chip_hours * k, self.kwh * k, self.kg_co2e * k, None if self.usd is None else self.usd * k)

    def plus(self, other: _Figs) -> _Figs:
        usd = self.usd if other.usd is None or self.usd is None else self.usd + other.usd
        return _Figs(self.chip_hours + other.chip_hours, self.kwh + other.kwh, self.kg_co2e + other.kg_co2e, usd)

    def mapping(self) -> Mapping[str, float]:
        return MappingProxyType({k: v for k in FIGURES if (v := getattr(self, k)) is not None})


def _lines_at(
    final: _Figs,
    values: Mapping[str, float],
    board_w: float,
    kg_per_kwh: float,
    usd_per_kwh: float | None,
    serving_kwh: float | None,
) -> dict[str, _Figs]:
    """Each line's figures for one set of factor values and one set of final-run figures."""
    lines: dict[str, _Figs] = {}
    if "goodput" in values:
        lines["goodput"] = final.scaled(1.0 / values["goodput"] - 1.0)
    if "experiments" in values:
        lines["experimentation"] = final.scaled(values["experiments"] - 1.0)
    if "eval_fraction" in values:
        lines["evaluation"] = final.scaled(values["eval_fraction"])
    compute = final
    for ln in lines.values():
        compute = compute.plus(ln)
    energy_usd = 0.0 if usd_per_kwh is None else usd_per_kwh  # cloud: the chip-hour price pays the facility
    no_usd = final.usd is None
    if "idle_fraction" in values:
        kwh = compute.chip_hours * board_w * values["idle_fraction"] / 1000.0
        lines["idle"] = _Figs(0.0, kwh, kwh * kg_per_kwh, None if no_usd else kwh * energy_usd)
    if "embodied_kg_per_chip_hour" in values:
        lines["embodied"] = _Figs(
            0.0, 0.0, compute.chip_hours * values["embodied_kg_per_chip_hour"], None if no_usd else 0.0
        )
    if serving_kwh is not None:
        lines["serving"] = _Figs(
            0.0, serving_kwh, serving_kwh * kg_per_kwh, None if usd_per_kwh is None else serving_kwh * usd_per_kwh
        )
    return lines


def _final_figures(final: Estimate) -> dict[str, _Figs]:
    """The final run's figures, central and at its own low / high ends."""
    if final.chip_hours is None or final.energy_kwh is None or final.co2e_kg is None:
        raise InputError(
            "a project estimate needs the final run's chip-hours, energy and CO2e: give --hardware "
            "(with a published TDP) and the hardware conversion"
        )
    central = _Figs(final.chip_hours, final.energy_kwh, final.co2e_kg, final.cost_usd)

    def end(fig: Mapping[str, float]) -> _Figs:
        usd = None if final.cost_usd is None else fig.get("cost_usd", final.cost_usd)
        return _Figs(
            fig.get("chip_hours", central.chip_hours),
            fig.get("energy_kwh", central.kwh),
            fig.get("co2e_kg", central.kg_co2e),
            usd,
        )

    return {"central": central, "low": end(final.low), "high": end(final.high)}


def _board_watts_and_prices(final: Estimate) -> tuple[float, float, float | None]:
    """(board watts the energy used, kg CO2e per kWh of the final run, USD per kWh if priced by energy)."""
    by_name = {a.name: a.value for a in final.assumptions}
    watts = by_name.get("tdp_watts") or by_name.get("measured_mean_watts") or by_name.get("measured_watts_per_chip")
    if not isinstance(watts, (int, float)) or watts <= 0:
        raise InputError("a project estimate needs the chip's board power (TDP); this hardware has none")
    kg_per_kwh = final.co2e_kg / final.energy_kwh if final.co2e_kg is not None and final.energy_kwh else 0.0
    price = by_name.get("electricity_usd_per_kwh")  # recorded only when cost is priced by energy (owned)
    return float(watts), kg_per_kwh, float(price) if isinstance(price, (int, float)) else None


def project_estimate(final: Estimate, overheads: ProjectOverheads) -> ProjectEstimate:
    """Add the overheads around ``final`` (see the module docstring for each line's formula).

    Examples
    --------
    >>> from flopcast.estimate import estimate
    >>> run = estimate(hardware="a100 80gb", chips=384, hours=2820.286458333, power_fraction=1.0, pue=1.0,
    ...                g_co2e_per_kwh=57, language_model=True)
    >>> p = project_estimate(run, ProjectOverheads(experiments=1, goodput=1))
    >>> round(p.line("idle").kg_co2e / 1000, 1), round(p.line("embodied").kg_co2e / 1000, 1)
    (14.6, 11.2)

    Raises
    ------
    InputError
        The final run has no chip-hours, energy or CO2e (no hardware, no TDP, or the Thompson conversion),
        or the project figures overflow.
    """
    figs = _final_figures(final)
    board_w, kg_per_kwh, usd_per_kwh = _board_watts_and_prices(final)
    factors, omitted = _factors(overheads)
    serving_kwh = None
    q, w, d = overheads.serving_queries_per_day, overheads.serving_wh_per_query, overheads.serving_days
    if q is not None and w is not None and d is not None:
        serving_kwh = q * w * d / 1e3
    at = {
        end: _lines_at(
            figs[end], {f.name: _end(f, end) for f in factors}, board_w, kg_per_kwh, usd_per_kwh, serving_kwh
        )
        for end in ("central", "low", "high")
    }
    lines = [_line(f, at) for f in factors]
    if serving_kwh is not None:
        lines.append(
            _make_line(
                "serving",
                "queries/day x Wh/query x days",
                serving_kwh,
                serving_kwh,
                serving_kwh,
                "kWh",
                at,
                f"given by the user: {q:g} queries/day x {w:g} Wh x {d:g} days",
                Basis.GIVEN,
            )
        )
    totals = {end: _total(figs[end], at[end]) for end in at}
    _require_finite(totals)
    c, f = totals["central"], figs["central"]
    return ProjectEstimate(
        final_chip_hours=f.chip_hours,
        final_kwh=f.kwh,
        final_kg_co2e=f.kg_co2e,
        final_usd=f.usd,
        final_low=figs["low"].mapping(),
        final_high=figs["high"].mapping(),
        lines=tuple(lines),
        total_chip_hours=c.chip_hours,
        total_kwh=c.kwh,
        total_kg_co2e=c.kg_co2e,
        total_usd=c.usd,
        low=totals["low"].mapping(),
        high=totals["high"].mapping(),
        omitted=tuple(omitted),
        caveats=tuple(_caveats(final, usd_per_kwh, serving_kwh)),
    )


def _line(f: _Factor, at: Mapping[str, Mapping[str, _Figs]]) -> OverheadLine:
    return _make_line(
        _OVERHEADS[f.name].line, f.kind, f.range.central, f.range.low, f.range.high, f.unit, at, f.range.source, f.basis
    )


def _make_line(
    name: str,
    kind: str,
    value: float,
    lo: float,
    hi: float,
    unit: str,
    at: Mapping[str, Mapping[str, _Figs]],
    source: str,
    basis: Basis,
) -> OverheadLine:
    c = at["central"][name]
    return OverheadLine(
        name=name,
        kind=kind,
        value=value,
        value_low=lo,
        value_high=hi,
        unit=unit,
        chip_hours=c.chip_hours,
        kwh=c.kwh,
        kg_co2e=c.kg_co2e,
        usd=c.usd,
        low=at["low"][name].mapping(),
        high=at["high"][name].mapping(),
        source=source,
        basis=basis,
    )


def _total(final: _Figs, lines: Mapping[str, _Figs]) -> _Figs:
    """Final run + every line; a line with no price (serving in the cloud) adds nothing to the cost."""
    out = final
    for ln in lines.values():
        out = out.plus(_Figs(ln.chip_hours, ln.kwh, ln.kg_co2e, 0.0 if ln.usd is None else ln.usd))
    return out


def _require_finite(totals: Mapping[str, _Figs]) -> None:
    for fig in totals.values():
        for k, v in fig.mapping().items():
            if not math.isfinite(v):
                raise InputError(f"project {k} overflows ({v}); the overheads are out of range: check their units")


def _caveats(final: Estimate, usd_per_kwh: float | None, serving_kwh: float | None) -> list[str]:
    out = []
    if final.cost_usd is not None and usd_per_kwh is None:
        out.append(
            "cloud pricing: idle and embodied lines add no dollars (the chip-hour price pays the provider's "
            "facility and hardware); their energy and CO2e still count"
        )
    if serving_kwh is not None and usd_per_kwh is None:
        out.append("serving is priced only for --pricing owned (energy x electricity price); its cost is left out")
    if final.cost_usd is None:
        out.append("no price for the final run, so no project cost")
    return out


def estimate_project(
    overheads: ProjectOverheads | None = None, **estimate_args: Any
) -> tuple[Estimate, ProjectEstimate]:
    """``estimate(**estimate_args)`` and its :func:`project_estimate` (default overheads when ``None``)."""
    final = estimate(**estimate_args)
    return final, project_estimate(final, overheads if overheads is not None else ProjectOverheads())


__all__ = [
    "SCHEMA",
    "OverheadLine",
    "ProjectEstimate",
    "ProjectOverheads",
    "account",
    "default_overheads",
    "estimate_project",
    "project_estimate",
    "published_accounts",
]
