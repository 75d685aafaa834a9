"""Forgiving lookups and the strict CSV reader."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flopcast._names import lookup, nearest, normalize
from flopcast.data import path, read_csv
from flopcast.errors import AmbiguousNameError, DataFormatError, UnknownNameError

TABLE = {"H100 SXM": 1, "H100 PCIe": 2, "A100 80GB": 3, "A100 40GB": 4, "V100": 5}


def test_lookup_forgiving():
    assert lookup("h100-sxm", TABLE, kind="accelerator") == 1
    assert lookup("a100 80gb", TABLE, kind="accelerator") == 3
    assert lookup("v100", TABLE, kind="accelerator") == 5
    assert lookup("sxm", TABLE, kind="accelerator") == 1


def test_lookup_ambiguous_lists_matches():
    with pytest.raises(AmbiguousNameError) as e:
        lookup("h100", TABLE, kind="accelerator")
    assert "H100 SXM" in str(e.value) and "H100 PCIe" in str(e.value)


def test_lookup_unknown_suggests_nearest():
    with pytest.raises(UnknownNameError) as e:
        lookup("a1000", TABLE, kind="accelerator", hint="see 'flopcast hardware list'")
    assert e.value.nearest and e.value.nearest[0].startswith("A100")
    assert e.value.exit_code == 2


@given(st.text(max_size=30))
def test_normalize_idempotent_and_nearest_never_crashes(s):
    assert normalize(normalize(s)) == normalize(s)
    assert set(nearest(s, TABLE)) <= set(TABLE)


def test_read_csv_errors_name_file_line_column(tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n3,oops\n")
    rows = read_csv(f, ["a", "b"])
    assert rows[1].number("a") == 3.0
    with pytest.raises(DataFormatError, match=r"x.csv:3 column 'b': 'oops' is not a number"):
        rows[1].number("b")
    with pytest.raises(DataFormatError, match="missing column"):
        read_csv(f, ["a", "c"])
    f.write_text("a,b\n1,2,3\n")
    with pytest.raises(DataFormatError, match=r":2: 3 fields, header has 2"):
        read_csv(f)


def test_bundled_files_present():
    for rel in [
        "SOURCES.md",
        "benchmarks/imagenet.csv",
        "hardware/accelerator_specs.csv",
        "epoch/ml_systems.csv",
        "epoch/chips.csv",
        "chinchilla/svg_extracted_data.csv",
    ]:
        assert path(rel).stat().st_size > 0


def test_a_letter_o_after_a_digit_reads_as_zero():
    assert normalize("H1OO") == normalize("h100") == "h100"
    assert normalize("A1o0 80GB") == "a10080gb"
    assert normalize("Radeon Pro") == "radeonpro"  # an O not after a digit stays a letter
    assert lookup("H1OO SXM", TABLE, kind="accelerator") == 1
    assert nearest("H1OO", ["Tesla D1 Dojo", "H100 SXM", "H100 PCIe"])[0].startswith("H100")


def test_a_bundled_file_is_parsed_once_whatever_columns_are_required():
    from flopcast import data

    data._bundled_file.cache_clear()
    first = data.bundled("hardware/pue_values.csv")
    again = data.bundled("hardware/pue_values.csv", ("scope", "pue"))
    assert again is first and data._bundled_file.cache_info().misses == 1
    with pytest.raises(DataFormatError, match="missing column"):
        data.bundled("hardware/pue_values.csv", ("no such column",))
