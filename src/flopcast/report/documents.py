"""Typed compute reports (``flopcast report``): a run, a distributed job, a project, or a count + estimate card.

A :class:`Report` holds every figure as a :class:`Figure` (value, unit, basis, source), the assumptions the
figures rest on, and the records it was built from; renderers (:mod:`flopcast.report.document_render`) only
format it. Figures are copied from the ledger's records and the estimate file, never recomputed differently:
a report's energy is the record's ``energy_kwh``, its CO2e the record's ``co2e_kg``.

Complexity: a project report reads every run of the ledger once, O(runs); a run report reads its samples once.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flopcast._names import nearest
from flopcast.errors import AmbiguousNameError, InputError, UnknownNameError
from flopcast.hardware import get_region, to_constant_usd
from flopcast.measure.host import CPU_MODEL_SOURCE, OS_SOURCE, PYTHON_SOURCE, RAM_TOTAL_SOURCE
from flopcast.measure.ledger import Ledger
from flopcast.measure.record import ENERGY_COMPONENTS, RunRecord
from flopcast.measure.runs import LedgerRun, list_runs, show_run
from flopcast.provenance import Assumption, Basis
from flopcast.report.document_inputs import Counted, Planned
from flopcast.report.document_plans import Comparison, compare
from flopcast.report.document_project import PlannedProject, ProjectComparison, compare_project, measure_project
from flopcast.units import JOULES_PER_KWH, SECONDS_PER_HOUR

REPORT_SCHEMA = "flopcast.report/1"
GRAMS_PER_KG = 1000.0


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
            # flopcast.report/1 requires the key; no report ever filled it (a project's totals are the
            # ``total_*`` figures), so it stays an empty list until a /2 drops it.
            "totals": [],
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


# -- a run ---------------------------------------------------------------------------------------------------


def _assumed(rec: RunRecord, name: str, fallback: str) -> tuple[str, str]:
    """(basis, source) of the record's assumption ``name``; ``fallback`` source when the record has none."""
    a = next((a for a in rec.assumptions if a.name == name), None)
    return (a.basis.value, a.source) if a is not None else (Basis.GIVEN.value, fallback)


def _derived(value: Any, formula: str) -> tuple[str, str]:
    return (Basis.ESTIMATED.value if value is not None else Basis.UNAVAILABLE.value, formula)


def hardware_text(hardware: str | None, chips: float | None, rec: RunRecord | None = None) -> str | None:
    """``'8 × H100 SXM5 80GB'``; a CPU-only run says so (with its logical CPUs when the record knows them)."""
    if hardware and chips:
        return f"{chips:g} × {hardware}"
    if rec is not None:
        cpus = (rec.components.get("cpu") or {}).get("metrics", {}).get("logical_cpus")
        return f"CPU only ({cpus:g} logical CPUs)" if isinstance(cpus, (int, float)) else "CPU only"
    return hardware


def _component_figures(rec: RunRecord) -> list[Figure]:
    out = []
    for c in ENERGY_COMPONENTS:
        comp = rec.components.get(c)
        if comp is None:
            continue
        joules = comp.get("energy_joules")
        basis = rec.energy_source.get(c, Basis.UNAVAILABLE.value)
        kwh = joules / JOULES_PER_KWH if isinstance(joules, (int, float)) and basis != Basis.UNAVAILABLE.value else None
        out.append(
            Figure(
                f"{c}_energy_kwh",
                f"{c.upper()} energy (IT)",
                kwh,
                "kWh",
                basis,
                f"{comp.get('backend', '?')}: {comp.get('note', '')}".strip(),
            )
        )
    return out


def _record_figures(rec: RunRecord) -> list[Figure]:
    """The run's figures in reading order: what ran, what it used, what it cost, what it computed."""
    return [
        *_run_figures(rec),
        *_training_figures(rec),
        *_host_figures(rec),
        *_energy_figures(rec),
        _cost_figure(rec),
        constant_cost_figure(rec.cost_usd, rec.price_as_of),
        *_flop_figures(rec),
    ]


