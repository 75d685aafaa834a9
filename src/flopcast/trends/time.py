"""Training compute over time (Thompson et al. 2020, Figure 2) against hardware peak-rate growth.

Fits ``log10(training FLOP) = a + b·year`` on Epoch AI's "All ML Systems" table before and from
2012, and ``log10(peak FLOP/s) = a + b·year`` on the best chip released each year in Epoch AI's
chip table, over the same years. A slope ``b`` (decades per year) is a doubling time of
``log10(2) / b`` years. Data: Epoch AI (CC BY 4.0), ``flopcast/data/epoch/``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from flopcast import data as _data
from flopcast.trends.data import decimal_year
from flopcast.trends.fit import Fit, fit_xy

BREAK_YEAR = 2012.0
EPOCH_SYSTEMS = "epoch/ml_systems.csv"
EPOCH_CHIPS = "epoch/chips.csv"
EPOCH_SOURCE = "Epoch AI, Data on AI Models / ML Hardware (CC BY 4.0), https://epoch.ai/data"


def doubling_time_years(slope_decades_per_year: float) -> float:
    """Doubling time (years) of a quantity whose log10 grows by ``slope`` per year: log10(2)/slope."""
    if slope_decades_per_year <= 0:
        return math.inf
    return math.log10(2.0) / slope_decades_per_year


def doubling_years_ci(slope_ci: tuple[float, float]) -> tuple[float, float]:
    """The doubling time's interval from the slope's: the steeper end doubles fastest (inf where it reaches 0)."""
    lo, hi = slope_ci
    return doubling_time_years(hi), doubling_time_years(lo)


@dataclass(frozen=True)
class Era:
    """One era's growth fit: what grew, over which years, its doubling time and interval."""

    series: str  # "training compute" | "hardware peak (fp32)" | ...
    start_year: float
    end_year: float
    fit: Fit
    doubling_months: float
    doubling_months_ci: tuple[float, float]

    def to_dict(self) -> dict:
        return {
            "series": self.series,
            "start_year": self.start_year,
            "end_year": self.end_year,
            "n": self.fit.n,
            "slope_log10_per_year": self.fit.slope,
            "r2": self.fit.r2,
            "doubling_months": self.doubling_months,
            "doubling_months_ci": list(self.doubling_months_ci),
        }


@dataclass(frozen=True)
class ComputeTrend:
    """Figure 2: training compute eras vs hardware improvement over the same years."""

    systems: tuple[tuple[float, float, str], ...]  # (year, training FLOP, model)
    chips: tuple[tuple[float, float, str], ...]  # (year, best fp32 peak FLOP/s that year, chip)
    eras: tuple[Era, ...]
    tensor_chips: tuple[tuple[float, float, str], ...] = ()  # same, max of fp32 and fp16/bf16 tensor peaks
    source: str = EPOCH_SOURCE

    def to_dict(self) -> dict:
        return {
            "schema": "flopcast.compute_trend/1",
            "eras": [e.to_dict() for e in self.eras],
            "n_systems": len(self.systems),
            "n_chip_years": len(self.chips),
            "break_year": BREAK_YEAR,
            "source": self.source,
        }


def _era(series: str, pts: list[tuple[float, float]], lo: float, hi: float) -> Era | None:
    sel = [(y, v) for y, v in pts if lo <= y < hi and v > 0]
    if len(sel) < 3:
        return None
    x = np.array([p[0] for p in sel])
    y = np.log10([p[1] for p in sel])
    f = fit_xy(x, y, benchmark=series, measure="time", form="log-linear")
    ci = tuple(sorted(12 * doubling_time_years(b) for b in f.slope_ci))
    return Era(series, float(x.min()), float(x.max()), f, 12 * doubling_time_years(f.slope), (ci[0], ci[1]))


def load_systems() -> list[tuple[float, float, str]]:
    """(decimal year, training FLOP, model) for every Epoch system with both."""
    out = []
    for r in _data.bundled(EPOCH_SYSTEMS):
        year = decimal_year(r.get("Publication date"))
        flop = r.number("Training compute (FLOP)", positive=True)
        if year is not None and flop:
            out.append((year, flop, r.get("Model")))
    return sorted(out)


FP32 = "FP32 (single precision) performance (FLOP/s)"
TENSOR16 = "Tensor-FP16/BF16 performance (FLOP/s)"


def load_chip_frontier(columns: tuple[str, ...] = (FP32,)) -> list[tuple[float, float, str]]:
    """Best peak rate released each calendar year (year mid-point, FLOP/s, chip), max over ``columns``."""
    best: dict[int, tuple[float, str]] = {}
    for r in _data.bundled(EPOCH_CHIPS):
        year = decimal_year(r.get("Release date"))
        peaks = [r.number(c, positive=True) for c in columns]
        peak = max((p for p in peaks if p), default=None)
        if year is None or not peak:
            continue
        y = int(year)
        if y not in best or peak > best[y][0]:
            best[y] = (peak, r.get("Hardware name"))
    return [(y + 0.5, p, name) for y, (p, name) in sorted(best.items())]


def compute_trend(break_year: float = BREAK_YEAR) -> ComputeTrend:
    """Doubling times of training compute before/after ``break_year`` and of chip peak rates."""
    systems = load_systems()
    chips = load_chip_frontier()
    pts = [(y, f) for y, f, _ in systems]
    cpts = [(y, p) for y, p, _ in chips]
    tensor = load_chip_frontier((FP32, TENSOR16))
    tpts = [(y, p) for y, p, _ in tensor]
    last = max(y for y, _ in pts) + 1
    eras = [
        _era("training compute", pts, -math.inf, break_year),
        _era("training compute", pts, break_year, last),
        _era("hardware peak fp32 (best chip per year)", cpts, -math.inf, break_year),
        _era("hardware peak fp32 (best chip per year)", cpts, break_year, last),
        _era("hardware peak incl. fp16/bf16 tensor (best chip per year)", tpts, break_year, last),
    ]
    return ComputeTrend(
        tuple(systems), tuple(chips), tuple(e for e in eras if e is not None), tensor_chips=tuple(tensor)
    )


__all__ = [
    "BREAK_YEAR",
    "ComputeTrend",
    "Era",
    "compute_trend",
    "doubling_time_years",
    "load_chip_frontier",
    "load_systems",
]
