"""The run record: what a tracked run measured and what it is worth, every number labelled."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flopcast._display import Displayable
from flopcast.measure import energy
from flopcast.measure.forecast import Forecast, forecast_run
from flopcast.measure.host import HostFacts
from flopcast.measure.rates import Rates, mfu
from flopcast.measure.samplers import Reading
from flopcast.provenance import Assumption, Basis

RUN_SCHEMA = "flopcast.run/1"
ENERGY_COMPONENTS = ("gpu", "cpu", "ram")  # summed into it_energy_kwh
EXACT_CPU_SOURCE = "wait4 rusage of the command (exact)"
SAMPLED_CPU_SOURCE = "psutil process tree (sampled)"


@dataclass(frozen=True)
class RunRecord(Displayable):
    """A tracked run, final or so far. Units are in the field names; ``None`` means unavailable.

    ``energy_kwh`` is facility energy (IT energy × PUE); ``energy_source`` labels each component
    (``measured`` / ``estimated`` / ``unavailable``); ``assumptions`` holds every assumed factor.
    """

    run_id: str
    job_id: str | None
    name: str | None
    command: tuple[str, ...] | None
    status: str  # running | completed | failed | interrupted | terminated
    exit_code: int | None
    started_at: str
    ended_at: str | None
    wall_seconds: float
    active_seconds: float  # start → last step: the span achieved FLOP/s is measured over
    cpu_seconds: float | None
    cpu_seconds_source: str
    peak_rss_bytes: float | None
    steps: int
    total_steps: int | None
    flop_per_step: float | None
    hardware: str | None
    chips: int | None
    precision: str | None
    peak_flop_per_s_per_chip: float | None
    chip_hours: float | None
    it_energy_kwh: float | None
    pue: float
    energy_kwh: float | None
    energy_source: Mapping[str, str]
    components: Mapping[str, Mapping[str, Any]]
    region: str | None
    g_co2e_per_kwh: float
    co2e_kg: float | None
    cost_usd: float | None
    achieved_flop_per_s: float | None
    mfu: float | None
    forecast: Forecast | None
    samples: int
    interval_seconds: float
    tracker_cpu_seconds: float  # CPU time of the sampling thread itself (the tracker's own cost)
    first_sample_seconds: float | None
    errors: tuple[str, ...]
    assumptions: tuple[Assumption, ...]
    distributed: Mapping[str, Any]
    ledger: str | None  # the ledger holding this record (read back after the final write)
    fallback_file: str | None = None  # where the record (or samples the ledger refused) was saved instead
    save_error: str | None = None  # one line: the final record is not in the ledger, and where it is
    final_loss: float | None = None  # the last loss given to run.step(loss=) / logged by the trainer
    final_eval_loss: float | None = None  # the last ``eval_loss`` metric a trainer logged
    tokens_seen: int | None = None  # tokens given to run.step(tokens=) (the trainer's num_input_tokens_seen)
    model_params: int | None = None  # the model's parameter count N, when known
    model_params_non_embedding: int | None = None  # N without the embedding tables (Kaplan et al. 2020's N)
    flop_per_step_source: str | None = None  # given | counted from model and batch | state.total_flos | reported
    epochs: float | None = None  # fractional epochs completed (run.step(epoch=), HF state.epoch, Lightning's)
    dataset_examples: int | None = None  # examples in the training dataset (given, or len of the train loader's)
    cpu_model: str | None = None  # the machine's, read once at run start (measure.host)
    ram_total_bytes: int | None = None  # the machine's total RAM, not the run's peak RSS
    os: str | None = None  # platform.platform()
    python_version: str | None = None  # platform.python_version() of the tracking process
    price_as_of: str | None = None  # the date of the catalogue price cost_usd uses (nominal dollars of then)

    _headline = ("run_id", "name", "status", "steps", "wall_seconds", "energy_kwh")  # summary() and HTML; repr below

    def to_dict(self) -> dict[str, Any]:
        """The one public shape of a run (``schema`` ``flopcast.run/1``): ``track --json``, ``runs show --json``,
        ``runs list --json``, ``runs export`` and the ledger's ``record`` column all hold exactly this."""
        out: dict[str, Any] = {"schema": RUN_SCHEMA}
        for f in dataclasses.fields(self):
            out[f.name] = _plain(f.name, getattr(self, f.name))
        out["region_known"] = self.region is not None
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        """The record a :meth:`to_dict` (or an older ledger's record, without ``schema``) describes."""
        schema = data.get("schema", RUN_SCHEMA)
        if schema != RUN_SCHEMA:
            raise ValueError(f"a run record of schema {schema!r}; this flopcast reads {RUN_SCHEMA}")
        kw = {
            f.name: _typed(f.name, data.get(f.name, None if f.default is dataclasses.MISSING else f.default))
            for f in dataclasses.fields(cls)
        }
        return cls(**kw)

    def __repr__(self) -> str:
        kwh = "n/a" if self.energy_kwh is None else f"{self.energy_kwh:.3g} kWh"
        return f"<RunRecord {self.run_id} {self.status}, {self.steps} steps, {self.wall_seconds:.3g} s, {kwh}>"


