"""Hardware price-performance over time: FLOP/s per dollar of purchase price, fitted on release date.

Data: Epoch AI's hardware price table (``data/epoch/hardware_prices.csv``, purchase prices) joined by chip
name to Epoch AI's chip table (``data/epoch/chips.csv``: release date and peak rates). One point per chip:
its earliest purchase price (a launch price where the table has one) at its release date, so a chip sold
for years does not outweigh one priced once. The fit is ``log10(FLOP/s per $) = a + b·year`` (OLS), and
the doubling time is ``log10(2) / b`` years with the interval from the slope's 95% CI.

Two peaks are fitted:
- ``ml`` (the default): the best rate a chip offers for training, the larger of its fp32 and tensor
  fp16/bf16 peaks (flopcast's training-precision convention; :func:`flopcast.hardware.default_training_precision`);
- ``fp32``: the fp32 peak only.

Published figure to compare with (:data:`PUBLISHED`): Hobbhahn & Besiroglu 2022, *Trends in GPU
price-performance* (Epoch AI), Table 1: FLOP/s per $ of "ML GPUs" (n = 26) doubles every 2.07 years
[1.54, 3.13]; all 470 GPUs 2.46 years [2.24, 2.72]. Their data are release prices of GPUs 2006-2021 (fp32,
inflation-adjusted), not this table, so the comparison is of two data sets on the same question.

Cost: O(p + c) time and memory for p price rows and c chips (one pass each, a dict join).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from flopcast import data as _data
from flopcast.trends.data import decimal_year
from flopcast.trends.fit import Fit, fit_xy
from flopcast.trends.time import FP32, TENSOR16, doubling_time_years, doubling_years_ci

PRICES = "epoch/hardware_prices.csv"
CHIPS = "epoch/chips.csv"
PURCHASE = "Price (hardware purchase)"
SOURCE = (
    "Epoch AI hardware price and chip tables (CC BY 4.0), data/epoch/hardware_prices.csv joined to "
    "data/epoch/chips.csv by chip name"
)
PEAKS = ("ml", "fp32")


@dataclass(frozen=True)
class PublishedTrend:
    """A published doubling time of FLOP/s per $ with its 95% CI and where it was read."""

    label: str
    doubling_years: float
    doubling_years_ci: tuple[float, float]
    n: int
    source: str

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "doubling_years": self.doubling_years,
            "doubling_years_ci": list(self.doubling_years_ci),
            "n": self.n,
            "source": self.source,
        }


_HOBBHAHN = (
    "Hobbhahn & Besiroglu 2022, Trends in GPU price-performance (Epoch AI), Table 1, read at "
    "alignmentforum.org/posts/c6KFvQcZggQKZzxr9/trends-in-gpu-price-performance"
)
PUBLISHED = (
    PublishedTrend("ML GPUs", 2.07, (1.54, 3.13), 26, _HOBBHAHN),
    PublishedTrend("all GPUs", 2.46, (2.24, 2.72), 470, _HOBBHAHN),
)


@dataclass(frozen=True)
class PricePerformanceTrend:
    """The fitted trend of FLOP/s per purchase dollar against release year."""

    peak: str  # "ml" or "fp32"
    points: tuple[tuple[float, float, str], ...]  # (release year, FLOP/s per $, chip)
    fit: Fit
    doubling_years: float
    doubling_years_ci: tuple[float, float]  # from the slope's 95% CI; inf where it reaches 0
    source: str = SOURCE

    @property
    def slope_significant(self) -> bool:
        return self.fit.slope_ci[0] > 0

    def to_dict(self) -> dict:
        return {
            "schema": "flopcast.price_performance/1",
            "peak": self.peak,
            "n": self.fit.n,
            "r2": self.fit.r2,
            "slope_log10_per_year": self.fit.slope,
            "slope_ci": list(self.fit.slope_ci),
            "doubling_years": self.doubling_years,
            "doubling_years_ci": list(self.doubling_years_ci),
            "years": [self.fit.log10_flop_min, self.fit.log10_flop_max],
            "source": self.source,
            "published": [p.to_dict() for p in PUBLISHED],
        }


def chip_rate(row: _data.Row, peak: str = "ml") -> tuple[float, float] | None:
    """(release year, peak FLOP/s) of one chip row (``ml``: the larger of fp32 and tensor fp16), or None."""
    columns = (FP32, TENSOR16) if peak == "ml" else (FP32,)
    year = decimal_year(row.get("Release date"))
    rate = max((v for v in (row.number(c, positive=True) for c in columns) if v), default=None)
    return (year, rate) if year is not None and rate else None


def chip_rates(peak: str) -> dict[str, tuple[float, float]]:
    """chip name -> (release year, peak FLOP/s) for chips with both."""
    out = {}
    for r in _data.bundled(CHIPS):
        point = chip_rate(r, peak)
        if point:
            out[r.get("Hardware name")] = point
    return out


def load_points(peak: str = "ml") -> list[tuple[float, float, str]]:
    """(release year, FLOP/s per $, chip): one point per chip, its earliest purchase price."""
    if peak not in PEAKS:
        raise ValueError(f"peak must be one of {PEAKS}")
    rates = chip_rates(peak)
    first: dict[str, tuple[str, float]] = {}
    for r in _data.bundled(PRICES):
        chip, usd = r.get("Hardware model"), r.number(PURCHASE, positive=True)
        date = r.get("Price date")
        if chip in rates and usd and date and (chip not in first or date < first[chip][0]):
            first[chip] = (date, usd)
    return sorted((rates[c][0], rates[c][1] / usd, c) for c, (_, usd) in first.items())


@lru_cache(maxsize=2)
def price_performance_trend(peak: str = "ml") -> PricePerformanceTrend:
    """Fit log10(FLOP/s per $) on release year; doubling time and its 95% CI (cached: bundled data)."""
    pts = load_points(peak)
    x = np.array([p[0] for p in pts])
    y = np.log10([p[1] for p in pts])
    f = fit_xy(x, y, benchmark="price-performance", measure=peak, form="log-linear")
    ci = doubling_years_ci(f.slope_ci)
    return PricePerformanceTrend(peak, tuple(pts), f, doubling_time_years(f.slope), ci)


__all__ = ["PEAKS", "PUBLISHED", "PricePerformanceTrend", "PublishedTrend", "load_points", "price_performance_trend"]
