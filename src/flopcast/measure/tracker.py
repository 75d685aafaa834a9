"""The tracker: a background sampling thread, a non-blocking ``step()``, and the ledger written as it goes.

A :class:`Run` is told what to do by one frozen :class:`~flopcast.measure.options.TrackOptions` and plays
one of three roles chosen at ``prepare()`` (see :mod:`flopcast.measure.roles`): *sampler* (the default, and
local rank 0 of each node), *passive* (other local ranks) or *reporter* (inside ``flopcast track -- CMD``).
The record is built by the pure :func:`flopcast.measure.record.build_record`.

``step()`` is an integer increment and a timestamp: no I/O, no lock. The sampling thread catches
its own errors and records them in the run; it never raises into the job.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flopcast.measure import distributed as dist
from flopcast.measure.clock import new_run_id, now_iso
from flopcast.measure.meta_count import COUNTED_SOURCE
from flopcast.measure.options import DEFAULT_INTERVAL_SECONDS, TrackOptions, make_options
from flopcast.measure.params import parameter_counts
from flopcast.measure.record import RunRecord
from flopcast.measure.roles import MAX_POINTS, PassiveRole, ReporterRole, SamplerRole, counted_flop_per_step
from flopcast.measure.steplog import StepLog
from flopcast.provenance import Assumption

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from flopcast.measure.options import TrackOverrides

__all__ = [
    "DEFAULT_INTERVAL_SECONDS",
    "MAX_POINTS",
    "PROGRESS_FILE_ENV",
    "PROGRESS_INTERVAL_ENV",
    "STEPS_FILE_ENV",
    "Run",
    "TrackOptions",
    "current_run",
    "new_run_id",
    "now_iso",
    "track",
]

PROGRESS_FILE_ENV = "FLOPCAST_PROGRESS_FILE"
PROGRESS_INTERVAL_ENV = "FLOPCAST_PROGRESS_INTERVAL"
STEPS_FILE_ENV = "FLOPCAST_STEPS_FILE"  # where a program inside ``track -- CMD`` appends its per-step rows
_ACTIVE: list[Run] = []


def current_run() -> Run | None:
    """The innermost active run of this process (for code inside a ``@track(...)``-decorated function)."""
    return _ACTIVE[-1] if _ACTIVE else None


class _Terminated(SystemExit):
    """Raised in the main thread by the SIGTERM handler so the record closes as ``terminated``."""


def _raise_terminated(signum: int, frame: Any) -> None:
    raise _Terminated(128 + signum)


def choose_role(
    options: TrackOptions, ctx: dist.DistContext, env: dict[str, str]
) -> SamplerRole | ReporterRole | PassiveRole:
    """Reporter inside ``track -- CMD``, passive on non-zero local ranks, else the node's sampler."""
    reporter = env.get(PROGRESS_FILE_ENV)
    if reporter and options.progress_file is None:
        steps = env.get(STEPS_FILE_ENV)
        return ReporterRole(Path(reporter), env, Path(steps) if steps else None)
    if ctx.distributed and not ctx.is_sampler:
        return PassiveRole()
    return SamplerRole(options, env)


def reporter_interval(interval: float, env: dict[str, str]) -> float:
    """A reporter writes at least as often as its parent samples (``FLOPCAST_PROGRESS_INTERVAL``)."""
    with contextlib.suppress(ValueError):
        return min(interval, float(env.get(PROGRESS_INTERVAL_ENV, "inf")))
    return interval


