"""The report's data: :class:`Report` and the records it is made of (:class:`Figure`, :class:`RunRow`, ...).

A :class:`Report` holds every figure as a :class:`Figure` (value, unit, basis, source), the assumptions the
figures rest on, and the records it was built from; renderers (:mod:`flopcast.report.document_render`) only
format it. The helpers here are those more than one kind of report uses (a run's hardware text, a cost in 2023
dollars, a run's row in a project or job table).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flopcast.errors import InputError
from flopcast.hardware import to_constant_usd
from flopcast.measure.record import RunRecord
from flopcast.measure.runs import LedgerRun
from flopcast.provenance import Assumption, Basis
from flopcast.report.document_plans import Comparison
from flopcast.report.document_project import ProjectComparison
from flopcast.units import GRAMS_PER_KG as GRAMS_PER_KG  # one owner (units); the card modules read it here

REPORT_SCHEMA = "flopcast.report/2"


@dataclass(frozen=True)
class Figure:
    """One reported number (or text) with its unit, basis (measured/estimated/assumed/given/unavailable), source."""

    key: str
    label: str
    value: float | str | None
    unit: str
    basis: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PowerSample:
    """One ledger sample: time since start, component power (W) and cumulative IT energy (J)."""

    t_seconds: float
    gpu_watts: float | None
    cpu_watts: float | None
    energy_joules: float | None


@dataclass(frozen=True)
class RunRow:
    """One run of a project (or one node of a job)."""

    run_id: str
    label: str
    status: str
    exit_code: int | None
    job_id: str | None
    wall_seconds: float | None
    chip_hours: float | None
    energy_kwh: float | None
    co2e_kg: float | None
    cost_usd: float | None
    final: bool = False


@dataclass(frozen=True)
class CardFacts:
    """What the Hugging Face ``co2_eq_emissions`` block says (``None``: not known, left out of the block)."""

    emissions_g: float | None
    source: str
    geographical_location: str | None
    hardware_used: str | None


@dataclass(frozen=True)
class Report:
    """A compute report. ``kind``: run, job, project or card (count + estimate, no run)."""

    kind: str
    subject: str
    title: str
    figures: tuple[Figure, ...]
    assumptions: tuple[Assumption, ...]
    card: CardFacts
    compute: tuple[Figure, ...] = ()  # a run's or job's training compute two ways (document_compute)
    runs: tuple[RunRow, ...] = ()
    final_run_id: str | None = None
    final_share: Mapping[str, float | None] = field(default_factory=dict)
    comparison: Comparison | None = None
    samples: tuple[PowerSample, ...] = ()
    notes: tuple[str, ...] = ()
    records: tuple[Mapping[str, Any], ...] = ()
    estimate: Mapping[str, Any] | None = None
    count: Mapping[str, Any] | None = None
    project: ProjectComparison | None = None

    def figure(self, key: str) -> Figure | None:
        return next((f for f in self.figures if f.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": REPORT_SCHEMA,
            "kind": self.kind,
            "subject": self.subject,
            "title": self.title,
            "figures": [f.to_dict() for f in self.figures],
            "compute": [f.to_dict() for f in self.compute],
            "runs": [dict(r.__dict__) for r in self.runs],
            "final_run_id": self.final_run_id,
            "final_share": dict(self.final_share),
            "comparison": self.comparison.to_dict() if self.comparison else None,
            "assumptions": [a.to_dict() for a in self.assumptions],
            "notes": list(self.notes),
            "co2_eq_emissions": dict(self.card.__dict__),
            "samples": [dict(s.__dict__) for s in self.samples],
            "records": [dict(r) for r in self.records],
            "estimate": self.estimate,
            "count": self.count,
            "project": self.project.to_dict() if self.project else None,
        }


def unique_assumptions(items: Any) -> tuple[Assumption, ...]:
    """Assumptions in order, each (name, value, source) once (values may be lists: not hashable)."""
    seen: dict[tuple[str, str, str], Assumption] = {}
    for a in items:
        seen.setdefault((a.name, repr(a.value), a.source), a)
    return tuple(seen.values())


def derived_basis(value: Any, formula: str) -> tuple[str, str]:
    """(estimated, formula) for a figure derived from others; (unavailable, formula) when it is unknown."""
    return (Basis.ESTIMATED.value if value is not None else Basis.UNAVAILABLE.value, formula)


def hardware_text(hardware: str | None, chips: float | None, rec: RunRecord | None = None) -> str | None:
    """``'8 × H100 SXM5 80GB'``; a CPU-only run says so (with its logical CPUs when the record knows them)."""
    if hardware and chips:
        return f"{chips:g} × {hardware}"
    if rec is not None:
        cpus = (rec.components.get("cpu") or {}).get("metrics", {}).get("logical_cpus")
        return f"CPU only ({cpus:g} logical CPUs)" if isinstance(cpus, (int, float)) else "CPU only"
    return hardware


def run_row(run: LedgerRun) -> RunRow:
    """A run's row in a project's or a job's table (the ledger row's own figures when it has no record yet)."""
    rec = run.record
    return RunRow(
        run.run_id,
        run.label,
        run.status,
        rec.exit_code if rec else None,
        run.job_id,
        rec.wall_seconds if rec else run.wall_seconds,
        rec.chip_hours if rec else None,
        rec.energy_kwh if rec else run.energy_kwh,
        rec.co2e_kg if rec else None,
        rec.cost_usd if rec else None,
    )


def constant_cost_figure(nominal_usd: float | None, priced_at: str | None) -> Figure:
    """The cost in 2023 dollars, Epoch AI's unit ("Training compute cost (2023 USD)"), by the PPI it uses."""
    key, label = "cost_usd_2023", "cost (2023 USD)"
    if nominal_usd is None or priced_at is None:
        why = "no cost" if nominal_usd is None else "the price has no catalogue date (given, owned or Thompson 2020)"
        return Figure(key, label, None, "USD", Basis.UNAVAILABLE.value, why)
    try:
        c = to_constant_usd(nominal_usd, priced_at)
    except InputError as exc:
        return Figure(key, label, None, "USD", Basis.UNAVAILABLE.value, str(exc))
    source = f"nominal USD priced {priced_at} x {c.factor:.4f} ({c.source})"
    return Figure(key, label, c.usd, "USD", Basis.ESTIMATED.value, f"{source}; {c.caveat}" if c.caveat else source)
