"""Year windows over benchmark rows: the paper-era cut-off, ``--since`` / ``--until``.

A window keeps the rows whose date falls in the calendar years ``since..until`` (both inclusive,
either open). An unbounded window keeps every row, dated or not; a bounded one keeps only dated
rows (a row without a date cannot be placed in time). Filtering is O(n).

The paper-era window is the data Thompson et al. could have seen: rows dated up to
:data:`PAPER_ERA_UNTIL`. Their v1 (arXiv:2007.05558v1, dated 10 Jul 2020) names NoisyStudent
(arXiv:1911.04252, November 2019) as the state-of-the-art image recognition system (the authors'
MIT IDE Research Brief 2020 vol. 4, which summarises v1), and flopcast's paper-era ImageNet source
is the Papers with Code leaderboard copied in 2019-11 (data/benchmarks/README.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from flopcast.errors import InputError
from flopcast.trends.data import BenchmarkRow

PAPER_ERA_UNTIL = 2019
PAPER_ERA_SOURCE = (
    "Thompson et al. 2020, arXiv:2007.05558v1 (10 Jul 2020): its newest ImageNet system is "
    "NoisyStudent (arXiv:1911.04252, 2019-11), named in the authors' MIT IDE Research Brief 2020 "
    "vol. 4; flopcast's paper-era ImageNet rows are the Papers with Code leaderboard of 2019-11"
)


@dataclass(frozen=True)
class YearWindow:
    """Calendar years ``since..until`` (inclusive; None = open) and the name the output gives it."""

    since: int | None = None
    until: int | None = None
    name: str = "all data"
    source: str = ""

    @property
    def bounded(self) -> bool:
        return self.since is not None or self.until is not None

    @property
    def label(self) -> str:
        """Short form for tables: ``all``, ``<=2019``, ``>=2020``, ``2015-2019``."""
        if self.since is None and self.until is None:
            return "all"
        if self.since is None:
            return f"<={self.until}"
        if self.until is None:
            return f">={self.since}"
        return f"{self.since}-{self.until}" if self.since != self.until else str(self.since)

    def contains(self, year: float | None) -> bool:
        """Whether a row's decimal year (``2019.5`` for "2019") lies in the window."""
        if not self.bounded:
            return True
        if year is None:
            return False
        y = math.floor(year)
        return (self.since is None or y >= self.since) and (self.until is None or y <= self.until)

    def to_dict(self) -> dict:
        return {"name": self.name, "since": self.since, "until": self.until, "label": self.label, "source": self.source}


ALL_DATA = YearWindow()
PAPER_ERA = YearWindow(None, PAPER_ERA_UNTIL, "paper-era", PAPER_ERA_SOURCE)


def user_window(since: int | None, until: int | None) -> YearWindow:
    """The window of ``--since`` / ``--until`` (all data when neither is given)."""
    if since is None and until is None:
        return ALL_DATA
    if since is not None and until is not None and since > until:
        raise InputError(f"--since {since} is after --until {until}; give since <= until")
    w = YearWindow(since, until, "window", "given by the user")
    return PAPER_ERA if (since, until) == (None, PAPER_ERA_UNTIL) else w


def check_window(window: YearWindow, rows: Sequence[BenchmarkRow]) -> None:
    """Refuse a bound outside the years the data cover (one line naming the range). O(n)."""
    if not window.bounded:
        return
    years = [math.floor(r.year) for r in rows if r.year is not None]
    if not years:
        raise InputError(
            "--since/--until need dated rows and the data have no date column values; "
            "add a date column or drop the window"
        )
    first, last = min(years), max(years)
    for option, value in (("--since", window.since), ("--until", window.until)):
        if value is not None and not first <= value <= last:
            raise InputError(
                f"{option} {value} is outside the data, which run {first}-{last}; give a year in {first}-{last}"
            )


def window_rows(rows: Sequence[BenchmarkRow], window: YearWindow) -> list[BenchmarkRow]:
    """The rows inside ``window``, order kept (all of them for an unbounded window)."""
    if not window.bounded:
        return list(rows)
    return [r for r in rows if window.contains(r.year)]


__all__ = [
    "ALL_DATA",
    "PAPER_ERA",
    "PAPER_ERA_SOURCE",
    "PAPER_ERA_UNTIL",
    "YearWindow",
    "check_window",
    "user_window",
    "window_rows",
]
