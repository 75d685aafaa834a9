"""Training precision per row: every bundled row says how it trained, and the hardware burden prices it so.

Independently known figures: the catalogue's V100 SXM2 rates (fp32 15.7e12, fp16 tensor 125e12 FLOP/s,
NVIDIA's V100 datasheet via flopcast.hardware) and the row's chips and hours as published (detectron2
MODEL_ZOO s/iter x iterations, Ott et al. 2018 abstract: 85 minutes on 128 GPUs).
"""

from __future__ import annotations

import csv

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flopcast import data as fdata
from flopcast.errors import DataFormatError, InputError
from flopcast.hardware import get_accelerator
from flopcast.trends.data import BENCHMARKS, hardware_burden, load_rows
from flopcast.trends.project import analyze

PRECISIONS = {"fp32", "fp16", "bf16", "mixed"}
V100 = "V100 SXM2 16/32GB"  # the catalogue row "NVIDIA V100" resolves to (detectron2, Ott et al.)
D2_FPN = "detectron2 faster_rcnn_R_50_FPN_1x"  # 8 x V100, 5.2 h (0.208 s/iter x 90k iterations)
OTT_DE = "Transformer Big (Ott et al., 2018)"  # 128 x V100, 85 min = 1.417 h


@pytest.fixture(scope="module")
def rows():
    return {k: load_rows(b) for k, b in BENCHMARKS.items()}


def _row(rows, bench, model):
    return next(r for r in rows[bench] if r.model == model)


