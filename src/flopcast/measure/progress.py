"""The progress file: how a ``flopcast.track()`` inside a command tells ``flopcast track -- CMD`` its steps.

The parent names the file in ``FLOPCAST_PROGRESS_FILE``; the child's sampling thread (never
``step()``) replaces it atomically once per interval with ``{"steps", "total_steps", "flop_per_step"}``.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any


def write_progress(path: Path, steps: int, total_steps: int | None, flop_per_step: float | None) -> None:
    """Atomically replace ``path`` (write a sibling temp file, then ``os.replace``)."""
    payload = {"steps": steps, "total_steps": total_steps, "flop_per_step": flop_per_step, "pid": os.getpid(),
               "unix_time": time.time()}
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
    return {"steps": steps, "total_steps": total if total is not None and total >= 1 else None,
            "flop_per_step": flop if flop is not None and math.isfinite(flop) and flop > 0 else None}
