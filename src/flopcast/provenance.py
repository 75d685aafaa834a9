"""Every number flopcast prints is *measured*, *estimated* or *assumed*, with its source."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Basis(str, Enum):
    """How a number came to be."""

    MEASURED = "measured"  # read from an instrument or counter during a run
    ESTIMATED = "estimated"  # derived by a stated formula from other numbers
    ASSUMED = "assumed"  # a default or reference value the user did not give
    GIVEN = "given"  # supplied by the user
    UNAVAILABLE = "unavailable"  # could not be obtained; never read as zero


@dataclass(frozen=True)
class Assumption:
    """One input to a result that the result depends on, with where it came from."""

    name: str
    value: Any
    unit: str
    source: str
    basis: Basis = Basis.ASSUMED

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "source": self.source,
            "basis": self.basis.value,
        }
