"""Properties of estimate(): ranges ordered, linear in chip-hours, more chips never slower."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flopcast.estimate import estimate

HW = st.sampled_from(["h100 sxm", "A100 SXM4 80GB", "V100", "NVIDIA Tesla K80", "TPU v4", "L4"])
REGION = st.sampled_from([None, "FRA", "aws:us-east-1", "gcp:europe-west4", "US-WV"])
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    hw=HW,
    chips=st.integers(1, 4096),
    flop=st.floats(1e18, 1e25),
    region=REGION,
    pricing=st.sampled_from(["on-demand", "owned"]),
)
def test_low_le_central_le_high(hw, chips, flop, region, pricing):
    est = estimate(flop=flop, hardware=hw, chips=chips, region=region, pricing=pricing)
    for key, lo in est.low.items():
        central = getattr(est, key) if key != "chips" else est.chips
        assert lo <= central * (1 + 1e-12) and central <= est.high[key] * (1 + 1e-12), key


@SETTINGS
@given(hw=HW, hours=st.floats(1, 1e4), flop=st.floats(1e18, 1e24))
def test_deadline_ranges_ordered(hw, hours, flop):
    est = estimate(flop=flop, hardware=hw, hours=hours)
    for key, lo in est.low.items():
        central = est.chips if key == "chips" else getattr(est, key)
        assert lo <= central <= est.high[key], key
    assert est.high["wall_hours"] <= hours * (1 + 1e-9)  # every scenario meets the deadline


@SETTINGS
@given(hw=HW, chips=st.integers(1, 512), hours=st.floats(1, 1e4), k=st.floats(1.01, 100))
def test_cost_energy_co2_linear_in_chip_hours(hw, chips, hours, k):
    # a power fraction is a share of TDP; TPU v4 publishes a measured mean power instead, used as is
    pf = {} if hw == "TPU v4" else {"power_fraction": 0.7}
    a = estimate(hardware=hw, chips=chips, hours=hours, utilization=0.5, **pf)
    b = estimate(hardware=hw, chips=chips, hours=hours * k, utilization=0.5, **pf)
    assert b.chip_hours == pytest.approx(a.chip_hours * k)
    for key in ("cost_usd", "energy_kwh", "co2e_kg", "co2e_lbs"):
        va, vb = getattr(a, key), getattr(b, key)
        if va is None:
            assert vb is None
        else:
            assert vb == pytest.approx(va * k, rel=1e-9), key
            assert b.low[key] == pytest.approx(a.low[key] * k) and b.high[key] == pytest.approx(a.high[key] * k)


@SETTINGS
@given(hw=HW, c1=st.integers(1, 10_000), c2=st.integers(1, 10_000), flop=st.floats(1e18, 1e25), u=st.floats(0.05, 1.0))
def test_more_chips_never_lengthen_the_wall_clock(hw, c1, c2, flop, u):
    lo, hi = sorted((c1, c2))
    a = estimate(flop=flop, hardware=hw, chips=lo, utilization=u)
    b = estimate(flop=flop, hardware=hw, chips=hi, utilization=u)
    assert b.wall_hours <= a.wall_hours
    assert b.chip_hours == pytest.approx(a.chip_hours)  # chip-hours depend on compute and utilization only


@SETTINGS
@given(hw=HW, h1=st.floats(1, 1e4), h2=st.floats(1, 1e4), flop=st.floats(1e18, 1e24))
def test_a_later_deadline_never_needs_more_chips(hw, h1, h2, flop):
    early, late = sorted((h1, h2))
    assert estimate(flop=flop, hardware=hw, hours=late).chips <= estimate(flop=flop, hardware=hw, hours=early).chips
