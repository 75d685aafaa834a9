"""The project plan (``flopcast estimate ... --project --json``) set against what the ledger measured for a project.

The plan prices the final run F and one line per overhead: goodput (lost chip-time F x (1/g - 1)),
experimentation (F x (X - 1)), evaluation, idle, embodied, serving. From the runs matching a pattern the ledger
measures two of these factors directly, with one decomposition that adds up to the runs' sum:

- **final (useful)**: the final run (the last completed one; every node of its job) over its steps time:
  record x active / wall, where active is start to last step (energy and cost split in proportion to time);
- **goodput**: lost = the final run's remaining time (startup, teardown, stalls) + every failed, interrupted,
  lost or terminated run's chip-time (restarts, crashes); measured g = useful / (useful + lost);
- **experimentation**: every other completed run; measured X = (useful + other completed) / useful.

Evaluation, idle, embodied and serving are not in the ledger: idle and embodied are shown at the plan's factor
on the measured chip-hours (*estimated*), evaluation and serving as *unavailable*. The overhead furthest off is
the measured line whose planned and measured additions differ most, in multiples of the final run (for
experimentation |X_plan - X_meas|, for goodput |1/g_plan - 1/g_meas|): the error it puts into the project total.
Complexity: O(runs + lines).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flopcast.errors import DataFormatError, InputError
from flopcast.estimate.core import ESTIMATE_SCHEMA
from flopcast.estimate.project import FIGURES as FIGS
from flopcast.estimate.project import SCHEMA as PROJECT_SCHEMA
from flopcast.measure.runs import LedgerRun
from flopcast.provenance import Basis
from flopcast.report.document_inputs import Planned, parse_kind, planned_from, read_text

LOST_STATUSES = ("failed", "interrupted", "lost", "terminated")
_RECORD_KEYS = {"chip_hours": "chip_hours", "kwh": "energy_kwh", "kg_co2e": "co2e_kg", "usd": "cost_usd"}
_PRODUCER = "flopcast estimate ... --project --json"


# ---------------------------------------------------------------- the plan


@dataclass(frozen=True)
class PlannedLine:
    """One overhead line of the plan: its factor (and range) and what it adds (chip_hours, kwh, kg_co2e, usd)."""

    name: str
    value: float
    value_low: float
    value_high: float
    unit: str
    figures: Mapping[str, float | None]
    source: str
    basis: str


@dataclass(frozen=True)
class PlannedProject:
    """The project lines of an ``estimate --project --json`` file."""

    path: str
    final: Mapping[str, float | None]
    lines: tuple[PlannedLine, ...]
    total: Mapping[str, float | None]
    omitted: tuple[str, ...]
    estimate: Planned | None  # the final run's plan (absent for a bare project_estimate file)
    data: Mapping[str, Any]

    def line(self, name: str) -> PlannedLine | None:
        return next((ln for ln in self.lines if ln.name == name), None)


def _num(obj: Mapping[str, Any], key: str, path: Path, where: str, required: bool = False) -> float | None:
    v = obj.get(key)
    if v is None and not required:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
        raise DataFormatError(
            path, f"{where}.{key} is {v!r}, not a non-negative number; regenerate it with `{_PRODUCER}`"
        )
    return float(v)


def _figures(obj: Any, path: Path, where: str) -> dict[str, float | None]:
    if not isinstance(obj, Mapping):
        raise DataFormatError(path, f"{where} is missing; regenerate it with `{_PRODUCER}`")
    return {k: _num(obj, k, path, where, required=k != "usd") for k in FIGS}


def _line(obj: Any, path: Path, i: int) -> PlannedLine:
    where = f"project.lines[{i}]"
    if not isinstance(obj, Mapping) or not isinstance(obj.get("name"), str):
        raise DataFormatError(path, f"{where} is not a project line; regenerate it with `{_PRODUCER}`")
    value, low, high = (
        float(_num(obj, k, path, where, required=True) or 0.0) for k in ("value", "value_low", "value_high")
    )
    return PlannedLine(
        obj["name"],
        value,
        low,
        high,
        str(obj.get("unit", "")),
        _figures(obj, path, where),
        str(obj.get("source", "")),
        str(obj.get("basis", Basis.ASSUMED.value)),
    )


def load_project_plan(path: str | Path, option: str = "--estimate") -> PlannedProject:
    """Read an ``estimate --project --json`` file (or a bare ``flopcast.project_estimate/1`` object).

    Raises :class:`InputError` (one line) for an estimate without project lines, another schema version, or
    malformed numbers.
    """
    p = Path(path).expanduser()
    text = read_text(p, ESTIMATE_SCHEMA, option)  # the file is read once: a bare project or an estimate
    bare = _bare_project(text)
    planned = None if bare is not None else planned_from(p, parse_kind(p, text, ESTIMATE_SCHEMA, option))
    proj = bare if bare is not None else (planned.data.get("project") if planned else None)
    if not isinstance(proj, Mapping):
        raise InputError(
            f"{option} {str(p)!r} is an estimate without project lines; write one with `{_PRODUCER} > FILE`"
        )
    if proj.get("schema") != PROJECT_SCHEMA:
        raise DataFormatError(
            p,
            f"project lines of schema {proj.get('schema')!r}, not {PROJECT_SCHEMA}; regenerate them with `{_PRODUCER}`",
        )
    lines = proj.get("lines")
    if not isinstance(lines, list):
        raise DataFormatError(p, f"project.lines is missing; regenerate it with `{_PRODUCER}`")
    return PlannedProject(
        str(p),
        _figures(proj.get("final"), p, "project.final"),
        tuple(_line(ln, p, i) for i, ln in enumerate(lines)),
        _figures(proj.get("total"), p, "project.total"),
        tuple(str(o) for o in proj.get("omitted") or ()),
        planned,
        planned.data if planned else proj,
    )


def _bare_project(text: str) -> Mapping[str, Any] | None:
    """The file's object when it is a bare project estimate; ``None`` otherwise (``parse_kind`` judges it)."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("schema") == PROJECT_SCHEMA else None


