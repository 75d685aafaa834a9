"""One record shape: `track --json`, `runs show --json`, `runs list --json` and `runs export --format json` hold
the same `flopcast.run/1` record of a run; the ledger decides `lost`, the CLI only renders it."""

from __future__ import annotations

import json
import sys

from flopcast.cli import main
from flopcast.measure import RUN_SCHEMA, RunRecord, live_status, track

PY = sys.executable


def out_json(capsys, args):
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_the_four_outputs_hold_the_same_record(capsys, tmp_path):
    ledger = str(tmp_path / "l.sqlite")
    tracked = out_json(
        capsys,
        [
            "track",
            "--json",
            "--interval",
            "0.05",
            "--region",
            "FRA",
            "--ledger",
            ledger,
            "--total-steps",
            "4",
            "--",
            PY,
            "-c",
            "import time; time.sleep(0.2)",
        ],
    )
    assert tracked["schema"] == RUN_SCHEMA == "flopcast.run/1"
    shown = out_json(capsys, ["runs", "show", tracked["run_id"], "--json", "--ledger", ledger])
    listed = out_json(capsys, ["runs", "list", "--json", "--ledger", ledger])
    exported = out_json(capsys, ["runs", "export", "--format", "json", "--ledger", ledger])
    assert shown["record"] == listed["runs"][0]["record"] == exported[0]["record"] == tracked
    assert shown == listed["runs"][0] == exported[0]  # one ledger-run shape too
    assert shown["schema"] == "flopcast.ledger_run/1" and listed["schema"] == "flopcast.run_list/1"
    assert shown["samples_in_ledger"] >= 2 and shown["status"] == "completed"


def test_record_round_trips_and_reads_an_older_ledger_record(tmp_path):
    with track(ledger=False, interval=0.02, total_steps=3, flop_per_step=1e9) as run:
        for _ in range(3):
            run.step()
    d = run.result.to_dict()
    assert RunRecord.from_dict(d) == run.result and RunRecord.from_dict(d).to_dict() == d
    old = {k: v for k, v in d.items() if k not in ("schema", "fallback_file", "save_error")}  # before the schema key
    assert RunRecord.from_dict(old).to_dict() == d
    assert len(repr(run.result)) < 120 and run.result.run_id in repr(run.result)


def test_lost_is_decided_by_the_library():
    row = {"status": "running", "host": "h1", "pid": 4242}
    assert live_status(row, host="h1", pid_exists=lambda pid: False) == "lost"
    assert live_status(row, host="h1", pid_exists=lambda pid: True) == "running"
    assert live_status(row, host="other", pid_exists=lambda pid: False) == "running"  # cannot tell from here
    assert live_status({**row, "status": "completed"}, host="h1", pid_exists=lambda pid: False) == "completed"
