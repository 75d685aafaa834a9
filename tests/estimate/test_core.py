"""estimate(): modes, assumptions, errors, memory fit."""

from __future__ import annotations

import math

import pytest

from flopcast.errors import InputError, UnknownNameError
from flopcast.estimate import MemoryFitError, estimate, memory_fit
from flopcast.hardware import PrecisionUnavailableError, get_region


def _assumption(est, name):
    return next(a for a in est.assumptions if a.name == name)


def test_wall_clock_chip_hours_and_energy_by_hand():
    # 1e21 FLOP on 8 x A100 (312e12 bf16) at 40% -> 1e21 / (8 * 312e12 * 0.4 * 3600) h
    est = estimate(
        flop=1e21,
        hardware="A100 SXM4 80GB",
        chips=8,
        utilization=0.4,
        power_fraction=0.5,
        pue=1.1,
        region="FRA",
        usd_per_chip_hour=2.0,
    )
    hours = 1e21 / (8 * 312e12 * 0.4 * 3600)
    assert est.wall_hours == pytest.approx(hours)
    assert est.chip_hours == pytest.approx(8 * hours)
    assert est.energy_kwh == pytest.approx(8 * hours * 400 * 0.5 * 1.1 / 1000)
    assert est.co2e_kg == pytest.approx(est.energy_kwh * get_region("FRA").g_co2e_per_kwh / 1000)
    assert est.cost_usd == pytest.approx(2.0 * 8 * hours)
    assert est.low == est.high or all(est.low[k] == est.high[k] for k in est.low)  # everything given: no range


def test_deadline_gives_chips():
    est = estimate(flop=1e21, hardware="A100 SXM4 80GB", hours=24, utilization=0.4)
    exact = 1e21 / (24 * 3600 * 312e12 * 0.4)
    assert est.chips == math.ceil(exact) and est.wall_hours <= 24


def test_chips_and_hours_imply_utilization():
    est = estimate(flop=1e21, hardware="A100 SXM4 80GB", chips=64, hours=24)
    assert est.utilization == pytest.approx(1e21 / (64 * 312e12 * 24 * 3600))
    assert _assumption(est, "utilization").basis.value == "estimated"
    with pytest.raises(InputError, match="impossible"):
        estimate(flop=1e24, hardware="A100 SXM4 80GB", chips=1, hours=1)
    with pytest.raises(InputError, match="over-determined"):
        estimate(flop=1e21, hardware="A100 SXM4 80GB", chips=16, hours=24, utilization=0.5)


def test_default_utilization_follows_epoch_convention_and_is_explicit():
    llm = estimate(params=1e9, tokens=2e10, hardware="h100 sxm", chips=8)
    other = estimate(flop=1.2e20, hardware="h100 sxm", chips=8)
    assert llm.utilization == 0.3 and other.utilization == 0.4
    assert estimate(flop=1.2e20, hardware="h100 sxm", chips=8, language_model=True).utilization == 0.3
    assert "Epoch" in _assumption(llm, "utilization").source
    assert llm.low["wall_hours"] < llm.wall_hours < llm.high["wall_hours"]


def test_every_figure_has_its_assumptions():
    est = estimate(params=7e9, tokens=1e12, hardware="h100 sxm", chips=64, region="aws:us-east-1")
    names = {a.name for a in est.assumptions}
    assert {
        "utilization",
        "precision",
        "peak_flop_per_s",
        "pue",
        "grid_intensity",
        "power_fraction",
        "tdp_watts",
        "usd_per_chip_hour",
        "pricing",
        "host_overhead",
    } <= names
    price = _assumption(est, "usd_per_chip_hour")
    assert "as of" in price.source and "on-demand" in price.source
    assert _assumption(est, "pue").value == 1.2  # AWS-reported PUE for an AWS region
    d = est.to_dict()
    for key in (
        "training_flop",
        "method",
        "wall_hours",
        "chip_hours",
        "cost_usd",
        "energy_kwh",
        "co2e_kg",
        "assumptions",
        "low",
        "high",
    ):
        assert key in d


def test_owned_hardware_costs_electricity():
    est = estimate(flop=1e21, hardware="h100 sxm", chips=8, pricing="owned", electricity_usd_per_kwh=0.1)
    assert est.cost_usd == pytest.approx(est.energy_kwh * 0.1)