@pytest.mark.parametrize("file", sorted(p.name for p in fdata.path("benchmarks").glob("*.csv")))
def test_every_bundled_row_has_a_precision_and_its_source(file):
    with open(fdata.path("benchmarks") / file, encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    assert table
    for r in table:
        assert r["train_precision"] in PRECISIONS, (file, r["model"])
        src = r["train_precision_source"]
        assert src.startswith("cited: https://") or src.startswith("rule: "), (file, r["model"], src)


def test_codebases_are_cited_where_their_code_says(rows):
    for r in rows["coco"]:
        if r.model.startswith(("Detectron ", "detectron2 ")):
            assert (r.train_precision, r.train_precision_source[:8]) == ("fp32", "cited: h"), r.model
    regnets = [r for r in rows["imagenet"] if "(pycls)" in r.model]
    assert len(regnets) == 12
    assert all(r.train_precision == "fp32" and "MIXED_PRECISION = False" in r.train_precision_source for r in regnets)
    assert _row(rows, "wmt14_en_de", OTT_DE).train_precision == "mixed"
    assert _row(rows, "squad11", "XLNet single").train_precision == "bf16"  # TPU v3 rule


def test_v100_fp32_row_is_priced_at_the_fp32_peak(rows):
    peak = get_accelerator(V100).peak("fp32")
    assert peak == 15.7e12
    r = _row(rows, "coco", D2_FPN)
    assert (r.chips, r.hours, r.train_precision) == (8, 5.2, "fp32")
    utilization = 1.0  # Thompson et al.'s hardware burden runs at peak
    assert r.training_flop == pytest.approx(8 * peak * 5.2 * 3600 * utilization)
    assert r.training_flop == pytest.approx(2.351232e18)  # by hand: 8 x 15.7e12 x 5.2 x 3600
    assert r.training_flop_source == f"hardware burden ({V100} fp32 peak, row train_precision)"


def test_pycls_regnet_rows_are_priced_at_fp32(rows):
    r = _row(rows, "imagenet", "RegNetY-200MF (pycls)")
    acc = get_accelerator("NVIDIA Tesla V100 16GB")
    assert r.training_flop == pytest.approx(8 * acc.peak("fp32") * 3.3 * 3600)
    assert r.training_flop < 8 * acc.peak("fp16") * 3.3 * 3600 / 7  # not the 125 TFLOP/s tensor rate


def test_mixed_precision_row_is_priced_at_the_fp16_tensor_peak(rows):
    r = _row(rows, "wmt14_en_de", OTT_DE)
    assert get_accelerator(V100).peak("fp16") == 125e12
    assert r.training_flop == pytest.approx(128 * 125e12 * 1.417 * 3600)
    assert "fp16 peak, row trained mixed" in r.training_flop_source


def test_detectron_to_detectron2_step_is_the_fp32_chip_ratio(rows):
    # The issue: priced at fp16, V100 rows jumped 13x in FLOP per chip-hour over P100 rows; at fp32 it is 1.7x.
    def per_chip_hour(r):
        return r.training_flop / (r.chips * r.hours)

    p100 = {per_chip_hour(r) for r in rows["coco"] if r.model.startswith("Detectron ")}
    v100 = {per_chip_hour(r) for r in rows["coco"] if r.model.startswith("detectron2 ")}
    assert max(p100) / min(p100) < 1 + 1e-9 and max(v100) / min(v100) < 1 + 1e-9  # one rate per codebase
    ratio = min(v100) / min(p100)
    expected = get_accelerator(V100).peak("fp32") / get_accelerator("NVIDIA Tesla P100 16GB").peak("fp32")
    assert ratio == pytest.approx(expected)
    assert 1.6 < ratio < 1.8


@pytest.mark.parametrize(("override", "chip_precision"), [("fp16", "fp16"), ("chip", "fp16"), ("fp32", "fp32")])
def test_burden_precision_overrides_the_row(override, chip_precision):
    r = next(r for r in load_rows(BENCHMARKS["coco"], burden=hardware_burden(override)) if r.model == D2_FPN)
    assert r.train_precision == "fp32"  # the row's own value is kept; the burden uses the override
    assert r.training_flop == pytest.approx(8 * get_accelerator(V100).peak(chip_precision) * 5.2 * 3600)
    assert f"{chip_precision} peak" in r.training_flop_source


def test_fp32_override_reprices_a_mixed_row():
    r = next(r for r in load_rows(BENCHMARKS["wmt14_en_de"], burden=hardware_burden("fp32")) if r.model == OTT_DE)
    assert r.training_flop == pytest.approx(128 * 15.7e12 * 1.417 * 3600)
    assert r.training_flop_source.endswith("--burden-precision fp32)")


def test_per_row_equals_fp32_where_every_burden_row_trained_fp32():
    # COCO's burden rows are Detectron/detectron2 and ImageNet's are pycls: all cited fp32.
    def k(**kw):
        rep = analyze(["coco", "imagenet"], measures=["training"], **kw)
        return [(f.benchmark, f.exponent) for f in rep.fits if f.form == "polynomial"]

    per_row, fp32, chip = k(), k(burden_precision="fp32"), k(burden_precision="chip")
    assert per_row == fp32
    assert per_row != chip


def test_analysis_states_the_precision_convention():
    rep = analyze(["coco"], measures=["training"])
    a = next(a for a in rep.assumptions if a.name == "hardware_burden_precision")
    assert a.value == "each row's train_precision"
    given = analyze(["coco"], measures=["training"], burden_precision="FP32")
    assert next(a for a in given.assumptions if a.name == "hardware_burden_precision").value == "fp32"


USER = (
    "model,date,score,train_hardware,train_chips,train_hours{extra_head}\n"
    "a,2019-01,70,NVIDIA V100,8,10{extra}\nb,2019-06,75,NVIDIA V100,8,20{extra}\n"
    "c,2020-01,80,NVIDIA V100,8,40{extra}\n"
)


def test_user_csv_without_the_column_keeps_the_chip_default(tmp_path):
    f = tmp_path / "u.csv"
    f.write_text(USER.format(extra_head="", extra=""))
    r = load_rows(path=f)[0]
    assert r.train_precision == ""
    assert r.training_flop == pytest.approx(8 * 125e12 * 10 * 3600)
    assert "chip default; row gives no train_precision" in r.training_flop_source


def test_user_csv_precision_is_used(tmp_path):
    f = tmp_path / "u.csv"
    f.write_text(USER.format(extra_head=",train_precision", extra=",FP32"))
    r = load_rows(path=f)[0]
    assert r.train_precision == "fp32"
    assert r.training_flop == pytest.approx(8 * 15.7e12 * 10 * 3600)
    assert r.to_dict()["train_precision"] == "fp32"


@pytest.mark.parametrize("cell", ["fp99", "chip", "half-ish"])
def test_unknown_row_precision_is_a_line_numbered_error(tmp_path, cell):
    f = tmp_path / "u.csv"
    f.write_text(USER.format(extra_head=",train_precision", extra="," + cell))
    with pytest.raises(DataFormatError, match=r"u\.csv:2 column 'train_precision'"):
        load_rows(path=f)


def test_unknown_override_names_the_choices():
    with pytest.raises(InputError, match=r"unknown precision 'fp99'.*fp32, fp16, bf16 or mixed"):
        analyze(["coco"], measures=["training"], burden_precision="fp99")


@settings(max_examples=50, deadline=None)
@given(chips=st.integers(1, 4096), hours=st.floats(0.01, 1e4), prec=st.sampled_from(["fp32", "fp16", "mixed"]))
def test_burden_is_chips_times_row_peak_times_hours(chips, hours, prec):
    flop, label = hardware_burden()("NVIDIA V100", chips, hours, prec)
    peak = get_accelerator(V100).peak("fp32" if prec == "fp32" else "fp16")
    assert flop == pytest.approx(chips * peak * hours * 3600)
    assert label.startswith("hardware burden (")