# ---------------------------------------------------------------- what the ledger measured


@dataclass(frozen=True)
class Measured:
    """The ledger's decomposition of a project into the plan's terms (figures: chip_hours, kwh, kg_co2e, usd)."""

    final: Mapping[str, float | None]  # the final run's useful (steps) part
    lost: Mapping[str, float | None]  # goodput's lost part
    experiments: Mapping[str, float | None]  # the other completed runs
    total: Mapping[str, float | None]  # every run with a record (the three above, plus running runs)
    useful_fraction: float | None  # the final run's active / wall (None: it reported no steps)
    final_ids: tuple[str, ...]
    lost_ids: tuple[str, ...]
    experiment_ids: tuple[str, ...]
    notes: tuple[str, ...]


def _fig(run: LedgerRun, key: str, scale: float = 1.0) -> float | None:
    v = getattr(run.record, _RECORD_KEYS[key], None) if run.record is not None else None
    return float(v) * scale if isinstance(v, (int, float)) and math.isfinite(v) else None


def _add(parts: Sequence[Mapping[str, float | None]]) -> dict[str, float | None]:
    """Sum per figure; ``None`` when any part lacks it (a partial sum would read as a measurement)."""
    out: dict[str, float | None] = {}
    for k in FIGS:
        vals = [p.get(k) for p in parts]
        out[k] = None if any(v is None for v in vals) else float(sum(v for v in vals if v is not None))
    return out


def _useful_fraction(final: Sequence[LedgerRun]) -> float | None:
    """Steps time / wall of the final run (its longest node); ``None`` when it reported no steps."""
    fracs = [
        r.record.active_seconds / r.record.wall_seconds
        for r in final
        if r.record is not None and r.record.steps and r.record.active_seconds > 0 and r.record.wall_seconds > 0
    ]
    return min(1.0, max(fracs)) if fracs else None


