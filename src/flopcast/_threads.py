"""One BLAS thread for small dense work (a foundation helper: simulate and scaling both use it)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread inside the block (threadpoolctl). Tiny matrices (L-BFGS-B's vectors, a simulated
    fold's Gram) run ~10x slower threaded on a busy multi-core box, and parallel workers must not oversubscribe
    the cores. Without threadpoolctl the results are the same, only slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a core dependency; kept optional for minimal installs
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
