"""The SQLite ledger: written as it goes, survives kill -9, shared by concurrent writers, never clobbers."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from flopcast.errors import LedgerError
from flopcast.measure.ledger import SCHEMA_VERSION, Ledger, default_ledger_path

WORKER_FOREVER = """
import sys, time, flopcast
with flopcast.track(ledger=sys.argv[1], interval=0.05, total_steps=10**6, name="doomed") as run:
    while True:
        time.sleep(0.002)
        run.step()
"""

WORKER_TIMED = """
import sys, time, json, flopcast
with flopcast.track(ledger=sys.argv[1], interval=0.01, name=sys.argv[2]) as run:
    t = time.time()
    while time.time() - t < 1.5:
        run.step()
        time.sleep(0.001)
r = run.result
print(json.dumps({"run_id": r.run_id, "samples": r.samples, "steps": r.steps, "errors": list(r.errors)}))
"""


def test_schema_and_roundtrip(tmp_path):
    path = tmp_path / "l.sqlite"
    with Ledger(path) as led:
        led.begin_run({"run_id": "r1", "status": "running", "started_at": "2026-01-01T00:00:00+00:00"})
        led.add_sample(
            "r1",
            0,
            {"t_seconds": 0.0, "unix_time": 1.0, "steps": 0, "data": {"a": float("nan")}},
            {"steps": 0, "samples": 1},
        )
        led.finish_run("r1", {"status": "completed", "steps": 5, "record": {"x": 1}})
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT version FROM flopcast_schema").fetchall() == [(SCHEMA_VERSION,)]
    con.close()
    with Ledger(path, readonly=True) as led:
        row = led.run("r")
        assert row["status"] == "completed" and row["steps"] == 5 and json.loads(row["record"]) == {"x": 1}
        assert json.loads(led.samples("r1")[0]["data"]) == {"a": None}  # strict JSON, no NaN token


def test_corrupt_file_is_an_error_and_left_untouched(tmp_path):
    path = tmp_path / "runs.sqlite"
    junk = b"this is not sqlite" * 100
    path.write_bytes(junk)
    for ro in (False, True):
        with pytest.raises(LedgerError, match="not a readable flopcast ledger"):
            Ledger(path, readonly=ro)
    assert path.read_bytes() == junk


def test_other_sqlite_database_is_not_taken_over(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(LedgerError, match="not a flopcast ledger"):
        Ledger(path)
    assert path.read_bytes() == before


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "l.sqlite"
    Ledger(path).close()
    con = sqlite3.connect(path)
    con.execute("UPDATE flopcast_schema SET version = 99")
    con.commit()
    con.close()
    with pytest.raises(LedgerError, match="schema version 99"):
        Ledger(path)


def test_unwritable_locations(tmp_path):
    afile = tmp_path / "f"
    afile.write_text("x")
    with pytest.raises(LedgerError, match="does not exist"):
        Ledger(afile / "runs.sqlite")  # parent is a file
    with pytest.raises(LedgerError, match="does not exist"):
        Ledger(tmp_path / "no" / "such" / "runs.sqlite")
    with pytest.raises(LedgerError, match="is a directory"):
        Ledger(tmp_path)
    with pytest.raises(LedgerError, match="no ledger"):
        Ledger(tmp_path / "absent.sqlite", readonly=True)


def test_default_path_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("FLOPCAST_LEDGER", str(tmp_path / "env.sqlite"))
    assert default_ledger_path() == tmp_path / "env.sqlite"
    monkeypatch.delenv("FLOPCAST_LEDGER")
    assert default_ledger_path().name == "runs.sqlite"


def test_kill_9_keeps_every_committed_sample(tmp_path):
    path = tmp_path / "k.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", WORKER_FOREVER, str(path)])
    deadline = time.time() + 30
    n = 0
    while time.time() < deadline and n < 10:
        time.sleep(0.1)
        if path.exists():
            try:
                with Ledger(path, readonly=True) as led:
                    n = len(led.samples())
            except LedgerError:
                n = 0
    assert n >= 10, "tracker never wrote samples"
    os.kill(proc.pid, signal.SIGKILL)
    killed_at = time.time()
    proc.wait()
    with Ledger(path, readonly=True) as led:
        (row,) = led.runs()
        samples = led.samples(row["run_id"])
    assert row["status"] == "running"  # never closed: the record says so
    assert [s["seq"] for s in samples] == list(range(len(samples)))
    assert len(samples) >= n
    # the newest committed sample is at most ~one interval (0.05 s) before the kill (slack for a busy box)
    assert killed_at - samples[-1]["unix_time"] < 0.5
    assert json.loads(row["record"])["steps"] == row["steps"] > 0
    assert samples[-1]["steps"] == row["steps"]


def test_two_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "c.sqlite"
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER_TIMED, str(path), f"w{i}"], stdout=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    results = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    with Ledger(path, readonly=True) as led:
        rows = {r["run_id"]: r for r in led.runs()}
        for res in results:
            assert res["errors"] == []
            assert res["samples"] > 20
            assert len(led.samples(res["run_id"])) == res["samples"]
            assert rows[res["run_id"]]["steps"] == res["steps"]
            assert rows[res["run_id"]]["status"] == "completed"
