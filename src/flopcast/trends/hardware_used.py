"""The accelerators the bundled benchmark rows trained on (``train_hardware`` of ``data/benchmarks/*.csv``).

Benchmark knowledge belongs to the paper's analysis, not to the hardware catalogue: the catalogue
(:mod:`flopcast.hardware`) resolves the names, this module knows which rows name which chips.
"""

from __future__ import annotations

from functools import cache

from flopcast.data import bundled, path
from flopcast.errors import InputError
from flopcast.hardware import Accelerator, split_hardware


@cache
def benchmark_accelerators() -> tuple[Accelerator, ...]:
    """The chips the bundled benchmark rows trained on, oldest first. O(rows) once, then cached."""
    found: dict[str, Accelerator] = {}
    for f in sorted(path("benchmarks").glob("*.csv")):
        for row in bundled(f"benchmarks/{f.name}"):
            cell = row.get("train_hardware")
            if not cell:
                continue
            try:
                for acc in split_hardware(cell):
                    found.setdefault(acc.name, acc)
            except InputError:
                continue  # a cell naming no chip generation ("Google Cloud TPU (Pod config...)")
    return tuple(sorted(found.values(), key=lambda a: (a.year or 0, a.name)))
