"""The three roles a :class:`~flopcast.measure.Run` plays, chosen at ``prepare()``.

* :class:`SamplerRole` (the default, and local rank 0 of each node in a distributed job): samples GPU, CPU and
  process tree every interval, commits each sample to the ledger, builds the record;
* :class:`PassiveRole` (other local ranks): counts steps only — the node is measured once, never twice;
* :class:`ReporterRole` (inside a command run by ``flopcast track -- CMD``): writes its step count to the file
  the parent names in ``FLOPCAST_PROGRESS_FILE`` and appends its per-step rows to the one it names in
  ``FLOPCAST_STEPS_FILE``; the parent measures the whole process tree and stores those rows with its run.

A role sees the run through :class:`Counter` (steps, timing, errors), never the run's lifecycle.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from flopcast.errors import InputError, LedgerError, one_line
from flopcast.measure import distributed as dist
from flopcast.measure.clock import now_iso
from flopcast.measure.fallback import save_unsaved
from flopcast.measure.host import HostFacts, host_facts
from flopcast.measure.ledger import Ledger
from flopcast.measure.logto import LOOP_FIGURES, FigureWriter, open_writer, record_figures
from flopcast.measure.nvml import gpu_sampler
from flopcast.measure.options import TrackOptions
from flopcast.measure.progress import StepsReader, append_steps, read_progress, write_progress
from flopcast.measure.rates import Rates, count_flop_per_step, resolve_rates
from flopcast.measure.record import RunRecord, RunState, build_record, sample_row
from flopcast.measure.samplers import ProcessTreeSampler, RamSampler, Reading, Sampler, cpu_energy_sampler
from flopcast.measure.steplog import StepLog, as_float
from flopcast.provenance import Assumption, Basis

MAX_POINTS = 4096


class Counter(Protocol):
    """The part of a run a role reads and updates: step count, clocks, errors, the run's figures."""

    run_id: str
    ctx: dist.DistContext
    name: str | None
    command: list[str] | None
    pid: int | None
    interval: float
    total_steps: int | None
    flop_per_step: float | None
    started_at: str
    t0: float
    t_enter: float
    steps_done: int
    last_step_t: float | None
    tracker_cpu: float
    errors: list[str]
    extra: list[Assumption]
    log: StepLog
    model_params: int | None
    model_params_non_embedding: int | None
    dataset_examples: int | None
    epochs_done: Any
    flop_per_step_source: str | None


def run_figures(run: Counter) -> dict[str, Any]:
    """The run's own figures for the record: loss, tokens, size, epochs completed and dataset size."""
    epochs = as_float(run.epochs_done)
    return {
        "final_loss": run.log.final_loss,
        "final_eval_loss": run.log.final_eval_loss,
        "tokens_seen": run.log.tokens_seen,
        "model_params": run.model_params,
        "model_params_non_embedding": run.model_params_non_embedding,
        "epochs": epochs if epochs is not None and epochs >= 0 else None,
        "dataset_examples": run.dataset_examples,
    }


class PassiveRole:
    """Counts steps; measures nothing and records nothing."""

    name = "passive"
    threaded = False

    def open(self, run: Counter) -> None:
        pass

    def begin(self, run: Counter) -> None:
        pass

    def tick(self, run: Counter) -> None:
        pass

    def finish(
        self, run: Counter, *, status: str, exit_code: int | None, cpu_seconds: float | None, ended_at: str
    ) -> RunRecord | None:
        return None

    def amend(self, run: Counter, final: RunRecord | None) -> RunRecord | None:
        """Figures noted after the run stopped: this rank records none (the log is emptied)."""
        run.log.drain()
        return final

    def close(self, run: Counter) -> None:
        pass


