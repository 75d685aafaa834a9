"""The progress file: how a ``flopcast.track()`` inside a command tells ``flopcast track -- CMD`` its steps.

The parent names the file in ``FLOPCAST_PROGRESS_FILE``; the child's sampling thread (never
``step()``) replaces it atomically once per interval with ``{"steps", "total_steps", "flop_per_step"}`` and
the run's ``figures`` so far (``final_loss``, ``final_eval_loss``, ``tokens_seen``, ``model_params``).
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

FIGURES = ("final_loss", "final_eval_loss", "tokens_seen", "model_params")


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
        if key in ("tokens_seen", "model_params"):
            if float(v).is_integer() and v >= (1 if key == "model_params" else 0):
                out[key] = int(v)
        else:
            out[key] = float(v)
    return out
