"""What a run learns per step besides the count: loss, tokens seen, learning rate, FLOP per step, metrics.

``Run.step(loss=..., tokens=...)`` and ``Run.observe(...)`` append one entry to a :class:`StepLog`: a
``deque.append`` (thread-safe, no lock, no I/O); a loss given as a tensor is kept as is and turned into
a float by the sampling thread when it drains the log into the ledger's ``steps`` table, so the training
loop never waits for a device sync. Non-finite values are stored as ``NULL`` and noted once in the run's errors.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from typing import Any

from flopcast.errors import InputError

STEP_COLUMNS = ("step", "t_seconds", "loss", "tokens", "learning_rate", "flop_per_step", "metrics")
MAX_PENDING = 100_000  # entries kept between two ticks when nothing drains them (no ledger): oldest dropped


def as_float(value: Any) -> float | None:
    """``value`` (a number or a one-element tensor) as a finite float, else ``None``."""
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError, RuntimeError):
        return None
    return v if math.isfinite(v) else None


def check_tokens(tokens: Any) -> int:
    """Tokens of one step (an int, a float that is whole, a one-element tensor) as an int >= 0, else a
    one-line :class:`InputError`."""
    try:
        v = float(tokens) if not isinstance(tokens, (bool, str)) else math.nan
    except (TypeError, ValueError, RuntimeError):
        v = math.nan
    if not math.isfinite(v) or v < 0 or not v.is_integer():
        raise InputError(
            f"run.step(tokens=...) must be a whole number of tokens >= 0 (got {tokens!r}); "
            "e.g. tokens=batch['input_ids'].numel()"
        )
    return int(v)


class StepLog:
    """Per-step figures of one run: running totals for the record, pending entries for the ledger."""

    def __init__(self, errors: list[str] | None = None) -> None:
        self.errors = errors if errors is not None else []
        self.pending: deque[dict[str, Any]] = deque(maxlen=MAX_PENDING)
        self.tokens_seen: int | None = None
        self.last_loss: Any = None
        self.last_metrics: dict[str, Any] = {}
        self.nonfinite_noted = False

    def add(
        self,
        step: int,
        t_seconds: float,
        *,
        loss: Any = None,
        tokens: Any = None,
        learning_rate: Any = None,
        flop_per_step: float | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> None:
        """Note one entry (``tokens``: tokens of these steps, added to the running total)."""
        if tokens is not None:
            self.tokens_seen = (self.tokens_seen or 0) + check_tokens(tokens)
        if loss is not None:
            detach = getattr(loss, "detach", None)
            loss = self.last_loss = detach() if callable(detach) else loss  # a tensor: no graph kept, no sync
        if metrics:
            self.last_metrics = {**self.last_metrics, **metrics}
        self.pending.append(
            {
                "step": step,
                "t_seconds": t_seconds,
                "loss": loss,
                "tokens": self.tokens_seen,
                "learning_rate": learning_rate,
                "flop_per_step": flop_per_step,
                "metrics": dict(metrics) if metrics else None,
            }
        )

    def drain(self) -> list[dict[str, Any]]:
        """The pending entries, oldest first, as ledger rows (floats, ``None`` for non-finite or missing)."""
        out = []
        while self.pending:
            e = self.pending.popleft()
            metrics = {k: as_float(v) for k, v in e["metrics"].items()} if e["metrics"] else None
            loss = as_float(e["loss"])
            if e["loss"] is not None and loss is None and not self.nonfinite_noted:
                self.nonfinite_noted = True
                self.errors.append(f"step {e['step']}: loss {e['loss']!r} is not a finite number (stored as null)")
            out.append(
                {
                    **e,
                    "loss": loss,
                    "learning_rate": as_float(e["learning_rate"]),
                    "flop_per_step": as_float(e["flop_per_step"]),
                    "metrics": metrics,
                }
            )
        return out

    @property
    def final_loss(self) -> float | None:
        return as_float(self.last_loss)

    @property
    def final_eval_loss(self) -> float | None:
        return as_float(self.last_metrics.get("eval_loss"))
