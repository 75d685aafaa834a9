"""Nominal dollars → constant dollars of one year, with the price index Epoch AI uses for training costs.

The index is FRED series PCU518210518210 (US BLS producer price index, "data processing, hosting and related
services"), bundled as ``data/epoch/ppi_data_processing_PCU518210518210.csv``; Epoch AI's training-cost-trends
repository ships the same series "used to adjust for inflation" (Cottier et al. 2024, arXiv:2405.21015), and
Epoch's model pages report "Training compute cost (2023 USD)". A value priced in month m, expressed in year Y
dollars, is ``usd x mean(index over Y's months) / index(m)``.

Cost: one pass over the 296 monthly rows, cached; each conversion is O(1) after that.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from statistics import fmean

from flopcast.data import bundled
from flopcast.errors import InputError

PPI_FILE = "epoch/ppi_data_processing_PCU518210518210.csv"
PPI_SERIES = "PCU518210518210"
PPI_SOURCE = (
    "FRED PCU518210518210 (US BLS producer price index: data processing, hosting and related services; "
    "the series Epoch AI's training-cost-trends uses to adjust for inflation, Cottier et al. 2024, "
    "arXiv:2405.21015), flopcast/data/" + PPI_FILE
)
EPOCH_DOLLAR_YEAR = 2023  # Epoch AI's model pages: "Training compute cost (2023 USD)"


@dataclass(frozen=True)
class ConstantUSD:
    """``nominal_usd`` priced at ``priced_at`` expressed in ``year`` dollars (``usd``), with how it was adjusted.

    ``index_month`` is the index observation used for the price date; ``caveat`` says when the date lies outside
    the series (the nearest observation is used, so the adjustment is flagged, not silent).
    """

    usd: float
    nominal_usd: float
    priced_at: str
    year: int
    factor: float
    index_month: str
    index_at_price: float
    index_year_mean: float
    source: str
    caveat: str | None = None


@cache
def _by_month() -> dict[str, float]:
    """YYYY-MM -> index (built once)."""
    return dict(_series())


@cache
def _series() -> tuple[tuple[str, float], ...]:
    """(YYYY-MM, index) per month, in date order."""
    rows = bundled(PPI_FILE, ("observation_date", PPI_SERIES))
    return tuple(
        sorted((r.get("observation_date")[:7], r.number(PPI_SERIES, required=True, minimum=0.0)) for r in rows)
    )


def _month(priced_at: str) -> str:
    """'YYYY', 'YYYY-MM' or 'YYYY-MM-DD' → 'YYYY-MM' ('YYYY' → mid-year, 'YYYY-06')."""
    text = priced_at.strip()
    parts = text.split("-")
    ok = len(parts) in (1, 2, 3) and all(p.isdigit() for p in parts) and len(parts[0]) == 4
    if not ok or (len(parts) > 1 and not 1 <= int(parts[1]) <= 12):
        raise InputError(f"price date {priced_at!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    return f"{parts[0]}-{parts[1] if len(parts) > 1 else '06'}"


@cache
def year_mean(year: int) -> float:
    """Mean of the index over the year's monthly observations; refuses a year the series does not cover."""
    values = [v for m, v in _series() if m.startswith(f"{year:04d}-")]
    if not values:
        first, last = _series()[0][0], _series()[-1][0]
        raise InputError(f"no price index for {year}: {PPI_SERIES} covers {first} to {last}; pick a year in that span")
    return fmean(values)


def index_at(priced_at: str) -> tuple[str, float, str | None]:
    """(month used, index, caveat): the observation for the price date, or the nearest end of the series, flagged."""
    month = _month(priced_at)
    table = _by_month()
    if month in table:
        return month, table[month], None
    series = _series()
    first, last = series[0], series[-1]
    edge = first if month < first[0] else last
    side = "before the series starts" if edge is first else "after the series ends"
    caveat = f"price dated {priced_at} is {side} ({PPI_SERIES} {first[0]} to {last[0]}): adjusted at {edge[0]}'s index"
    return edge[0], edge[1], caveat


def to_constant_usd(nominal_usd: float, priced_at: str, year: int = EPOCH_DOLLAR_YEAR) -> ConstantUSD:
    """``nominal_usd`` (priced at ``priced_at``) in ``year`` dollars by the PPI ratio (Epoch AI's adjustment)."""
    month, at_price, caveat = index_at(priced_at)
    mean = year_mean(year)
    factor = mean / at_price
    return ConstantUSD(
        nominal_usd * factor, nominal_usd, priced_at, year, factor, month, at_price, mean, PPI_SOURCE, caveat
    )
