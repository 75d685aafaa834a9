"""Run the Figure 1 experiment in one process, over cores (joblib) or over a Dask cluster.

The work is cut into (sample size × chunk of simulations) tasks whose seeds depend only on the root
seed and their position (:func:`~flopcast.simulate.experiment.chunk_seed`), never on the workers;
every task runs with one BLAS thread, so a fixed seed gives bit-identical results whatever the
number of workers or the scheduler.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import numbers
import time
from urllib.parse import urlsplit

import numpy as np

from flopcast._threads import one_blas_thread
from flopcast.errors import InputError
from flopcast.simulate.experiment import ChunkResult, SimulationConfig, run_chunk, test_gram
from flopcast.simulate.result import SimulationResult, summarize


class SchedulerError(InputError):
    """The Dask scheduler cannot be reached or used. Exit code 2."""


def _task(config: SimulationConfig, size_index: int, chunk_index: int, sigma_test: np.ndarray) -> ChunkResult:
    with one_blas_thread():
        return run_chunk(config, size_index, chunk_index, sigma_test)


def _tasks(config: SimulationConfig) -> list[tuple[int, int]]:
    chunks = -(-config.sims // config.chunk_size)
    # Largest sizes first: the slowest tasks start early, the pool drains evenly.
    return [(i, j) for i in reversed(range(len(config.all_sizes))) for j in range(chunks)]


DEFAULT_CONNECT_TIMEOUT_SECONDS = 10.0
MAX_CONNECT_TIMEOUT_SECONDS = 3600.0
# Dask's comm backends (distributed.comm.registry); inproc:// is an in-process LocalCluster's address.
_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")
_ADDRESS_FIX = "give the address `dask scheduler` prints, e.g. tcp://127.0.0.1:8786, or drop --scheduler"


def parse_scheduler(address: object) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of a Dask scheduler address (``port`` None for ``inproc://``).

    Checked before any Dask client exists, so a bad address is one line, never a client to clean up.
    """
    text = str(address).strip() if isinstance(address, str) else ""
    if not text:
        raise InputError(f"--scheduler needs an address such as tcp://127.0.0.1:8786 (got {address!r})")
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    if scheme not in _SCHEMES:
        raise InputError(
            f"--scheduler {text!r}: unknown protocol {scheme!r} (Dask speaks {', '.join(_SCHEMES)}); {_ADDRESS_FIX}"
        )
    if scheme == "inproc":
        return scheme, rest, None
    try:
        parts = urlsplit(f"//{rest}")
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None or port == 0 or parts.path or parts.query or parts.fragment:
        raise InputError(f"--scheduler {text!r} is not HOST:PORT; {_ADDRESS_FIX}")
    return scheme, host, port


def _distributed_client():
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise SchedulerError("--scheduler needs Dask: pip install 'flopcast[dask]'") from exc
    return Client


def _probe(address: str, scheme: str, timeout_seconds: float) -> None:
    """Ask the scheduler who it is, all within ``timeout_seconds``: an unreachable address, or a port where
    something other than a Dask scheduler listens, fails here, before any ``Client`` exists (a ``Client``'s
    handshake does not honour its timeout, and a half-built one prints a traceback at exit)."""
    _distributed_client()
    with contextlib.suppress(RuntimeError):
        asyncio.get_running_loop()
        return  # inside someone's event loop (a notebook): leave it to the Client
    if scheme == "inproc":
        return  # an in-process cluster: nothing to reach over the network
    from distributed.comm import connect

    async def identify():
        comm = await connect(address, timeout=timeout_seconds)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    try:
        reply = asyncio.run(asyncio.wait_for(identify(), timeout_seconds))
    except Exception as exc:
        raise SchedulerError(_unreachable(address, timeout_seconds, exc)) from None
    if not isinstance(reply, dict) or reply.get("type") != "Scheduler":
        raise SchedulerError(f"{address!r} answered, but not as a Dask scheduler; {_ADDRESS_FIX}")


def _unreachable(address: str, timeout_seconds: float, exc: BaseException) -> str:
    return (
        f"cannot reach the Dask scheduler at {address!r} within {timeout_seconds:g} s ({type(exc).__name__}); "
        "start one with `dask scheduler` or drop --scheduler to use local cores"
    )


