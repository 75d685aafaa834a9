"""The JSON files a report reads besides the ledger: an ``estimate --json`` plan and a ``count --json`` count.

Both producers write a ``schema`` key (``flopcast.estimate/1``, ``flopcast.count/1``), which must name the
matching schema and version; a file written before the key existed is recognised by the keys its producer
always writes (an estimate: ``training_flop``, ``method``, ``low``, ``high``, ``assumptions``; a count:
``forward_flop``, ``params``, ``by_operator``). Anything else is refused in one line (exit 2).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flopcast.count.result import COUNT_SCHEMA
from flopcast.errors import DataFormatError, InputError
from flopcast.estimate.core import ESTIMATE_SCHEMA
from flopcast.provenance import Assumption, Basis

_ESTIMATE_KEYS = ("training_flop", "method", "low", "high", "assumptions")
_COUNT_KEYS = ("forward_flop", "params", "by_operator")
_KINDS = {
    ESTIMATE_SCHEMA: ("an estimate", "flopcast estimate ... --json", _ESTIMATE_KEYS),
    COUNT_SCHEMA: ("a count", "flopcast count MODEL ... --json", _COUNT_KEYS),
}


def _reject_constant(token: str) -> float:
    raise ValueError(f"non-finite number {token}")


def _kind_of(data: Mapping[str, Any]) -> str:
    """What a flopcast JSON file looks like: its schema, or the schema its keys imply, or ``'unknown'``."""
    if isinstance(data.get("schema"), str):
        return str(data["schema"])
    for schema, (_, _, keys) in _KINDS.items():
        if all(k in data for k in keys):
            return schema
    return "unknown"


def read_kind(path: str | Path, schema: str, option: str) -> dict[str, Any]:
    """The JSON object in ``path`` if it is a ``schema`` file; one-line :class:`InputError` otherwise."""
    p = Path(path).expanduser()
    return parse_kind(p, read_text(p, schema, option), schema, option)


def read_text(p: Path, schema: str, option: str) -> str:
    """The text of the ``schema`` file ``p``; a folder, a missing or an unreadable file is a one-line error."""
    _, producer, _ = _KINDS[schema]
    if p.is_dir():
        raise InputError(f"{option} {str(p)!r} is a folder; give the JSON file `{producer}` wrote")
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{option} {str(p)!r}: no such file; write one with `{producer} > FILE`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{option} {str(p)!r}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None


def parse_kind(p: Path, text: str, schema: str, option: str) -> dict[str, Any]:
    """The JSON object in ``text`` (read from ``p``) if it is a ``schema`` file; one-line error otherwise."""
    what, producer, _ = _KINDS[schema]
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise DataFormatError(
            p, f"not JSON ({str(exc).splitlines()[0][:80]}); {option} expects what `{producer}` prints"
        ) from None
    found = _kind_of(data) if isinstance(data, dict) else "not an object"
    if found != schema:
        seen = f"a {found} file" if found not in ("unknown", "not an object") else "not a flopcast file of any kind"
        raise DataFormatError(p, f"{seen}, not {what} ({schema}); {option} expects what `{producer}` prints")
    return data


def _assumptions(data: Mapping[str, Any]) -> tuple[Assumption, ...]:
    out = []
    for a in data.get("assumptions") or ():
        if isinstance(a, Mapping) and isinstance(a.get("name"), str):
            basis = a.get("basis", Basis.ASSUMED.value)
            out.append(
                Assumption(
                    a["name"],
                    a.get("value"),
                    str(a.get("unit", "")),
                    str(a.get("source", "")),
                    Basis(basis) if basis in {b.value for b in Basis} else Basis.ASSUMED,
                )
            )
    return tuple(out)


def _number(data: Mapping[str, Any], key: str, path: Path) -> float | None:
    """A non-negative finite number (or ``None``) under ``key``; a malformed value is a one-line error."""
    v = data.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
        raise DataFormatError(path, f"{key} is {v!r}, not a non-negative number; regenerate the file")
    return float(v)


@dataclass(frozen=True)
class Planned:
    """The estimate a run was planned with (``flopcast estimate --json``). Units in the names."""

    path: str
    training_flop: float | None
    method: str
    wall_hours: float | None
    chip_hours: float | None
    chips: float | None
    cost_usd: float | None
    energy_kwh: float | None
    co2e_kg: float | None
    hardware: str | None
    precision: str | None
    utilization: float | None
    peak_flop_per_s: float | None
    assumptions: tuple[Assumption, ...]
    data: Mapping[str, Any]
    price_as_of: str | None = None  # the catalogue quote's date (estimate/1 files from before it: None)
    region: str | None = None  # the grid region's code the estimate named (files from before it: None)

    def assumption(self, name: str) -> Assumption | None:
        return next((a for a in self.assumptions if a.name == name), None)


def load_estimate(path: str | Path, option: str = "--estimate") -> Planned:
    """Read an ``estimate --json`` file. Raises :class:`InputError` for a file of another kind or schema."""
    p = Path(path).expanduser()
    return planned_from(p, read_kind(p, ESTIMATE_SCHEMA, option))


def planned_from(p: Path, data: Mapping[str, Any]) -> Planned:
    """The :class:`Planned` of an estimate object ``data`` read from ``p`` (malformed numbers: one-line error)."""
    nums = {
        k: _number(data, k, p)
        for k in (
            "training_flop",
            "wall_hours",
            "chip_hours",
            "chips",
            "cost_usd",
            "energy_kwh",
            "co2e_kg",
            "utilization",
        )
    }
    assumptions = _assumptions(data)
    peak = next((a.value for a in assumptions if a.name == "peak_flop_per_s"), None)
    as_of, region = data.get("price_as_of"), data.get("region")
    return Planned(
        path=str(p),
        method=str(data.get("method", "")),
        hardware=data.get("hardware"),
        precision=data.get("precision"),
        peak_flop_per_s=float(peak) if isinstance(peak, (int, float)) and peak > 0 else None,
        assumptions=assumptions,
        data=data,
        price_as_of=as_of if isinstance(as_of, str) and as_of else None,
        region=region if isinstance(region, str) and region else None,
        **nums,
    )


@dataclass(frozen=True)
class Counted:
    """One pass of a model as ``flopcast count --json`` counted it (FLOP: a multiply-add is 2)."""

    path: str
    model: str
    mode: str
    params: float | None
    forward_flop: float | None
    train_step_flop: float | None
    incomplete: bool
    uncounted_matmul_ops: tuple[str, ...]
    assumptions: tuple[Assumption, ...]
    data: Mapping[str, Any]


def load_count(path: str | Path, option: str = "--count") -> Counted:
    """Read a ``count --json`` file. Raises :class:`InputError` for a file of another kind or schema."""
    p = Path(path).expanduser()
    data = read_kind(p, COUNT_SCHEMA, option)
    return Counted(
        path=str(p),
        model=str(data.get("model", "")),
        mode=str(data.get("mode", "")),
        params=_number(data, "params", p),
        forward_flop=_number(data, "forward_flop", p),
        train_step_flop=_number(data, "train_step_flop", p),
        incomplete=bool(data.get("incomplete")),
        uncounted_matmul_ops=tuple(str(o) for o in data.get("uncounted_matmul_ops") or ()),
        assumptions=_assumptions(data),
        data=data,
    )
