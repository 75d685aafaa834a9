"""Every numeric input of a tracked run is a finite number on the right side of zero, or a one-line error
before the job starts; `--epochs` acts (with `--steps-per-epoch`) or is refused, never ignored."""

from __future__ import annotations

import math
import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flopcast.cli import main
from flopcast.errors import InputError
from flopcast.measure import Ledger, track
from flopcast.measure.checks import RUN_NUMBERS, check_number, total_steps_of
from flopcast.measure.rates import resolve_rates
from flopcast.measure.samplers import CpuTdpSampler, ProcessTreeSampler

PY = sys.executable


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(RUN_NUMBERS)),
    value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**6), 10**6)),
)
def test_a_checked_number_is_finite_and_in_range_or_a_one_line_error(name, value):
    spec = RUN_NUMBERS[name]
    try:
        got = check_number(name, value, spec)
    except InputError as exc:
        msg = str(exc)
        assert "\n" not in msg and name in msg and spec.option in msg
        assert not (
            math.isfinite(value)
            and value > spec.minimum
            and value <= spec.maximum
            and (not spec.integer or float(value).is_integer())
        )
        return
    assert math.isfinite(got) and got <= spec.maximum
    assert got >= spec.minimum if spec.integer else got > spec.minimum
    if spec.integer:
        assert isinstance(got, int) and got == value


@pytest.mark.parametrize("tdp", [-5.0, 0.0, math.nan, math.inf, -math.inf])
def test_library_refuses_a_non_positive_or_non_finite_tdp(tdp):
    with pytest.raises(InputError, match="cpu_tdp_watts"):
        track(cpu_tdp_watts=tdp, ledger=False)
    with pytest.raises(InputError, match="cpu_tdp_watts"):
        CpuTdpSampler(ProcessTreeSampler(os.getpid()), tdp, "given")


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"interval": math.inf}, "interval"),
        ({"interval": math.nan}, "interval"),
        ({"interval": -1}, "interval"),
        ({"flop_per_step": math.inf}, "flop_per_step"),
        ({"flop_per_step": math.nan}, "flop_per_step"),
        ({"total_steps": 2.5}, "total_steps"),
        ({"total_steps": -3}, "total_steps"),
        ({"chips": 2.5}, "chips"),
        ({"chips": True}, "chips"),
        ({"epochs": 3}, "needs steps_per_epoch"),
        ({"steps_per_epoch": 3}, "needs epochs"),
        ({"epochs": math.inf, "steps_per_epoch": 3}, "epochs"),
        ({"epochs": -1, "steps_per_epoch": 3}, "epochs"),
        ({"epochs": 2, "steps_per_epoch": 3, "total_steps": 7}, "contradicts"),
    ],
)
def test_library_refuses_bad_run_numbers(kwargs, needle):
    with pytest.raises(InputError, match=needle):
        track(ledger=False, **kwargs)


def test_epochs_act_with_steps_per_epoch():
    assert total_steps_of(None, 2.5, 3) == 8  # ceil(7.5)
    assert total_steps_of(8, 2.5, 3) == 8
    assert track(epochs=2, steps_per_epoch=500, ledger=False).total_steps == 1000


@pytest.mark.parametrize("chips", [0, -1, 2.5, math.nan])
def test_resolve_rates_refuses_bad_chip_counts(chips):
    with pytest.raises(InputError, match="chips"):
        resolve_rates(hardware="a100 80gb", chips=chips)


@pytest.mark.parametrize(
    "bad, needle",
    [
        (["--cpu-tdp", "-5"], "cpu_tdp_watts must be positive"),
        (["--cpu-tdp", "0"], "cpu_tdp_watts must be positive"),
        (["--cpu-tdp", "nan"], "cpu_tdp_watts must be a finite"),
        (["--cpu-tdp", "inf"], "cpu_tdp_watts must be a finite"),
        (["--interval", "inf"], "interval must be a finite"),
        (["--interval", "-1"], "interval must be more than"),
        (["--flop-per-step", "inf"], "flop_per_step must be a finite"),
        (["--flop-per-step", "-1e12"], "flop_per_step must be positive"),
        (["--total-steps", "-1"], "total_steps must be at least 1"),
        (["--chips", "0", "--hardware", "a100 80gb"], "chips must be at least 1"),
        (["--pue", "nan"], "pue must be between"),
        (["--pue", "inf"], "pue must be between"),
        (["--epochs", "3"], "needs steps_per_epoch"),
        (["--steps-per-epoch", "40"], "needs epochs"),
        (["--epochs", "-1", "--steps-per-epoch", "3"], "epochs must be positive"),
        (["--epochs", "2", "--steps-per-epoch", "3", "--total-steps", "7"], "contradicts"),
    ],
)
def test_cli_refuses_bad_numbers_before_the_command_runs(capsys, tmp_path, bad, needle):
    marker = tmp_path / "ran"
    ledger = tmp_path / "l.sqlite"
    args = ["track", "--ledger", str(ledger), *bad, "--", PY, "-c", f"open({str(marker)!r}, 'w').close()"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("flopcast: error:") and err.count("\n") == 1 and needle in err, err
    assert not marker.exists()
    if ledger.exists():
        with Ledger(ledger, readonly=True) as led:
            assert led.runs() == []


def test_cli_tdp_energy_is_the_stated_formula_and_positive(capsys, tmp_path):
    """CPU energy = TDP × CPU-seconds / logical CPUs (Green Algorithms' share-of-TDP model), × PUE, × grid."""
    import json

    code = main(
        [
            "track",
            "--json",
            "--cpu-tdp",
            "150",
            "--pue",
            "1.5",
            "--region",
            "FRA",
            "--epochs",
            "2.5",
            "--steps-per-epoch",
            "3",
            "--ledger",
            str(tmp_path / "l.sqlite"),
            "--",
            PY,
            "-c",
            "s = 0\nfor i in range(300000): s += i",
        ]
    )
    rec = json.loads(capsys.readouterr().out)
    assert code == 0 and rec["total_steps"] == 8
    if rec["energy_source"]["cpu"] != "estimated":
        pytest.skip("RAPL readable here: CPU energy is measured, not TDP-based")
    joules = 150.0 * rec["cpu_seconds"] / os.cpu_count()
    assert rec["components"]["cpu"]["energy_joules"] == pytest.approx(joules, rel=1e-9)
    ram = rec["components"]["ram"]["energy_joules"]  # resident memory x 0.375 W/GB, estimated
    assert rec["energy_source"]["ram"] == "estimated" and 0 < ram < joules
    assert rec["energy_kwh"] == pytest.approx((joules + ram) / 3.6e6 * 1.5, rel=1e-9) and rec["energy_kwh"] > 0
    assert rec["co2e_kg"] == pytest.approx(rec["energy_kwh"] * 0.056, rel=1e-9) and rec["co2e_kg"] > 0
