"""Typed compute reports (``flopcast report``): a run, a distributed job, a project, or a count + estimate card.

This module resolves a target in the ledger (a job id, a run id or unique prefix, a run name or glob pattern)
and builds its report; each kind is built in its own module (:mod:`~flopcast.report.document_run`,
:mod:`~flopcast.report.document_job`, :mod:`~flopcast.report.document_totals`,
:mod:`~flopcast.report.document_card`) from the data in :mod:`~flopcast.report.document_model`. The public names
of those modules are importable from here, as before they were split out.

Complexity: a project report reads every run of the ledger once, O(runs); a run report reads its samples once.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from flopcast._names import nearest
from flopcast.errors import AmbiguousNameError, UnknownNameError
from flopcast.measure.ledger import Ledger
from flopcast.measure.runs import LedgerRun, list_runs, show_run
from flopcast.report.document_card import card_report, region_label
from flopcast.report.document_inputs import Planned
from flopcast.report.document_job import job_report
from flopcast.report.document_model import (
    GRAMS_PER_KG,
    REPORT_SCHEMA,
    CardFacts,
    Figure,
    PowerSample,
    Report,
    RunRow,
    constant_cost_figure,
    hardware_text,
    unique_assumptions,
)
from flopcast.report.document_project import PlannedProject
from flopcast.report.document_run import actual_of_job, actual_of_record, it_energy_basis, run_report
from flopcast.report.document_totals import project_report

__all__ = [
    "GRAMS_PER_KG",
    "REPORT_SCHEMA",
    "CardFacts",
    "Figure",
    "PowerSample",
    "Report",
    "RunRow",
    "actual_of_job",
    "actual_of_record",
    "card_report",
    "constant_cost_figure",
    "hardware_text",
    "it_energy_basis",
    "job_report",
    "project_plan_report",
    "project_report",
    "region_label",
    "report_from_ledger",
    "run_report",
    "unique_assumptions",
]


def _matches(pattern: str, run: LedgerRun) -> bool:
    return run.name is not None and (run.name == pattern or fnmatch.fnmatchcase(run.name, pattern))


@contextmanager
def _ledger_runs(ledger: str | Path | None) -> Iterator[tuple[Ledger, list[LedgerRun]]]:
    """The ledger, opened read-only, and its runs."""
    with Ledger(ledger, readonly=True) as led:
        yield led, list_runs(led)


def _named(runs: Sequence[LedgerRun], pattern: str) -> list[LedgerRun]:
    return [r for r in runs if _matches(pattern, r)]


def _unknown(led: Ledger, what: str, target: str, names: Sequence[str]) -> UnknownNameError:
    return UnknownNameError(
        what, target, nearest(target, names), hint=f"'flopcast runs list --ledger {led.path}' lists them"
    )


def project_plan_report(ledger: str | Path | None, pattern: str, plan: PlannedProject) -> Report:
    """The project report of every run whose name matches ``pattern``, its plan's lines set against the ledger.

    Raises :class:`UnknownNameError` with the nearest run names when no run's name matches.
    """
    with _ledger_runs(ledger) as (led, runs):
        named = _named(runs, pattern)
        if not named:
            raise _unknown(led, "run name", pattern, [r.name for r in runs if r.name])
    return project_report(pattern, named, plan.estimate, plan)


def report_from_ledger(ledger: str | Path | None, target: str, planned: Planned | None = None) -> Report:
    """Resolve ``target`` (a job id, a run id or unique prefix, a run name or glob pattern) and build its report.

    Raises :class:`UnknownNameError` with the nearest run ids, job ids and names when nothing matches.
    """
    with _ledger_runs(ledger) as (led, runs):
        if target in {r.job_id for r in runs if r.job_id}:
            job = show_run(led, target)
            assert isinstance(job, dict)
            return job_report(job, [r for r in runs if r.job_id == target], planned)
        by_id = [r for r in runs if r.run_id.startswith(target)] if target else []
        exact = [r for r in by_id if r.run_id == target]
        if len(by_id) == 1 or exact:
            run = (exact or by_id)[0]
            return run_report(run, led.samples(run.run_id), planned)
        named = _named(runs, target)
        if named:
            return project_report(target, named, planned)
        if len(by_id) > 1:
            raise AmbiguousNameError("run", target, [r.run_id for r in by_id][:8])
        names = [*(r.run_id for r in runs), *(r.job_id for r in runs if r.job_id), *(r.name for r in runs if r.name)]
        raise _unknown(led, "run, job or run name", target, names)
