"""Renderers for the hardware catalogue: accelerator and region tables, and their JSON documents.

JSON: a list is one object with a ``schema`` key (``flopcast.accelerator_list/1``, ``flopcast.region_list/1``)
holding the items, each with its own ``schema`` (``flopcast.accelerator/1``, ``flopcast.grid_intensity/1``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from rich.table import Table

from flopcast.report.console import table

ACCELERATOR_LIST_SCHEMA = "flopcast.accelerator_list/1"
REGION_LIST_SCHEMA = "flopcast.region_list/1"


def _tflops(v: float | None) -> str:
    return "" if v is None else f"{v / 1e12:,.4g}"


def _accelerator_rows(accs: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
    for a in accs:
        p = a.peak_flop_per_s
        half = p.get("bf16", p.get("fp16"))
        yield (
            a.name,
            a.year or "",
            _tflops(p.get("fp32")),
            _tflops(p.get("tf32")),
            _tflops(half),
            _tflops(p.get("fp8")),
            "" if a.memory_bytes is None else f"{a.memory_bytes / 1e9:g}",
            "" if a.tdp_watts is None else f"{a.tdp_watts:g}",
            "" if a.measured_mean_watts is None else f"{a.measured_mean_watts:g}",
        )


def accelerator_table(accs: Sequence[Any]) -> Table:
    """``flopcast hardware list``: one row per accelerator, dense peaks in TFLOPS."""
    return table(
        "Accelerators: DENSE peak TFLOPS",
        ["name", "year", "fp32", "tf32", "bf16/fp16", "fp8", "GB", "TDP W", "measured mean W"],
        _accelerator_rows(accs),
        right_align_from=1,
        caption=f"{len(accs)} rows; `flopcast hardware show NAME` for sources; --all: every chip",
    )


def accelerator_list_json(accs: Sequence[Any]) -> dict[str, Any]:
    return {"schema": ACCELERATOR_LIST_SCHEMA, "accelerators": [a.to_dict() for a in accs]}


def accelerator_json(acc: Any, prices: Sequence[Any]) -> dict[str, Any]:
    return {**acc.to_dict(), "prices": [p.to_dict() for p in prices]}


def _power(acc: Any) -> str:
    if acc.measured_mean_watts is None:
        return "n/a"
    return f"{acc.measured_mean_watts:g} / {acc.measured_max_watts or float('nan'):g} W (measured in use, not a TDP)"


def accelerator_detail(acc: Any, prices: Sequence[Any]) -> list[Table]:
    """``flopcast hardware show NAME``: the accelerator's figures and sources, then its cloud prices."""
    d = acc.to_dict()
    rows: list[tuple[str, str]] = [
        (
            f"peak {p}",
            f"{v / 1e12:,.4g} T{'OPS' if p == 'int8' else 'FLOPS'}"
            + (" (tensor)" if p in acc.tensor_precisions else ""),
        )
        for p, v in d["peak_flop_per_s"].items()
    ]
    rows += [
        ("default training precision", d["default_training_precision"]),
        ("memory", "n/a" if acc.memory_bytes is None else f"{acc.memory_bytes / 1e9:g} GB"),
        (
            "bandwidth",
            "n/a"
            if acc.memory_bandwidth_bytes_per_s is None
            else f"{acc.memory_bandwidth_bytes_per_s / 1e9:,.0f} GB/s",
        ),
        ("TDP", "n/a" if acc.tdp_watts is None else f"{acc.tdp_watts:g} W"),
        ("measured power (mean / max)", _power(acc)),
        ("vendor / year", f"{acc.vendor} / {acc.year or 'n/a'}"),
        ("source", acc.source),
    ]
    if acc.aliases:
        rows.append(("also known as", ", ".join(acc.aliases)))
    if acc.notes:
        rows.append(("notes", acc.notes))
    out = [table(acc.name, ["field", "value"], rows, right_align_from=9)]
    if prices:
        out.append(
            table(
                "Cloud prices (USD per chip-hour)",
                ["provider", "offering", "pricing", "USD/h", "as of", "confirmed"],
                [
                    (
                        p.provider,
                        p.offering,
                        p.pricing,
                        f"{p.usd_per_chip_hour:.3f}",
                        p.as_of,
                        "yes" if p.confirmed else "verify",
                    )
                    for p in prices
                ],
                right_align_from=3,
            )
        )
    return out


def region_table(regions: Sequence[Any]) -> Table:
    """``flopcast regions list``."""
    return table(
        "Grid carbon intensity (location-based)",
        ["code", "name", "gCO2e/kWh", "year"],
        [(r.code, r.name, f"{r.g_co2e_per_kwh:g}", r.year or "") for r in regions],
        right_align_from=2,
        caption=f"{len(regions)} regions; `flopcast regions show CODE` for sources",
    )


def region_list_json(regions: Sequence[Any]) -> dict[str, Any]:
    return {"schema": REGION_LIST_SCHEMA, "regions": [r.to_dict() for r in regions]}


def region_detail(r: Any) -> Table:
    """``flopcast regions show CODE``."""
    return table(
        r.code,
        ["field", "value"],
        [("name", r.name), ("gCO2e/kWh", f"{r.g_co2e_per_kwh:g}"), ("year", r.year or "n/a"), ("source", r.source)],
        right_align_from=9,
    )
