"""``listed_accelerators``: what ``flopcast hardware list`` shows (moved out of the CLI; same rows as before)."""

from __future__ import annotations

from flopcast.hardware import is_datasheet, list_accelerators
from flopcast.trends import benchmark_accelerators, listed_accelerators


def test_default_is_the_datasheet_rows_then_the_benchmark_chips():
    names = [a.name for a in listed_accelerators()]
    datasheet = [a.name for a in list_accelerators() if is_datasheet(a)]
    assert names[: len(datasheet)] == datasheet
    assert set(names) == set(datasheet) | {a.name for a in benchmark_accelerators()}
    assert len(names) == len(set(names))  # the V100 is both a datasheet row and a benchmark chip: listed once
    assert {"NVIDIA GeForce GTX 580", "NVIDIA Tesla K80", "V100 SXM2 16/32GB"} <= set(names)
    assert len(names) < len(list_accelerators())  # Epoch AI's whole table is left out


def test_all_rows_or_a_search_reads_the_whole_catalogue():
    assert [a.name for a in listed_accelerators(all_rows=True)] == [a.name for a in list_accelerators()]
    found = listed_accelerators(search="v100")
    assert found and all("v100" in (a.name + " ".join(a.aliases)).lower() for a in found)
    assert len(found) > len([a for a in listed_accelerators() if "v100" in a.name.lower()])


def test_vendor_filters_the_list():
    nvidia = listed_accelerators(vendor="nvidia")
    assert nvidia and {a.vendor for a in nvidia} == {nvidia[0].vendor}
    assert len(nvidia) < len(listed_accelerators())
