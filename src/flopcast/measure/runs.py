"""The ledger's read side as typed results: a :class:`LedgerRun` per run row, a job aggregate, the export rows.

A ``running`` row whose tracker process is gone from this host was killed (``kill -9``, OOM, power): its
status reads ``lost`` (its samples are kept). Renderers (``flopcast runs ...``) only format these results.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flopcast.measure.distributed import aggregate_job
from flopcast.measure.ledger import Ledger, decode
from flopcast.measure.record import RunRecord

LEDGER_RUN_SCHEMA = "flopcast.ledger_run/1"
RUN_LIST_SCHEMA = "flopcast.run_list/1"
LOST = "lost"


def _pid_exists(pid: int) -> bool:
    import psutil

    return bool(psutil.pid_exists(pid))


def live_status(
    row: Mapping[str, Any], *, host: str | None = None, pid_exists: Callable[[int], bool] = _pid_exists
) -> str:
    """The row's status, or ``lost`` for a ``running`` row whose tracker (on this host) no longer exists."""
    host = socket.gethostname() if host is None else host
    if (
        row.get("status") == "running"
        and row.get("host") == host
        and row.get("pid")
        and not pid_exists(int(row["pid"]))
    ):
        return LOST
    return str(row.get("status"))


@dataclass(frozen=True)
class LedgerRun:
    """One run as the ledger holds it: the row's bookkeeping, the live status, and the run's record."""

    run_id: str
    status: str  # the record's status, or ``lost`` (tracker killed; samples kept)
    job_id: str | None
    node_rank: int | None
    host: str | None
    pid: int | None
    name: str | None
    command: tuple[str, ...] | None
    started_at: str | None
    updated_at: str | None
    ended_at: str | None
    wall_seconds: float | None
    steps: int | None
    energy_kwh: float | None
    samples_in_ledger: int
    record: RunRecord | None  # ``None`` until the first sample was committed
    events: tuple[Mapping[str, Any], ...] = field(default=())

    @property
    def label(self) -> str:
        """The run's name, else its command line, else ``(python)``."""
        what = self.name or (" ".join(self.command) if self.command else "(python)")
        return " ".join(what.split())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schema": LEDGER_RUN_SCHEMA}
        for k, v in self.__dict__.items():
            out[k] = list(v) if isinstance(v, tuple) else v
        out["events"] = [dict(e) for e in self.events]
        out["record"] = self.record.to_dict() if self.record is not None else None
        return out


def ledger_run(
    row: Mapping[str, Any],
    *,
    samples_in_ledger: int,
    events: Sequence[Mapping[str, Any]] = (),
    status: str | None = None,
) -> LedgerRun:
    """A :class:`LedgerRun` from a raw ``runs`` row (``status``: the live status, default :func:`live_status`)."""
    row = decode(dict(row))
    status = live_status(row) if status is None else status
    record = _record_of(row, status)
    cmd = row.get("command")
    command = tuple(json.loads(cmd)) if isinstance(cmd, str) else (tuple(cmd) if cmd else None)
    return LedgerRun(
        run_id=row["run_id"],
        status=status,
        job_id=row.get("job_id"),
        node_rank=row.get("node_rank"),
        host=row.get("host"),
        pid=row.get("pid"),
        name=row.get("name"),
        command=command,
        started_at=row.get("started_at"),
        updated_at=row.get("updated_at"),
        ended_at=row.get("ended_at"),
        wall_seconds=row.get("wall_seconds"),
        steps=row.get("steps"),
        energy_kwh=row.get("energy_kwh"),
        samples_in_ledger=samples_in_ledger,
        record=record,
        events=tuple(events),
    )


def _record_of(row: Mapping[str, Any], status: str) -> RunRecord | None:
    """The decoded row's record with the live ``status``; ``None`` until the first sample was committed."""
    rec = row.get("record")
    record = RunRecord.from_dict(rec) if isinstance(rec, dict) and rec.get("run_id") else None
    if record is not None and record.status != status:
        record = _with_status(record, status)
    return record


@dataclass(frozen=True)
class RunHead:
    """A run's identity and record (live status), without its sample count and events."""

    run_id: str
    name: str | None
    job_id: str | None
    record: RunRecord | None


def run_heads(led: Ledger) -> list[RunHead]:
    """Every run of the ledger, oldest first, from one query (no per-run sample count or events: see
    :func:`list_runs` for those)."""
    heads = []
    for raw in led.runs():
        row = decode(dict(raw))
        heads.append(RunHead(row["run_id"], row.get("name"), row.get("job_id"), _record_of(row, live_status(row))))
    return heads


def _with_status(record: RunRecord, status: str) -> RunRecord:
    import dataclasses

    return dataclasses.replace(record, status=status)


def list_runs(led: Ledger) -> list[LedgerRun]:
    """Every run of the ledger, oldest first, with its sample count and events."""
    return [
        ledger_run(r, samples_in_ledger=led.sample_count(r["run_id"]), events=led.events(r["run_id"]))
        for r in led.runs()
    ]


def run_list_dict(led_path: Path, runs: Sequence[LedgerRun]) -> dict[str, Any]:
    """``runs list --json``: the ledger and its runs (each a ``flopcast.ledger_run/1``)."""
    return {"schema": RUN_LIST_SCHEMA, "ledger": str(led_path), "runs": [r.to_dict() for r in runs]}


def show_run(led: Ledger, run_id: str) -> LedgerRun | dict[str, Any]:
    """One run by id or unique prefix (a :class:`LedgerRun`), or a distributed job's aggregate by job id."""
    job = led.job(run_id)
    if job:
        return aggregate_job([decode(r)["record"] or {} for r in job])
    row = led.run(run_id)
    return ledger_run(row, samples_in_ledger=led.sample_count(row["run_id"]), events=led.events(row["run_id"]))


def export_rows(led: Ledger, *, samples: bool, as_json: bool) -> list[dict[str, Any]]:
    """``runs export``: raw rows for CSV; for JSON the runs as ``flopcast.ledger_run/1`` (samples decoded)."""
    if samples:
        rows = led.samples()
        return [decode(r) for r in rows] if as_json else rows
    return [r.to_dict() for r in list_runs(led)] if as_json else led.runs()
