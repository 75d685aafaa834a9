"""The estimate a run was planned with, set against what was measured: planned / measured per figure.

``flopcast estimate`` plans time from an assumed utilization, energy from TDP × power fraction × PUE, CO2e
from a grid intensity and cost from a price per chip-hour; a tracked run measures each. The figure whose ratio is
furthest from 1 (largest |log ratio|) names the assumption that was furthest off. O(figures).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flopcast.report.document_inputs import Planned
from flopcast.units import SECONDS_PER_HOUR


@dataclass(frozen=True)
class ComparisonRow:
    """Planned against measured for one figure; ``ratio`` = planned / measured (``None``: either unknown)."""

    key: str
    label: str
    unit: str
    planned: float | None
    measured: float | None
    ratio: float | None
    driver: str  # the planning assumption this figure rests on


@dataclass(frozen=True)
class Comparison:
    """The estimate a run was planned with, set against what was measured."""

    estimate_path: str
    rows: tuple[ComparisonRow, ...]
    furthest_off: str | None  # the key whose |log(ratio)| is largest

    @property
    def furthest(self) -> ComparisonRow | None:
        return next((r for r in self.rows if r.key == self.furthest_off), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate_path,
            "rows": [dict(r.__dict__) for r in self.rows],
            "furthest_off": self.furthest_off,
        }


def _driver(planned: Planned, name: str, label: str) -> str:
    a = planned.assumption(name)
    return f"{label} {a.value} ({a.basis.value}: {a.source})" if a else f"{label} (not in the estimate)"


def compare(planned: Planned, actual: Mapping[str, float | None]) -> Comparison:
    """Planned / measured for compute, time, chip-hours, energy, CO2e, cost and utilization; which is furthest off
    (largest |log ratio|). Time and utilization rest on the assumed utilization, energy on TDP × power fraction ×
    PUE, CO2e also on the grid, cost on the price per chip-hour."""
    wall_s = planned.wall_hours * SECONDS_PER_HOUR if planned.wall_hours is not None else None
    specs = (
        ("training_flop", "training compute", "FLOP", planned.training_flop, _driver(planned, "formula", "formula")),
        ("wall_seconds", "time", "s", wall_s, _driver(planned, "utilization", "utilization")),
        ("chip_hours", "chip-hours", "h", planned.chip_hours, _driver(planned, "chips", "chips")),
        (
            "energy_kwh",
            "energy",
            "kWh",
            planned.energy_kwh,
            _driver(planned, "power_fraction", "power fraction") + "; " + _driver(planned, "pue", "PUE"),
        ),
        ("co2e_kg", "CO2e", "kg", planned.co2e_kg, _driver(planned, "grid_intensity", "grid")),
        ("cost_usd", "cost", "USD", planned.cost_usd, _driver(planned, "usd_per_chip_hour", "price")),
        (
            "utilization",
            "utilization (MFU)",
            "fraction of peak",
            planned.utilization,
            _driver(planned, "utilization", "utilization"),
        ),
    )
    rows = []
    for key, label, unit, plan, driver in specs:
        meas = actual.get(key)
        ratio = plan / meas if plan is not None and meas is not None and meas > 0 and plan > 0 else None
        rows.append(ComparisonRow(key, label, unit, plan, meas, ratio, driver))
    scored = [(abs(math.log(r.ratio)), r.key) for r in rows if r.ratio is not None and r.key != "training_flop"]
    return Comparison(planned.path, tuple(rows), max(scored)[1] if scored else None)