class ReporterRole(PassiveRole):
    """Inside ``flopcast track -- CMD``: rank 0 appends its new per-step rows to the steps file (when the parent
    names one) and replaces the progress file the parent reads."""

    name = "reporter"
    threaded = True

    def __init__(self, path: Path, env: Mapping[str, str], steps_path: Path | None = None):
        self.path, self.env, self.steps_path = path, env, steps_path
        self.unix0 = 0.0  # the run's t0 as Unix time: each row's ``unix_time`` puts it on the parent's clock

    def begin(self, run: Counter) -> None:
        self.unix0 = time.time() - (time.perf_counter() - run.t0)

    def tick(self, run: Counter) -> None:
        rows = run.log.drain()  # drained on every rank (the log stays bounded); rank 0's go to the parent
        if self.env.get("RANK", "0") != "0":
            return
        if self.steps_path is not None:
            try:
                append_steps(self.steps_path, rows, self.unix0)
            except (OSError, ValueError) as exc:  # the rows are lost; the progress (and the parent's figures) go on
                run.errors.append(f"steps file {self.steps_path}: {one_line(exc)}; {len(rows)} step row(s) not sent")
        write_progress(self.path, run.steps_done, run.total_steps, run.flop_per_step, figures=run_figures(run))

    def finish(
        self, run: Counter, *, status: str, exit_code: int | None, cpu_seconds: float | None, ended_at: str
    ) -> RunRecord | None:
        self.tick(run)
        return None

    def amend(self, run: Counter, final: RunRecord | None) -> RunRecord | None:
        """Figures noted after the run stopped go to the parent like any others (it is still measuring the
        command, which has not exited)."""
        self.tick(run)
        return final


def open_ledger(arg: Any) -> Ledger | None:
    """The ledger a run writes: ``False`` none, a :class:`Ledger` as given, else a path (``None``: default)."""
    if arg is False:
        return None
    return arg if is_open_ledger(arg) else Ledger(None if arg in (None, True) else arg)


def is_open_ledger(arg: Any) -> bool:
    """An already open ledger (SQLite :class:`Ledger` or :class:`~flopcast.measure.pg_ledger.PgLedger`)."""
    return hasattr(arg, "begin_run") and hasattr(arg, "finish_run")


