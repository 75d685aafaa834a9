"""The measured energy chain (J → kWh → × PUE → CO2e, chip-hours → cost) has one owner per conversion."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from flopcast.estimate.formulas import co2e_kg
from flopcast.measure.forecast import forecast_run
from flopcast.measure.rates import Rates
from flopcast.measure.record import derived_figures

MEASURE = Path(__file__).resolve().parents[2] / "src" / "flopcast" / "measure"


def rates(**kw):
    base = {
        "hardware": "X",
        "chips": 2,
        "precision": "bf16",
        "peak_flop_per_s_per_chip": 1e15,
        "pue": 1.5,
        "region": "R",
        "g_co2e_per_kwh": 400.0,
        "usd_per_chip_hour": 3.0,
        "assumptions": (),
    }
    return Rates(**{**base, **kw})


def test_hand_derived_figures():
    # 7.2 MJ IT = 2 kWh; x PUE 1.5 = 3 kWh; x 400 g/kWh = 1.2 kg; 2 chips x 1800 s = 1 chip-hour x $3
    f = derived_figures(
        wall_seconds=1800.0, active_seconds=1800.0, steps=10, flop_per_step=1.8e17, it_joules=7.2e6, rates=rates()
    )
    assert f.it_energy_kwh == pytest.approx(2.0) and f.energy_kwh == pytest.approx(3.0)
    assert f.co2e_kg == pytest.approx(1.2) and f.chip_hours == pytest.approx(1.0) and f.cost_usd == pytest.approx(3.0)
    assert f.achieved_flop_per_s == pytest.approx(1e15) and f.mfu == pytest.approx(0.5)
    assert f.co2e_kg == co2e_kg(f.energy_kwh, 400.0)  # the estimate formula, not a copy


def test_forecast_uses_the_same_conversions_as_the_record():
    pts = [(float(t), t) for t in range(0, 101, 10)]  # 1 step/s
    fc = forecast_run(
        pts, 100, elapsed_seconds=100.0, it_energy_joules=3.6e5, pue=1.2, g_co2e_per_kwh=50.0, usd_per_second=None
    )
    f = derived_figures(
        wall_seconds=100.0,
        active_seconds=100.0,
        steps=100,
        flop_per_step=None,
        it_joules=3.6e5,
        rates=rates(pue=1.2, g_co2e_per_kwh=50.0),
    )
    assert fc.energy_kwh.central == pytest.approx(f.energy_kwh) == pytest.approx(0.12)
    assert fc.co2e_kg.central == pytest.approx(f.co2e_kg) == pytest.approx(0.006)


def test_no_literal_hour_or_kwh_conversions_in_measure():
    found = []
    for path in sorted(MEASURE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in (3600, 3600.0, 3.6e6, 3_600_000):
                found.append(f"{path.name}:{node.lineno}")
    assert found == [], "use flopcast.units.SECONDS_PER_HOUR / JOULES_PER_KWH"
