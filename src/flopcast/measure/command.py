"""Run a command (argv, no shell) under a tracker: the whole process tree, exit code passed through.

The command gets ``FLOPCAST_PROGRESS_FILE`` and ``FLOPCAST_STEPS_FILE`` in its environment: a
``flopcast.track()`` inside it then only reports its step count and figures in the first and appends its per-step
rows (loss, tokens, learning rate, eval metrics) to the second, which the parent stores with its own ledger run
(the parent measures and writes the ledger, so nothing is counted twice). CPU time in
the final record is the child's own ``wait4`` rusage (it and every descendant it waited for).
SIGTERM and SIGHUP sent to flopcast are forwarded to the command; SIGINT reaches it from the terminal
(same process group), so flopcast only notes it and keeps measuring until the command exits.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flopcast.errors import InputError
from flopcast.measure.options import TrackOptions, make_options
from flopcast.measure.record import RunRecord
from flopcast.measure.tracker import PROGRESS_FILE_ENV, PROGRESS_INTERVAL_ENV, STEPS_FILE_ENV, Run

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from flopcast.measure.options import TrackOverrides


class CommandNotFoundError(InputError):
    """The command to track does not exist or cannot be executed (shell convention: exit 127/126)."""

    exit_code = 127


def resolve_executable(argv0: str) -> str:
    """The program ``argv0`` names, searched on PATH like a shell; raises :class:`CommandNotFoundError`."""
    if os.sep in argv0:
        path = Path(argv0)
        if not path.exists():
            raise CommandNotFoundError(f"command not found: {argv0}")
        if path.is_dir() or not os.access(path, os.X_OK):
            err = CommandNotFoundError(f"command not executable: {argv0} (chmod +x it, or run it via its interpreter)")
            err.exit_code = 126
            raise err
        return str(path)
    found = shutil.which(argv0)
    if found is None:
        raise CommandNotFoundError(f"command not found: {argv0} (not on PATH; give the full path)")
    return found


def exit_code_of(wait_status: int) -> int:
    """Shell-style exit code: the code, or 128 + signal number for a signal death."""
    code = os.waitstatus_to_exitcode(wait_status)
    return 128 - code if code < 0 else code


def run_command(
    argv: Sequence[str],
    options: TrackOptions | None = None,
    *,
    on_tick: Callable[[Run], None] | None = None,
    tick_seconds: float = 0.25,
    stdout_to_stderr: bool = False,
    **overrides: Unpack[TrackOverrides],
) -> RunRecord:
    """Run ``argv`` to completion under a sampler :class:`Run`; return its final record.

    ``options``/``overrides`` as for :func:`flopcast.track`. Errors in the inputs (unknown hardware/region,
    unwritable or corrupt ledger, missing command) raise before the command starts. ``on_tick(run)`` is
    called every ``tick_seconds`` while it runs (the CLI's progress bar). ``stdout_to_stderr``: the command's
    standard output goes to this process's standard error (file descriptor 2), so that what flopcast itself
    prints on standard output (``track --json``) is the only thing there.
    """
    if not argv:
        raise InputError("no command given: put it after '--', e.g. flopcast track -- python train.py")
    exe = resolve_executable(argv[0])
    workdir = tempfile.mkdtemp(prefix="flopcast-")
    progress, steps = Path(workdir) / "progress.json", Path(workdir) / "steps.jsonl"
    opts = make_options(options, overrides).replace(
        command=tuple(argv), progress_file=progress, steps_file=steps, install_signal_handlers=False
    )
    run = Run(opts).prepare()
    env = child_env(run, progress, steps)
    try:
        child = subprocess.Popen([exe, *argv[1:]], env=env, stdout=2 if stdout_to_stderr else None)
    except OSError as exc:
        run.stop(status="failed")
        err = CommandNotFoundError(f"cannot execute {argv[0]}: {exc.strerror}")
        err.exit_code = 126
        raise err from None
    run.start(pid=child.pid)
    received: list[int] = []
    restore = _forward_signals(child, received)
    try:
        status, usage = _wait(child, run, on_tick, tick_seconds)
    finally:
        restore()
    child.returncode = code = exit_code_of(status)  # we reaped it; keep Popen consistent
    record = run.stop(exit_code=code, status=final_status(code, received), cpu_seconds=usage.ru_utime + usage.ru_stime)
    shutil.rmtree(workdir, ignore_errors=True)
    assert record is not None
    return record


def child_env(run: Run, progress: Path, steps: Path | None = None) -> dict[str, str]:
    """The command's environment: ours plus where (and how often) a ``flopcast.track()`` inside reports."""
    env = dict(os.environ)
    env[PROGRESS_FILE_ENV] = str(progress)
    if steps is not None:
        env[STEPS_FILE_ENV] = str(steps)
    else:
        env.pop(STEPS_FILE_ENV, None)
    env["FLOPCAST_PARENT_RUN"] = run.run_id
    env[PROGRESS_INTERVAL_ENV] = repr(run.interval)  # the program reports as often as we sample
    return env


def final_status(code: int, received: Sequence[int]) -> str:
    """``completed``/``failed`` by exit code, unless a signal sent to flopcast ended it."""
    if received:
        return "interrupted" if signal.SIGINT in received else "terminated"
    return "completed" if code == 0 else "failed"


def _wait(
    child: subprocess.Popen, run: Run, on_tick: Callable[[Run], None] | None, tick_seconds: float
) -> tuple[int, Any]:
    """Reap ``child`` in a thread (``wait4``: status and rusage), calling ``on_tick`` meanwhile."""
    done = threading.Event()
    result: dict[str, Any] = {}

    def reap() -> None:
        _, status, usage = os.wait4(child.pid, 0)
        result.update(status=status, usage=usage)
        done.set()

    threading.Thread(target=reap, name="flopcast-wait", daemon=True).start()
    while not done.wait(tick_seconds):
        if on_tick is not None:
            on_tick(run)
    return result["status"], result["usage"]


def _forward_signals(child: subprocess.Popen, received: list[int]) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def forward(signum: int, frame: Any) -> None:
        received.append(signum)
        if signum != signal.SIGINT:
            with contextlib.suppress(OSError):
                child.send_signal(signum)

    old = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}

    def restore() -> None:
        for s, h in old.items():
            signal.signal(s, h)

    return restore
