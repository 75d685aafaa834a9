"""How results read in a terminal and a notebook: a one-line repr, ``summary()``, ``_repr_html_``, ``to_pandas()``.

A result class lists its headline figures by name and inherits the rest::

    @dataclass(frozen=True, repr=False)   # repr=False: a dataclass's own repr would replace the mixin's
    class CountResult(Displayable):
        _headline = ("model", "mode", "params", "forward_flop")

Each figure is formatted by its name's unit suffix (``*_flop`` -> ``"1.05 MFLOP"``, ``*_kwh`` -> ``"1.11 MWh"``,
``*_usd`` -> ``"$4,567"``, ``*_seconds`` -> ``"1.0 d"``...), so a class needs no formatting code of its own.
``None``, NaN and infinity read ``n/a``, and a name the result lists in its ``unidentified`` field reads
``unidentified``: never a number the result does not stand behind. :class:`Tabular` adds ``to_pandas()`` for
results whose natural form is a table (rows named by ``_table``); pandas is imported only there.

Rank 0: this module imports only the standard library, :mod:`flopcast.errors` and :mod:`flopcast.units`.
"""

from __future__ import annotations

import enum
import html
import importlib
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from flopcast.errors import InputError
from flopcast.units import human_bytes, human_seconds, si

REPR_LIMIT = 200  # characters: a repr is one line shorter than this
_TEXT_LIMIT = 60  # characters of one value in a repr (a long model name or mapping is cut)
_MAP_ITEMS = 4  # entries of a mapping shown in a repr (LawFit's parameters)
_NA = "n/a"


def _finite(value: Any) -> bool:
    return not (isinstance(value, float) and (math.isnan(value) or math.isinf(value)))


