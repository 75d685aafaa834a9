"""What a run learns per step besides the count: loss, tokens seen, learning rate, FLOP per step, metrics.

``Run.step(loss=..., tokens=...)`` and ``Run.observe(...)`` append one entry to a :class:`StepLog`: a
``deque.append`` (thread-safe, no lock, no I/O); a loss or a token count given as a tensor is kept as is and
turned into a number by the sampling thread when it drains the log into the ledger's ``steps`` table, so the
training loop never waits for a device sync. Non-finite values are stored as ``NULL`` and noted once in the run's
errors. A token count given as a plain number is checked at once (a bad one raises in ``run.step``); one given as
a tensor can only be checked when converted, so a bad value there is noted once in the run's errors and not counted.
"""

from __future__ import annotations

import math
import threading
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


def _deferred_tokens(tokens: Any) -> Any:
    """``tokens`` to keep for the sampling thread: a plain number (or bad value) is checked now, as an int; a
    tensor-like of one element is kept as is (reading its value would sync the device)."""
    if isinstance(tokens, (int, float, str)):
        return check_tokens(tokens)
    numel = getattr(tokens, "numel", None)
    if callable(numel) and numel() != 1:  # shape is metadata: no sync
        return check_tokens(tokens)  # raises: more than one element
    return tokens


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
    """Per-step figures of one run: running totals for the record, pending entries for the ledger.

    Token counts are summed where they are converted: in :meth:`drain` (the sampling thread), in
    :attr:`tokens_seen`, or on the training thread only when ``MAX_PENDING`` entries wait undrained.
    """

    def __init__(self, errors: list[str] | None = None) -> None:
        self.errors = errors if errors is not None else []
        self.pending: deque[dict[str, Any]] = deque()
        self._tokens_total: int | None = None  # tokens of the entries already folded (drained or dropped)
        self._fold_lock = threading.Lock()  # never taken by add() unless the pending entries overflow
        self.last_loss: Any = None
        self.last_metrics: dict[str, Any] = {}
        self.nonfinite_noted = False
        self.bad_tokens_noted = False

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
        """Note one entry (``tokens``: tokens of these steps, added to the running total when converted)."""
        if tokens is not None:
            tokens = _deferred_tokens(tokens)
        if loss is not None:
            detach = getattr(loss, "detach", None)
            loss = self.last_loss = detach() if callable(detach) else loss  # a tensor: no graph kept, no sync
        if metrics:
            self.last_metrics = {**self.last_metrics, **metrics}
        if len(self.pending) >= MAX_PENDING:  # nothing drains the log (no ledger): drop the oldest, keep its tokens
            with self._fold_lock:
                if self.pending:
                    self._fold(self.pending.popleft())
        self.pending.append(
            {
                "step": step,
                "t_seconds": t_seconds,
                "loss": loss,
                "tokens": tokens,
                "learning_rate": learning_rate,
                "flop_per_step": flop_per_step,
                "metrics": dict(metrics) if metrics else None,
            }
        )

    def _tokens_of(self, entry: dict[str, Any]) -> int | None:
        """The entry's tokens as an int, converted once (in place); a bad value is noted once and counts none."""
        raw = entry["tokens"]
        if raw is None or type(raw) is int:
            return raw
        try:
            entry["tokens"] = check_tokens(raw)
        except InputError as exc:
            entry["tokens"] = None
            if not self.bad_tokens_noted:
                self.bad_tokens_noted = True
                self.errors.append(f"step {entry['step']}: {exc} (not counted)")
        return entry["tokens"]

    def _fold(self, entry: dict[str, Any]) -> int | None:
        """Add the entry's tokens to the folded total; the running total after it (call with the lock held)."""
        n = self._tokens_of(entry)
        if n is not None:
            self._tokens_total = (self._tokens_total or 0) + n
        return self._tokens_total

    @property
    def tokens_seen(self) -> int | None:
        """Tokens noted so far (``None`` if none were); converts any still pending, on the calling thread."""
        with self._fold_lock:
            total = self._tokens_total
            for e in self.pending.copy():
                n = self._tokens_of(e)
                if n is not None:
                    total = (total or 0) + n
            return total

    def drain(self) -> list[dict[str, Any]]:
        """The pending entries, oldest first, as ledger rows (floats, ``None`` for non-finite or missing;
        ``tokens`` the running total)."""
        out = []
        with self._fold_lock:
            while self.pending:
                e = self.pending.popleft()
                out.append(self._row(e, self._fold(e)))
        return out

    def _row(self, e: dict[str, Any], tokens_seen: int | None) -> dict[str, Any]:
        metrics = {k: as_float(v) for k, v in e["metrics"].items()} if e["metrics"] else None
        loss = as_float(e["loss"])
        if e["loss"] is not None and loss is None and not self.nonfinite_noted:
            self.nonfinite_noted = True
            self.errors.append(f"step {e['step']}: loss {e['loss']!r} is not a finite number (stored as null)")
        return {
            **e,
            "loss": loss,
            "tokens": tokens_seen,
            "learning_rate": as_float(e["learning_rate"]),
            "flop_per_step": as_float(e["flop_per_step"]),
            "metrics": metrics,
        }

    @property
    def final_loss(self) -> float | None:
        return as_float(self.last_loss)

    @property
    def final_eval_loss(self) -> float | None:
        return as_float(self.last_metrics.get("eval_loss"))