def _plain(name: str, v: Any) -> Any:
    if isinstance(v, Forecast):
        return v.to_dict()
    if name == "assumptions":
        return [a.to_dict() for a in v]
    if isinstance(v, Mapping):
        return {k: dict(x) if isinstance(x, Mapping) else x for k, x in v.items()}
    return list(v) if isinstance(v, tuple) else v


def _typed(name: str, v: Any) -> Any:
    if v is None:
        return (
            {}
            if name in ("energy_source", "components", "distributed")
            else (() if name in ("errors", "assumptions") else None)
        )
    if name == "forecast":
        return Forecast.from_dict(v)
    if name == "assumptions":
        return tuple(
            Assumption(
                a["name"],
                a.get("value"),
                a.get("unit", ""),
                a.get("source", ""),
                Basis(a.get("basis", Basis.ASSUMED.value)),
            )
            for a in v
        )
    if name in ("command", "errors"):
        return tuple(v)
    return v


def it_energy_joules(readings: Mapping[str, Reading]) -> float | None:
    """Sum of the energy components that have a figure; ``None`` if none has (never a silent 0)."""
    vals = [
        r.energy_joules
        for c, r in readings.items()
        if c in ENERGY_COMPONENTS and r.energy_joules is not None and r.basis is not Basis.UNAVAILABLE
    ]
    return float(sum(vals)) if vals else None


def assumed_gpu_reading(unavailable: Reading, rates: Rates, wall_seconds: float) -> Reading:
    """No GPU telemetry but a known accelerator: chips × TDP × wall time, labelled *assumed* (full board power).

    Returns ``unavailable`` unchanged when the chip or its TDP is unknown.
    """
    if not (rates.hardware and rates.chips and rates.tdp_watts_per_chip):
        return unavailable
    watts = rates.chips * rates.tdp_watts_per_chip
    note = (
        f"no GPU telemetry ({unavailable.note}); {rates.chips} × {rates.tdp_watts_per_chip:g} W TDP of "
        f"{rates.hardware} × wall time: assumes full board power"
    )
    return Reading("gpu", "tdp", Basis.ASSUMED, watts * wall_seconds, watts, {"tdp_watts": watts}, note=note)


@dataclass(frozen=True)
class Figures:
    """What a run's measured totals are worth (``None``: an input is unavailable, never a silent 0)."""

    chip_hours: float | None
    it_energy_kwh: float | None
    energy_kwh: float | None
    co2e_kg: float | None
    cost_usd: float | None
    achieved_flop_per_s: float | None
    mfu: float | None


