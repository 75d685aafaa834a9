"""The tracker: a background sampling thread, a non-blocking ``step()``, and the ledger written as it goes.

One :class:`Run` plays one of three roles, chosen at ``start()``:

* **sampler** (the default, and local rank 0 of each node in a distributed job): samples GPU, CPU and
  process tree every ``interval`` seconds, commits each sample to the ledger, builds the record;
* **passive** (other local ranks): counts steps only — the node is measured once, never twice;
* **reporter** (inside a command run by ``flopcast track -- CMD``): writes its step count to the file
  the parent names in ``FLOPCAST_PROGRESS_FILE``; the parent measures the whole process tree.

``step()`` is an integer increment and a timestamp: no I/O, no lock. The sampling thread catches
its own errors and records them in the run; it never raises into the job.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from flopcast.errors import InputError, LedgerError, one_line
from flopcast.measure import distributed as dist
from flopcast.measure.checks import check_run_numbers, total_steps_of
from flopcast.measure.fallback import save_unsaved
from flopcast.measure.forecast import forecast_run
from flopcast.measure.ledger import Ledger
from flopcast.measure.nvml import gpu_sampler
from flopcast.measure.progress import read_progress, write_progress
from flopcast.measure.rates import Rates, count_flop_per_step, resolve_rates
from flopcast.measure.record import RunRecord, assumed_gpu_reading, derived_figures, it_energy_joules, sample_row
from flopcast.measure.samplers import (
    RAPL_ROOT,
    ProcessTreeSampler,
    Reading,
    Sampler,
    cpu_energy_sampler,
)
from flopcast.provenance import Assumption, Basis

DEFAULT_INTERVAL_SECONDS = 1.0
PROGRESS_FILE_ENV = "FLOPCAST_PROGRESS_FILE"
PROGRESS_INTERVAL_ENV = "FLOPCAST_PROGRESS_INTERVAL"
MAX_POINTS = 4096
_ACTIVE: list[Run] = []


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_run_id() -> str:
    """Time-sortable (UTC) and unique: ``261122-020304-3f9a1c``."""
    return f"{datetime.now(timezone.utc):%y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"


def current_run() -> Run | None:
    """The innermost active run of this process (for code inside a ``@track(...)``-decorated function)."""
    return _ACTIVE[-1] if _ACTIVE else None


class _Terminated(SystemExit):
    """Raised in the main thread by the SIGTERM handler so the record closes as ``terminated``."""


class Run:
    """A tracked run. Use ``with flopcast.track(...) as run:`` and call ``run.step()`` per step.

    Parameters
    ----------
    flop_per_step : float, optional
        FLOP of one (global) training step; with ``model`` and ``batch`` it is counted once instead.
    total_steps : int, optional
        Steps in the whole run, for the forecast (or give ``epochs`` and ``steps_per_epoch``).
    hardware, chips, precision, region, pue, pricing
        See :func:`flopcast.measure.rates.resolve_rates`.
    interval : float
        Sampling interval, s (default 1). A ``kill -9`` loses at most one interval.
    ledger : str, Path, Ledger or False
        Ledger file (default: ``$FLOPCAST_LEDGER`` or the user data dir); ``False`` keeps no ledger.
    name : str, optional
        A label for the run in the ledger.
    pid : int, optional
        Root of the process tree to measure (default: this process).
    """

    def __init__(self, *, flop_per_step: float | None = None, total_steps: int | None = None,
                 hardware: str | None = None, chips: int | None = None, precision: str | None = None,
                 region: str | None = None, pue: float | None = None, pricing: str = "on-demand",
                 interval: float = DEFAULT_INTERVAL_SECONDS, ledger: str | Path | Ledger | bool | None = None,
                 name: str | None = None, command: list[str] | None = None, pid: int | None = None,
                 cpu_tdp_watts: float | None = None, model: Any = None, batch: Any = None,
                 progress_file: str | Path | None = None, samplers: list[Sampler] | None = None,
                 env: Mapping[str, str] | None = None, rapl_root: Path = RAPL_ROOT,
                 install_signal_handlers: bool = True, epochs: float | None = None,
                 steps_per_epoch: int | None = None):
        self._kwargs = {k: v for k, v in locals().items() if k not in ("self", "__class__")}
        if interval is None:
            raise InputError("interval (--interval) must be a number of seconds (got None); e.g. --interval 1")
        nums = check_run_numbers({"flop_per_step": flop_per_step, "total_steps": total_steps, "epochs": epochs,
                                  "steps_per_epoch": steps_per_epoch, "chips": chips, "interval": interval,
                                  "cpu_tdp_watts": cpu_tdp_watts})
        flop_per_step, chips, interval, cpu_tdp_watts = (nums[k] for k in ("flop_per_step", "chips", "interval",
                                                                           "cpu_tdp_watts"))
        total_steps = total_steps_of(nums["total_steps"], nums["epochs"], nums["steps_per_epoch"])
        self.flop_per_step = flop_per_step
        self.total_steps = total_steps
        self.interval = float(interval)
        self.name, self.command, self.pid = name, list(command) if command else None, pid
        self._opts = {"hardware": hardware, "chips": chips, "precision": precision, "region": region, "pue": pue,
                      "pricing": pricing}
        self._model, self._batch, self._cpu_tdp, self._rapl_root = model, batch, cpu_tdp_watts, rapl_root
        self._ledger_arg = ledger
        self._env = dict(os.environ if env is None else env)
        self._progress_in = Path(progress_file) if progress_file else None
        self._injected = samplers
        self._signals = install_signal_handlers
        self.ctx = dist.detect(self._env)
        self.run_id = new_run_id()
        self.role = "sampler"
        self._steps = 0
        self._last_step_t: float | None = None
        self._t0 = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._samplers: list[Sampler] = []
        self._proc: ProcessTreeSampler | None = None
        self._readings: dict[str, Reading] = {}
        self._points: list[tuple[float, int]] = []
        self._errors: list[str] = []
        self._ledger: Ledger | None = None
        self._rates: Rates | None = None
        self._extra: list[Assumption] = []
        self._seq = 0
        self._first_sample: float | None = None
        self._started_at = ""
        self._state = "new"
        self._final: RunRecord | None = None
        self._old_handler: Any = None
        self._reporter_path: Path | None = None
        self._cpu_override: float | None = None
        self._tracker_cpu = 0.0
        self._unsaved: list[dict[str, Any]] = []

    # -- the hot path -----------------------------------------------------------------------------

    def step(self, n: int = 1) -> None:
        """Count ``n`` finished steps. Non-blocking: an increment and a timestamp."""
        self._steps += n
        self._last_step_t = time.perf_counter()

    @property
    def steps(self) -> int:
        return self._steps

    @property
    def first_sample_seconds(self) -> float | None:
        """Seconds from ``prepare()``/``start()`` to the first committed sample (``None`` until then)."""
        return self._first_sample

    @property
    def result(self) -> RunRecord | None:
        """The final record once the run has stopped (``None`` before, and for passive/reporter roles)."""
        return self._final

    # -- lifecycle --------------------------------------------------------------------------------

    def prepare(self) -> Run:
        """Validate, open the ledger, resolve rates, build samplers: every error a bad input can cause
        happens here, before the job runs. :meth:`start` calls it if needed."""
        if self._state != "new":
            raise RuntimeError("a Run starts once; use track(...) again for a new run")
        self._t_enter = time.perf_counter()
        reporter = self._env.get(PROGRESS_FILE_ENV)
        if reporter and self._progress_in is None:
            self.role = "reporter"
            self._reporter_path = Path(reporter)
            with contextlib.suppress(ValueError):
                self.interval = min(self.interval, float(self._env.get(PROGRESS_INTERVAL_ENV, "inf")))
        elif self.ctx.distributed and not self.ctx.is_sampler:
            self.role = "passive"
        if self.flop_per_step is None and self._model is not None:
            self.flop_per_step = self._count_flop_per_step()
        if self.role == "sampler":
            self._open_sampler()
        self._state = "prepared"
        return self

    def start(self, pid: int | None = None) -> Run:
        """Start sampling (``pid``: measure that process tree from its birth, as the CLI does for a command)."""
        if self._state == "new":
            self.prepare()
        if self._state != "prepared":
            raise RuntimeError("a Run starts once; use track(...) again for a new run")
        if pid is not None and self._proc is not None:
            self._proc.retarget(pid)
            self.pid = pid
        self._t0 = time.perf_counter()
        self._started_at = now_iso()
        self._state = "running"
        if self.role == "sampler":
            for s in self._samplers:
                s.start(0.0)
            if self._ledger is not None:
                self._ledger.begin_run(self._begin_row())
        if self.role != "passive":
            self._thread = threading.Thread(target=self._loop, name=f"flopcast-{self.role}", daemon=True)
            self._thread.start()
        if (self._signals and threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL):
            self._old_handler = signal.signal(signal.SIGTERM, _raise_terminated)
        atexit.register(self._atexit)
        _ACTIVE.append(self)
        return self

    def _open_sampler(self) -> None:
        if self._ledger_arg is not False:
            self._ledger = (self._ledger_arg if isinstance(self._ledger_arg, Ledger)
                            else Ledger(None if self._ledger_arg in (None, True) else self._ledger_arg))
        try:
            root = self.pid
            if root is None and self.ctx.distributed:
                root = os.getppid()  # the launcher (torchrun agent / slurmstepd): the node's whole job tree
            self._proc = ProcessTreeSampler(root)
            if self._injected is not None:
                self._samplers = [self._proc, *self._injected]
            else:
                gpu = gpu_sampler(dist.node_visible_gpus(self.ctx, self._env))
                cpu = cpu_energy_sampler(self._proc, tdp_watts=self._cpu_tdp, rapl_root=self._rapl_root)
                self._samplers = [self._proc, gpu, cpu]
            names = next((list(getattr(s, "names", [])) for s in self._samplers if s.component == "gpu"), [])
            self._rates = resolve_rates(**self._opts, detected_gpus=names)
        except BaseException:
            self._close_backends()
            raise

    def stop(self, *, exit_code: int | None = None, status: str | None = None,
             cpu_seconds: float | None = None) -> RunRecord | None:
        """Stop sampling, take a last sample, write the final record. Idempotent.

        ``cpu_seconds`` replaces the sampled CPU time with an exact figure (the CLI passes the child's
        ``wait4`` rusage).
        """
        if self._state == "prepared":
            self._close_backends()
            self._state = "stopped"
        if self._state != "running":
            return self._final
        self._state = "stopping"
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 10.0)
        if self._old_handler is not None:
            signal.signal(signal.SIGTERM, self._old_handler)
            self._old_handler = None
        atexit.unregister(self._atexit)
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        status = status or ("completed" if exit_code in (None, 0) else "failed")
        if self.role == "reporter":
            self._report_progress()
        if self.role != "sampler":
            self._state = "stopped"
            return None
        if cpu_seconds is not None and self._proc is not None:
            self._cpu_override = cpu_seconds
            self._proc.settle(cpu_seconds)
        try:
            self._tick(final=True)
        except Exception as exc:  # a failing ledger must not mask the job's own outcome
            self._errors.append(f"final sample: {type(exc).__name__}: {exc}")
        rec = self.record(status=status, exit_code=exit_code, ended_at=now_iso())
        if self._ledger is not None:
            rec = self._persist(rec)
        self._close_backends()
        self._final = rec
        self._state = "stopped"
        return rec

    def _persist(self, rec: RunRecord) -> RunRecord:
        """Write the final record to the ledger and read it back; whatever the ledger refuses (the record,
        samples) goes to a JSON file instead, and the record says where. Nothing is lost silently."""
        assert self._ledger is not None
        led = self._ledger.path
        if self._unsaved:
            path, why = save_unsaved(self.run_id, led, reason="samples the ledger refused", record=None,
                                     samples=self._unsaved)
            where = f"saved to {path}" if path else f"not saved ({why})"
            rec = dataclasses.replace(rec, fallback_file=str(path) if path else None, errors=(
                *rec.errors, f"{len(self._unsaved)} samples could not be written to the ledger; {where}"))
        try:
            self._ledger.finish_run(self.run_id, self._summary(rec))
        except Exception as exc:
            problem = str(exc) if isinstance(exc, LedgerError) else f"ledger {led}: {one_line(exc)}"
            rec = dataclasses.replace(rec, ledger=None, errors=(*rec.errors, problem))
            path, why = save_unsaved(self.run_id, led, reason=problem, record=rec.to_dict(), samples=self._unsaved)
            where = (f"the record was saved to {path} instead" if path
                     else f"no fallback file could be written either ({why}); the record is only in this output")
            return dataclasses.replace(rec, fallback_file=str(path) if path else None, save_error=(
                f"run {self.run_id}'s final record could not be confirmed in the ledger: {problem}; {where}"))
        with contextlib.suppress(Exception):  # copies of rec.errors, which the durable record already holds
            for e in self._errors:
                self._ledger.add_event(self.run_id, None, "error", e)
        return rec

    def _close_backends(self) -> None:
        for s in self._samplers:
            try:
                s.close()
            except Exception as exc:
                self._errors.append(f"closing {s.backend}: {exc}")
        if self._ledger is not None and not isinstance(self._ledger_arg, Ledger):
            self._ledger.close()

    def _atexit(self) -> None:
        self.stop(status="interrupted")

    def __enter__(self) -> Run:
        return self.start() if self._state in ("new", "prepared") else self

    def __exit__(self, etype: Any, exc: Any, tb: Any) -> None:
        if etype is None:
            self.stop(exit_code=0)
        elif issubclass(etype, KeyboardInterrupt):
            self.stop(exit_code=130, status="interrupted")
        elif issubclass(etype, _Terminated):
            self.stop(exit_code=143, status="terminated")
        elif issubclass(etype, SystemExit):
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            self.stop(exit_code=code)
        else:
            self.stop(exit_code=1, status="failed")

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Use as a decorator: each call of ``fn`` is one fresh tracked run (``current_run()`` inside)."""

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with Run(**self._kwargs):
                return fn(*args, **kwargs)

        return wrapper

    # -- sampling -----------------------------------------------------------------------------------

    def _loop(self) -> None:
        cpu0 = time.thread_time()
        while True:
            try:
                if self.role == "reporter":
                    self._report_progress()
                else:
                    self._tick()
                    if self._first_sample is None:
                        self._first_sample = time.perf_counter() - self._t_enter
            except Exception as exc:  # the thread never dies silently and never raises into the job
                self._errors.append(f"sampler: {type(exc).__name__}: {exc}")
            self._tracker_cpu = time.thread_time() - cpu0
            if self._stop.wait(self.interval):
                return

    def _tick(self, final: bool = False) -> None:
        t = time.perf_counter() - self._t0
        steps = self._read_steps()
        readings = dict(self._readings)
        for s in self._samplers:
            try:
                readings[s.component] = s.read(t)
            except Exception as exc:
                self._errors.append(f"{s.backend} sampler at t={t:.1f}s: {type(exc).__name__}: {exc}")
        self._readings = readings
        self._points.append((t, steps))
        if len(self._points) > MAX_POINTS:  # keep the first point, thin the rest
            self._points = self._points[:1] + self._points[2::2]
        if self._ledger is None:
            self._seq += 1
            return
        sample = sample_row(t, steps, readings)
        rec = self.record(status="running" if not final else "stopping", at=(t, steps))
        try:
            self._ledger.add_sample(self.run_id, self._seq, sample, self._summary(rec))
        except Exception:
            if len(self._unsaved) < MAX_POINTS:  # kept for the fallback file (see _persist)
                self._unsaved.append({"seq": self._seq, **sample})
            raise
        finally:
            self._seq += 1

    def _read_steps(self) -> int:
        if self._progress_in is None:
            return self._steps
        data = read_progress(self._progress_in)
        if data is None:
            return self._steps
        if data["steps"] > self._steps:
            self._steps = data["steps"]
            self._last_step_t = time.perf_counter()  # within one interval of the program's own step
        for key in ("total_steps", "flop_per_step"):
            if getattr(self, key) is None and data.get(key):
                setattr(self, key, data[key])
                self._extra.append(Assumption(key, data[key], "", "reported by the tracked program", Basis.GIVEN))
        return self._steps

    def _report_progress(self) -> None:
        """Reporter role: rank 0 replaces the progress file the parent ``flopcast track`` reads."""
        if self._reporter_path is not None and self._env.get("RANK", "0") == "0":
            write_progress(self._reporter_path, self._steps, self.total_steps, self.flop_per_step)

    # -- the record ------------------------------------------------------------------------------

    def record(self, *, status: str = "running", exit_code: int | None = None, ended_at: str | None = None,
               at: tuple[float, int] | None = None) -> RunRecord:
        """The record so far (or final, from :meth:`stop`); ``at=(t, steps)`` pins it to one sample."""
        rates = self._rates
        if rates is None:
            raise RuntimeError("record() needs a started sampler run")
        if self._state == "stopped" and self._final is not None:
            return self._final
        wall, steps = at if at is not None else (time.perf_counter() - self._t0, self._steps)
        if self._points and ended_at is not None:
            wall = max(wall, self._points[-1][0])
        active = (self._last_step_t - self._t0) if self._last_step_t is not None else 0.0
        readings = dict(self._readings)
        gpu = readings.get("gpu")
        if gpu is not None and gpu.basis is Basis.UNAVAILABLE:
            readings["gpu"] = assumed_gpu_reading(gpu, rates, wall)
        proc = readings.get("process")
        cpu = self._cpu_override if self._cpu_override is not None else (
            proc.metrics.get("cpu_seconds") if proc else None)
        it_j = it_energy_joules(readings)
        figs = derived_figures(wall_seconds=wall, active_seconds=active, steps=steps,
                               flop_per_step=self.flop_per_step, it_joules=it_j, rates=rates)
        fc = None
        if self.total_steps:
            fc = forecast_run(self._points, self.total_steps, elapsed_seconds=wall, it_energy_joules=it_j,
                              pue=rates.pue, kg_co2e_per_kwh=rates.kg_co2e_per_kwh,
                              usd_per_second=rates.usd_per_second)
        comps = {c: r.to_dict() for c, r in readings.items()}
        return RunRecord(
            run_id=self.run_id, job_id=self.ctx.job_id, name=self.name,
            command=tuple(self.command) if self.command else None, status=status, exit_code=exit_code,
            started_at=self._started_at, ended_at=ended_at, wall_seconds=wall, active_seconds=active,
            cpu_seconds=cpu, cpu_seconds_source="wait4 rusage of the command (exact)" if self._cpu_override
            is not None else "psutil process tree (sampled)",
            peak_rss_bytes=proc.metrics.get("peak_rss_bytes") if proc else None,
            steps=steps, total_steps=self.total_steps, flop_per_step=self.flop_per_step,
            hardware=rates.hardware, chips=rates.chips, precision=rates.precision,
            peak_flop_per_s_per_chip=rates.peak_flop_per_s_per_chip, pue=rates.pue,
            energy_source={c: r.basis.value for c, r in readings.items() if c in ("gpu", "cpu")},
            components=comps, region=rates.region, g_co2e_per_kwh=rates.g_co2e_per_kwh, forecast=fc,
            samples=self._seq, interval_seconds=self.interval, tracker_cpu_seconds=self._tracker_cpu,
            first_sample_seconds=self._first_sample,
            errors=tuple(self._errors), assumptions=(*rates.assumptions, *self._extra),
            distributed=self.ctx.to_dict(), ledger=str(self._ledger.path) if self._ledger else None, **figs)

    def _begin_row(self) -> dict[str, Any]:
        import socket

        return {"run_id": self.run_id, "job_id": self.ctx.job_id, "node_rank": self.ctx.node_rank,
                "host": socket.gethostname(), "pid": os.getpid(), "name": self.name,
                "command": json.dumps(self.command) if self.command else None, "status": "running",
                "started_at": self._started_at, "updated_at": self._started_at, "interval_seconds": self.interval,
                "total_steps": self.total_steps, "config": self._rates.to_dict() if self._rates else None}

    @staticmethod
    def _summary(rec: RunRecord) -> dict[str, Any]:
        return {"status": rec.status, "exit_code": rec.exit_code, "updated_at": now_iso(), "ended_at": rec.ended_at,
                "wall_seconds": rec.wall_seconds, "cpu_seconds": rec.cpu_seconds, "steps": rec.steps,
                "total_steps": rec.total_steps, "energy_kwh": rec.energy_kwh, "co2e_kg": rec.co2e_kg,
                "cost_usd": rec.cost_usd, "samples": rec.samples, "record": rec.to_dict()}

    def _count_flop_per_step(self) -> float:
        if self._batch is None:
            raise InputError("counting flop_per_step needs both model and batch (or pass flop_per_step)")
        world = self.ctx.world_size if self.ctx.distributed else 1
        flop, note = count_flop_per_step(self._model, self._batch, world)
        self._extra.append(note)
        return flop


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated(128 + signum)


def track(**kwargs: Any) -> Run:
    """Track a training run: ``with flopcast.track(flop_per_step=6*N*B, total_steps=S) as run: ... run.step()``.

    Also a decorator (``@flopcast.track(...)``; inside, ``flopcast.measure.current_run().step()``).
    Arguments are those of :class:`Run`. Returns the (not yet started) :class:`Run`.
    """
    return Run(**kwargs)
