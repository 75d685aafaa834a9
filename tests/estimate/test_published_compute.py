"""Reproduce published training compute: operation counting (6ND) and hardware burden (Epoch's table)."""

from __future__ import annotations

import csv

import pytest

from flopcast.data import path
from flopcast.errors import InputError
from flopcast.estimate import THOMPSON2020_FLOP_PER_LB_CO2, THOMPSON2020_FLOP_PER_USD, estimate, hardware_burden_flop


# (params, tokens, published FLOP): the papers' own parameter and token counts.
@pytest.mark.parametrize(
    ("name", "params", "tokens", "published"),
    [
        # Brown et al. 2020, Table 2.1 (175.0B) and sec. 2.2 (300B tokens); Table D.1 gives 3.14e23 FLOP
        ("GPT-3 175B", 175.0e9, 300e9, 3.14e23),
        # Hoffmann et al. 2022, Table 3 / sec. 4.1: 70B params, 1.4T tokens, 5.76e23 FLOP
        ("Chinchilla", 70e9, 1.4e12, 5.76e23),
        # Touvron et al. 2023 (LLaMA), Table 2: 65.2B params, 1.4T tokens; Epoch AI lists 5.5e23 FLOP
        ("LLaMA-65B", 65.2e9, 1.4e12, 5.5e23),
    ],
)
def test_operation_counting_reproduces_published_compute(name, params, tokens, published):
    est = estimate(params=params, tokens=tokens)
    assert est.training_flop == pytest.approx(published, rel=0.05), name
    assert est.method.startswith("operation counting")


def test_counted_forward_flop_path_is_three_times_forward():
    # ResNet-50: 4.1e9 multiply-adds forward = 8.2e9 FLOP (He et al. 2016 Table 1 counts 3.8e9 "FLOPs" = MACs
    # at 224^2; torchvision lists 4.09 GMACs); 1.28M images x 90 epochs x 3 -> 2.8e18 FLOP
    est = estimate(forward_flop=8.2e9, examples=1.281167e6, epochs=90)
    assert est.training_flop == pytest.approx(3 * 8.2e9 * 1.281167e6 * 90)
    est4 = estimate(forward_flop=8.2e9, examples=1.281167e6, epochs=90, backward_forward_ratio=3.0)
    assert est4.training_flop / est.training_flop == pytest.approx(4 / 3)


def test_attention_term():
    # Kaplan et al. 2020 Table 1: forward 2N + 2 n_layer n_ctx d_attn per token; x3 for training
    base = estimate(params=1e9, tokens=1e9).training_flop
    with_attn = estimate(params=1e9, tokens=1e9, layers=24, context=2048, d_model=2048).training_flop
    assert with_attn - base == pytest.approx(6 * 24 * 2048 * 2048 * 1e9)


def _epoch_row(model):
    with path("epoch/ml_systems.csv").open(encoding="utf-8") as fh:
        return next(r for r in csv.DictReader(fh) if r["Model"] == model)


# Rows of Epoch's table estimated by the hardware method, with the utilization Epoch states (MFU column)
# or its convention (0.3 / 0.4).
@pytest.mark.parametrize(
    ("model", "utilization"),
    [
        ("ViT-22B", None),  # TPU v4 x 1024 x 347.4 h, stated MFU 54.9%
        ("LaMDA", None),  # TPU v3 x 1024 x 1385 h, stated MFU 56.5%
        ("VGG16", 0.3),  # GTX Titan Black x 4 x 504 h, fp32
        ("SEER", 0.4),  # V100 x 512 x 195.5 h, fp16 tensor cores
        ("JFT", 0.4),  # K80 x 50 x 1440 h, fp32
    ],
)
def test_hardware_burden_reproduces_epoch(model, utilization):
    r = _epoch_row(model)
    assert r["Training compute estimation method"] == "Hardware"
    u = utilization if utilization is not None else float(r["Hardware utilization (MFU)"])
    flop = hardware_burden_flop(
        r["Training hardware"], float(r["Hardware quantity"]), float(r["Training time (hours)"]), u
    )
    assert flop == pytest.approx(float(r["Training compute (FLOP)"]), rel=0.05), model
    est = estimate(
        hardware=r["Training hardware"],
        chips=float(r["Hardware quantity"]),
        hours=float(r["Training time (hours)"]),
        utilization=u,
    )
    assert est.training_flop == pytest.approx(flop)
    assert est.method.startswith("hardware burden")


def test_thompson2020_conversion():
    assert THOMPSON2020_FLOP_PER_USD == 6.874e16 and THOMPSON2020_FLOP_PER_LB_CO2 == 3.498e17
    est = estimate(flop=6.874e22, conversion="thompson2020")
    assert est.cost_usd == pytest.approx(1e6)
    assert est.co2e_lbs == pytest.approx(6.874e22 / 3.498e17)
    assert est.co2e_kg == pytest.approx(est.co2e_lbs * 0.45359237)
    assert est.energy_kwh is None
    # the paper's hardware burden uses peak (utilization 1)
    burden = estimate(hardware="GTX 580", chips=2, hours=132, conversion="thompson2020")
    assert burden.training_flop == pytest.approx(2 * 1.581e12 * 132 * 3600)
    assert burden.utilization == 1.0