def measure_project(runs: Sequence[LedgerRun], final_id: str) -> Measured:
    """Split the project's runs into the final run's useful part, goodput's lost part and experimentation."""
    recorded = [r for r in runs if r.record is not None]
    final_run = next(r for r in runs if r.run_id == final_id)
    final = [r for r in recorded if r.run_id == final_id or (final_run.job_id and r.job_id == final_run.job_id)]
    lost_runs = [r for r in recorded if r not in final and r.status in LOST_STATUSES]
    others = [r for r in recorded if r not in final and r.status == "completed"]
    frac = _useful_fraction(final)
    f = 1.0 if frac is None else frac
    useful = _add([{k: _fig(r, k, f) for k in FIGS} for r in final])
    in_run_lost = [{k: _fig(r, k, 1.0 - f) for k in FIGS} for r in final]
    lost = _add([*in_run_lost, *({k: _fig(r, k) for k in FIGS} for r in lost_runs)])
    notes = []
    if frac is None:
        notes.append("the final run reported no steps: its own lost time (startup, stalls) is not measured")
    running = [r.run_id for r in recorded if r not in final and r not in lost_runs and r not in others]
    if running:
        notes.append(f"still running, in the total but in no line: {', '.join(running)}")
    bare = [r.run_id for r in runs if r.record is None]
    if bare:
        notes.append(f"no record yet (no sample committed), left out: {', '.join(bare)}")
    return Measured(
        useful,
        lost,
        _add([{k: _fig(r, k) for k in FIGS} for r in others]),
        _add([{k: _fig(r, k) for k in FIGS} for r in recorded]),
        frac,
        tuple(r.run_id for r in final),
        tuple(r.run_id for r in lost_runs),
        tuple(r.run_id for r in others),
        tuple(notes),
    )


# ---------------------------------------------------------------- plan against measurement


@dataclass(frozen=True)
class ProjectLineRow:
    """One line of the plan against the ledger. ``off``: |planned - measured| addition in multiples of the final
    run (``None``: not measured); ``basis``: measured, estimated (plan's factor on measured chip-hours) or
    unavailable."""

    name: str
    unit: str
    planned_factor: float | None
    planned_low: float | None
    planned_high: float | None
    measured_factor: float | None
    in_range: bool | None
    planned: Mapping[str, float | None]
    measured: Mapping[str, float | None]
    off: float | None
    basis: str
    how: str
    direction: str = ""  # "more than planned" / "less than planned" (measured lines only)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "planned": dict(self.planned), "measured": dict(self.measured)}


@dataclass(frozen=True)
class ProjectComparison:
    """The project plan's lines set against what the ledger measured for the same runs."""

    estimate_path: str
    pattern: str
    rows: tuple[ProjectLineRow, ...]
    furthest_off: str | None
    notes: tuple[str, ...]

    @property
    def furthest(self) -> ProjectLineRow | None:
        return next((r for r in self.rows if r.name == self.furthest_off), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate_path,
            "pattern": self.pattern,
            "rows": [r.to_dict() for r in self.rows],
            "furthest_off": self.furthest_off,
            "notes": list(self.notes),
        }


def _multiple(part: Mapping[str, float | None], final: Mapping[str, float | None]) -> tuple[float | None, str]:
    """``part`` as a multiple of ``final``: by chip-hours, else by energy (a CPU-only run has no chip-hours)."""
    for key, what in (("chip_hours", "chip-hours"), ("kwh", "energy")):
        p, f = part.get(key), final.get(key)
        if p is not None and f:
            return p / f, what
    return None, ""


def _scaled(planned: Mapping[str, float | None], k: float | None) -> dict[str, float | None]:
    return {f: (v * k if v is not None and k is not None else None) for f, v in planned.items()}


def _in_range(line: PlannedLine, value: float | None) -> bool | None:
    if value is None:
        return None
    lo, hi = sorted((line.value_low, line.value_high))
    return lo * (1 - 1e-9) <= value <= hi * (1 + 1e-9)