def _run_figures(rec: RunRecord) -> list[Figure]:
    """Status, hardware, wall time, chip-hours and steps."""
    hardware_basis = (
        _assumed(rec, "hardware", "")
        if rec.hardware
        else (Basis.MEASURED.value, "no accelerator given (--hardware) or detected; logical CPUs from the CPU reading")
    )
    steps = f"{rec.steps}" + (f" of {rec.total_steps}" if rec.total_steps else "")
    return [
        Figure("status", "status", rec.status, "", Basis.MEASURED.value, f"exit code {rec.exit_code}"),
        Figure("hardware", "hardware", hardware_text(rec.hardware, rec.chips, rec), "", *hardware_basis),
        Figure("wall_seconds", "wall time", rec.wall_seconds, "s", Basis.MEASURED.value, "monotonic clock"),
        Figure("chip_hours", "chip-hours", rec.chip_hours, "h", *_derived(rec.chip_hours, "chips × wall time")),
        Figure("steps", "steps", steps, "", Basis.MEASURED.value, "run.step() calls reported by the program"),
    ]


def _known(value: Any, source: str, missing: str) -> tuple[str, str]:
    """(measured, source) for a figure the run reported; (unavailable, why) when it did not (or an older record)."""
    return (Basis.MEASURED.value, source) if value is not None else (Basis.UNAVAILABLE.value, missing)


def _training_figures(rec: RunRecord) -> list[Figure]:
    """The model's parameters, the epochs completed and the dataset's examples (Epoch AI's record holds them)."""
    older = "; a record from before flopcast recorded it has none"
    return [
        Figure(
            "model_params",
            "parameters",
            rec.model_params,
            "",
            *_known(
                rec.model_params,
                "the model's parameter count: model_params= given, or the sum of numel() over model= / the trainer's",
                "not given: pass track(model_params=) or model=, or train through a flopcast callback" + older,
            ),
        ),
        Figure(
            "epochs",
            "epochs",
            rec.epochs,
            "epochs",
            *_known(
                rec.epochs,
                "epochs completed, as the program reported them (run.step(epoch=), the trainer's epoch)",
                "not reported: pass run.step(epoch=) or train through a flopcast callback" + older,
            ),
        ),
        Figure(
            "dataset_examples",
            "training dataset size",
            rec.dataset_examples,
            "examples",
            *_known(
                rec.dataset_examples,
                "examples in the training dataset: dataset_examples= given, or len() of the train loader's dataset",
                "not given: pass track(dataset_examples=) or train through a flopcast callback" + older,
            ),
        ),
    ]


def _host_figures(rec: RunRecord) -> list[Figure]:
    """The machine the run ran on, read once at run start (codecarbon's cpu_model, ram_total_size, os, Python)."""
    missing = "not recorded (a record from before flopcast read it, or it could not be read on that machine)"
    return [
        Figure(key, label, value, unit, *_known(value, source, missing))
        for key, label, value, unit, source in (
            ("cpu_model", "CPU model", rec.cpu_model, "", CPU_MODEL_SOURCE),
            ("ram_total_bytes", "RAM (machine total)", rec.ram_total_bytes, "bytes", RAM_TOTAL_SOURCE),
            ("os", "OS", rec.os, "", OS_SOURCE),
            ("python_version", "Python", rec.python_version, "", PYTHON_SOURCE),
        )
    ]


def it_energy_basis(rec: RunRecord) -> tuple[str, str]:
    """(basis, text) of the record's IT energy: its components' one basis, else the weakest (assumed before
    estimated); ``unavailable`` when the record has no IT energy. The text names each component's basis."""
    if rec.it_energy_kwh is None:
        return Basis.UNAVAILABLE.value, "no IT energy"
    parts = {c: b for c, b in rec.energy_source.items() if b != Basis.UNAVAILABLE.value}
    kinds = set(parts.values())
    basis = (
        kinds.pop()
        if len(kinds) == 1
        else Basis.ASSUMED.value
        if Basis.ASSUMED.value in kinds
        else Basis.ESTIMATED.value
    )
    return basis, ", ".join(f"{c} {b}" for c, b in parts.items()) or "no component basis recorded"


def _power_figure(rec: RunRecord) -> Figure:
    """Mean power draw = IT energy / wall time (Epoch AI's "Training power draw (W)"), with the energy's basis."""
    key, label = "mean_power_watts", "mean power draw (IT, before PUE)"
    basis, parts = it_energy_basis(rec)
    if rec.it_energy_kwh is None or not rec.wall_seconds > 0:
        return Figure(key, label, None, "W", Basis.UNAVAILABLE.value, "needs IT energy and a wall time > 0")
    watts = rec.it_energy_kwh * JOULES_PER_KWH / rec.wall_seconds
    return Figure(key, label, watts, "W", basis, f"IT energy / wall time (the energy's basis: {parts})")


