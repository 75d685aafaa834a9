"""Accelerator catalogue: names resolve, dense peaks only, precision defaults, forgiving lookup."""

from __future__ import annotations

import csv

import pytest

from flopcast.data import path
from flopcast.errors import AmbiguousNameError, InputError, UnknownNameError
from flopcast.hardware import (
    PrecisionUnavailableError,
    default_training_precision,
    get_accelerator,
    list_accelerators,
    split_hardware,
)

# The train_hardware names used by the benchmark tables (data/benchmarks/*.csv).
BENCHMARK_NAMES = [
    "NVIDIA Tesla P100 16GB",
    "NVIDIA V100 (Big Basin, NVLink)",
    "NVIDIA Tesla V100 16GB",
    "NVIDIA V100",
    "NVIDIA P100",
    "NVIDIA M40",
    "NVIDIA V100 (Volta)",
    "Google TPU v3",
    "NVIDIA K40",
    "NVIDIA Tesla V100 DGXS 16 GB",
    "NVIDIA K80",
    "NVIDIA GeForce GTX TITAN X",
    "NVIDIA GeForce GTX 1080",
    "Google TPU v2",
    "NVIDIA GeForce GTX 580",
    "NVIDIA GTX Titan Black",
    "NVIDIA Tesla K80",
    "NVIDIA Tesla K40s",
]


@pytest.mark.parametrize("name", BENCHMARK_NAMES)
def test_benchmark_names_resolve_with_a_dense_training_peak(name):
    acc = get_accelerator(name)
    assert acc.peak(default_training_precision(acc)) > 1e11


def test_every_benchmark_table_hardware_cell_resolves():
    cells = set()
    for f in path("benchmarks").glob("*.csv"):
        with f.open(encoding="utf-8") as fh:
            cells |= {r["train_hardware"] for r in csv.DictReader(fh) if r.get("train_hardware")}
    unresolved = []
    for cell in cells:
        try:
            split_hardware(cell)
        except InputError:
            unresolved.append(cell)
    # the one cell that names no chip generation at all
    assert unresolved == ["Google Cloud TPU (Pod config; TPU generation not stated in paper)"]


def test_epoch_ml_systems_training_hardware_resolves():
    names = set()
    with path("epoch/ml_systems.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            names |= {p.strip() for p in r["Training hardware"].split(",") if p.strip()}
    missing = sorted(n for n in names if not _resolves(n))
    # CPUs the chip table (chips with a performance figure) does not list
    assert missing == ["AMD EPYC 7413", "Intel Core 2 Quad Q9450", "Intel Core i5-11600K"]


def _resolves(name):
    try:
        get_accelerator(name)
        return True
    except InputError:
        return False


def test_benchmark_accelerators_are_the_paper_era_chips():
    from flopcast.hardware import is_datasheet
    from flopcast.trends.hardware_used import benchmark_accelerators

    names = {a.name for a in benchmark_accelerators()}
    assert {"NVIDIA GeForce GTX 580", "NVIDIA Tesla K80", "Google TPU v3", "NVIDIA M40"} <= names
    assert {a.name for a in benchmark_accelerators() if is_datasheet(a)} == {"V100 SXM2 16/32GB"}


def test_multi_chip_cell_is_rejected_by_get_and_split_by_split_hardware():
    with pytest.raises(InputError, match="several accelerators"):
        get_accelerator("NVIDIA M40,NVIDIA GeForce GTX TITAN X")
    assert [a.name for a in split_hardware("NVIDIA M40,NVIDIA GeForce GTX TITAN X")] == [
        "NVIDIA M40",
        "NVIDIA GeForce GTX TITAN X",
    ]
    # a name containing a comma stays whole
    assert len(split_hardware("NVIDIA V100 (Big Basin, NVLink)")) == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("h100 sxm", "H100 SXM5 80GB"),
        ("H100-SXM", "H100 SXM5 80GB"),
        ("a100 80gb", "A100 SXM4 80GB"),
        ("GTX 580", "NVIDIA GeForce GTX 580"),
        ("NVIDIA Tesla V100 16GB", "NVIDIA Tesla V100 SXM2 16 GB"),
        ("Google TPU v3", "Google TPU v3"),
        ("NVIDIA K40", "NVIDIA Tesla K40c"),
        ("h100 pcie", "H100 PCIe 80GB"),
        ("NVIDIA H100 SXM5 80GB", "H100 SXM5 80GB"),
        ("tpu v4", "TPU v4"),
        ("mi300x", "MI300X OAM 192GB"),
    ],
)
def test_forgiving_names(query, expected):
    assert get_accelerator(query).name == expected


@pytest.mark.parametrize(
    ("nvml", "expected"),
    [
        ("NVIDIA H100 80GB HBM3", "H100 SXM5 80GB"),
        ("NVIDIA A100-SXM4-80GB", "A100 SXM4 80GB"),
        ("NVIDIA A100 80GB PCIe", "A100 PCIe 80GB"),
        ("Tesla V100-SXM2-16GB", "NVIDIA Tesla V100 SXM2 16 GB"),
        ("Tesla T4", "T4 PCIe 16GB"),
        ("NVIDIA L4", "L4 PCIe 24GB"),
        ("NVIDIA GeForce RTX 4090", "GeForce RTX 4090 24GB"),
    ],
)
def test_nvml_device_names_resolve(nvml, expected):
    assert get_accelerator(nvml).name == expected