def test_energy_chain_reproduces_patterson_2021_gpt3():
    """Patterson et al. 2021, Table 4 (GPT-3): 10,000 V100 for 14.8 days, 330 W average system power per
    processor (= 300 W TDP x 1.0 x (1 + 0.1 host)), PUE 1.10, 0.429 kgCO2e/kWh -> 1,287 MWh and 552 tCO2e."""
    est = estimate(
        flop=3.14e23,
        hardware="V100 SXM2",
        chips=10_000,
        hours=14.8 * 24,
        power_fraction=1.0,
        host_overhead=0.1,
        pue=1.10,
        g_co2e_per_kwh=429,
    )
    assert est.energy_kwh == pytest.approx(1_287_000, rel=0.01)
    assert est.co2e_kg == pytest.approx(552_000, rel=0.01)
    # and the implied utilization Epoch's table lists for GPT-3 (19.7% of V100 fp16 tensor peak)
    assert est.utilization == pytest.approx(0.1968, rel=0.02)


def test_encoder_decoder_counts_the_half_of_the_parameters_each_token_meets():
    """T5-11B: Epoch's table lists 3.3e22 FLOP (Chung et al. 2022, arXiv:2210.11416) for 11B parameters and
    ~1T pre-training tokens (Raffel et al. 2020: 2^20 steps x 2^11 sequences x 512 tokens); 6ND gives 2x that."""
    r = _epoch_row("T5-11B")
    published, params = float(r["Training compute (FLOP)"]), float(r["Parameters"])
    assert published == 3.3e22 and params == 11e9
    dense = estimate(params=params, tokens=1e12)
    enc_dec = estimate(params=params, tokens=1e12, architecture="encoder-decoder")
    assert dense.training_flop / published == pytest.approx(2.0)
    assert enc_dec.training_flop == pytest.approx(published, rel=0.02)
    assert "N/2" in enc_dec.method and not enc_dec.caveats
    assert any(a.name == "formula" and "Chung et al. 2022" in a.source for a in enc_dec.assumptions)


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("T5-11B", "language"),  # TPU v3 x 512 x 481.9 h
        ("Long-range sequence Compressive Transformers", "language"),
        ("Meta Pseudo Labels", "other"),  # vision, TPU v3
        ("SEER", "other"),
    ],
)
def test_family_conventions_reproduce_epochs_hardware_estimates(model, family):
    r = _epoch_row(model)
    kw = {
        "hardware": r["Training hardware"],
        "chips": float(r["Hardware quantity"]),
        "hours": float(r["Training time (hours)"]),
    }
    est = estimate(family=family, **kw)
    assert est.training_flop == pytest.approx(float(r["Training compute (FLOP)"]), rel=0.05), model
    u = next(a for a in est.assumptions if a.name == "utilization")
    assert u.value == (0.3 if family == "language" else 0.4) and f"--family {family}" in u.source
    if family == "language":  # without --family the burden path assumes 0.4 and says so
        default = estimate(**kw)
        assert default.training_flop / est.training_flop == pytest.approx(4 / 3)
        assert "no --family given" in next(a for a in default.assumptions if a.name == "utilization").source


def test_unknown_family_is_refused():
    with pytest.raises(InputError, match="unknown model family 'poetry'; choose one of language, other"):
        estimate(hardware="V100", chips=8, hours=10, family="poetry")


def test_measured_mean_power_is_not_multiplied_by_a_power_fraction():
    """TPU v4: Google publishes measured min/mean/max 90/170/192 W (cloud.google.com/tpu/docs/v4), no TDP.
    Energy = chip-hours x 170 W x PUE (no 0.8 power fraction on top); the high end uses the 192 W maximum."""
    est = estimate(flop=1e21, hardware="TPU v4", chips=64, utilization=0.5, pue=1.1, g_co2e_per_kwh=400)
    assert est.energy_kwh == pytest.approx(est.chip_hours * 0.170 * 1.1)
    assert est.high["energy_kwh"] == pytest.approx(est.chip_hours * 0.192 * 1.1)
    assert est.low["energy_kwh"] == pytest.approx(est.energy_kwh)
    assert any(a.name == "measured_mean_watts" and a.value == 170 for a in est.assumptions)
    with pytest.raises(InputError, match="no published TDP, only a measured mean power"):
        estimate(flop=1e21, hardware="TPU v4", chips=64, power_fraction=0.8)
    # a chip with a TDP keeps TDP x power fraction (V100 SXM2: 300 W x 0.8)
    v100 = estimate(flop=1e21, hardware="V100", chips=64, utilization=0.5, pue=1.1)
    assert v100.energy_kwh == pytest.approx(v100.chip_hours * 0.300 * 0.8 * 1.1)


def test_chips_must_be_whole_and_every_number_finite():
    with pytest.raises(InputError, match=r"chips must be a whole number, got 2\.5"):
        estimate(flop=1e21, hardware="V100", chips=2.5)
    with pytest.raises(InputError, match="chips must be a whole number"):
        hardware_burden_flop("V100", 2.5, 10)
    for bad in (float("nan"), float("inf"), -1.0, 0.0):
        with pytest.raises(InputError):
            estimate(flop=1e21, hardware="V100", chips=8, pue=bad)
        with pytest.raises(InputError):
            hardware_burden_flop("V100", 8, bad)
    with pytest.raises(InputError, match="overflows"):
        estimate(params=1e200, tokens=1e200)
    with pytest.raises(InputError, match="zero stage"):
        estimate(flop=1e21, hardware="V100", chips=8, zero_stage=9)


def test_a_chip_without_a_tensor_rate_says_its_peak_is_the_vector_rate():
    est = estimate(hardware="A10G", chips=8, hours=10)  # Epoch lists only vector rates for the A10G
    assert est.precision == "fp32" and any("lists no tensor/matrix-unit rate" in c for c in est.caveats)
    assert not estimate(hardware="A10", chips=8, hours=10).caveats  # A10: 125 TFLOPS dense FP16 tensor