def derived_figures(
    *,
    wall_seconds: float,
    active_seconds: float,
    steps: int,
    flop_per_step: float | None,
    it_joules: float | None,
    rates: Rates,
) -> Figures:
    """Chip-hours, facility energy, CO2e, cost, achieved FLOP/s and MFU from the measured totals.

    energy_kwh = IT kWh × PUE; co2e_kg = :func:`~flopcast.estimate.formulas.co2e_kg`; cost = chip-hours ×
    USD/chip-hour; achieved FLOP/s = steps × FLOP/step / active seconds (see :mod:`flopcast.measure.energy`).
    """
    hours = energy.chip_hours(rates.chips, wall_seconds) if rates.chips else None
    it_kwh = energy.kwh(it_joules) if it_joules is not None else None
    facility = energy.facility_kwh(it_kwh, rates.pue) if it_kwh is not None else None
    achieved = flop_per_step * steps / active_seconds if flop_per_step and steps and active_seconds > 0 else None
    return Figures(
        chip_hours=hours,
        it_energy_kwh=it_kwh,
        energy_kwh=facility,
        co2e_kg=energy.co2e_kg(facility, rates.g_co2e_per_kwh) if facility is not None else None,
        cost_usd=hours * rates.usd_per_chip_hour if hours is not None and rates.usd_per_chip_hour is not None else None,
        achieved_flop_per_s=achieved,
        mfu=mfu(achieved, rates.chips, rates.peak_flop_per_s_per_chip)
        if achieved and rates.chips and rates.peak_flop_per_s_per_chip
        else None,
    )


def sample_row(t: float, steps: int, readings: Mapping[str, Reading]) -> dict[str, Any]:
    """One ``samples`` row of the ledger: the columns for queries plus every reading as JSON."""
    proc, gpu, cpu = readings.get("process"), readings.get("gpu"), readings.get("cpu")
    return {
        "t_seconds": t,
        "unix_time": time.time(),
        "steps": steps,
        "cpu_seconds": proc.metrics.get("cpu_seconds") if proc else None,
        "rss_bytes": proc.metrics.get("rss_bytes") if proc else None,
        "gpu_energy_joules": gpu.energy_joules if gpu else None,
        "cpu_energy_joules": cpu.energy_joules if cpu else None,
        "gpu_power_watts": gpu.power_watts if gpu else None,
        "cpu_power_watts": cpu.power_watts if cpu else None,
        "gpu_util_percent": gpu.metrics.get("gpu_util_percent") if gpu else None,
        "data": {c: r.to_dict() for c, r in readings.items()},
    }


@dataclass(frozen=True)
class RunState:
    """What a sampler run knows at one instant: every input of :func:`build_record`, nothing else."""

    run_id: str
    job_id: str | None
    name: str | None
    command: tuple[str, ...] | None
    started_at: str
    distributed: Mapping[str, Any]
    interval_seconds: float
    ledger: str | None
    wall_seconds: float
    active_seconds: float
    steps: int
    total_steps: int | None
    flop_per_step: float | None
    points: tuple[tuple[float, int], ...]
    readings: Mapping[str, Reading]
    cpu_seconds_exact: float | None  # the command's wait4 rusage, when the CLI has it
    tracker_cpu_seconds: float
    first_sample_seconds: float | None
    samples: int
    errors: tuple[str, ...]
    extra_assumptions: tuple[Assumption, ...]
    final_loss: float | None = None
    final_eval_loss: float | None = None
    tokens_seen: int | None = None
    model_params: int | None = None
    model_params_non_embedding: int | None = None
    flop_per_step_source: str | None = None
    epochs: float | None = None
    dataset_examples: int | None = None
    host: HostFacts = dataclasses.field(default_factory=HostFacts)  # the machine, read once at run start


def effective_readings(readings: Mapping[str, Reading], rates: Rates, wall_seconds: float) -> dict[str, Reading]:
    """``readings`` with an unavailable GPU replaced by the TDP assumption when the chip is known."""
    out = dict(readings)
    gpu = out.get("gpu")
    if gpu is not None and gpu.basis is Basis.UNAVAILABLE:
        out["gpu"] = assumed_gpu_reading(gpu, rates, wall_seconds)
    return out


