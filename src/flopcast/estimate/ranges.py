"""Price ranges and low/central/high evaluation for :func:`flopcast.estimate.estimate`."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from flopcast.errors import InputError
from flopcast.estimate import defaults as D
from flopcast.estimate import formulas as F
from flopcast.hardware import Accelerator, price_range
from flopcast.provenance import Assumption, Basis


def _a(out: list[Assumption], name: str, value: Any, unit: str, source: str, basis: Basis = Basis.ASSUMED) -> None:
    out.append(Assumption(name, value, unit, source, basis))


def price_for(acc: Accelerator, kind: str, provider: str | None, usd_per_chip_hour: float | None,
           electricity: float | None, out: list[Assumption]) -> D.Range | None:
    """The price range for cost: USD per chip-hour (cloud) or USD per kWh (owned)."""
    if kind == "owned":
        if electricity is not None:
            e = F.positive("electricity_usd_per_kwh", electricity)
            _a(out, "electricity_usd_per_kwh", e, "USD/kWh", "given by the user", Basis.GIVEN)
            return D.Range(e, e, e, "given")
        value, src = D.ELECTRICITY_USD_PER_KWH
        _a(out, "electricity_usd_per_kwh", value, "USD/kWh", src)
        _a(out, "pricing", "owned", "", "owned hardware: electricity only, no purchase or depreciation",
           Basis.GIVEN)
        return D.Range(value, value, value, src)
    if usd_per_chip_hour is not None:
        v = F.positive("usd_per_chip_hour", usd_per_chip_hour)
        _a(out, "usd_per_chip_hour", v, "USD/chip-hour", "given by the user", Basis.GIVEN)
        return D.Range(v, v, v, "given")
    try:
        pr = price_range(acc, kind, provider)
    except InputError as exc:
        _a(out, "usd_per_chip_hour", None, "USD/chip-hour", f"{exc}", Basis.UNAVAILABLE)
        return None
    c = pr.central
    note = "" if c.confirmed else " (value not confirmed in its source)"
    _a(out, "usd_per_chip_hour", c.usd_per_chip_hour, "USD/chip-hour",
       f"median of {len(pr.quotes)} {kind} quote(s); {c.provider} {c.offering} as of {c.as_of}{note}: {c.source}")
    _a(out, "pricing", kind, "", f"{c.pricing} price, as of {c.as_of}", Basis.GIVEN)
    if len(pr.quotes) > 1:
        _a(out, "usd_per_chip_hour_range", [pr.low.usd_per_chip_hour, pr.high.usd_per_chip_hour], "USD/chip-hour",
           f"lowest: {pr.low.provider} as of {pr.low.as_of}; highest: {pr.high.provider} as of {pr.high.as_of}")
    return D.Range(pr.low.usd_per_chip_hour, c.usd_per_chip_hour, pr.high.usd_per_chip_hour, c.source)


def evaluate_ranges(scenario: Callable[..., dict[str, float | None]], u: D.Range, p: D.Range, c: D.Range | None
            ) -> tuple[dict[str, float | None], dict[str, float], dict[str, float]]:
    """Central figures, and min/max of each over the corners of the assumed ranges and the central point.

    Every figure is monotone in each assumed input except the chip count for a deadline (whole
    chips), so the corners bound it; the central point is included so low <= central <= high always.
    """
    central = scenario(u.central, p.central, c.central if c else None)
    points = [central]
    cs = (c.low, c.high) if c else (None,)
    for uu, pp, cc in itertools.product((u.low, u.high), (p.low, p.high), cs):
        points.append(scenario(uu, pp, cc))
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for k, v in central.items():
        if v is None:
            continue
        vals = [x for pt in points if (x := pt[k]) is not None]
        low[k], high[k] = min(vals), max(vals)
    return central, low, high
