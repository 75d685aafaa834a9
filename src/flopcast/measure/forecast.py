"""Forecast a whole run (time, energy, cost, CO2e) from its progress so far, with an interval.

Progress arrives as cumulative ``(t_seconds, steps)`` points, one per sampling tick. Between ticks
with progress we get *blocks* of ``Δs`` steps in ``Δt`` seconds. The remaining ``m`` steps take
``m · x̄`` seconds, ``x̄ = ΣΔt / ΣΔs`` (ratio estimator of seconds per step). Treating blocks as
independent draws of per-step time ``x_i = Δt_i/Δs_i`` (weights ``Δs_i``, variance ``v``, mean block
size ``b``, ``n`` blocks), the remaining time has variance ``m·b·v`` (the future blocks' own spread)
``+ m²·v/n`` (the uncertainty of ``x̄``); the interval is central ± z·sd for a two-sided normal
``confidence``. The first block (which holds start-up time) is dropped once three blocks exist.
Energy is extrapolated at the mean power so far; cost and CO2e follow from time and energy.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from flopcast.measure import energy as conv

DEFAULT_CONFIDENCE = 0.9


@dataclass(frozen=True)
class Band:
    """A central figure with an interval (``low``/``high`` ``None`` until there is enough progress)."""

    central: float | None
    low: float | None = None
    high: float | None = None

    def scale(self, f: Callable[[float], float]) -> Band:
        """Apply a monotone increasing map to every figure."""
        return Band(*(None if v is None else f(v) for v in (self.central, self.low, self.high)))

    def to_dict(self) -> dict[str, float | None]:
        return {"central": self.central, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Forecast:
    """Whole-run forecast from progress so far; all time figures in seconds from the run's start."""

    steps_done: int
    total_steps: int
    fraction_done: float
    elapsed_seconds: float
    remaining_seconds: Band
    total_seconds: Band
    energy_kwh: Band  # facility energy (IT energy × PUE), kWh
    cost_usd: Band
    co2e_kg: Band
    confidence: float
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps_done": self.steps_done,
            "total_steps": self.total_steps,
            "fraction_done": self.fraction_done,
            "elapsed_seconds": self.elapsed_seconds,
            "remaining_seconds": self.remaining_seconds.to_dict(),
            "total_seconds": self.total_seconds.to_dict(),
            "energy_kwh": self.energy_kwh.to_dict(),
            "cost_usd": self.cost_usd.to_dict(),
            "co2e_kg": self.co2e_kg.to_dict(),
            "confidence": self.confidence,
            "method": self.method,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Forecast:
        """The forecast :meth:`to_dict` describes."""
        bands = {k: Band(**d[k]) for k in ("remaining_seconds", "total_seconds", "energy_kwh", "cost_usd", "co2e_kg")}
        return cls(
            steps_done=d["steps_done"],
            total_steps=d["total_steps"],
            fraction_done=d["fraction_done"],
            elapsed_seconds=d["elapsed_seconds"],
            confidence=d["confidence"],
            method=d["method"],
            **bands,
        )


def progress_blocks(points: Sequence[tuple[float, int]]) -> list[tuple[float, int]]:
    """``(Δt, Δs)`` blocks with progress; ticks without progress add their time to the next block."""
    blocks: list[tuple[float, int]] = []
    pending = 0.0
    for (t0, s0), (t1, s1) in itertools.pairwise(points):
        pending += t1 - t0
        if s1 > s0:
            blocks.append((pending, s1 - s0))
            pending = 0.0
    return blocks


def remaining_time(
    points: Sequence[tuple[float, int]], total_steps: int, confidence: float = DEFAULT_CONFIDENCE
) -> Band | None:
    """Seconds left to reach ``total_steps`` from the last progress point; ``None`` before any progress."""
    if not points:
        return None
    steps_done = points[-1][1]
    m = total_steps - steps_done
    if m <= 0:
        return Band(0.0, 0.0, 0.0)
    blocks = progress_blocks(points)
    if len(blocks) >= 3:
        blocks = blocks[1:]
    if not blocks:
        return None
    dt = sum(b[0] for b in blocks)
    ds = sum(b[1] for b in blocks)
    xbar = dt / ds
    central = m * xbar
    n = len(blocks)
    if n < 2:
        return Band(central)
    var_x = sum(s * (t / s - xbar) ** 2 for t, s in blocks) / ds * n / (n - 1)
    b = ds / n
    sd = math.sqrt(m * b * var_x + m * m * var_x / n)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    return Band(central, max(0.0, central - z * sd), central + z * sd)


def forecast_run(
    points: Sequence[tuple[float, int]],
    total_steps: int,
    *,
    elapsed_seconds: float,
    it_energy_joules: float | None,
    pue: float,
    g_co2e_per_kwh: float | None,
    usd_per_second: float | None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Forecast | None:
    """The whole run's time, facility energy, cost and CO2e, each with its interval.

    Parameters
    ----------
    points : sequence of (float, int)
        Cumulative ``(seconds since start, steps)`` progress points, oldest first.
    total_steps : int
        Steps in the whole run.
    elapsed_seconds : float
        Seconds since the run started (≥ the last point's time).
    it_energy_joules : float or None
        IT energy so far, J (``None`` when no energy backend was available).
    pue : float
        Power usage effectiveness applied to IT energy.
    g_co2e_per_kwh : float or None
        Grid intensity, g CO2e per facility kWh.
    usd_per_second : float or None
        Cost rate of the hardware, USD/s.
    """
    rem = remaining_time(points, total_steps, confidence)
    if rem is None or total_steps <= 0:
        return None
    elapsed = max(elapsed_seconds, points[-1][0])
    total = rem.scale(lambda r: elapsed + r)
    steps = points[-1][1]
    energy = Band(None)
    if it_energy_joules is not None and elapsed > 0:
        watts = it_energy_joules / elapsed  # mean IT power so far
        energy = total.scale(lambda s: conv.facility_kwh(conv.kwh(watts * s), pue))
    co2 = energy.scale(lambda kwh: conv.co2e_kg(kwh, g_co2e_per_kwh)) if g_co2e_per_kwh is not None else Band(None)
    cost = total.scale(lambda s: s * usd_per_second) if usd_per_second is not None else Band(None)
    method = (
        f"ratio estimate of seconds/step over {len(progress_blocks(points))} progress blocks; "
        f"{confidence:.0%} normal interval; energy at mean power so far"
    )
    return Forecast(
        steps, total_steps, min(1.0, steps / total_steps), elapsed, rem, total, energy, cost, co2, confidence, method
    )
