"""Helpers for report tests: real runs recorded by `flopcast track` on this machine, and a synthetic two-node job."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flopcast.cli import main
from flopcast.measure import Ledger

PY = sys.executable
XSS = "<script>alert(1)</script>"
DEAD_PID = 2**22 + 12345  # above Linux's largest pid_max: no such process
STEPS_CHILD = """
import sys, time, flopcast
with flopcast.track() as run:
    for i in range(4):
        time.sleep(0.06)
        run.step()
sys.exit(int(sys.argv[1]))
"""


@dataclass(frozen=True)
class Recorded:
    ledger: Path
    records: dict[str, dict[str, Any]]  # run name -> the record `flopcast track --json` printed
    job_records: list[dict[str, Any]]  # the two synthetic node records
    job_id: str
    dir: Path


def cli(args: list[str]) -> tuple[int, str, str]:
    """`flopcast ARGS` in-process through the real error boundary: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def track(ledger: Path, name: str, exit_code: int, *extra: str, child: str = STEPS_CHILD) -> dict[str, Any]:
    """A real run: `flopcast track --ledger L --name NAME ... -- python -c CHILD EXIT`, run as a user runs it."""
    cmd = [
        PY,
        "-m",
        "flopcast",
        "track",
        "--ledger",
        str(ledger),
        "--name",
        name,
        "--interval",
        "0.05",
        "--flop-per-step",
        "1e9",
        *extra,
        "--json",
        "--",
        PY,
        "-c",
        child,
        str(exit_code),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == exit_code, done.stderr
    return json.loads(done.stdout)


def add_row(
    ledger: Path, template: dict[str, Any], run_id: str, name: str, status: str, started_at: str, **changes: Any
) -> dict[str, Any]:
    """One run row as the tracker leaves it: ``interrupted`` (SIGINT, exit 130) is finished; ``running`` is a
    row whose tracker died (its pid is gone from this host), which the ledger's read side calls ``lost``."""
    rec = dict(template, run_id=run_id, name=name, status=status, started_at=started_at, **changes)
    with Ledger(ledger) as led:
        led.begin_run(
            {
                "run_id": run_id,
                "host": socket.gethostname(),
                "pid": DEAD_PID,
                "name": name,
                "command": json.dumps(["python", "train.py"]),
                "status": "running",
                "started_at": started_at,
            }
        )
        summary = {
            "status": status,
            "exit_code": rec.get("exit_code"),
            "wall_seconds": rec["wall_seconds"],
            "steps": rec["steps"],
            "energy_kwh": rec["energy_kwh"],
            "samples": 1,
            "record": rec,
        }
        if status == "running":
            led.add_sample(run_id, 0, {"t_seconds": 0.1, "unix_time": 0.0, "steps": 0}, summary)
        else:
            led.finish_run(run_id, summary)
    return rec


def add_job(ledger: Path, template: dict[str, Any], job_id: str) -> list[dict[str, Any]]:
    """Two node rows of one distributed job, written the way a node's sampler writes them (begin, then finish)."""
    nodes = []
    with Ledger(ledger) as led:
        for n, (energy, wall) in enumerate(((0.5, 100.0), (0.25, 104.0))):
            rec = dict(
                template,
                run_id=f"job-node-{n}",
                job_id=job_id,
                name="job",
                wall_seconds=wall,
                active_seconds=wall - 1,
                energy_kwh=energy,
                it_energy_kwh=energy / template["pue"],
                co2e_kg=energy * 0.4,
                cost_usd=10.0 + n,
                chip_hours=2.0,
                chips=2,
                steps=1000,
                flop_per_step=4e12,
                peak_flop_per_s_per_chip=1e14,
                status="completed",
                exit_code=0,
                distributed={
                    "launcher": "torchrun",
                    "rank": 2 * n,
                    "local_rank": 0,
                    "world_size": 4,
                    "node_rank": n,
                    "job_id": job_id,
                },
            )
            led.begin_run(
                {
                    "run_id": rec["run_id"],
                    "job_id": job_id,
                    "node_rank": n,
                    "host": f"node{n}",
                    "pid": 1,
                    "name": "job",
                    "command": json.dumps(["python", "train.py"]),
                    "status": "running",
                    "started_at": f"2026-01-01T00:00:0{n}+00:00",
                }
            )
            led.finish_run(
                rec["run_id"],
                {
                    "status": "completed",
                    "exit_code": 0,
                    "ended_at": "2026-01-01T01:00",
                    "wall_seconds": wall,
                    "steps": 1000,
                    "energy_kwh": energy,
                    "co2e_kg": rec["co2e_kg"],
                    "cost_usd": rec["cost_usd"],
                    "samples": 0,
                    "record": rec,
                },
            )
            nodes.append(rec)
    return nodes
