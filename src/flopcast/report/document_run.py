"""The report of one tracked run: its record's figures, its samples, its card block, and what it measured in
the plan's terms (for the estimate against actual). Figures are copied from the record, never recomputed
differently: a report's energy is the record's ``energy_kwh``, its CO2e the record's ``co2e_kg``.

Complexity: a run report reads its samples once, O(samples).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flopcast.errors import InputError
from flopcast.measure.host import CPU_MODEL_SOURCE, OS_SOURCE, PYTHON_SOURCE, RAM_TOTAL_SOURCE
from flopcast.measure.record import ENERGY_COMPONENTS, RunRecord
from flopcast.measure.runs import LedgerRun
from flopcast.provenance import Basis
from flopcast.report.document_compute import ComputeInputs, compute_bounds
from flopcast.report.document_inputs import Planned
from flopcast.report.document_model import (
    GRAMS_PER_KG,
    CardFacts,
    Figure,
    PowerSample,
    Report,
    constant_cost_figure,
    derived_basis,
    hardware_text,
)
from flopcast.report.document_plans import compare
from flopcast.units import JOULES_PER_KWH


def _assumed(rec: RunRecord, name: str, fallback: str) -> tuple[str, str]:
    """(basis, source) of the record's assumption ``name``; ``fallback`` source when the record has none."""
    a = next((a for a in rec.assumptions if a.name == name), None)
    return (a.basis.value, a.source) if a is not None else (Basis.GIVEN.value, fallback)


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
        Figure("chip_hours", "chip-hours", rec.chip_hours, "h", *derived_basis(rec.chip_hours, "chips × wall time")),
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
        Figure("it_energy_kwh", "IT energy", it_kwh, "kWh", *derived_basis(it_kwh, "sum of the components above")),
        _power_figure(rec),
        Figure("pue", "PUE", rec.pue, "", pue_basis, pue_src),
        Figure("energy_kwh", "energy (facility, IT × PUE)", kwh, "kWh", *derived_basis(kwh, "IT energy × PUE")),
        Figure(
            "g_co2e_per_kwh",
            "grid intensity",
            rec.g_co2e_per_kwh,
            "gCO2e/kWh",
            grid_basis,
            f"{rec.region}: {grid_src}" if rec.region else grid_src,
        ),
        Figure("co2e_kg", "CO2e", rec.co2e_kg, "kg", *derived_basis(rec.co2e_kg, "energy × grid intensity")),
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


# A record's ``flop_per_step_source`` -> (basis, source) when no ``flop_per_step`` assumption says more.
_FLOP_PER_STEP_SOURCES = {
    "given": (Basis.GIVEN.value, "given (--flop-per-step)"),
    "reported": (Basis.GIVEN.value, "reported by the tracked program (run.observe(flop_per_step=))"),
    "state.total_flos": (Basis.ESTIMATED.value, "the Hugging Face Trainer's state.total_flos per step (HFCallback)"),
}


def flop_per_step_basis(rec: RunRecord) -> tuple[str, str]:
    """(basis, source) of the record's FLOP per step: its ``flop_per_step`` assumption (a count made during the
    run), else what its ``flop_per_step_source`` names (given, reported, the HF Trainer's total_flos)."""
    if not rec.flop_per_step:
        return Basis.UNAVAILABLE.value, "needs --flop-per-step"
    a = next((a for a in rec.assumptions if a.name == "flop_per_step"), None)
    if a is not None:
        return a.basis.value, a.source
    src = rec.flop_per_step_source or "given"
    return _FLOP_PER_STEP_SOURCES.get(src, (Basis.GIVEN.value, src))


def _flop_figures(rec: RunRecord) -> list[Figure]:
    """FLOP per step, achieved FLOP/s and MFU."""
    per_step = flop_per_step_basis(rec)
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
            *derived_basis(achieved, "steps × FLOP per step / active time"),
        ),
        Figure("mfu", "MFU", rec.mfu, "fraction of peak", *derived_basis(rec.mfu, mfu_formula)),
    ]


def peak_source(rec: RunRecord, whose: str) -> str:
    """Where a record's peak FLOP/s came from, in short (the full source is among the assumptions)."""
    known = any(a.name == "peak_flop_per_s_per_chip" for a in rec.assumptions)
    return f"{whose} peak, from the catalogue: see peak_flop_per_s_per_chip below" if known else f"{whose} peak"


def run_compute(rec: RunRecord) -> tuple[Figure, ...]:
    """The run's training compute by operation counting and by hardware burden, and their ratio."""
    basis, source = flop_per_step_basis(rec)
    how = source if source.startswith(basis) else f"{basis}: {source}"  # not "given: given (--flop-per-step)"
    return compute_bounds(
        ComputeInputs(
            steps=rec.steps,
            flop_per_step=rec.flop_per_step,
            flop_per_step_source=how,
            chip_hours=rec.chip_hours,
            chip_hours_source="chips × wall time",
            hardware=rec.hardware,
            precision=rec.precision,
            peak_flop_per_s_per_chip=rec.peak_flop_per_s_per_chip,
            peak_source=peak_source(rec, "the record's"),
        )
    )


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


def run_card(rec: RunRecord, where: str) -> CardFacts:
    """The Hugging Face block of one run (``where``: the run id the source names)."""
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
        compute=run_compute(rec),
        assumptions=rec.assumptions,
        card=run_card(rec, run.run_id),
        comparison=compare(planned, actual_of_record(rec)) if planned else None,
        samples=_samples(samples),
        notes=tuple(notes),
        records=(rec.to_dict(),),
        estimate=planned.data if planned else None,
    )


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


def actual_of_record(rec: RunRecord) -> dict[str, float | None]:
    """What a run measured, in the plan's terms."""
    return _actual(lambda key: getattr(rec, key))


def actual_of_job(job: Mapping[str, Any]) -> dict[str, float | None]:
    """What a job (its node aggregate) measured, in the plan's terms."""
    return _actual(job.get)