def _emissions_rate_figure(rec: RunRecord) -> Figure:
    """CO2e per second of wall time (codecarbon's ``emissions_rate``)."""
    key, label = "emissions_rate_kg_per_s", "emissions rate"
    if rec.co2e_kg is None or not rec.wall_seconds > 0:
        return Figure(key, label, None, "kg CO2e/s", Basis.UNAVAILABLE.value, "needs CO2e and a wall time > 0")
    rate = rec.co2e_kg / rec.wall_seconds
    return Figure(key, label, rate, "kg CO2e/s", Basis.ESTIMATED.value, "CO2e / wall time")


def _energy_figures(rec: RunRecord) -> list[Figure]:
    """Energy per component, IT energy, PUE, facility energy, grid intensity and CO2e."""
    pue_basis, pue_src = _assumed(rec, "pue", "given (--pue)")
    grid_basis, grid_src = _assumed(rec, "grid_intensity", "given (--region)")
    it_kwh, kwh = rec.it_energy_kwh, rec.energy_kwh
    return [
        *_component_figures(rec),
        Figure("it_energy_kwh", "IT energy", it_kwh, "kWh", *_derived(it_kwh, "sum of the components above")),
        _power_figure(rec),
        Figure("pue", "PUE", rec.pue, "", pue_basis, pue_src),
        Figure("energy_kwh", "energy (facility, IT × PUE)", kwh, "kWh", *_derived(kwh, "IT energy × PUE")),
        Figure(
            "g_co2e_per_kwh",
            "grid intensity",
            rec.g_co2e_per_kwh,
            "gCO2e/kWh",
            grid_basis,
            f"{rec.region}: {grid_src}" if rec.region else grid_src,
        ),
        Figure("co2e_kg", "CO2e", rec.co2e_kg, "kg", *_derived(rec.co2e_kg, "energy × grid intensity")),
        _emissions_rate_figure(rec),
    ]


def _cost_figure(rec: RunRecord) -> Figure:
    _, price_src = _assumed(rec, "price", "")
    if rec.cost_usd is not None:
        return Figure(
            "cost_usd", "cost", rec.cost_usd, "USD", Basis.ESTIMATED.value, f"chip-hours × price ({price_src})"
        )
    source = price_src or "needs --hardware with a catalogue price"
    return Figure("cost_usd", "cost", rec.cost_usd, "USD", Basis.UNAVAILABLE.value, source)


def _flop_figures(rec: RunRecord) -> list[Figure]:
    """FLOP per step, achieved FLOP/s and MFU."""
    per_step = (
        _assumed(rec, "flop_per_step", "given (--flop-per-step)")
        if rec.flop_per_step
        else (Basis.UNAVAILABLE.value, "needs --flop-per-step")
    )
    mfu_formula = (
        f"achieved / (chips × {rec.precision} peak {rec.peak_flop_per_s_per_chip or 0:.4g} FLOP/s)"
        if rec.mfu is not None
        else "needs --flop-per-step, steps and --hardware"
    )
    achieved = rec.achieved_flop_per_s
    return [
        Figure("flop_per_step", "FLOP per step", rec.flop_per_step, "FLOP", *per_step),
        Figure(
            "achieved_flop_per_s",
            "achieved FLOP/s",
            achieved,
            "FLOP/s",
            *_derived(achieved, "steps × FLOP per step / active time"),
        ),
        Figure("mfu", "MFU", rec.mfu, "fraction of peak", *_derived(rec.mfu, mfu_formula)),
    ]


def _samples(rows: Sequence[Mapping[str, Any]]) -> tuple[PowerSample, ...]:
    out = []
    for r in rows:
        parts = [r.get("gpu_energy_joules"), r.get("cpu_energy_joules")]
        known = [float(p) for p in parts if isinstance(p, (int, float))]
        out.append(
            PowerSample(
                float(r["t_seconds"]), r.get("gpu_power_watts"), r.get("cpu_power_watts"), sum(known) if known else None
            )
        )
    return tuple(out)


def _run_card(rec: RunRecord, where: str) -> CardFacts:
    return CardFacts(
        emissions_g=rec.co2e_kg * GRAMS_PER_KG if rec.co2e_kg is not None else None,
        source=f"flopcast track (measured; run {where})",
        geographical_location=rec.region,
        hardware_used=hardware_text(rec.hardware, rec.chips, rec),
    )