def test_unknown_and_ambiguous_names_list_candidates():
    with pytest.raises(UnknownNameError, match="nearest") as err:
        get_accelerator("H1000 SXM")
    assert err.value.nearest
    with pytest.raises(AmbiguousNameError, match="TITAN X"):
        get_accelerator("titan x")
    with pytest.raises(InputError):
        get_accelerator("  ")


# Dense datasheet figures, independently from the vendors' datasheets (sparse = 2x these).
@pytest.mark.parametrize(
    ("name", "precision", "tflops"),
    [
        ("H100 SXM5 80GB", "bf16", 989.4),
        ("H100 SXM5 80GB", "fp8", 1978.9),
        ("H100 SXM5 80GB", "tf32", 494.7),
        ("A100 SXM4 80GB", "bf16", 312),
        ("A100 SXM4 80GB", "tf32", 156),
        ("V100 SXM2 16/32GB", "fp16", 125),
        ("MI300X OAM 192GB", "bf16", 1307.4),
        ("L4 PCIe 24GB", "bf16", 121),
        ("NVIDIA GeForce GTX 580", "fp32", 1.581),
        ("Google TPU v3", "bf16", 123),
        ("NVIDIA Tesla K80", "fp32", 8.126),
    ],
)
def test_dense_peaks_match_datasheets(name, precision, tflops):
    assert get_accelerator(name).peak(precision) == pytest.approx(tflops * 1e12, rel=1e-3)


def test_epoch_figures_agree_with_curated_dense_figures():
    """Where Epoch's chip table and the datasheet table describe the same part, Epoch's tensor
    figures are within 5% of the dense datasheet figures (none is a sparse 2x figure), except the
    RTX 4090, whose Epoch figure is the FP16-accumulate rate (2x the FP32-accumulate rate the
    datasheet table lists; both dense, per the Ada whitepaper)."""
    from flopcast.hardware import _epoch

    epoch = {a.name: a for a in _epoch.load()}
    curated = {a.name: a for a in list_accelerators()}
    checked = 0
    for ename, cname in _epoch.SAME_PART.items():
        e, c = epoch[ename], curated[cname]
        for p in ("bf16", "fp16", "tf32", "fp8"):
            if p in e.tensor_precisions and p in c.peak_flop_per_s:  # Epoch's vector rates are not tensor figures
                ratio = e.peak_flop_per_s[p] / c.peak_flop_per_s[p]
                limit = 2.05 if cname.startswith("GeForce RTX 4090") else 1.05
                assert 0.9 < ratio < limit, (ename, p, ratio)
                checked += 1
    assert checked >= 20


def test_no_16bit_tensor_peak_exceeds_the_int8_peak():
    """On NVIDIA Ampere+ the dense int8 rate is 2x the dense 16-bit rate; a sparse 16-bit figure would equal it."""
    for acc in list_accelerators():
        p = acc.peak_flop_per_s
        if "int8" in p and "bf16" in p and acc.vendor == "NVIDIA":
            assert p["bf16"] <= 0.6 * p["int8"], acc.name  # dense: int8 = 2x bf16; a sparse bf16 figure = 1x


def test_default_training_precision():
    assert default_training_precision(get_accelerator("h100 sxm")) == "bf16"
    assert default_training_precision(get_accelerator("V100")) == "fp16"  # Volta: fp16 tensor cores, no bf16
    assert default_training_precision(get_accelerator("NVIDIA P100")) == "fp32"  # fp16 vector rate not used
    assert default_training_precision(get_accelerator("GTX 580")) == "fp32"
    assert default_training_precision(get_accelerator("Google TPU v2")) == "bf16"


def test_precision_unavailable_names_the_available_ones():
    with pytest.raises(PrecisionUnavailableError, match=r"available: .*fp16"):
        get_accelerator("V100").peak("bf16")
    with pytest.raises(InputError, match="unknown precision"):
        get_accelerator("V100").peak("fp7")
    assert get_accelerator("V100").peak("FP16") == get_accelerator("V100").peak("float16")


def test_merged_rows_keep_sources_and_fill_gaps():
    tpu = get_accelerator("TPU v4")
    # 170 W is Google's MEASURED mean power (cloud.google.com/tpu/docs/v4: min/mean/max 90/170/192 W), not a TDP
    assert tpu.tdp_watts is None and tpu.measured_mean_watts == 170.0 and tpu.measured_max_watts == 192.0
    assert "Epoch AI" in tpu.source and "TPU v4" in tpu.source
    h100 = get_accelerator("h100 sxm")
    assert h100.peak("fp64") == pytest.approx(33.45e12)  # filled from Epoch
    assert h100.peak("bf16") == pytest.approx(989.4e12)  # datasheet wins
    d = h100.to_dict()
    assert d["default_training_precision"] == "bf16" and d["memory_bytes"] == 80e9
    for acc in list_accelerators():
        assert acc.source