def build_record(
    state: RunState, rates: Rates, *, status: str, exit_code: int | None = None, ended_at: str | None = None
) -> RunRecord:
    """The run's record from its state and rates: a pure function (same inputs, same record)."""
    wall = state.wall_seconds
    if state.points and ended_at is not None:
        wall = max(wall, state.points[-1][0])
    readings = effective_readings(state.readings, rates, wall)
    it_j = it_energy_joules(readings)
    figs = derived_figures(
        wall_seconds=wall,
        active_seconds=state.active_seconds,
        steps=state.steps,
        flop_per_step=state.flop_per_step,
        it_joules=it_j,
        rates=rates,
    )
    return RunRecord(
        status=status,
        exit_code=exit_code,
        ended_at=ended_at,
        wall_seconds=wall,
        forecast=_forecast(state, rates, wall, it_j),
        assumptions=(*rates.assumptions, *state.extra_assumptions),
        **_state_fields(state),
        **_process_fields(readings.get("process"), state.cpu_seconds_exact),
        **_rate_fields(rates),
        **_reading_fields(readings),
        **dataclasses.asdict(figs),
        **state.host.fields(),
    )


def _forecast(state: RunState, rates: Rates, wall_seconds: float, it_joules: float | None) -> Forecast | None:
    """The run's forecast to ``total_steps``; ``None`` when the total is unknown."""
    if not state.total_steps:
        return None
    return forecast_run(
        state.points,
        state.total_steps,
        elapsed_seconds=wall_seconds,
        it_energy_joules=it_joules,
        pue=rates.pue,
        g_co2e_per_kwh=rates.g_co2e_per_kwh,
        usd_per_second=rates.usd_per_second,
    )


def _state_fields(state: RunState) -> dict[str, Any]:
    """The record's fields copied from the run state as they are."""
    return {
        "run_id": state.run_id,
        "job_id": state.job_id,
        "name": state.name,
        "command": state.command,
        "started_at": state.started_at,
        "active_seconds": state.active_seconds,
        "steps": state.steps,
        "total_steps": state.total_steps,
        "flop_per_step": state.flop_per_step,
        "samples": state.samples,
        "interval_seconds": state.interval_seconds,
        "tracker_cpu_seconds": state.tracker_cpu_seconds,
        "first_sample_seconds": state.first_sample_seconds,
        "errors": state.errors,
        "distributed": state.distributed,
        "ledger": state.ledger,
        "final_loss": state.final_loss,
        "final_eval_loss": state.final_eval_loss,
        "tokens_seen": state.tokens_seen,
        "model_params": state.model_params,
        "model_params_non_embedding": state.model_params_non_embedding,
        "flop_per_step_source": state.flop_per_step_source if state.flop_per_step else None,
        "epochs": state.epochs,
        "dataset_examples": state.dataset_examples,
    }


def _process_fields(proc: Reading | None, exact: float | None) -> dict[str, Any]:
    """CPU seconds (the command's exact rusage when known, else the sampled process tree) and peak RSS."""
    return {
        "cpu_seconds": exact if exact is not None else (proc.metrics.get("cpu_seconds") if proc else None),
        "cpu_seconds_source": EXACT_CPU_SOURCE if exact is not None else SAMPLED_CPU_SOURCE,
        "peak_rss_bytes": proc.metrics.get("peak_rss_bytes") if proc else None,
    }


def _rate_fields(rates: Rates) -> dict[str, Any]:
    """The record's fields copied from the resolved rates."""
    return {
        "hardware": rates.hardware,
        "chips": rates.chips,
        "precision": rates.precision,
        "peak_flop_per_s_per_chip": rates.peak_flop_per_s_per_chip,
        "pue": rates.pue,
        "region": rates.region,
        "g_co2e_per_kwh": rates.g_co2e_per_kwh,
        "price_as_of": rates.price_as_of,
    }


def _reading_fields(readings: Mapping[str, Reading]) -> dict[str, Any]:
    """Each energy component's basis, and every reading as a plain dict."""
    return {
        "energy_source": {c: r.basis.value for c, r in readings.items() if c in ENERGY_COMPONENTS},
        "components": {c: r.to_dict() for c, r in readings.items()},
    }
