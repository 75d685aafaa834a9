"""The progress and steps files: how a ``flopcast.track()`` inside a command tells ``flopcast track -- CMD``
its steps.

The parent names the progress file in ``FLOPCAST_PROGRESS_FILE``; the child's sampling thread (never
``step()``) replaces it atomically once per interval with ``{"steps", "total_steps", "flop_per_step"}`` and
the run's ``figures`` so far (``final_loss``, ``final_eval_loss``, ``tokens_seen``, ``model_params``,
``model_params_non_embedding``, ``epochs``,
``dataset_examples``).

The parent names the steps file in ``FLOPCAST_STEPS_FILE``; the child's sampling thread appends the per-step rows
it drained since its last tick (the ledger's ``steps`` columns, :data:`~flopcast.measure.steplog.STEP_COLUMNS`) as
JSON lines, one ``write`` per tick. The parent's :class:`StepsReader` reads only what is new (it keeps a byte
offset), leaves a last line without its newline for the next read (the child may be writing it), and hands each
row to the ledger once.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

from flopcast.measure.steplog import STEP_COLUMNS

FIGURES = (
    "final_loss",
    "final_eval_loss",
    "tokens_seen",
    "model_params",
    "model_params_non_embedding",
    "epochs",
    "dataset_examples",
)
# whole-number figures: their minimum
WHOLE_FIGURES = {"tokens_seen": 0, "model_params": 1, "model_params_non_embedding": 1, "dataset_examples": 1}


def write_progress(
    path: Path, steps: int, total_steps: int | None, flop_per_step: float | None, figures: dict[str, Any] | None = None
) -> None:
    """Atomically replace ``path`` (write a sibling temp file, then ``os.replace``)."""
    payload = {
        "steps": steps,
        "total_steps": total_steps,
        "flop_per_step": flop_per_step,
        "pid": os.getpid(),
        "unix_time": time.time(),
        "figures": {k: v for k, v in (figures or {}).items() if v is not None},
    }
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload))
    os.replace(tmp, path)


def read_progress(path: Path) -> dict[str, Any] | None:
    """The latest progress, or ``None`` if the program has not written any (or wrote garbage)."""
    try:
        data = json.loads(path.read_text())
        steps = int(data.get("steps", 0))
        total = int(data["total_steps"]) if data.get("total_steps") else None
        flop = float(data["flop_per_step"]) if data.get("flop_per_step") else None
    except (OSError, ValueError, TypeError, AttributeError, OverflowError):
        return None
    if steps < 0:
        return None
    return {
        "steps": steps,
        "total_steps": total if total is not None and total >= 1 else None,
        "flop_per_step": flop if flop is not None and math.isfinite(flop) and flop > 0 else None,
        "figures": _figures(data.get("figures")),
    }


def _figures(raw: Any) -> dict[str, Any]:
    """The reported figures that are sound: finite losses, whole counts (tokens >= 0, parameters >= 1)."""
    out: dict[str, Any] = {}
    if not isinstance(raw, dict):
        return out
    for key in FIGURES:
        v = raw.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            continue
        if key in WHOLE_FIGURES:
            if float(v).is_integer() and v >= WHOLE_FIGURES[key]:
                out[key] = int(v)
        elif key != "epochs" or v >= 0:
            out[key] = float(v)
    return out


def append_steps(path: Path, rows: list[dict[str, Any]], unix0: float) -> None:
    """Append ``rows`` (ledger step rows) to ``path`` as JSON lines in one ``write`` (``O_APPEND``); each also
    gets ``unix_time`` (``unix0``, the run's start as Unix time, + its ``t_seconds``) for the parent's clock."""
    if not rows:
        return
    text = "".join(json.dumps(_line(r, unix0), allow_nan=False) + "\n" for r in rows)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        data = text.encode()
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


def _line(row: dict[str, Any], unix0: float) -> dict[str, Any]:
    out = {c: row.get(c) for c in STEP_COLUMNS}
    t = row.get("t_seconds")
    out["unix_time"] = unix0 + t if isinstance(t, (int, float)) else None
    return out


class StepsReader:
    """Reads the rows a child appended to its steps file since the last :meth:`read` (``O(new rows)``).

    ``offset`` is the byte just past the last whole line read; a last line without its newline is left for the
    next read. A line that is not a sound step row is skipped and counted in ``bad_lines``.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.bad_lines = 0
        self.tail_bytes = 0  # bytes after the last newline at the last read (a row being written, or cut off)

    def read(self, unix0: float | None = None) -> list[dict[str, Any]]:
        """The whole new lines as step rows, oldest first (``[]`` when the file does not exist yet); with
        ``unix0`` (the reading run's start as Unix time) a row's ``t_seconds`` is on that run's clock."""
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except OSError:
            return []
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        self.tail_bytes = len(chunk) - end
        rows = []
        for line in chunk[:end].splitlines():
            row = step_row(line, unix0)
            if row is None:
                self.bad_lines += 1
            else:
                rows.append(row)
        return rows


def step_row(line: bytes, unix0: float | None = None) -> dict[str, Any] | None:
    """One JSON line as a ledger step row (finite numbers or ``None``; ``step``/``tokens`` whole), else ``None``;
    with ``unix0``, ``t_seconds`` is ``unix_time - unix0`` when the line has a ``unix_time``."""
    try:
        raw = json.loads(line)
    except ValueError:
        return None
    if not isinstance(raw, dict) or not _whole(raw.get("step")) or raw["step"] < 0:
        return None
    tokens = raw.get("tokens")
    if tokens is not None and not (_whole(tokens) and tokens >= 0):
        return None
    metrics = raw.get("metrics")
    if metrics is not None and not isinstance(metrics, dict):
        return None
    unix = _finite(raw.get("unix_time"))
    return {
        "step": int(raw["step"]),
        "t_seconds": unix - unix0 if unix is not None and unix0 is not None else _finite(raw.get("t_seconds")),
        "loss": _finite(raw.get("loss")),
        "tokens": int(tokens) if tokens is not None else None,
        "learning_rate": _finite(raw.get("learning_rate")),
        "flop_per_step": _finite(raw.get("flop_per_step")),
        "metrics": {str(k): _finite(v) for k, v in metrics.items()} if metrics else None,
    }


def _whole(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and float(v).is_integer()


def _finite(v: Any) -> float | None:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return float(v) if ok else None