def run_report(run: LedgerRun, samples: Sequence[Mapping[str, Any]] = (), planned: Planned | None = None) -> Report:
    """The report of one tracked run (its record must exist: the run committed at least one sample)."""
    rec = run.record
    if rec is None:
        raise InputError(f"run {run.run_id} has no record yet (no sample committed); wait for its first sample")
    notes = [f"tracker: {e}" for e in rec.errors] + [f"{e.get('kind')}: {e.get('message')}" for e in run.events]
    if run.status in ("running", "lost"):
        notes.append(f"status {run.status}: the figures cover the run up to its last sample ({run.updated_at})")
    return Report(
        kind="run",
        subject=run.run_id,
        title=f"Compute report: run {run.run_id} ({run.label})",
        figures=tuple(_record_figures(rec)),
        assumptions=rec.assumptions,
        card=_run_card(rec, run.run_id),
        comparison=compare(planned, _actual_of_record(rec)) if planned else None,
        samples=_samples(samples),
        notes=tuple(notes),
        records=(rec.to_dict(),),
        estimate=planned.data if planned else None,
    )


# -- a job ---------------------------------------------------------------------------------------------------


def _row(run: LedgerRun) -> RunRow:
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
            *_derived(job.get("achieved_flop_per_s"), "steps × FLOP per step / longest active time"),
        ),
        Figure(
            "mfu",
            "MFU",
            job.get("mfu"),
            "fraction of peak",
            *_derived(job.get("mfu"), "achieved / (all chips × peak per chip)"),
        ),
    ]


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
        assumptions=assumptions,
        card=card,
        runs=tuple(_row(n) for n in nodes),
        comparison=compare(planned, _actual_of_job(job)) if planned else None,
        records=(dict(job), *(n.record.to_dict() for n in nodes if n.record)),
        estimate=planned.data if planned else None,
    )


# -- a project -----------------------------------------------------------------------------------------------

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
    rows = [_row(r) for r in runs]
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
    card = _run_card(fr, final.run_id) if fr else CardFacts(None, "flopcast track", None, None)
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
        comparison=compare(planned, _actual_of_record(fr)) if planned and fr else None,
        records=tuple(r.record.to_dict() for r in runs if r.record),
        estimate=planned.data if planned else plan.data if plan else None,
        project=compare_project(plan, measure_project(runs, final.run_id), pattern) if plan else None,
    )