class SamplerRole:
    """Samples the node, writes the ledger as it goes, builds the record."""

    name = "sampler"
    threaded = True

    def __init__(self, options: TrackOptions, env: Mapping[str, str]):
        self.options, self.env = options, env
        self.progress_in = Path(options.progress_file) if options.progress_file else None
        self.steps_in = StepsReader(Path(options.steps_file)) if options.steps_file else None
        self.unix0 = 0.0  # t0 as Unix time: a child's step rows are put on this run's clock
        self.ledger: Ledger | None = None
        self.rates: Rates | None = None
        self.samplers: list[Sampler] = []
        self.proc: ProcessTreeSampler | None = None
        self.readings: dict[str, Reading] = {}
        self.points: list[tuple[float, int]] = []
        self.seq = 0
        self.first_sample: float | None = None
        self.cpu_exact: float | None = None
        self.unsaved: list[dict[str, Any]] = []
        self.reported: dict[str, Any] = {}  # figures a program inside ``track -- CMD`` reported
        self.writer: FigureWriter | None = None  # options.log_to's tracker
        self.host = HostFacts()  # the machine, read at begin()

    # -- opening ------------------------------------------------------------------------------------

    def open(self, run: Counter) -> None:
        """Open the ledger, build the samplers and resolve rates: every input error raises here."""
        self.ledger = open_ledger(self.options.ledger)
        if self.ledger is not None and self.ledger.journal_note:
            run.extra.append(
                Assumption(
                    "ledger_journal_mode", self.ledger.journal_mode, "", self.ledger.journal_note, Basis.MEASURED
                )
            )
        try:
            self.proc = ProcessTreeSampler(self._root_pid(run))
            self.samplers = [self.proc, *self._instruments(run)]
            names = next((list(getattr(s, "names", [])) for s in self.samplers if s.component == "gpu"), [])
            self.rates = resolve_rates(**self.options.rate_options(), detected_gpus=names)
            if self.options.log_to is not None:
                self.writer = open_writer(self.options.log_to, self.options.log_dir, writer_run_name(run))
        except BaseException:
            self.close(run)
            raise

    def _root_pid(self, run: Counter) -> int | None:
        if run.pid is None and run.ctx.distributed:
            return os.getppid()  # the launcher (torchrun agent / slurmstepd): the node's whole job tree
        return run.pid

    def _instruments(self, run: Counter) -> list[Sampler]:
        if self.options.samplers is not None:
            return list(self.options.samplers)
        assert self.proc is not None
        gpu = gpu_sampler(dist.node_visible_gpus(run.ctx, self.env))
        cpu = cpu_energy_sampler(self.proc, tdp_watts=self.options.cpu_tdp_watts, rapl_root=self.options.rapl_root)
        ram = RamSampler(self.proc)
        run.extra.extend(a for s in (cpu, ram) for a in getattr(s, "assumptions", ()))
        return [gpu, cpu, ram]

    def retarget(self, pid: int) -> None:
        if self.proc is not None:
            self.proc.retarget(pid)

    def begin(self, run: Counter) -> None:
        self.unix0 = time.time() - (time.perf_counter() - run.t0)
        self.host = host_facts()
        for s in self.samplers:
            s.start(0.0)
        if self.ledger is not None:
            self.ledger.begin_run(begin_row(run, self.rates))

    # -- sampling -----------------------------------------------------------------------------------

    def tick(self, run: Counter) -> None:
        """One sampling-thread tick; the first success also times the first sample."""
        self.sample(run)
        if self.first_sample is None:
            self.first_sample = time.perf_counter() - run.t_enter

    def sample(self, run: Counter, final: bool = False) -> None:
        """Read every sampler, keep the progress point, commit the sample and summary to the ledger."""
        t = time.perf_counter() - run.t0
        steps = self._read_steps(run)
        self.readings = {**self.readings, **self._read_all(run, t)}
        self.points.append((t, steps))
        if len(self.points) > MAX_POINTS:  # keep the first point, thin the rest
            self.points = self.points[:1] + self.points[2::2]
        step_rows = run.log.drain()
        if self.steps_in is not None:  # the rows a program inside ``track -- CMD`` logged since the last sample
            step_rows += self.steps_in.read(self.unix0)
        if self.ledger is None and self.writer is None:
            self.seq += 1
            return
        rec = self.record(run, status="stopping" if final else "running", at=(t, steps))
        if not final:  # the final figures are written from the final record (finish)
            self.log_figures(run, rec)
        if self.ledger is None:
            self.seq += 1
            return
        sample = sample_row(t, steps, self.readings)
        try:
            self.ledger.add_sample(run.run_id, self.seq, sample, summary_of(rec), step_rows)
        except Exception:
            if len(self.unsaved) < MAX_POINTS:  # kept for the fallback file (see persist)
                self.unsaved.append({"seq": self.seq, **sample})
            raise
        finally:
            self.seq += 1

    def _read_all(self, run: Counter, t: float) -> dict[str, Reading]:
        out = {}
        for s in self.samplers:
            try:
                out[s.component] = s.read(t)
            except Exception as exc:
                run.errors.append(f"{s.backend} sampler at t={t:.1f}s: {type(exc).__name__}: {exc}")
        return out

    def _read_steps(self, run: Counter) -> int:
        """Steps so far; under ``track -- CMD`` the child's progress file also brings its figures."""
        data = read_progress(self.progress_in) if self.progress_in is not None else None
        if data is None:
            return run.steps_done
        if data["steps"] > run.steps_done:
            run.steps_done = data["steps"]
            run.last_step_t = time.perf_counter()  # within one interval of the program's own step
        self.reported = data.get("figures") or self.reported
        for key in ("total_steps", "flop_per_step"):
            if getattr(run, key) is None and data.get(key):
                setattr(run, key, data[key])
                if key == "flop_per_step":
                    run.flop_per_step_source = "reported by the tracked program"
                run.extra.append(Assumption(key, data[key], "", "reported by the tracked program", Basis.GIVEN))
        return run.steps_done

    # -- the record ---------------------------------------------------------------------------------

    def state(self, run: Counter, at: tuple[float, int] | None = None) -> RunState:
        """The run's state now (or pinned to one sample ``at=(t, steps)``)."""
        wall, steps = at if at is not None else (time.perf_counter() - run.t0, run.steps_done)
        active = (run.last_step_t - run.t0) if run.last_step_t is not None else 0.0
        return RunState(
            run_id=run.run_id,
            job_id=run.ctx.job_id,
            name=run.name,
            command=tuple(run.command) if run.command else None,
            started_at=run.started_at,
            distributed=run.ctx.to_dict(),
            interval_seconds=run.interval,
            ledger=str(self.ledger.path) if self.ledger else None,
            wall_seconds=wall,
            active_seconds=active,
            steps=steps,
            total_steps=run.total_steps,
            flop_per_step=run.flop_per_step,
            points=tuple(self.points),
            readings=dict(self.readings),
            cpu_seconds_exact=self.cpu_exact,
            tracker_cpu_seconds=run.tracker_cpu,
            first_sample_seconds=self.first_sample,
            samples=self.seq,
            errors=tuple(run.errors),
            extra_assumptions=tuple(run.extra),
            flop_per_step_source=run.flop_per_step_source,
            host=self.host,
            **self._figures(run),
        )

    def _figures(self, run: Counter) -> dict[str, Any]:
        """Loss, tokens, size, epochs: the run's own, else what the program inside ``track -- CMD`` reported."""
        return {k: v if v is not None else self.reported.get(k) for k, v in run_figures(run).items()}

    def record(
        self,
        run: Counter,
        *,
        status: str = "running",
        exit_code: int | None = None,
        ended_at: str | None = None,
        at: tuple[float, int] | None = None,
    ) -> RunRecord:
        if self.rates is None:
            raise RuntimeError("record() needs a started sampler run")
        return build_record(self.state(run, at), self.rates, status=status, exit_code=exit_code, ended_at=ended_at)

    def finish(
        self, run: Counter, *, status: str, exit_code: int | None, cpu_seconds: float | None, ended_at: str
    ) -> RunRecord | None:
        """Last sample, final record, durable write (or fallback file), backends closed."""
        if cpu_seconds is not None and self.proc is not None:
            self.cpu_exact = cpu_seconds
            self.proc.settle(cpu_seconds)
        try:
            self.sample(run, final=True)
        except Exception as exc:  # a failing ledger must not mask the job's own outcome
            run.errors.append(f"final sample: {type(exc).__name__}: {exc}")
        self._note_child_steps(run)
        rec = self.record(run, status=status, exit_code=exit_code, ended_at=ended_at)
        self.log_figures(run, rec)
        if self.ledger is not None:
            rec = self.persist(run, rec)
        self.close(run)
        return rec

    def amend(self, run: Counter, final: RunRecord | None) -> RunRecord | None:
        """The final record with the losses noted since the run stopped (``final_loss``, ``final_eval_loss``),
        rewritten in the ledger's run row together with those notes' step rows (one transaction, read back; the
        ledger is opened again when the run had closed it). Time, energy and status stay the stopped run's. A
        ledger that refuses is one line in the returned record's errors (the stored record stays as it was)."""
        rows = run.log.drain()
        if final is None:
            return None
        losses = {k: v for k, v in self._figures(run).items() if k in ("final_loss", "final_eval_loss")}
        rec = dataclasses.replace(final, **losses)
        if self.ledger is None or final.ledger is None:  # no ledger, or the record went to a fallback file
            return rec
        try:
            ledger = self.ledger if is_open_ledger(self.options.ledger) else open_ledger(self.options.ledger)
            assert ledger is not None  # the run had one, so its option is not False
            try:
                ledger.finish_run(run.run_id, summary_of(rec), rows)
            finally:
                if ledger is not self.ledger:
                    ledger.close()
        except Exception as exc:
            problem = str(exc) if isinstance(exc, LedgerError) else one_line(exc)
            return dataclasses.replace(
                rec, errors=(*rec.errors, f"metrics logged after the run stopped are not in the ledger: {problem}")
            )
        return rec

    def _note_child_steps(self, run: Counter) -> None:
        """Rows of the program's steps file that were not stored: junk lines, a last row cut off."""
        reader = self.steps_in
        if reader is not None and reader.bad_lines:
            run.errors.append(f"{reader.bad_lines} line(s) of the tracked program's steps file were not step rows")
        if reader is not None and reader.tail_bytes:
            run.errors.append(
                f"the tracked program's last step row was cut off ({reader.tail_bytes} bytes without a newline)"
            )

    def log_figures(self, run: Counter, rec: RunRecord) -> None:
        """The record's figures to ``log_to``'s tracker at the step count; a failing tracker is noted once in
        the run's errors and not written to again (the run and its ledger go on)."""
        if self.writer is None:
            return
        figures = record_figures(rec, LOOP_FIGURES)
        if not figures:
            return
        try:
            self.writer.write(figures, rec.steps)
        except Exception as exc:
            run.errors.append(
                f"log_to={self.writer.kind} ({self.writer.where}): {one_line(exc)}; no more figures written there"
            )
            self._close_writer(run)

    def persist(self, run: Counter, rec: RunRecord) -> RunRecord:
        """Write the final record to the ledger and read it back; whatever the ledger refuses (the record,
        samples) goes to a JSON file instead, and the record says where. Nothing is lost silently."""
        assert self.ledger is not None
        if self.unsaved:
            rec = self._save_unsaved_samples(rec)
        try:
            self.ledger.finish_run(run.run_id, summary_of(rec))
        except Exception as exc:
            return self._save_record_instead(rec, exc)
        with contextlib.suppress(Exception):  # copies of rec.errors, which the durable record already holds
            for e in run.errors:
                self.ledger.add_event(run.run_id, None, "error", e)
        return rec

    def _save_unsaved_samples(self, rec: RunRecord) -> RunRecord:
        assert self.ledger is not None
        path, why = save_unsaved(
            rec.run_id,
            fallback_path(self.ledger),
            reason="samples the ledger refused",
            record=None,
            samples=self.unsaved,
        )
        where = f"saved to {path}" if path else f"not saved ({why})"
        return dataclasses.replace(
            rec,
            fallback_file=str(path) if path else None,
            errors=(*rec.errors, f"{len(self.unsaved)} samples could not be written to the ledger; {where}"),
        )

    def _save_record_instead(self, rec: RunRecord, exc: Exception) -> RunRecord:
        assert self.ledger is not None
        led = self.ledger.path
        problem = str(exc) if isinstance(exc, LedgerError) else f"ledger {led}: {one_line(exc)}"
        rec = dataclasses.replace(rec, ledger=None, errors=(*rec.errors, problem))
        path, why = save_unsaved(
            rec.run_id, fallback_path(self.ledger), reason=problem, record=rec.to_dict(), samples=self.unsaved
        )
        where = (
            f"the record was saved to {path} instead"
            if path
            else f"no fallback file could be written either ({why}); the record is only in this output"
        )
        return dataclasses.replace(
            rec,
            fallback_file=str(path) if path else None,
            save_error=(f"run {rec.run_id}'s final record could not be confirmed in the ledger: {problem}; {where}"),
        )

    def _close_writer(self, run: Counter) -> None:
        writer, self.writer = self.writer, None
        if writer is not None:
            try:
                writer.close()
            except Exception as exc:
                run.errors.append(f"closing log_to={writer.kind}: {one_line(exc)}")

    def close(self, run: Counter) -> None:
        self._close_writer(run)
        for s in self.samplers:
            try:
                s.close()
            except Exception as exc:
                run.errors.append(f"closing {s.backend}: {exc}")
        if self.ledger is not None and not is_open_ledger(self.options.ledger):
            self.ledger.close()


