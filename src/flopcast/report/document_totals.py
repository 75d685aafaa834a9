"""The report of a project: every run whose name matches a pattern (failed, interrupted and sweep runs too),
their totals, and the share the final run was of each. A total some runs lack is a lower bound naming them, and
the final run's share of it is ``None``. Complexity: O(runs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flopcast.measure.runs import LedgerRun
from flopcast.provenance import Basis
from flopcast.report.document_inputs import Planned
from flopcast.report.document_model import GRAMS_PER_KG, CardFacts, Figure, Report, RunRow, run_row, unique_assumptions
from flopcast.report.document_plans import compare
from flopcast.report.document_project import PlannedProject, compare_project, measure_project
from flopcast.report.document_run import actual_of_record, run_card

_TOTALS = (
    ("chip_hours", "chip-hours", "h"),
    ("energy_kwh", "energy (facility)", "kWh"),
    ("co2e_kg", "CO2e", "kg"),
    ("cost_usd", "cost", "USD"),
)


def _wall_total(rows: Sequence[RunRow]) -> float:
    """Wall time of a project: the nodes of one job ran at once (their longest), separate runs add up."""
    by_job: dict[str, float] = {}
    for r in rows:
        key = r.job_id or f"run:{r.run_id}"
        by_job[key] = max(by_job.get(key, 0.0), r.wall_seconds or 0.0)
    return float(sum(by_job.values()))


def _total(rows: Sequence[RunRow], key: str, label: str, unit: str) -> Figure:
    vals = [getattr(r, key) for r in rows]
    lacking = [r.run_id for r, v in zip(rows, vals, strict=True) if v is None]
    total = float(sum(v for v in vals if v is not None)) if len(lacking) < len(rows) else None
    src = f"sum over {len(rows)} runs"
    if total is None:
        src = f"none of the {len(rows)} runs has it"
    elif lacking:
        src += f"; a lower bound: {len(lacking)} run(s) lack it ({', '.join(lacking[:3])})"
    basis = Basis.UNAVAILABLE.value if total is None else Basis.ESTIMATED.value
    return Figure(f"total_{key}", f"total {label}", total, unit, basis, src)


def _final(rows: Sequence[RunRow]) -> tuple[RunRow, str]:
    done = [r for r in rows if r.status == "completed"]
    if done:
        return done[-1], "the last completed run"
    return rows[-1], "the last run (none completed)"


def _share(final: RunRow, rows: Sequence[RunRow], totals: Mapping[str, Figure], wall: float) -> dict[str, float | None]:
    """The final run's share of each total; none where some run lacks the figure (the total is a lower bound)."""
    out: dict[str, float | None] = {"wall_seconds": (final.wall_seconds or 0.0) / wall if wall > 0 else None}
    for key, _, _ in _TOTALS:
        t, v = totals[key], getattr(final, key)
        complete = all(getattr(r, key) is not None for r in rows)
        out[key] = v / t.value if complete and v is not None and isinstance(t.value, float) and t.value > 0 else None
    return out


def project_report(
    pattern: str, runs: Sequence[LedgerRun], planned: Planned | None = None, plan: PlannedProject | None = None
) -> Report:
    """All runs whose name matches ``pattern`` (failed, interrupted and sweep runs too): totals and the final
    run's share. ``planned`` is compared with the final run; ``plan`` (an ``estimate --project`` file) line by
    line with the ledger's decomposition of the runs (:mod:`flopcast.report.document_project`)."""
    rows = [run_row(r) for r in runs]
    final, which = _final(rows)
    rows = [RunRow(**{**r.__dict__, "final": r.run_id == final.run_id}) for r in rows]
    wall = _wall_total(rows)
    totals = {k: _total(rows, k, label, unit) for k, label, unit in _TOTALS}
    statuses = ", ".join(f"{n} {s}" for s, n in _tally(r.status for r in rows).items())
    figures = (
        Figure("runs", "runs", float(len(rows)), "", Basis.MEASURED.value, statuses),
        Figure(
            "total_wall_seconds",
            "total wall time",
            wall,
            "s",
            Basis.MEASURED.value,
            "sum over runs (a job's nodes count once: its longest)",
        ),
        *totals.values(),
    )
    final_run = next(r for r in runs if r.run_id == final.run_id)
    share = _share(final, rows, totals, wall)
    energy_share = share.get("energy_kwh")
    notes = (
        f"final run: {final.run_id}, {which}; it is "
        + (
            f"{100 * energy_share:.3g}% of the project's energy"
            if energy_share is not None
            else "an unknown share of the project's energy"
        ),
    )
    fr = final_run.record
    card = run_card(fr, final.run_id) if fr else CardFacts(None, "flopcast track", None, None)
    if isinstance(totals["co2e_kg"].value, float):
        card = CardFacts(
            totals["co2e_kg"].value * GRAMS_PER_KG,
            f"flopcast track (measured; all {len(rows)} runs matching {pattern!r})",
            card.geographical_location,
            card.hardware_used,
        )
    return Report(
        kind="project",
        subject=pattern,
        title=f"Compute report: project {pattern!r}",
        figures=figures,
        assumptions=unique_assumptions(a for r in runs if r.record for a in r.record.assumptions),
        card=card,
        runs=tuple(rows),
        final_run_id=final.run_id,
        final_share=share,
        notes=notes,
        comparison=compare(planned, actual_of_record(fr)) if planned and fr else None,
        records=tuple(r.record.to_dict() for r in runs if r.record),
        estimate=planned.data if planned else plan.data if plan else None,
        project=compare_project(plan, measure_project(runs, final.run_id), pattern) if plan else None,
    )


def _tally(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out
