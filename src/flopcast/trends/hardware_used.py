"""The accelerators the bundled benchmark rows trained on (``train_hardware`` of ``data/benchmarks/*.csv``).

Benchmark knowledge belongs to the paper's analysis, not to the hardware catalogue: the catalogue
(:mod:`flopcast.hardware`) resolves the names, this module knows which rows name which chips.
"""

from __future__ import annotations

from functools import cache

from flopcast.data import bundled, path
from flopcast.errors import InputError
from flopcast.hardware import Accelerator, is_datasheet, list_accelerators, select_accelerators, split_hardware


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


def listed_accelerators(
    *, all_rows: bool = False, search: str | None = None, vendor: str | None = None
) -> list[Accelerator]:
    """What ``flopcast hardware list`` lists: the datasheet rows and the chips the benchmark rows trained on.

    With ``all_rows`` or a ``search``, every catalogue row (Epoch AI's chip table too); then only the names
    containing ``search`` and the rows of ``vendor`` (:func:`~flopcast.hardware.select_accelerators`).
    """
    accs = list_accelerators()
    if not all_rows and not search:
        accs = [a for a in accs if is_datasheet(a)]
        accs += [a for a in benchmark_accelerators() if a not in accs]
    return select_accelerators(accs, search=search, vendor=vendor)