def _connect(address: str, timeout_seconds: float):
    """A connected ``distributed.Client``; a failed one is closed here, not by ``Client.__del__`` at exit."""
    Client = _distributed_client()
    client = Client.__new__(Client)
    try:
        client.__init__(address, timeout=f"{timeout_seconds}s", set_as_default=False)
    except Exception as exc:
        _discard(client)
        raise SchedulerError(_unreachable(address, timeout_seconds, exc)) from None
    return client


def _discard(client) -> None:
    """Close a half-built client quickly and make its ``__del__`` a no-op (no traceback at exit)."""
    with contextlib.suppress(Exception):
        client.close(timeout=1)
    with contextlib.suppress(Exception):
        client.status = "closed"
    with contextlib.suppress(Exception):
        client._loop_runner.stop()


def _run_dask(config, tasks, sigma_test, address, timeout_seconds):
    client = _connect(address, timeout_seconds)
    try:
        shared = client.scatter(sigma_test, broadcast=True)
        futures = [client.submit(_task, config, i, j, shared, pure=False) for i, j in tasks]
        return client.gather(futures)
    finally:
        _discard(client)


def _check_timeout(timeout_seconds: object, scheduler: str | None) -> float:
    if timeout_seconds is None:
        return DEFAULT_CONNECT_TIMEOUT_SECONDS
    if scheduler is None:
        raise InputError("--connect-timeout only applies with --scheduler; add --scheduler ADDRESS or drop it")
    seconds = (
        float(timeout_seconds)
        if isinstance(timeout_seconds, numbers.Real) and not isinstance(timeout_seconds, bool)
        else math.nan
    )
    if not 0 < seconds <= MAX_CONNECT_TIMEOUT_SECONDS:
        raise InputError(
            f"--connect-timeout must be a number of seconds in (0, {MAX_CONNECT_TIMEOUT_SECONDS:g}] "
            f"(got {timeout_seconds!r}); e.g. --connect-timeout 10"
        )
    return seconds


def _check_memory(config: SimulationConfig, workers: int) -> None:
    """Refuse work whose arrays cannot fit in this machine's available memory (a MemoryError mid-run)."""
    import psutil

    need = config.peak_bytes_per_worker() * workers
    have = psutil.virtual_memory().available
    if need > have:
        raise InputError(
            f"--features {config.features} needs about {need / 1e9:.3g} GB of memory "
            f"({workers} worker(s)), {have / 1e9:.3g} GB is available; lower --features or --workers"
        )


def simulate(
    config: SimulationConfig | None = None,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    connect_timeout_seconds: float | None = None,
) -> SimulationResult:
    """Run the experiment and summarise it.

    Parameters
    ----------
    config : SimulationConfig
        What to simulate (defaults: the paper's Figure 1 shape).
    workers : int
        Local processes (joblib/loky); 1 runs in this process.
    scheduler : str or None
        Address of a Dask scheduler (``tcp://host:8786``) to run the tasks on instead.
    connect_timeout_seconds : float, optional
        How long to wait for the scheduler (default 10 s); only with ``scheduler``.

    Returns
    -------
    SimulationResult

    Raises
    ------
    InputError
        Bad configuration; :class:`SchedulerError` for an unreachable scheduler.
    """
    config = (config or SimulationConfig()).validate()
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        raise InputError(f"--workers must be at least 1, a whole number (got {workers!r})")
    if scheduler is not None and workers != 1:
        raise InputError("give either --workers (local cores) or --scheduler (a Dask cluster), not both")
    timeout = _check_timeout(connect_timeout_seconds, scheduler)
    address = None
    if scheduler is not None:
        address = str(scheduler).strip()
        scheme = parse_scheduler(scheduler)[0]
    else:
        _check_memory(config, workers)
    started = time.perf_counter()
    if address is not None:
        _probe(address, scheme, timeout)
    tasks = _tasks(config)
    with one_blas_thread():
        sigma_test = test_gram(config)
    if scheduler is not None:
        results = _run_dask(config, tasks, sigma_test, address, timeout)
        backend = f"dask ({scheduler})"
    elif workers == 1:
        with one_blas_thread():
            results = [run_chunk(config, i, j, sigma_test) for i, j in tasks]
        backend = "in-process"
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=workers, backend="loky")(delayed(_task)(config, i, j, sigma_test) for i, j in tasks)
        backend = f"joblib/loky ({workers} workers)"
    return summarize(config, results, backend=backend, wall_seconds=time.perf_counter() - started)
