"""The estimate pipeline's steps, each a pure function of one option group (issue 12's split of estimate())."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from flopcast.errors import InputError
from flopcast.estimate import ModelSource, estimate, model_source
from flopcast.estimate import defaults as D
from flopcast.estimate.compute import ComputeInputs, compute_source
from flopcast.estimate.energy import EnergyOptions
from flopcast.estimate.ranges import price_inputs
from flopcast.estimate.schedule import MemoryOptions

SRC = Path(__file__).resolve().parents[2] / "src" / "flopcast"


def test_six_nd_source_by_hand():
    # GPT-3 175B on 300B tokens: 6 x 175e9 x 300e9 = 3.15e23 FLOP
    s = compute_source(ComputeInputs(params=175e9, tokens=300e9))
    assert (s.kind, s.flop, s.method) == ("llm", pytest.approx(3.15e23), "operation counting: 6 N D")
    assert [a.name for a in s.assumptions] == ["params", "tokens", "formula"]


def test_attention_term_by_hand():
    # 6 x 96 x 2048 x 12288 x 300e9 = 14,495,514,624 x 300e9 = 4.3486543872e21 on top of 6ND
    s = compute_source(ComputeInputs(params=175e9, tokens=300e9, layers=96, context=2048, d_model=12288))
    assert s.flop == pytest.approx(3.15e23 + 4.3486543872e21, rel=1e-12)
    assert s.assumptions[-1].name == "attention_flop" and s.assumptions[-1].value == pytest.approx(4.3486543872e21)


def test_counted_source_and_burden():
    s = compute_source(ComputeInputs(forward_flop=1e9, examples=1e6, epochs=90))
    assert (s.kind, s.flop) == ("counted", pytest.approx(3 * 1e9 * 1e6 * 90))  # (1 + 2) x fwd x examples x epochs
    assert compute_source(ComputeInputs()).flop is None  # the hardware burden: FLOP depend on the utilization


def test_moe_caveat_is_a_value_of_the_source():
    s = compute_source(ComputeInputs(params=1e9, tokens=1e9, architecture="moe"))
    assert s.caveats == (D.ARCHITECTURE_CAVEATS["moe"],)


def test_steps_return_frozen_values_and_are_pure():
    inputs = ComputeInputs(params=7e9, tokens=2e12)
    a, b = compute_source(inputs), compute_source(inputs)
    assert a == b
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.flop = 1.0  # type: ignore[misc]
    kw = {"params": 7e9, "tokens": 2e12, "hardware": "h100", "chips": 64, "region": "FRA"}
    assert estimate(**kw) == estimate(**kw)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"zero_stage": 5}, "zero stage must be 0, 1, 2 or 3"),
        ({"zero_stage": True}, "zero stage must be 0, 1, 2 or 3"),
        ({"optimizer": "lion"}, "unknown optimizer 'lion'"),
        ({"activations_bytes": -1.0}, "activations_bytes must be >= 0"),
    ],
)
def test_memory_options_are_validated_once_on_construction(kwargs, message):
    with pytest.raises(InputError, match=message):
        MemoryOptions(**kwargs)


def test_energy_options_check_pue_and_host_overhead():
    o = EnergyOptions(pue=1, host_overhead=0)
    assert isinstance(o.pue, float) and isinstance(o.host_overhead, float)
    with pytest.raises(InputError, match="pue must be >= 1"):
        EnergyOptions(pue=0.9)
    with pytest.raises(InputError, match="host_overhead must be >= 0"):
        EnergyOptions(host_overhead=-0.1)


def test_price_inputs_owned_uses_the_cited_electricity_default():
    p = price_inputs(
        None,
        conversion="hardware",
        pricing="owned",
        provider=None,
        usd_per_chip_hour=None,
        electricity_usd_per_kwh=None,
    )
    assert (p.kind, p.usd, p.assumptions) == ("owned", None, ())  # no hardware: nothing to price
    from flopcast.hardware import get_accelerator

    p = price_inputs(
        get_accelerator("h100"),
        conversion="hardware",
        pricing="owned",
        provider=None,
        usd_per_chip_hour=None,
        electricity_usd_per_kwh=None,
    )
    value, source = D.ELECTRICITY_USD_PER_KWH
    assert p.usd is not None and (p.usd.low, p.usd.central, p.usd.high) == (value, value, value)
    assert [a.name for a in p.assumptions] == ["electricity_usd_per_kwh", "pricing"]
    assert p.assumptions[0].source == source


def test_model_source_without_a_model_is_empty_and_refuses_model_options():
    assert model_source(None, examples=None) == ModelSource()
    assert ModelSource().estimate_kwargs() == {
        "forward_flop": None,
        "examples": None,
        "memory_params": None,
        "activations_bytes": 0.0,
        "language_model": None,
    }
    for kwargs, message in (
        ({"examples": 10.0}, "--examples needs --model"),
        ({"examples": None, "batch": 4}, "--batch/--seq-len"),
        ({"examples": None, "seq_len": 128}, "--batch/--seq-len"),
    ):
        with pytest.raises(InputError, match=message):
            model_source(None, **kwargs)
    with pytest.raises(InputError, match="--model needs --examples"):
        model_source("gpt2", examples=None)


def test_model_source_per_example_figures(monkeypatch):
    from flopcast.estimate import model as model_mod

    def fake(spec, *, batch=1, seq_len=None):
        return model_mod.CountedModel(spec, 2e9, 1e8, 3e6, batch, seq_len)

    monkeypatch.setattr(model_mod, "count_model", fake)
    src = model_source("toy", examples=1000.0, batch=4, seq_len=128)
    assert src == ModelSource(2e9, 1000.0, 1e8, 4 * 3e6, True)  # activations of the whole batch; tokens: an LM
    assert src.estimate_kwargs(5e9)["activations_bytes"] == 5e9  # the user's figure replaces the counted one
    est = estimate(hardware="h100", **src.estimate_kwargs())
    assert est.training_flop == pytest.approx(3 * 2e9 * 1000)
    assert est.utilization == D.UTILIZATION_LLM.central
    assert model_source("toy", examples=1.0).language_model is None  # no sequence length: not known to be an LM


def test_cli_estimate_holds_no_count_glue():
    text = (SRC / "cli" / "estimate.py").read_text(encoding="utf-8")
    assert "count_model" not in text and "--model needs --examples" not in text  # the library's (model_source)


def test_the_cost_names_the_date_of_the_quote_it_used():
    from flopcast.hardware import price_range

    est = estimate(params=7e9, tokens=2e12, hardware="h100", chips=512)
    assert est.price_as_of == price_range("h100", "on-demand").central.as_of
    assert est.to_dict()["price_as_of"] == est.price_as_of
    given = estimate(params=7e9, tokens=2e12, hardware="h100", chips=512, usd_per_chip_hour=2.0)
    assert given.price_as_of is None and given.cost_usd is not None
