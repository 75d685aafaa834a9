"""Names people type (issue 11 item 4), tensor rates of chips Epoch lists without one, TPU power."""

from __future__ import annotations

import pytest

from flopcast._names import nearest
from flopcast.errors import AmbiguousNameError, InputError, UnknownNameError
from flopcast.hardware import default_training_precision, get_accelerator, get_vendor, list_accelerators


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("H1OO", "H100 SXM5 80GB"),  # letter O for zero
        ("h1o0 sxm", "H100 SXM5 80GB"),
        ("h100sxm", "H100 SXM5 80GB"),  # form factor glued to the model
        ("H100PCIe", "H100 PCIe 80GB"),
        ("NVIDIA H100-SXM 80 GB", "H100 SXM5 80GB"),
        ("A100 PCIe 40GB", "A100 PCIe 40GB"),  # a real part (NVIDIA A100 40GB PCIe, 250 W)
        ("nvidia a100-pcie-40gb", "A100 PCIe 40GB"),
        ("A10", "A10 PCIe 24GB"),  # an exact model token wins over the prefix of "A100"
        ("NVIDIA A10", "A10 PCIe 24GB"),
        ("A40", "NVIDIA A40 PCIe"),  # not "RTX A4000"
        ("Titan Black", "NVIDIA GeForce GTX TITAN BLACK"),  # Epoch's two rows for the part are one row
        ("NVIDIA GTX Titan Black", "NVIDIA GeForce GTX TITAN BLACK"),
    ],
)
def test_typed_names_resolve(typed, expected):
    assert get_accelerator(typed).name == expected


def test_a_board_memory_the_row_lacks_is_taken_from_the_name():
    # AlexNet's GTX 580 3GB: the GTX 580 part (1.581 TFLOPS fp32, 244 W) on its 3 GB board
    acc = get_accelerator("NVIDIA GTX 580 3GB")
    assert acc.name == "NVIDIA GeForce GTX 580"
    assert acc.memory_bytes == 3e9 and acc.peak("fp32") == pytest.approx(1.581e12) and acc.tdp_watts == 244
    assert "memory 3 GB taken from the name" in acc.notes
    assert get_accelerator("GTX 580").memory_bytes == pytest.approx(1.536e9)


def test_a_datasheet_part_is_never_given_a_memory_it_does_not_come_in():
    with pytest.raises(UnknownNameError, match="H100 SXM5 80GB"):
        get_accelerator("H100 SXM 40GB")


def test_duplicate_rows_are_merged_and_keep_both_names():
    titans = [a for a in list_accelerators() if "titan black" in a.name.lower()]
    assert len(titans) == 1
    t = titans[0]
    assert "NVIDIA GTX Titan Black" in t.aliases and "duplicate" in t.source
    assert t.memory_bytes == 6e9 and t.peak("fp32") == pytest.approx(5.645e12)


def test_different_parts_with_similar_names_stay_apart():
    with pytest.raises(AmbiguousNameError, match="TITAN X"):
        get_accelerator("titan x")
    assert get_accelerator("A100").name != get_accelerator("A10").name


def test_suggestions_for_a_misspelt_name_start_with_the_part_meant():
    names = [a.name for a in list_accelerators()]
    assert nearest("H1OO", names)[0].startswith("H100")
    with pytest.raises(UnknownNameError) as err:
        get_accelerator("H1OO XQ")
    assert err.value.nearest and err.value.nearest[0].startswith("H100")


def test_vendor_names_resolve_or_fail_naming_the_known_ones():
    assert get_vendor("nvidia") == "NVIDIA" and get_vendor("Google") == "Google"
    with pytest.raises(InputError, match=r"unknown vendor 'nvidiaa'; nearest: NVIDIA; known vendors: .*AMD"):
        get_vendor("nvidiaa")


# Dense tensor rates from the sources in data/hardware/accelerator_specs.csv: A10 125 TFLOPS FP16,
# RTX A6000 154.8 TFLOPS FP16/BF16 (309.7 with sparsity), A100 PCIe 40GB 312 TFLOPS at 250 W.
@pytest.mark.parametrize(
    ("name", "tflops", "fp32_tflops"), [("A10", 125, 31.24), ("RTX A6000", 154.8, 38.71), ("A100 PCIe 40GB", 312, 19.5)]
)
def test_tensor_core_chips_default_to_their_dense_tensor_rate(name, tflops, fp32_tflops):
    acc = get_accelerator(name)
    assert default_training_precision(acc) == "bf16"
    assert acc.peak("bf16") == pytest.approx(tflops * 1e12, rel=1e-3)
    assert acc.peak("fp32") == pytest.approx(fp32_tflops * 1e12, rel=1e-2)  # the vector rate, 4-16x lower
    assert acc.peak("bf16") / acc.peak("fp32") > 3.9


def test_every_datasheet_row_cites_a_source():
    for acc in list_accelerators():
        if "accelerator_specs.csv" in acc.source:
            assert len(acc.source) > 40, acc.name


@pytest.mark.parametrize(("name", "mean", "peak"), [("TPU v3", 220, 262), ("TPU v4", 170, 192)])
def test_tpu_power_is_labelled_measured_not_tdp(name, mean, peak):
    # Google Cloud TPU docs: "Measured min/mean/max power" v3 123/220/262 W, v4 90/170/192 W
    acc = get_accelerator(name)
    assert acc.tdp_watts is None
    assert acc.measured_mean_watts == mean and acc.measured_max_watts == peak
    d = acc.to_dict()
    assert d["tdp_watts"] is None and d["measured_mean_watts"] == mean


def test_cli_unknown_vendor_is_one_line_exit_2(capsys):
    from flopcast.cli import main

    assert main(["hardware", "list", "--vendor", "nvidiaa"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown vendor 'nvidiaa'" in err[0] and "NVIDIA" in err[0]
    assert main(["hardware", "list", "--vendor", "nvidia", "--json"]) == 0
    import json

    rows = json.loads(capsys.readouterr().out)["accelerators"]
    assert rows and {r["vendor"] for r in rows} == {"NVIDIA"}
