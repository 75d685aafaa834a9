"""Measured energy → facility energy → CO2e, with one owner per conversion.

Joules → kWh is :data:`flopcast.units.JOULES_PER_KWH`, seconds → hours :data:`flopcast.units.SECONDS_PER_HOUR`,
CO2e is :func:`flopcast.estimate.formulas.co2e_kg` (the formula ``flopcast estimate`` uses).
"""

from __future__ import annotations

from flopcast.units import JOULES_PER_KWH, SECONDS_PER_HOUR

__all__ = ["chip_hours", "co2e_kg", "facility_kwh", "kwh"]


def kwh(joules: float) -> float:
    """Energy in kWh from joules (1 kWh = 3.6 MJ, SI)."""
    return joules / JOULES_PER_KWH


def facility_kwh(it_kwh: float, pue: float) -> float:
    """Facility energy = IT energy × PUE (The Green Grid, PUE = facility energy / IT equipment energy)."""
    return it_kwh * pue


def chip_hours(chips: int, seconds: float) -> float:
    """Accelerator-hours: chips × wall seconds / 3600."""
    return chips * seconds / SECONDS_PER_HOUR


def co2e_kg(energy_kwh: float, g_co2e_per_kwh: float) -> float:
    """CO2e of facility energy: :func:`flopcast.estimate.formulas.co2e_kg` (imported on first use: importing
    ``flopcast.estimate`` costs ~50 ms that a tracked program should not pay at ``import flopcast``)."""
    from flopcast.estimate.formulas import co2e_kg as formula

    return formula(energy_kwh, g_co2e_per_kwh)