def _plain_number(value: float) -> str:
    """``1234.5 -> "1,234"``, ``12.345 -> "12.3"``, ``0.000123 -> "0.000123"``."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _kg(value: float) -> str:
    return f"{value / 1000:.3g} t CO2e" if abs(value) >= 1000 else f"{value:.3g} kg CO2e"


def _usd(value: float) -> str:
    return f"${value:,.0f}" if abs(value) >= 100 else f"${value:.3g}"


# Unit suffixes of field names (STYLE.md: units in names), first match wins: (suffix, formatter). A mapping's
# values inherit a unit from its name (compute_to_match_oracle_flop's {"oracle": 190.7, ...} reads in FLOP), not a
# count or a fraction (LawFit.params {"E": ..., "alpha": ...} are not parameter counts).
_UNIT_SUFFIXES: tuple[tuple[str, Any], ...] = (
    ("flop_per_s", lambda v: si(v, "FLOP/s")),
    ("flop_per_step", lambda v: si(v, "FLOP")),
    ("flop", lambda v: si(v, "FLOP")),
    ("mac", lambda v: si(v, "MAC")),
    ("bytes", human_bytes),
    ("seconds", human_seconds),
    ("hours", lambda v: f"{_plain_number(v)} h"),
    ("kwh", lambda v: si(v * 1000, "Wh")),
    ("co2e_kg", _kg),
    ("kg_co2e", _kg),
    ("co2e_lbs", lambda v: f"{_plain_number(v)} lbs CO2e"),
    ("usd", _usd),
)
_COUNT_SUFFIXES: tuple[tuple[str, Any], ...] = (
    ("params", lambda v: si(v)),
    ("tokens", lambda v: si(v)),
    ("mfu", lambda v: f"{v:.1%}"),
    ("utilization", lambda v: f"{v:.1%}"),
)


def _formatter(name: str, *, units_only: bool = False) -> Any:
    key = name.lower()
    table = _UNIT_SUFFIXES if units_only else _UNIT_SUFFIXES + _COUNT_SUFFIXES
    return next((fmt for suffix, fmt in table if key.endswith(suffix)), None)


def _number(name: str, value: float, parent: str = "") -> str:
    fmt = _formatter(name) or (_formatter(parent, units_only=True) if parent else None)
    if fmt is not None:
        return str(fmt(value))
    return f"{value:,}" if isinstance(value, int) else f"{value:.4g}"


def _sequence(name: str, values: Sequence[Any]) -> str:
    """Texts joined; numbers joined (first ... last beyond 4); anything else: how many there are."""
    if all(isinstance(v, str) for v in values):
        return "[" + ", ".join(values) + "]"
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        shown = [_number(name, v) for v in values]
        return "[" + ", ".join(shown) + "]" if len(shown) <= 4 else f"[{shown[0]} … {shown[-1]}] ({len(shown)} values)"
    return str(len(values))


def format_value(name: str, value: Any, parent: str = "") -> str:
    """One figure as text, its unit taken from ``name``: ``format_value("forward_flop", 2.1e9) -> "2.1 GFLOP"``.

    ``None``/NaN/inf -> ``"n/a"``; a mapping -> ``"{k=v, ...}"`` (values in the mapping's unit, if its name has one);
    a sequence -> its texts or numbers joined, else its length; an enum -> its value; an object with a ``name`` ->
    that name. ``parent``: the name of the mapping ``value`` sits in.
    """
    if value is None or not _finite(value):
        return _NA
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, (bool, str)):
        return str(value)
    if isinstance(value, (int, float)):
        return _number(name, value, parent)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={format_value(str(k), v, name)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return _sequence(name, value)
    named = getattr(value, "name", None)
    return str(named) if isinstance(named, str) else str(value)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())  # one line
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Displayable:
    """The notebook face of a result: declare ``_headline`` (3-6 field or property names) and inherit.

    ``_assumptions`` names the attribute holding the result's inputs (objects with ``name``, ``value``,
    ``unit``, ``basis``: :class:`flopcast.provenance.Assumption` or alike); ``summary()`` and the HTML list them,
    then any ``caveats`` or ``warnings`` the result carries.
    """

    _headline: ClassVar[tuple[str, ...]] = ()
    _assumptions: ClassVar[str] = "assumptions"

    def _unidentified(self) -> frozenset[str]:
        names = getattr(self, "unidentified", ())
        return frozenset(names) if isinstance(names, (tuple, list, frozenset, set)) else frozenset()

    def _figure(self, name: str, *, limit: int | None = None) -> str:
        """Headline figure ``name`` as text (``"unidentified"`` where the result says it is not pinned down)."""
        unidentified = self._unidentified()
        if name in unidentified:
            return "unidentified"
        value = getattr(self, name, None)
        if isinstance(value, Mapping) and unidentified & set(value):
            value = {k: "unidentified" if k in unidentified else v for k, v in value.items()}
        if limit is not None and isinstance(value, Mapping) and len(value) > _MAP_ITEMS:
            shown = format_value(name, dict(list(value.items())[:_MAP_ITEMS]))
            return f"{shown[:-1]}, …}}"
        text = format_value(name, value)
        return _cut(text, limit) if limit is not None else text

    def headline(self) -> dict[str, str]:
        """``{figure name: text with units}`` of the headline figures, in ``_headline`` order."""
        return {name: self._figure(name) for name in self._headline}

    def __repr__(self) -> str:
        parts = [
            f"{name}={self._figure(name, limit=_TEXT_LIMIT)}"
            for name in self._headline
            if getattr(self, name, None) is not None
        ]
        text = f"<{type(self).__name__} {', '.join(parts)}>"
        return text if len(text) < REPR_LIMIT else text[: REPR_LIMIT - 3] + "…>"

    def _inputs(self) -> list[tuple[str, str, str]]:
        """``(name, value with unit, basis)`` of each assumption the result rests on."""
        rows = []
        for a in getattr(self, self._assumptions, None) or ():
            name = str(getattr(a, "name", a))
            value = getattr(a, "value", None)
            unit = getattr(a, "unit", "")
            text = format_value("", value) if not isinstance(value, str) else value
            basis = getattr(a, "basis", "")
            rows.append((name, f"{text} {unit}".strip(), str(getattr(basis, "value", basis))))
        return rows

    def _notes(self) -> list[str]:
        notes: list[str] = []
        for attr in ("caveats", "warnings"):
            value = getattr(self, attr, None)
            if isinstance(value, (tuple, list)):
                notes.extend(str(v) for v in value)
        return notes

    def summary(self) -> str:
        """A few lines: the headline figures with units, then each assumption's name, value and basis."""
        lines = [type(self).__name__]
        width = max((len(n) for n in self._headline), default=0)
        lines += [f"  {name:<{width}}  {text}" for name, text in self.headline().items()]
        inputs = self._inputs()
        if inputs:
            lines.append(f"{self._assumptions}:")
            lines += [f"  {name} = {_cut(value, 60)} ({basis})" for name, value, basis in inputs]
        notes = self._notes()
        if notes:
            lines.append("notes:")
            lines += [f"  - {note}" for note in notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A small HTML table of the headline figures and the assumptions (every value escaped)."""
        esc = html.escape
        rows = [f"<tr><th>{esc(name)}</th><td>{esc(text)}</td></tr>" for name, text in self.headline().items()]
        out = [f'<table class="flopcast-result"><caption>{esc(type(self).__name__)}</caption>', *rows, "</table>"]
        inputs = self._inputs()
        if inputs:
            out.append(
                f'<table class="flopcast-assumptions"><caption>{esc(self._assumptions)}</caption>'
                "<tr><th>name</th><th>value</th><th>basis</th></tr>"
            )
            out += [f"<tr><td>{esc(n)}</td><td>{esc(v)}</td><td>{esc(b)}</td></tr>" for n, v, b in inputs]
            out.append("</table>")
        notes = self._notes()
        if notes:
            out.append("<ul>" + "".join(f"<li>{esc(note)}</li>" for note in notes) + "</ul>")
        return "\n".join(out)


def _flat(row: Mapping[str, Any]) -> dict[str, Any]:
    """One level of nested mappings spread into dotted columns: ``{"low": {"kwh": 1}} -> {"low.kwh": 1}``."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, Mapping):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def _rows(table: Any) -> tuple[list[dict[str, Any]], str | None]:
    """Rows of ``table``: a mapping of name -> row (the name becomes the index) or a sequence of rows or results."""
    if isinstance(table, Mapping):
        return [{"name": k, **_flat(v)} for k, v in table.items()], "name"
    rows: Iterable[Any] = table
    return [_flat(r.to_dict() if hasattr(r, "to_dict") else r) for r in rows], None


class Tabular(Displayable):
    """A :class:`Displayable` whose natural form is also a table: ``_table`` names the method or property giving
    its rows (a mapping of name -> row dict, or a sequence of row dicts or of results with ``to_dict()``)."""

    _table: ClassVar[str] = ""
    _table_index: ClassVar[str] = "name"  # the index column's name when rows come as a mapping

    def to_pandas(self) -> Any:
        """The rows of ``_table`` as a :class:`pandas.DataFrame` (nested mappings in dotted columns).

        Raises
        ------
        InputError
            pandas is not installed (one line: ``pip install pandas``).
        """
        try:
            pd = importlib.import_module("pandas")
        except ImportError:
            raise InputError(
                f"{type(self).__name__}.to_pandas() needs pandas, which is not installed; pip install pandas"
            ) from None
        table = getattr(self, self._table)
        rows, index = _rows(table() if callable(table) else table)
        frame = pd.DataFrame(rows)
        if index is not None and index in frame.columns:
            frame = frame.set_index(index).rename_axis(self._table_index)
        return frame
