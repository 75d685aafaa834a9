"""Energy inputs of an estimate: board power and its fraction, host overhead, PUE and grid intensity."""

from __future__ import annotations

from dataclasses import dataclass

from flopcast.errors import InputError
from flopcast.estimate import defaults as D
from flopcast.estimate import formulas as F
from flopcast.estimate.measured import MeasuredRates
from flopcast.hardware import (
    Accelerator,
    GridIntensity,
    default_grid,
    default_grid_assumption,
    get_region,
    pue_for_region,
)
from flopcast.provenance import Assumption, Basis

_GIVEN = "given by the user"


@dataclass(frozen=True)
class EnergyOptions:
    """The energy options of :func:`~flopcast.estimate.estimate`; ``pue`` and ``host_overhead`` are checked
    (and made floats) on construction, the rest where they are looked up."""

    region: str | None = None
    pue: float | None = None
    power_fraction: float | None = None
    host_overhead: float = 0.0
    g_co2e_per_kwh: float | None = None
    measured: MeasuredRates | None = None  # board power per chip measured on tracked runs (replaces TDP x fraction)

    def __post_init__(self) -> None:
        if self.pue is not None:
            pue = F.positive("pue", self.pue)
            if pue < 1:
                raise InputError(f"pue must be >= 1 (facility energy / IT energy), got {self.pue!r}")
            object.__setattr__(self, "pue", pue)
        object.__setattr__(self, "host_overhead", F.positive("host_overhead", self.host_overhead, allow_zero=True))


@dataclass(frozen=True)
class EnergyInputs:
    """What energy and CO2e are computed from: ``watts`` x power fraction x (1 + host overhead) x PUE x grid.

    ``watts`` is ``None`` where the chip has no published power (energy is then unavailable);
    ``assumptions`` are empty where energy is not modelled (no hardware, or the Thompson 2020 conversion).
    """

    watts: float | None
    power_fraction: D.Range
    host_overhead: float
    pue: float
    g_co2e_per_kwh: float
    assumptions: tuple[Assumption, ...] = ()
    region: str | None = None  # the grid region's code when the user named one


def energy_inputs(acc: Accelerator | None, options: EnergyOptions, *, modelled: bool) -> EnergyInputs:
    """Board power, PUE and grid for ``acc`` (``modelled``: energy is computed, so its inputs are listed)."""
    o = options
    watts, pf, label, power_source = board_power(acc, o.power_fraction, o.measured)
    grid = get_region(o.region) if o.region is not None else default_grid()
    if o.g_co2e_per_kwh is not None:  # the user's own figure (e.g. a market-based or measured intensity)
        g = F.positive("g_co2e_per_kwh", o.g_co2e_per_kwh, allow_zero=True)
        grid = GridIntensity(grid.code if o.region is not None else "given", _GIVEN, g, None, _GIVEN)
    if o.pue is not None:
        pue, pue_src, pue_basis = o.pue, _GIVEN, Basis.GIVEN
    else:
        (pue, pue_src), pue_basis = pue_for_region(grid.code), Basis.ASSUMED
    read: tuple[Assumption, ...] = ()
    if modelled and acc is not None and watts is None:
        read = (
            Assumption(
                "tdp_watts",
                None,
                "W",
                f"{acc.name} has no published TDP; energy and CO2e unavailable",
                Basis.UNAVAILABLE,
            ),
        )
    elif modelled:
        read = (
            *_power_assumptions(watts, pf, label, power_source, o),
            Assumption("pue", pue, "", pue_src, pue_basis),
            _grid_assumption(grid, o),
        )
    region = grid.code if o.region is not None else None
    return EnergyInputs(watts, pf, o.host_overhead, pue, grid.g_co2e_per_kwh, read, region)


def _power_assumptions(
    watts: float | None, pf: D.Range, label: str, source: str, o: EnergyOptions
) -> tuple[Assumption, ...]:
    basis = Basis.MEASURED if o.measured is not None else Basis.ASSUMED
    read: tuple[Assumption, ...] = (
        Assumption(label, watts, "W", source, basis),
        Assumption(
            "power_fraction",
            pf.central,
            f"fraction of {label}",
            pf.source,
            Basis.GIVEN if o.power_fraction is not None else basis,
        ),
    )
    if pf.low != pf.high:
        read = (*read, Assumption("power_fraction_range", [pf.low, pf.high], f"fraction of {label}", pf.source, basis))
    default_host = o.host_overhead == 0
    return (
        *read,
        Assumption(
            "host_overhead",
            o.host_overhead,
            "fraction of accelerator power",
            D.HOST_OVERHEAD_SOURCE if default_host else _GIVEN,
            Basis.ASSUMED if default_host else Basis.GIVEN,
        ),
    )


def _grid_assumption(grid: GridIntensity, o: EnergyOptions) -> Assumption:
    if o.region is None and o.g_co2e_per_kwh is None:
        return default_grid_assumption()
    return Assumption(
        "grid_intensity",
        grid.g_co2e_per_kwh,
        "gCO2e/kWh",
        _GIVEN if o.g_co2e_per_kwh is not None else f"{grid.label}: {grid.source}",
        Basis.GIVEN,
    )


def board_power(
    acc: Accelerator | None, power_fraction: float | None, measured: MeasuredRates | None = None
) -> tuple[float | None, D.Range, str, str]:
    """(watts, fraction range, label, source): TDP x power fraction, or a measured mean power as is.

    ``measured``: the runs' median watts per chip, with their spread as the fraction range (low/median to
    high/median), so the low and high figures use the runs' lowest and highest power."""
    given = None if power_fraction is None else F.fraction("power_fraction", power_fraction)
    if acc is None:
        return None, D.POWER_FRACTION, "tdp_watts", ""
    if measured is not None:
        lo, c, hi = measured.watts_per_chip
        return (
            c,
            D.Range(lo / c, 1.0, hi / c, "the spread (low/central, high/central) of measured_watts_per_chip"),
            "measured_watts_per_chip",
            measured.source,
        )
    if acc.tdp_watts is None and acc.measured_mean_watts is not None:
        if given is not None:
            raise InputError(
                f"--power-fraction is a share of TDP; {acc.name} has no published TDP, only a "
                f"measured mean power ({acc.measured_mean_watts:g} W) that energy uses as is; drop "
                "--power-fraction"
            )
        top = (acc.measured_max_watts or acc.measured_mean_watts) / acc.measured_mean_watts
        return (
            acc.measured_mean_watts,
            D.Range(1.0, 1.0, top, D.MEASURED_POWER_SOURCE),
            "measured_mean_watts",
            f"{acc.notes or acc.source}",
        )
    pf = D.Range(given, given, given, _GIVEN) if given is not None else D.POWER_FRACTION
    return acc.tdp_watts, pf, "tdp_watts", acc.source
