"""Forecast: exact for steady progress, honest intervals, no forecast before progress."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flopcast.measure.forecast import forecast_run, progress_blocks, remaining_time


def steady(sec_per_step: float, steps_per_tick: int, ticks: int, setup: float = 0.0):
    pts = [(0.0, 0)]
    for k in range(1, ticks + 1):
        pts.append((setup + k * steps_per_tick * sec_per_step, k * steps_per_tick))
    return pts


@given(st.floats(1e-3, 10.0), st.integers(1, 50), st.integers(3, 40), st.integers(1, 5000))
def test_steady_progress_forecast_is_exact_with_zero_width(sec, per_tick, ticks, extra):
    pts = steady(sec, per_tick, ticks)
    total = pts[-1][1] + extra
    band = remaining_time(pts, total)
    assert band.central == pytest.approx(extra * sec, rel=1e-9)
    assert band.low == pytest.approx(band.central, rel=1e-6) and band.high == pytest.approx(band.central, rel=1e-6)


def test_startup_time_is_dropped_once_three_blocks_exist():
    pts = steady(0.5, 10, 5, setup=30.0)  # 30 s of set-up before the first tick
    band = remaining_time(pts, 150)
    assert band.central == pytest.approx(100 * 0.5)


def test_stalled_ticks_add_their_time_to_the_next_block():
    pts = [(0, 0), (1, 10), (2, 10), (3, 30)]
    assert progress_blocks(pts) == [(1, 10), (2, 20)]


def test_no_forecast_before_progress_and_zero_when_done():
    assert remaining_time([], 10) is None
    assert remaining_time([(0.0, 0), (5.0, 0)], 10) is None
    assert remaining_time([(0.0, 0), (5.0, 10)], 10).central == 0.0
    one_block = remaining_time([(0.0, 0), (5.0, 5)], 10)
    assert one_block.central == pytest.approx(5.0) and one_block.low is None  # no spread from one block


def test_interval_covers_the_truth_about_as_often_as_it_claims():
    """Noisy step times (i.i.d. per block): the 90% interval holds the real remaining time ~90% of runs."""
    rng = random.Random(7)
    hits = 0
    trials = 300
    for _ in range(trials):
        t, s, pts = 0.0, 0, [(0.0, 0)]
        for _ in range(60):  # observed: 60 blocks of 20 steps
            t += 20 * rng.lognormvariate(math.log(0.1), 0.3)
            s += 20
            pts.append((t, s))
        future = sum(20 * rng.lognormvariate(math.log(0.1), 0.3) for _ in range(100))  # 100 more blocks
        band = remaining_time(pts, s + 2000, confidence=0.9)
        hits += band.low <= future <= band.high
    assert 0.8 <= hits / trials <= 0.98


def test_whole_run_energy_cost_and_co2_follow_time():
    pts = steady(1.0, 10, 10)  # 100 steps in 100 s
    fc = forecast_run(
        pts,
        400,
        elapsed_seconds=100.0,
        it_energy_joules=3.6e6 * 0.1,
        pue=1.5,
        g_co2e_per_kwh=400.0,
        usd_per_second=2.0 / 3600,
    )
    assert fc.total_seconds.central == pytest.approx(400.0)
    # 0.1 kWh in 100 s -> 3600 W; 400 s -> 0.4 kWh IT, x1.5 PUE
    assert fc.energy_kwh.central == pytest.approx(0.6)
    assert fc.co2e_kg.central == pytest.approx(0.24)
    assert fc.cost_usd.central == pytest.approx(400 * 2.0 / 3600)
    assert fc.fraction_done == pytest.approx(0.25)
    d = fc.to_dict()
    assert set(d["energy_kwh"]) == {"central", "low", "high"}


def test_unknown_energy_stays_unknown():
    fc = forecast_run(
        steady(1.0, 10, 5),
        100,
        elapsed_seconds=50,
        it_energy_joules=None,
        pue=1.2,
        g_co2e_per_kwh=400.0,
        usd_per_second=None,
    )
    assert fc.energy_kwh.central is None and fc.co2e_kg.central is None and fc.cost_usd.central is None
