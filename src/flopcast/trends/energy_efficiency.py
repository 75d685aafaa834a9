"""Hardware energy efficiency over time: peak FLOP/s per watt of TDP, fitted on release date.

Data: Epoch AI's chip table (``data/epoch/chips.csv``, CC BY 4.0): release date, peak rates and TDP. One
point per chip with all three; the peak is the ``ml`` rate of :mod:`flopcast.trends.price_performance` (the
larger of fp32 and tensor fp16/bf16), so energy and price trends price the same FLOP. The fit is
``log10(FLOP/s per W) = a + b·year`` (OLS) and the doubling time ``log10(2) / b`` years, with the
interval from the slope's 95% CI.

It moves CO2 budgets in :mod:`flopcast.trends.afford`: at a fixed grid intensity, CO2 per FLOP falls as
energy per FLOP does. Peak per TDP is a datasheet ratio, not measured joules per training FLOP: it assumes the
achieved fraction of peak and of TDP stay what they are today.

Published figure to compare with (:data:`PUBLISHED`): Epoch AI, *Machine Learning Hardware* data page
(epoch.ai/data/machine-learning-hardware, updated 2024-11 and 2025-01): "Leading ML hardware becomes 50%
more energy-efficient each year" (1.5x per year, a doubling every 1.71 years; no interval given). Epoch's
figure is for leading ML accelerators; this fit is over every chip in the table with a TDP (consumer GPUs
included), so it is expected to be slower.

Cost: O(c) time and memory for c chips (one pass).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from flopcast import data as _data
from flopcast.trends.fit import Fit, fit_xy
from flopcast.trends.price_performance import CHIPS, chip_rate
from flopcast.trends.time import doubling_time_years, doubling_years_ci

TDP = "TDP (W)"
SOURCE = "Epoch AI chip table (CC BY 4.0), data/epoch/chips.csv: ml peak FLOP/s per TDP watt by release date"
PUBLISHED_PER_YEAR = 1.5
PUBLISHED_SOURCE = (
    "Epoch AI, Machine Learning Hardware (epoch.ai/data/machine-learning-hardware, updated 2025-01-16): "
    "'Leading ML hardware becomes 50% more energy-efficient each year'"
)


@dataclass(frozen=True)
class EnergyEfficiencyTrend:
    """The fitted trend of peak FLOP/s per TDP watt against release year."""

    points: tuple[tuple[float, float, str], ...]  # (release year, FLOP/s per W, chip)
    fit: Fit
    doubling_years: float
    doubling_years_ci: tuple[float, float]  # from the slope's 95% CI; inf where it reaches 0
    source: str = SOURCE

    @property
    def per_year(self) -> float:
        """Yearly improvement factor, ``10**slope``."""
        return float(10.0**self.fit.slope)

    def to_dict(self) -> dict:
        return {
            "schema": "flopcast.energy_efficiency/1",
            "n": self.fit.n,
            "r2": self.fit.r2,
            "slope_log10_per_year": self.fit.slope,
            "slope_ci": list(self.fit.slope_ci),
            "per_year": self.per_year,
            "doubling_years": self.doubling_years,
            "doubling_years_ci": list(self.doubling_years_ci),
            "source": self.source,
            "published": {
                "per_year": PUBLISHED_PER_YEAR,
                "doubling_years": math.log(2) / math.log(PUBLISHED_PER_YEAR),
                "source": PUBLISHED_SOURCE,
            },
        }


def load_points() -> list[tuple[float, float, str]]:
    """(release year, ml peak FLOP/s per TDP watt, chip): one point per chip with a date, a peak and a TDP."""
    out = []
    for r in _data.bundled(CHIPS):
        point, watts = chip_rate(r), r.number(TDP, positive=True)
        if point and watts:
            out.append((point[0], point[1] / watts, r.get("Hardware name")))
    return sorted(out)


@lru_cache(maxsize=1)
def energy_efficiency_trend() -> EnergyEfficiencyTrend:
    """Fit log10(FLOP/s per W) on release year; doubling time and its 95% CI (cached: bundled data)."""
    pts = load_points()
    x = np.array([p[0] for p in pts])
    y = np.log10([p[1] for p in pts])
    f = fit_xy(x, y, benchmark="energy-efficiency", measure="ml", form="log-linear")
    ci = doubling_years_ci(f.slope_ci)
    return EnergyEfficiencyTrend(tuple(pts), f, doubling_time_years(f.slope), ci)


__all__ = ["PUBLISHED_PER_YEAR", "EnergyEfficiencyTrend", "energy_efficiency_trend", "load_points"]