def _measured_row(line: PlannedLine, m: Measured) -> ProjectLineRow:
    """goodput or experimentation: the factor the ledger measures."""
    if line.name == "goodput":
        added, what = _multiple(m.lost, m.final)
        factor = 1.0 / (1.0 + added) if added is not None else None
        planned_added = 1.0 / line.value - 1.0 if line.value > 0 else None
        how = (
            f"useful / (useful + lost) by {what}: lost = the final run's time outside its steps"
            f"{'' if m.useful_fraction is None else f' ({100 * (1 - m.useful_fraction):.3g}% of its wall)'}"
            f" + {len(m.lost_ids)} failed/interrupted/lost run(s)"
            + (f" ({', '.join(m.lost_ids[:4])})" if m.lost_ids else "")
        )
        measured = m.lost
    else:
        added, what = _multiple(m.experiments, m.final)
        factor = 1.0 + added if added is not None else None
        planned_added = line.value - 1.0
        how = f"(useful final + {len(m.experiment_ids)} other completed run(s)) / useful final, by {what}" + (
            f" ({', '.join(m.experiment_ids[:4])})" if m.experiment_ids else ""
        )
        measured = m.experiments
    off, direction = None, ""
    if added is not None and planned_added is not None:
        off = abs(planned_added - added)
        direction = "more than planned" if added > planned_added else "less than planned"
    return ProjectLineRow(
        line.name,
        line.unit,
        line.value,
        line.value_low,
        line.value_high,
        factor,
        _in_range(line, factor),
        line.figures,
        measured,
        off,
        Basis.MEASURED.value if factor is not None else Basis.UNAVAILABLE.value,
        how,
        direction,
    )


def _unmeasured_row(line: PlannedLine, scale: float | None) -> ProjectLineRow:
    """idle / embodied at the plan's factor on the measured chip-hours; evaluation, serving: unavailable."""
    if line.name in ("idle", "embodied") and scale is not None:
        how = (
            "not in the ledger (the tracker reads the run's own chips and CPU); the plan's factor on the "
            "measured chip-hours"
            if line.name == "idle"
            else "never measured (manufacturing); the plan's factor on the measured chip-hours"
        )
        return ProjectLineRow(
            line.name,
            line.unit,
            line.value,
            line.value_low,
            line.value_high,
            None,
            None,
            line.figures,
            _scaled(line.figures, scale),
            None,
            Basis.ESTIMATED.value,
            how,
        )
    why = {
        "evaluation": "the ledger does not mark evaluation runs (runs matching the pattern count as experimentation)",
        "serving": "serving is not tracked by the ledger",
    }
    return ProjectLineRow(
        line.name,
        line.unit,
        line.value,
        line.value_low,
        line.value_high,
        None,
        None,
        line.figures,
        dict.fromkeys(FIGS),
        None,
        Basis.UNAVAILABLE.value,
        why.get(line.name, "not measured by the ledger"),
    )


def compare_project(plan: PlannedProject, m: Measured, pattern: str) -> ProjectComparison:
    """The plan's final run, each overhead line and the total against the ledger's; the furthest-off overhead."""
    planned_compute = _add(
        [plan.final, *(ln.figures for ln in plan.lines if ln.name in ("goodput", "experimentation", "evaluation"))]
    )
    measured_compute = _add([m.final, m.lost, m.experiments])
    pc, mc = planned_compute.get("chip_hours"), measured_compute.get("chip_hours")
    scale = mc / pc if pc and mc is not None else None
    frac = "" if m.useful_fraction is None else f", {100 * m.useful_fraction:.3g}% of its wall"
    final = ProjectLineRow(
        "final run",
        "",
        None,
        None,
        None,
        None,
        None,
        plan.final,
        m.final,
        None,
        Basis.MEASURED.value,
        f"{', '.join(m.final_ids)} over its steps time{frac} (record × active / wall; energy and cost in proportion)",
    )
    rows = [final]
    for line in plan.lines:
        rows.append(
            _measured_row(line, m) if line.name in ("goodput", "experimentation") else _unmeasured_row(line, scale)
        )
    estimated = [r.measured for r in rows if r.basis == Basis.ESTIMATED.value]
    total_meas = _add([m.total, *estimated]) if estimated else dict(m.total)
    rows.append(
        ProjectLineRow(
            "project total",
            "",
            None,
            None,
            None,
            None,
            None,
            plan.total,
            total_meas,
            None,
            Basis.MEASURED.value if not estimated else Basis.ESTIMATED.value,
            "every matching run's record" + (" + the estimated lines above" if estimated else ""),
        )
    )
    scored = [(r.off, r.name) for r in rows if r.off is not None]
    notes = list(m.notes) + [f"omitted from the plan: {o}" for o in plan.omitted]
    return ProjectComparison(plan.path, pattern, tuple(rows), max(scored)[1] if scored else None, tuple(notes))