class Run:
    """A tracked run. Use ``with flopcast.track(...) as run:`` and call ``run.step()`` per step.

    ``Run(options, **overrides)``: a :class:`TrackOptions` (default: all defaults) with keyword overrides
    (its field names). See :class:`TrackOptions` for each argument.
    """

    def __init__(self, options: TrackOptions | None = None, **overrides: Unpack[TrackOverrides]):
        self.options = make_options(options, overrides)
        o = self.options
        self.flop_per_step: float | None = o.flop_per_step
        self.total_steps: int | None = o.steps_in_run
        self.interval: float = o.interval
        self.name, self.pid = o.name, o.pid
        self.command: list[str] | None = list(o.command) if o.command else None
        self.env = dict(os.environ if o.env is None else o.env)
        self.ctx = dist.detect(self.env)
        self.run_id = new_run_id()
        self._role: SamplerRole | ReporterRole | PassiveRole = PassiveRole()
        self.role = "sampler"
        self.steps_done = 0
        self.last_step_t: float | None = None
        self.t0 = self.t_enter = 0.0
        self.started_at = ""
        self.tracker_cpu = 0.0
        self.errors: list[str] = []
        self.extra: list[Assumption] = []
        counted, counted_non_embedding = parameter_counts(o.model) if o.model is not None else (None, None)
        self.model_params: int | None = o.model_params if o.model_params is not None else counted
        self.model_params_non_embedding: int | None = (
            o.model_params_non_embedding if o.model_params_non_embedding is not None else counted_non_embedding
        )
        self.dataset_examples: int | None = o.dataset_examples
        self.epochs_done: Any = None  # fractional epochs completed (run.step(epoch=...), a trainer's epoch)
        self.flop_per_step_source: str | None = "given" if o.flop_per_step is not None else None
        self.log = StepLog(self.errors)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = "new"
        self._final: RunRecord | None = None
        self._old_handler: Any = None

    def __repr__(self) -> str:
        return f"<flopcast Run {self.run_id} {self.role} {self._state}, {self.steps_done} steps>"

    # -- the hot path -----------------------------------------------------------------------------

    def step(self, n: int = 1, *, loss: Any = None, tokens: Any = None, epoch: Any = None) -> None:
        """Count ``n`` finished steps. Non-blocking: an increment and a timestamp.

        ``loss`` and ``tokens`` (tokens these ``n`` steps consumed, summed into ``tokens_seen``), each a number or
        a one-element tensor (converted off the training thread: no device sync here), go to the ledger's
        ``steps`` table and the record (``final_loss``, ``tokens_seen``): a ``deque.append``, no I/O.
        ``epoch``: epochs completed so far, fractional (e.g. ``1.5`` halfway through the second); the last one given
        is the record's ``epochs``. After the run stopped: :class:`RuntimeError` (its time, energy and steps are
        final; a step counted then would be lost without a word).
        """
        if self._state == "stopped":
            raise RuntimeError("run.step() after the run stopped: count steps inside the run (the with block)")
        self.steps_done += n
        self.last_step_t = time.perf_counter()
        if epoch is not None:
            self.epochs_done = epoch
        if loss is not None or tokens is not None:
            self.log.add(self.steps_done, self.last_step_t - self.t0, loss=loss, tokens=tokens)

    def observe(
        self,
        *,
        loss: Any = None,
        learning_rate: Any = None,
        flop_per_step: float | None = None,
        run_flop_per_step: float | None = None,
        flop_per_step_source: str | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> None:
        """Note figures at the current step without counting one (what a trainer logs: loss, learning rate,
        eval metrics, FLOP per step of the steps since the last note). ``run_flop_per_step`` (default
        ``flop_per_step``; e.g. the mean over the run so far) becomes the run's FLOP per step, with its
        ``flop_per_step_source``, unless one was given. After the run stopped, the loss, learning rate and metrics
        go to :meth:`amend` (never dropped); a FLOP per step then is a :class:`RuntimeError`."""
        if self._state == "stopped":
            self._observe_after_stop(loss, learning_rate, flop_per_step, run_flop_per_step, metrics)
            return
        run_fps = run_flop_per_step if run_flop_per_step is not None else flop_per_step
        if run_fps is not None and self.options.flop_per_step is None:
            self.flop_per_step = float(run_fps)
            self.flop_per_step_source = flop_per_step_source or "reported"
        self.log.add(
            self.steps_done,
            time.perf_counter() - self.t0,
            loss=loss,
            learning_rate=learning_rate,
            flop_per_step=flop_per_step,
            metrics=metrics,
        )

    def _observe_after_stop(
        self, loss: Any, learning_rate: Any, flop: float | None, run_flop: float | None, metrics: dict[str, Any] | None
    ) -> None:
        if flop is not None or run_flop is not None:
            raise RuntimeError(
                "observe(flop_per_step=...) after the run stopped: its compute is final; note it while it runs"
            )
        extra = dict(metrics or {})
        if learning_rate is not None:
            extra["learning_rate"] = learning_rate
        if loss is not None or extra:
            self.amend(loss=loss, metrics=extra or None)

    def amend(self, *, loss: Any = None, metrics: dict[str, Any] | None = None) -> RunRecord | None:
        """Add figures logged after the run stopped -- a trainer's ``evaluate()`` after ``train()`` -- to the
        finished run: one per-step row at its last step in the ledger, and ``final_loss`` / ``final_eval_loss``
        (an ``eval_loss`` metric) in :attr:`result` and the ledger's record. The run's time, energy and status stay
        those of the run as it stopped (the evaluation itself is not measured). Returns the amended record
        (``None`` on a rank that records none). Only for a stopped run; use :meth:`observe` while it runs."""
        if self._state != "stopped":
            raise RuntimeError("amend() adds to a stopped run; use observe() while the run is going")
        self.log.add(self.steps_done, time.perf_counter() - self.t0, loss=loss, metrics=metrics)
        self._final = self._role.amend(self, self._final)
        return self._final

    @property
    def stopped(self) -> bool:
        """Whether the run has stopped (its record is final; later figures go through :meth:`amend`)."""
        return self._state == "stopped"

    def counted(self, flop_per_step: float, note: Assumption, source: str = COUNTED_SOURCE) -> None:
        """Take a FLOP per step counted during the run (a callback's meta count), unless one was given."""
        if self.options.flop_per_step is None:
            self.flop_per_step, self.flop_per_step_source = float(flop_per_step), source
            self.extra.append(note)

    @property
    def tokens_seen(self) -> int | None:
        """Tokens given to :meth:`step` so far (``None`` if none were); reading it converts any tensor counts not yet
        drained, on the calling thread."""
        return self.log.tokens_seen

    @property
    def steps(self) -> int:
        return self.steps_done

    @property
    def first_sample_seconds(self) -> float | None:
        """Seconds from ``prepare()``/``start()`` to the first committed sample (``None`` until then)."""
        return self._role.first_sample if isinstance(self._role, SamplerRole) else None

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
        self.t_enter = time.perf_counter()
        self._role = choose_role(self.options, self.ctx, self.env)
        self.role = self._role.name
        if isinstance(self._role, ReporterRole):
            self.interval = reporter_interval(self.interval, self.env)
        if self.flop_per_step is None and self.options.model is not None:
            self.flop_per_step, note = counted_flop_per_step(self.options, self.ctx)
            self.flop_per_step_source = COUNTED_SOURCE
            self.extra.append(note)
        self._role.open(self)
        self._state = "prepared"
        return self

    def start(self, pid: int | None = None) -> Run:
        """Start sampling (``pid``: measure that process tree from its birth, as the CLI does for a command)."""
        if self._state == "new":
            self.prepare()
        if self._state != "prepared":
            raise RuntimeError("a Run starts once; use track(...) again for a new run")
        if pid is not None and isinstance(self._role, SamplerRole):
            self._role.retarget(pid)
            self.pid = pid
        self.t0 = time.perf_counter()
        self.started_at = now_iso()
        self._state = "running"
        self._role.begin(self)
        if self._role.threaded:
            self._thread = threading.Thread(target=self._loop, name=f"flopcast-{self.role}", daemon=True)
            self._thread.start()
        self._install_handlers()
        return self

    def _install_handlers(self) -> None:
        if (
            self.options.install_signal_handlers
            and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        ):
            self._old_handler = signal.signal(signal.SIGTERM, _raise_terminated)
        atexit.register(self._atexit)
        _ACTIVE.append(self)

    def _remove_handlers(self) -> None:
        if self._old_handler is not None:
            signal.signal(signal.SIGTERM, self._old_handler)
            self._old_handler = None
        atexit.unregister(self._atexit)
        if self in _ACTIVE:
            _ACTIVE.remove(self)

    def stop(
        self, *, exit_code: int | None = None, status: str | None = None, cpu_seconds: float | None = None
    ) -> RunRecord | None:
        """Stop sampling, take a last sample, write the final record. Idempotent.

        ``cpu_seconds`` replaces the sampled CPU time with an exact figure (the CLI passes the child's
        ``wait4`` rusage).
        """
        if self._state == "prepared":
            self._role.close(self)
            self._state = "stopped"
        if self._state != "running":
            return self._final
        self._state = "stopping"
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 10.0)
        self._remove_handlers()
        status = status or ("completed" if exit_code in (None, 0) else "failed")
        self._final = self._role.finish(
            self, status=status, exit_code=exit_code, cpu_seconds=cpu_seconds, ended_at=now_iso()
        )
        self._state = "stopped"
        return self._final

    def _atexit(self) -> None:
        self.stop(status="interrupted")

    def __enter__(self) -> Run:
        return self.start() if self._state in ("new", "prepared") else self

    def __exit__(self, etype: Any, exc: Any, tb: Any) -> None:
        self.stop(**exit_of(etype, exc))

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Use as a decorator: each call of ``fn`` is one fresh tracked run (``current_run()`` inside)."""

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with Run(self.options):
                return fn(*args, **kwargs)

        return wrapper

    # -- sampling -----------------------------------------------------------------------------------

    def _loop(self) -> None:
        cpu0 = time.thread_time()
        while True:
            try:
                self._role.tick(self)
            except Exception as exc:  # the thread never dies silently and never raises into the job
                self.errors.append(f"sampler: {type(exc).__name__}: {exc}")
            self.tracker_cpu = time.thread_time() - cpu0
            if self._stop.wait(self.interval):
                return

    def record(
        self,
        *,
        status: str = "running",
        exit_code: int | None = None,
        ended_at: str | None = None,
        at: tuple[float, int] | None = None,
    ) -> RunRecord:
        """The record so far (or final, from :meth:`stop`); ``at=(t, steps)`` pins it to one sample."""
        if self._state == "stopped" and self._final is not None:
            return self._final
        if not isinstance(self._role, SamplerRole):
            raise RuntimeError("record() needs a started sampler run")
        return self._role.record(self, status=status, exit_code=exit_code, ended_at=ended_at, at=at)


def exit_of(etype: Any, exc: Any) -> dict[str, Any]:
    """How a ``with`` block ended → ``stop()``'s ``exit_code`` and ``status``."""
    if etype is None:
        return {"exit_code": 0}
    if issubclass(etype, KeyboardInterrupt):
        return {"exit_code": 130, "status": "interrupted"}
    if issubclass(etype, _Terminated):
        return {"exit_code": 143, "status": "terminated"}
    if issubclass(etype, SystemExit):
        return {"exit_code": exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)}
    return {"exit_code": 1, "status": "failed"}


def track(options: TrackOptions | None = None, **overrides: Unpack[TrackOverrides]) -> Run:
    """Track a training run: ``with flopcast.track(flop_per_step=6*N*B, total_steps=S) as run: ... run.step()``.

    Also a decorator (``@flopcast.track(...)``; inside, ``flopcast.measure.current_run().step()``).
    ``options`` (a :class:`TrackOptions`) and/or keyword overrides of its fields. Returns the (not yet
    started) :class:`Run`.
    """
    return Run(options, **overrides)