def test_missing_price_or_tdp_is_unavailable_not_zero():
    est = estimate(hardware="GTX 580", chips=2, hours=100)
    assert est.cost_usd is None and _assumption(est, "usd_per_chip_hour").basis.value == "unavailable"
    tpu = estimate(flop=1e21, hardware="TPU v5p", chips=8)
    assert tpu.energy_kwh is None and tpu.co2e_kg is None
    assert _assumption(tpu, "tdp_watts").basis.value == "unavailable"


def test_precision():
    with pytest.raises(PrecisionUnavailableError, match="available"):
        estimate(flop=1e21, hardware="V100", chips=8, precision="bf16")
    fp32 = estimate(flop=1e21, hardware="h100 sxm", chips=8, precision="fp32", utilization=0.5)
    bf16 = estimate(flop=1e21, hardware="h100 sxm", chips=8, precision="bf16", utilization=0.5)
    assert fp32.wall_hours / bf16.wall_hours == pytest.approx(989.4 / 67)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "nothing to estimate"),
        ({"params": 1e9}, "tokens is required"),
        ({"params": 0, "tokens": 1e9}, "params must be > 0"),
        ({"flop": -1.0}, "flop must be > 0"),
        ({"flop": float("nan")}, "flop must be > 0"),
        ({"flop": 1e20, "params": 1e9, "tokens": 1e9}, "one compute source"),
        ({"flop": 1e20, "chips": 8}, "need --hardware"),
        ({"flop": 1e20, "hardware": "h100 sxm"}, "give --chips"),
        ({"flop": 1e20, "hardware": "h100 sxm", "chips": 0}, "chips must be > 0"),
        ({"flop": 1e20, "hardware": "h100 sxm", "chips": 8, "utilization": 1.5}, r"utilization must be in \(0, 1\]"),
        ({"flop": 1e20, "hardware": "h100 sxm", "chips": 8, "pue": 0.9}, "pue must be >= 1"),
        ({"flop": 1e20, "conversion": "paper"}, "unknown conversion"),
        ({"flop": 1e20, "hardware": "h100 sxm", "chips": 8, "pricing": "free"}, "unknown pricing"),
        ({"params": 1e9, "tokens": 1e9, "layers": 12}, "layers, context and d_model together"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(InputError, match=match):
        estimate(**kwargs)


def test_unknown_names():
    with pytest.raises(UnknownNameError):
        estimate(flop=1e20, hardware="h1000", chips=2)
    with pytest.raises(UnknownNameError):
        estimate(flop=1e20, hardware="h100 sxm", chips=2, region="mars-1")


def test_memory_fit_by_hand():
    # 175e9 params, mixed-precision Adam: 16 bytes/param = 2.8e12 B; stage 3 on 80 GB x 0.9 usable
    fit = memory_fit(175e9, 80e9, precision="bf16", optimizer="adam", zero_stage=3)
    assert fit.params_bytes + fit.gradients_bytes + fit.optimizer_state_bytes == pytest.approx(175e9 * 16)
    assert fit.min_chips == math.ceil(175e9 * 16 / (80e9 * 0.9))
    assert fit.per_chip_bytes(fit.min_chips) <= 80e9 * 0.9
    # stage 1: weights and gradients replicated (4 B/param) -> 7B params need 28 GB each + sharded 84 GB
    s1 = memory_fit(7e9, 80e9, zero_stage=1)
    assert s1.min_chips == math.ceil(7e9 * 12 / (80e9 * 0.9 - 7e9 * 4))
    with pytest.raises(MemoryFitError, match="impossible memory fit"):
        memory_fit(175e9, 80e9, zero_stage=0)


def test_memory_fit_in_estimate():
    est = estimate(params=70e9, tokens=1.4e12, hardware="A100 SXM4 80GB")
    assert est.chips == est.memory.min_chips == math.ceil(70e9 * 16 / 72e9)
    with pytest.raises(MemoryFitError, match="needs at least"):
        estimate(params=70e9, tokens=1.4e12, hardware="A100 SXM4 80GB", chips=2)
    with pytest.raises(MemoryFitError, match="impossible"):
        estimate(params=70e9, tokens=1.4e12, hardware="A100 SXM4 80GB", chips=64, zero_stage=0)


def test_caveats():
    est = estimate(params=13e9, tokens=1e12, architecture="moe")
    assert any("ACTIVE" in c for c in est.caveats)
    with pytest.raises(InputError, match="unknown architecture"):
        estimate(params=13e9, tokens=1e12, architecture="rnn")
