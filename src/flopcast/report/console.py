"""Shared rich helpers: one stdout console, one stderr console, a table builder."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from flopcast.provenance import Assumption

stdout = Console(soft_wrap=False)
stderr = Console(stderr=True, soft_wrap=True)


def table(
    title: str | None,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    caption: str | None = None,
    right_align_from: int = 1,
) -> Table:
    """A rich table; columns from ``right_align_from`` on are right-aligned (numbers)."""
    t = Table(title=title, caption=caption, caption_justify="left", header_style="bold")
    for i, c in enumerate(columns):
        t.add_column(c, justify="right" if i >= right_align_from else "left")
    for r in rows:
        t.add_row(*("" if v is None else str(v) for v in r))
    return t


def assumption_line(a: Assumption, value: object = None) -> str:
    """One assumption as every renderer prints it: ``[dim]basis: name = value unit (source)[/dim]``.

    ``value`` overrides how the value is shown (a renderer's number format); the line's shape lives here only.
    """
    shown = a.value if value is None else value
    return f"[dim]{a.basis.value}: {a.name} = {shown} {a.unit} ({a.source})[/dim]"
