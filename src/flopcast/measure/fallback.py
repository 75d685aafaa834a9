"""Where a run's record goes when the ledger cannot take it: a JSON file, written atomically and synced.

A run is never lost to a failing ledger (damaged pages, file deleted or replaced mid-run, disk full):
the record and any samples the ledger refused are saved beside the ledger, else in the user data
dir, else in the temp dir, and the record says where (``fallback_file``).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flopcast.measure.ledger import strict_json

FORMAT = "flopcast-unsaved-run/1"


def candidate_dirs(ledger_path: Path | None) -> list[Path]:
    """Folders tried in order: the ledger's own, the user data dir, the temp dir."""
    out = [ledger_path.parent] if ledger_path is not None else []
    with contextlib.suppress(Exception):
        import platformdirs

        out.append(Path(platformdirs.user_data_dir("flopcast")) / "unsaved")
    out.append(Path(tempfile.gettempdir()))
    return list(dict.fromkeys(out))


def write_durably(path: Path, text: str) -> None:
    """Write ``text`` to a sibling temp file, fsync it, rename it over ``path``, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def save_unsaved(
    run_id: str,
    ledger_path: Path | None,
    *,
    reason: str,
    record: dict[str, Any] | None,
    samples: Sequence[dict[str, Any]] = (),
) -> tuple[Path | None, str]:
    """Save what the ledger did not take; return ``(path, "")`` or ``(None, why every folder failed)``."""
    stem = ledger_path.stem if ledger_path is not None else "runs"
    payload = {
        "format": FORMAT,
        "run_id": run_id,
        "ledger": str(ledger_path) if ledger_path else None,
        "reason": reason,
        "record": record,
        "unsaved_samples": list(samples),
    }
    text = json.dumps(strict_json(payload), allow_nan=False, default=str, indent=1) + "\n"
    failures = []
    for folder in candidate_dirs(ledger_path):
        path = folder / f"{stem}.{run_id}.unsaved.json"
        try:
            write_durably(path, text)
            return path, ""
        except OSError as exc:
            failures.append(f"{folder}: {exc.strerror or exc}")
    return None, "; ".join(failures)