def _tally(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


# -- what was measured, for the comparison -------------------------------------------------------------


# The plan's figure -> the record's (and the job aggregate's) key; training FLOP is FLOP per step × steps.
_ACTUAL_KEYS = {
    "wall_seconds": "wall_seconds",
    "chip_hours": "chip_hours",
    "energy_kwh": "energy_kwh",
    "co2e_kg": "co2e_kg",
    "cost_usd": "cost_usd",
    "utilization": "mfu",
}


def _actual(get: Callable[[str], Any]) -> dict[str, float | None]:
    """What was measured, in the plan's terms, read through ``get`` (a record's attribute or a job's key)."""
    fps, steps = get("flop_per_step"), get("steps")
    return {
        **{plan_key: get(key) for plan_key, key in _ACTUAL_KEYS.items()},
        "training_flop": fps * steps if fps and steps else None,
    }


def _actual_of_record(rec: RunRecord) -> dict[str, float | None]:
    return _actual(lambda key: getattr(rec, key))


def _actual_of_job(job: Mapping[str, Any]) -> dict[str, float | None]:
    return _actual(job.get)


# -- count + estimate, no run ---------------------------------------------------------------------------------


def _range(planned: Planned, key: str, scale: float = 1.0, unit: str = "") -> str:
    """``'the estimate; range 1.2 – 3.4 (favourable – unfavourable ends of the assumed ranges)'``."""
    lo, hi = (planned.data.get(end, {}).get(key) for end in ("low", "high"))
    if not all(isinstance(v, (int, float)) for v in (lo, hi)) or lo == hi:
        return "the estimate"
    return (
        f"the estimate; range {lo * scale:.4g} – {hi * scale:.4g}{' ' + unit if unit else ''} "
        "(favourable – unfavourable ends of its assumed ranges)"
    )


def _card_mismatch(counted: Counted | None, planned: Planned) -> tuple[str, ...]:
    """A note when the estimate was made for another model size than the count's (both given by the user)."""
    a = planned.assumption("params")
    if counted is None or counted.params is None or a is None or not isinstance(a.value, (int, float)):
        return ()
    if math.isclose(float(a.value), counted.params, rel_tol=0.01):
        return ()
    return (
        f"the estimate's params ({a.value:.4g}) differ from the count's ({counted.params:.4g}): "
        "re-run the estimate with --params from the count",
    )


def card_report(counted: Counted | None, planned: Planned) -> Report:
    """A paper-appendix card from a count and an estimate: per-pass FLOP, training compute by operation counting
    and by hardware burden (chips × peak × hours, Thompson et al. 2020), time, energy, CO2e, cost."""
    counts = _count_figures(counted) if counted is not None else []
    figs = (*counts, *_compute_figures(planned), *_planned_figures(planned))
    return Report(
        kind="card",
        subject=counted.model if counted else planned.path,
        title=f"Compute card: {counted.model}" if counted is not None else "Compute card",
        figures=figs,
        assumptions=(*(counted.assumptions if counted else ()), *planned.assumptions),
        card=_planned_card(planned),
        notes=("figures are planned (an estimate), not measured", *_card_mismatch(counted, planned)),
        estimate=planned.data,
        count=counted.data if counted else None,
    )


def _count_figures(counted: Counted) -> list[Figure]:
    """The model, its parameters and its FLOP per pass, as ``flopcast count`` counted them."""
    return [
        Figure("model", "model", counted.model, "", Basis.GIVEN.value, counted.path),
        Figure("params", "parameters", counted.params, "", Basis.MEASURED.value, "flopcast count"),
        Figure(
            "forward_flop",
            f"FLOP per pass ({counted.mode})",
            counted.forward_flop,
            "FLOP",
            Basis.ESTIMATED.value,
            "flopcast count (a multiply-add = 2 FLOP)" + ("; INCOMPLETE: a lower bound" if counted.incomplete else ""),
        ),
    ]


def _compute_figures(planned: Planned) -> list[Figure]:
    """Training compute two ways: operation counting (when the estimate used it) and hardware burden at peak."""
    burden = (
        planned.chips * planned.peak_flop_per_s * planned.wall_hours * SECONDS_PER_HOUR
        if planned.chips and planned.peak_flop_per_s and planned.wall_hours
        else None
    )
    counting = planned.training_flop if planned.method.startswith("operation counting") else None
    return [
        Figure(
            "training_flop_counting",
            "training compute (operation counting)",
            counting,
            "FLOP",
            Basis.ESTIMATED.value if counting is not None else Basis.UNAVAILABLE.value,
            planned.method if counting is not None else f"the estimate's method is {planned.method!r}",
        ),
        Figure(
            "training_flop_burden",
            "training compute (hardware burden, at peak)",
            burden,
            "FLOP",
            Basis.ESTIMATED.value if burden is not None else Basis.UNAVAILABLE.value,
            "chips × peak FLOP/s × hours (Thompson et al. 2020)"
            if burden is not None
            else "needs hardware, chips and hours in the estimate",
        ),
    ]


def _planned_figures(planned: Planned) -> list[Figure]:
    """Hardware, time, chip-hours, energy, CO2e and cost of the estimate, each with its range."""
    est = Basis.ESTIMATED.value
    wall_seconds = planned.wall_hours * SECONDS_PER_HOUR if planned.wall_hours is not None else None
    return [
        Figure(
            "hardware",
            "hardware",
            hardware_text(planned.hardware, planned.chips),
            "",
            Basis.GIVEN.value if planned.hardware else Basis.UNAVAILABLE.value,
            planned.path,
        ),
        Figure("wall_seconds", "time", wall_seconds, "s", est, _range(planned, "wall_hours", SECONDS_PER_HOUR, "s")),
        Figure("chip_hours", "chip-hours", planned.chip_hours, "h", est, _range(planned, "chip_hours")),
        Figure("energy_kwh", "energy (facility)", planned.energy_kwh, "kWh", est, _range(planned, "energy_kwh")),
        Figure("co2e_kg", "CO2e", planned.co2e_kg, "kg", est, _range(planned, "co2e_kg")),
        Figure("cost_usd", "cost", planned.cost_usd, "USD", est, _range(planned, "cost_usd")),
        constant_cost_figure(planned.cost_usd, planned.price_as_of),
    ]


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


def _planned_card(planned: Planned) -> CardFacts:
    """The card block of an estimate: planned emissions, the grid region when the user gave one."""
    return CardFacts(
        planned.co2e_kg * GRAMS_PER_KG if planned.co2e_kg is not None else None,
        f"flopcast estimate (planned, not measured: {planned.method})",
        region_label(planned.region),
        hardware_text(planned.hardware, planned.chips),
    )


def region_label(code: str | None) -> str | None:
    """``"FRA"`` -> ``"FRA (France)"`` from the grid catalogue (an unknown code as given; ``None`` stays None)."""
    if code is None:
        return None
    try:
        return get_region(code).label
    except InputError:
        return code


# -- from the ledger -----------------------------------------------------------------------------------------


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
