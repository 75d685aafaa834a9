"""Price ranges and low/central/high evaluation for :func:`flopcast.estimate.estimate`."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from flopcast.errors import InputError
from flopcast.estimate import defaults as D
from flopcast.estimate import formulas as F
from flopcast.hardware import Accelerator, normalize_pricing, price_range
from flopcast.provenance import Assumption, Basis


@dataclass(frozen=True)
class PriceInputs:
    """What cost is computed from: ``kind`` (``owned``: USD per kWh; else USD per chip-hour), its range
    (``None``: no price available), and the assumptions behind it."""

    kind: str
    usd: D.Range | None = None
    assumptions: tuple[Assumption, ...] = ()
    as_of: str | None = None  # the central quote's date (catalogue prices only), for constant-dollar reporting


def price_inputs(
    acc: Accelerator | None,
    *,
    conversion: str,
    pricing: str,
    provider: str | None,
    usd_per_chip_hour: float | None,
    electricity_usd_per_kwh: float | None,
) -> PriceInputs:
    """The price for cost: a cloud quote range, the user's price, electricity for owned hardware, or Thompson 2020."""
    kind = "owned" if str(pricing).lower() == "owned" else normalize_pricing(pricing)
    if conversion == "thompson2020":
        return PriceInputs(
            kind,
            None,
            (
                Assumption(
                    "conversion",
                    "thompson2020",
                    "",
                    "Thompson et al. 2020: dollars = FLOP / 6.874e16, lbs CO2 = FLOP "
                    "/ 3.498e17 (their ImageNet chart conversion; energy not modelled)",
                    Basis.ASSUMED,
                ),
            ),
        )
    if acc is None:
        return PriceInputs(kind)
    if kind == "owned":
        return _owned(electricity_usd_per_kwh)
    if usd_per_chip_hour is not None:
        v = F.positive("usd_per_chip_hour", usd_per_chip_hour)
        return PriceInputs(
            kind,
            D.Range(v, v, v, "given"),
            (Assumption("usd_per_chip_hour", v, "USD/chip-hour", "given by the user", Basis.GIVEN),),
        )
    return _quoted(acc, kind, provider)


def _owned(electricity: float | None) -> PriceInputs:
    """Owned hardware: electricity only, at the user's price or the EIA 2023 US industrial average."""
    if electricity is not None:
        e = F.positive("electricity_usd_per_kwh", electricity)
        return PriceInputs(
            "owned",
            D.Range(e, e, e, "given"),
            (Assumption("electricity_usd_per_kwh", e, "USD/kWh", "given by the user", Basis.GIVEN),),
        )
    value, src = D.ELECTRICITY_USD_PER_KWH
    return PriceInputs(
        "owned",
        D.Range(value, value, value, src),
        (
            Assumption("electricity_usd_per_kwh", value, "USD/kWh", src, Basis.ASSUMED),
            Assumption(
                "pricing", "owned", "", "owned hardware: electricity only, no purchase or depreciation", Basis.GIVEN
            ),
        ),
    )


def _quoted(acc: Accelerator, kind: str, provider: str | None) -> PriceInputs:
    """The median of the bundled cloud quotes for ``acc`` (low/high: the cheapest and dearest quote)."""
    try:
        pr = price_range(acc, kind, provider)
    except InputError as exc:
        return PriceInputs(
            kind, None, (Assumption("usd_per_chip_hour", None, "USD/chip-hour", f"{exc}", Basis.UNAVAILABLE),)
        )
    c = pr.central
    note = "" if c.confirmed else " (value not confirmed in its source)"
    central = f"median of {len(pr.quotes)} {kind} quote(s); {c.provider} {c.offering} as of {c.as_of}{note}: {c.source}"
    read: tuple[Assumption, ...] = (
        Assumption("usd_per_chip_hour", c.usd_per_chip_hour, "USD/chip-hour", central, Basis.ASSUMED),
        Assumption("pricing", kind, "", f"{c.pricing} price, as of {c.as_of}", Basis.GIVEN),
    )
    if len(pr.quotes) > 1:
        read = (
            *read,
            Assumption(
                "usd_per_chip_hour_range",
                [pr.low.usd_per_chip_hour, pr.high.usd_per_chip_hour],
                "USD/chip-hour",
                f"lowest: {pr.low.provider} as of {pr.low.as_of}; highest: {pr.high.provider} as of {pr.high.as_of}",
                Basis.ASSUMED,
            ),
        )
    central_usd = D.Range(pr.low.usd_per_chip_hour, c.usd_per_chip_hour, pr.high.usd_per_chip_hour, c.source)
    return PriceInputs(kind, central_usd, read, as_of=c.as_of)


def evaluate_ranges(
    scenario: Callable[..., dict[str, float | None]], u: D.Range, p: D.Range, c: D.Range | None
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
