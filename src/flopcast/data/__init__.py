"""Bundled data files (see ``SOURCES.md`` here) and a strict CSV reader shared by every loader.

Every bundled row keeps its source. :func:`read_csv` gives line-numbered errors so that a
user's own file (``flopcast trends --data``, ``flopcast scaling fit``) fails with
``file:line column 'x': problem`` instead of a traceback.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal, overload

from flopcast.errors import DataFormatError, InputError


def path(relative: str) -> Path:
    """Path of a bundled data file, e.g. ``path("benchmarks/imagenet.csv")``."""
    p = Path(str(resources.files("flopcast.data").joinpath(relative)))
    if not p.exists():
        raise FileNotFoundError(f"bundled data file missing: {relative}")
    return p


@dataclass(frozen=True)
class Row:
    """One data row with the 1-based line number it started on (header = line 1)."""

    file: str
    line: int
    values: dict[str, str]

    def get(self, column: str, default: str = "") -> str:
        return (self.values.get(column) or default).strip()

    @overload
    def number(
        self,
        column: str,
        *,
        required: Literal[True],
        positive: bool = ...,
        minimum: float | None = ...,
        maximum: float | None = ...,
    ) -> float: ...

    @overload
    def number(
        self,
        column: str,
        *,
        required: bool = ...,
        positive: bool = ...,
        minimum: float | None = ...,
        maximum: float | None = ...,
    ) -> float | None: ...

    def number(
        self,
        column: str,
        *,
        required: bool = False,
        positive: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float | None:
        """The cell as a float (``None`` if empty and not required), or a :class:`DataFormatError`."""
        raw = self.get(column)
        if raw == "" or raw.lower() in {"nan", "na", "n/a"}:
            if required:
                raise DataFormatError(self.file, "empty value; a number is required", line=self.line, column=column)
            return None
        try:
            value = float(raw.replace(",", "").replace("_", ""))
        except ValueError:
            raise DataFormatError(self.file, f"{raw!r} is not a number", line=self.line, column=column) from None
        if math.isnan(value) or math.isinf(value):
            raise DataFormatError(self.file, f"{raw!r} is not a finite number", line=self.line, column=column)
        if positive and value <= 0:
            raise DataFormatError(self.file, f"{raw!r} must be > 0", line=self.line, column=column)
        if minimum is not None and value < minimum:
            raise DataFormatError(self.file, f"{raw!r} is below {minimum:g}", line=self.line, column=column)
        if maximum is not None and value > maximum:
            raise DataFormatError(self.file, f"{raw!r} is above {maximum:g}", line=self.line, column=column)
        return value


def read_csv(file: str | Path, required: Sequence[str] = (), *, label: str | None = None) -> list[Row]:
    """Read a CSV strictly: header present, required columns present, no ragged rows.

    ``label`` is how the file is named in errors (defaults to the path).
    """
    p = Path(file)
    name = label or str(file)
    if not p.exists():
        raise InputError(f"{name}: no such file")
    if p.is_dir():
        raise InputError(f"{name}: is a directory, expected a CSV file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFormatError(name, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader)
    except StopIteration:
        raise DataFormatError(name, "empty file; expected a header row") from None
    except csv.Error as exc:
        raise DataFormatError(name, f"unreadable CSV ({exc})", line=1) from None
    header = [h.strip() for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise DataFormatError(
            name, f"missing column(s) {', '.join(map(repr, missing))}; header has: {', '.join(header)}", line=1
        )
    rows: list[Row] = []
    try:
        for cells in reader:
            line = reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise DataFormatError(name, f"{len(cells)} fields, header has {len(header)}", line=line)
            rows.append(Row(name, line, dict(zip(header, cells, strict=True))))
    except csv.Error as exc:
        raise DataFormatError(name, f"unreadable CSV ({exc})", line=reader.line_num) from None
    return rows


@cache
def _bundled_file(relative: str) -> tuple[Row, ...]:
    """Every row of one bundled CSV, parsed once per process (O(file) the first time, O(1) after)."""
    return tuple(read_csv(path(relative), label=f"flopcast/data/{relative}"))


def bundled(relative: str, required: tuple[str, ...] = ()) -> tuple[Row, ...]:
    """Rows of a bundled CSV (parsed once per file, whatever columns are required), labelled
    ``flopcast/data/<relative>`` in errors."""
    rows = _bundled_file(relative)
    if required and (not rows or any(c not in rows[0].values for c in required)):
        read_csv(path(relative), required, label=f"flopcast/data/{relative}")  # raises the one-line column error
    return rows


def require_columns(rows: Iterable[Row], columns: Sequence[str]) -> None:
    """Raise if any row lacks a non-empty value in one of ``columns``."""
    for row in rows:
        for c in columns:
            if not row.get(c):
                raise DataFormatError(row.file, "empty value", line=row.line, column=c)