def fallback_path(ledger: Any) -> Path | None:
    """Where a fallback file goes beside the ledger: the SQLite file's path; ``None`` for a server database
    (the user data dir, then the temp dir)."""
    return getattr(ledger, "fallback_path", ledger.path)


def writer_run_name(run: Counter) -> str:
    """The tracker's run name: the run's name (or ``flopcast-<run id>``), one per node of a multi-node job."""
    base = run.name or f"flopcast-{run.run_id}"
    return f"{base}-node{run.ctx.node_rank}" if run.ctx.distributed and run.ctx.node_rank else base


def begin_row(run: Counter, rates: Rates | None) -> dict[str, Any]:
    """The ledger's run row at start (``status='running'``)."""
    import socket

    return {
        "run_id": run.run_id,
        "job_id": run.ctx.job_id,
        "node_rank": run.ctx.node_rank,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "name": run.name,
        "command": json.dumps(run.command) if run.command else None,
        "status": "running",
        "started_at": run.started_at,
        "updated_at": run.started_at,
        "interval_seconds": run.interval,
        "total_steps": run.total_steps,
        "config": rates.to_dict() if rates else None,
    }


def summary_of(rec: RunRecord) -> dict[str, Any]:
    """The run row's summary columns (and the whole record) for one ledger update."""
    return {
        "status": rec.status,
        "exit_code": rec.exit_code,
        "updated_at": now_iso(),
        "ended_at": rec.ended_at,
        "wall_seconds": rec.wall_seconds,
        "cpu_seconds": rec.cpu_seconds,
        "steps": rec.steps,
        "total_steps": rec.total_steps,
        "energy_kwh": rec.energy_kwh,
        "co2e_kg": rec.co2e_kg,
        "cost_usd": rec.cost_usd,
        "samples": rec.samples,
        "record": rec.to_dict(),
    }


def counted_flop_per_step(options: TrackOptions, ctx: dist.DistContext) -> tuple[float, Assumption]:
    """FLOP per global step counted once from ``model`` and ``batch`` (× world size under a launcher)."""
    if options.batch is None:
        raise InputError("counting flop_per_step needs both model and batch (or pass flop_per_step)")
    world = ctx.world_size if ctx.distributed else 1
    return count_flop_per_step(options.model, options.batch, world)
