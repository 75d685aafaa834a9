"""The report of a distributed job: the node aggregate (:func:`~flopcast.measure.aggregate_job`) and its nodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flopcast.measure.record import RunRecord
from flopcast.measure.runs import LedgerRun
from flopcast.provenance import Basis
from flopcast.report.document_compute import ComputeInputs, compute_bounds
from flopcast.report.document_inputs import Planned
from flopcast.report.document_model import (
    GRAMS_PER_KG,
    CardFacts,
    Figure,
    Report,
    derived_basis,
    hardware_text,
    run_row,
    unique_assumptions,
)
from flopcast.report.document_plans import compare
from flopcast.report.document_run import actual_of_job, peak_source


def _job_figures(job: Mapping[str, Any], first: RunRecord | None) -> list[Figure]:
    missing = job.get("missing") or {}

    def summed(key: str, label: str, unit: str) -> Figure:
        lacking = missing.get(key)
        src = f"sum over nodes; unavailable: nodes {lacking} lack it" if lacking else "sum over nodes"
        return Figure(
            key,
            label,
            job.get(key),
            unit,
            Basis.ESTIMATED.value if job.get(key) is not None else Basis.UNAVAILABLE.value,
            src,
        )

    hw = first.hardware if first else None
    return [
        Figure("nodes", "nodes", float(job["nodes"]), "", Basis.MEASURED.value, "one sampler row per node"),
        Figure(
            "hardware",
            "hardware",
            hardware_text(hw, job.get("chips"), first),
            "",
            Basis.GIVEN.value if hw else Basis.UNAVAILABLE.value,
            "node records (chips summed over nodes)",
        ),
        Figure("wall_seconds", "wall time", job.get("wall_seconds"), "s", Basis.MEASURED.value, "max over nodes"),
        summed("chip_hours", "chip-hours", "h"),
        summed("it_energy_kwh", "IT energy", "kWh"),
        summed("energy_kwh", "energy (facility, IT × PUE)", "kWh"),
        summed("co2e_kg", "CO2e", "kg"),
        summed("cost_usd", "cost", "USD"),
        Figure("steps", "steps", float(job.get("steps") or 0), "", Basis.MEASURED.value, "max over nodes (global)"),
        Figure(
            "flop_per_step",
            "FLOP per step",
            job.get("flop_per_step"),
            "FLOP",
            Basis.GIVEN.value if job.get("flop_per_step") else Basis.UNAVAILABLE.value,
            "node 0's record",
        ),
        Figure(
            "achieved_flop_per_s",
            "achieved FLOP/s",
            job.get("achieved_flop_per_s"),
            "FLOP/s",
            *derived_basis(job.get("achieved_flop_per_s"), "steps × FLOP per step / longest active time"),
        ),
        Figure(
            "mfu",
            "MFU",
            job.get("mfu"),
            "fraction of peak",
            *derived_basis(job.get("mfu"), "achieved / (all chips × peak per chip)"),
        ),
    ]


def job_compute(job: Mapping[str, Any], first: RunRecord | None) -> tuple[Figure, ...]:
    """The job's training compute by operation counting (global steps × node 0's FLOP per step) and by hardware
    burden (chip-hours summed over nodes × the peak in node 0's record), and their ratio."""
    lacking = (job.get("missing") or {}).get("chip_hours")
    return compute_bounds(
        ComputeInputs(
            steps=job.get("steps"),
            flop_per_step=job.get("flop_per_step"),
            flop_per_step_source="node 0's record",
            chip_hours=job.get("chip_hours"),
            chip_hours_source=f"summed over nodes; nodes {lacking} lack it" if lacking else "summed over nodes",
            hardware=first.hardware if first else None,
            precision=first.precision if first else None,
            peak_flop_per_s_per_chip=first.peak_flop_per_s_per_chip if first else None,
            peak_source=peak_source(first, "node 0's record's") if first else "no node record",
        )
    )


def job_report(job: Mapping[str, Any], nodes: Sequence[LedgerRun], planned: Planned | None = None) -> Report:
    """The report of a distributed job: the node aggregate (:func:`~flopcast.measure.aggregate_job`) and its nodes."""
    first = next((n.record for n in nodes if n.record is not None), None)
    assumptions = unique_assumptions(a for n in nodes if n.record for a in n.record.assumptions)
    card = CardFacts(
        emissions_g=job["co2e_kg"] * GRAMS_PER_KG if job.get("co2e_kg") is not None else None,
        source=f"flopcast track (measured; job {job.get('job_id')}, {job['nodes']} nodes)",
        geographical_location=first.region if first else None,
        hardware_used=hardware_text(first.hardware if first else None, job.get("chips"), first),
    )
    return Report(
        kind="job",
        subject=str(job.get("job_id")),
        title=f"Compute report: job {job.get('job_id')}",
        figures=tuple(_job_figures(job, first)),
        compute=job_compute(job, first),
        assumptions=assumptions,
        card=card,
        runs=tuple(run_row(n) for n in nodes),
        comparison=compare(planned, actual_of_job(job)) if planned else None,
        records=(dict(job), *(n.record.to_dict() for n in nodes if n.record)),
        estimate=planned.data if planned else None,
    )
