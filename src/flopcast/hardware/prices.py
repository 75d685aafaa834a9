"""Cloud prices per chip-hour.

Prices come from ``data/hardware/cloud_gpu_prices.csv`` (provider price pages, each row with its
``pricing_type``, ``as_of`` date and whether the value was ``confirmed_in_source``) and, for chips
that table lacks (K80, P100, V100, TPU v2/v3...), from Epoch AI's ``data/epoch/hardware_prices.csv``
(CC BY 4.0). PUE lives in :mod:`flopcast.hardware.pue`.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from functools import cache
from typing import Any

from flopcast._names import normalize
from flopcast.data import bundled
from flopcast.errors import InputError
from flopcast.hardware.accelerators import Accelerator, get_accelerator
from flopcast.hardware.providers import provider_key, provider_label

PRICINGS = ("on-demand", "spot", "reserved")
CURATED, EPOCH = "curated", "epoch"  # Price.origin: which bundled table a quote came from
_PRICING_ALIASES = {
    "ondemand": "on-demand",
    "ondemandequivalent": "on-demand",
    "od": "on-demand",
    "spot": "spot",
    "preemptible": "spot",
    "reserved": "reserved",
    "reservation": "reserved",
    "committed": "reserved",
    "cud": "reserved",
    "ondemandhistorical": "on-demand (historical)",
    "historical": "on-demand (historical)",
}


@dataclass(frozen=True)
class Price:
    """One quoted price for one chip-hour.

    Attributes
    ----------
    accelerator : canonical accelerator name (see :func:`flopcast.hardware.get_accelerator`).
    provider : cloud provider (``"AWS"``, ``"GCP"``, ``"Lambda"``...).
    pricing : ``"on-demand"``, ``"spot"``, ``"reserved"`` (or ``"on-demand (historical)"``).
    usd_per_chip_hour : US dollars per accelerator-hour (instance price / accelerators per instance).
    as_of : date the price was read (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``).
    source : where it was read.
    offering : instance type or offering name.
    confirmed : ``False`` where the data marks the value unconfirmed in its source ("verify").
    origin : which table it came from: ``"curated"`` (data/hardware/cloud_gpu_prices.csv) or ``"epoch"``.
    """

    accelerator: str
    provider: str
    pricing: str
    usd_per_chip_hour: float
    as_of: str
    source: str
    offering: str = ""
    confirmed: bool = True
    origin: str = CURATED

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "flopcast.price/1",
            "accelerator": self.accelerator,
            "provider": self.provider,
            "pricing": self.pricing,
            "usd_per_chip_hour": self.usd_per_chip_hour,
            "as_of": self.as_of,
            "source": self.source,
            "offering": self.offering,
            "confirmed_in_source": self.confirmed,
        }


@dataclass(frozen=True)
class PriceRange:
    """Low / central (median quote) / high price over the quotes that match, with the quotes."""

    low: Price
    central: Price
    high: Price
    quotes: tuple[Price, ...]


def normalize_pricing(pricing: str) -> str:
    """``"On Demand"`` -> ``"on-demand"``; ``"reservation"`` -> ``"reserved"``; else :class:`InputError`."""
    key = _PRICING_ALIASES.get(normalize(pricing))
    if key is None:
        raise InputError(f"unknown pricing {pricing!r}; choose one of {', '.join(PRICINGS)}")
    return key


@cache
def _resolve(name: str) -> str | None:
    try:
        return get_accelerator(name).name
    except InputError:
        return None


@cache
def _curated() -> tuple[Price, ...]:
    rows = bundled(
        "hardware/cloud_gpu_prices.csv",
        (
            "accelerator",
            "provider",
            "offering",
            "pricing_type",
            "usd_per_gpu_hour",
            "as_of",
            "confirmed_in_source",
            "source",
        ),
    )
    out = []
    for row in rows:
        acc = _resolve(row.get("accelerator"))
        if acc is None:
            continue
        out.append(
            Price(
                acc,
                row.get("provider"),
                normalize_pricing(row.get("pricing_type")),
                row.number("usd_per_gpu_hour", required=True, positive=True),
                row.get("as_of"),
                f"{row.get('source')} (data/hardware/cloud_gpu_prices.csv line {row.line})",
                row.get("offering"),
                row.get("confirmed_in_source").lower() == "yes",
            )
        )
    return tuple(out)


@cache
def _epoch() -> tuple[Price, ...]:
    cols = {
        "on-demand": "Price per chip-hour (on-demand)",
        "reserved 1-year": "Price per chip-hour (1-year CUD)",
        "reserved 3-year": "Price per chip-hour (3-year CUD)",
    }
    rows = bundled(
        "epoch/hardware_prices.csv", ("Price source", "Price date", "Hardware model", "Vendor", *cols.values())
    )
    out = []
    for row in rows:
        acc = None
        for label, col in cols.items():
            value = row.number(col)
            if value is None or value <= 0:
                continue
            acc = acc or _resolve(row.get("Hardware model"))
            if acc is None:
                break
            vendor = row.get("Vendor")
            out.append(
                Price(
                    acc,
                    provider_label(vendor),
                    label.split(" ")[0],
                    value,
                    row.get("Price date"),
                    f"Epoch AI hardware prices (CC BY 4.0), {row.get('Price source')}"
                    f" (data/epoch/hardware_prices.csv line {row.line})",
                    label,
                    True,
                    EPOCH,
                )
            )
    return tuple(out)


def list_prices(accelerator: str | Accelerator | None = None) -> list[Price]:
    """Every quote (curated table first, then Epoch's), optionally for one accelerator."""
    quotes = [*_curated(), *_epoch()]
    if accelerator is None:
        return quotes
    name = get_accelerator(accelerator).name
    return [q for q in quotes if q.accelerator == name]


def price_range(accelerator: str | Accelerator, pricing: str = "on-demand", provider: str | None = None) -> PriceRange:
    """Low / median / high quote for a chip and pricing type (optionally one provider).

    Order of preference: the curated table's confirmed quotes; else Epoch's (each provider's and
    offering's latest); else the curated quotes the data marks unconfirmed ("verify").
    :class:`InputError` lists what exists when nothing matches.
    """
    acc = get_accelerator(accelerator)
    kind = normalize_pricing(pricing)
    every = list_prices(acc)

    def pick(quotes: list[Price]) -> list[Price]:
        quotes = [q for q in quotes if q.pricing == kind]
        if provider is not None:
            quotes = [q for q in quotes if provider_key(q.provider) == provider_key(provider)]
        confirmed = [q for q in quotes if q.confirmed]
        return confirmed or quotes

    found = [q for q in pick([q for q in every if q.origin == CURATED]) if q.confirmed]
    if not found:
        latest: dict[tuple[str, str], Price] = {}
        for q in pick([q for q in every if q.origin != CURATED]):
            k = (q.provider, q.offering)
            if k not in latest or q.as_of > latest[k].as_of:
                latest[k] = q
        found = list(latest.values())
    if not found:  # last resort: quotes the curated table marks "verify"
        found = pick([q for q in every if q.origin == CURATED])
    if not found:
        have = sorted({f"{q.provider} {q.pricing}" for q in every})
        what = f"{acc.name} ({kind}" + (f", provider {provider}" if provider else "") + ")"
        raise InputError(
            f"no price known for {what}; known: {', '.join(have) if have else 'none'} "
            "(pass a price with --usd-per-chip-hour)"
        )
    found.sort(key=lambda q: (q.usd_per_chip_hour, q.as_of))
    median = statistics.median_low([q.usd_per_chip_hour for q in found])
    central = next(q for q in found if q.usd_per_chip_hour == median)
    return PriceRange(found[0], central, found[-1], tuple(found))


def get_price(accelerator: str | Accelerator, pricing: str = "on-demand", provider: str | None = None) -> Price:
    """The median quote for a chip and pricing type (see :func:`price_range`)."""
    return price_range(accelerator, pricing, provider).central
