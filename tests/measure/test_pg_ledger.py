"""The PostgreSQL ledger (``--ledger postgresql://...``) against a real server started here (initdb + pg_ctl on a
local socket; skipped when the binaries, SQLAlchemy or psycopg are missing): the same round trip, migration,
refusals, kill -9 and concurrent-writer checks as the SQLite ledger."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from flopcast.errors import LedgerError
from flopcast.measure import Ledger, RunRecord, track
from flopcast.measure.ledger import SCHEMA_VERSION

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

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
        run.step(loss=1.0, tokens=8)
        time.sleep(0.001)
r = run.result
print(json.dumps({"run_id": r.run_id, "samples": r.samples, "steps": r.steps, "errors": list(r.errors)}))
"""


@pytest.fixture(scope="module")
def server():
    """A throwaway PostgreSQL cluster on a Unix socket in a temp dir; yields a URL template (database to fill)."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on PATH")
    pytest.importorskip("sqlalchemy", reason="pip install sqlalchemy for the PostgreSQL ledger")
    pytest.importorskip("psycopg", reason='pip install "psycopg[binary]" for the PostgreSQL ledger')
    root = Path(tempfile.mkdtemp(prefix="flopcast-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and no 'postgres' user to run the server as")
        shutil.chown(root, "postgres")
        prefix = ["su", "postgres", "-s", "/bin/sh", "-c"]

    def sh(cmd):
        subprocess.run(
            [*prefix, cmd] if prefix else ["/bin/sh", "-c", cmd], check=True, capture_output=True, timeout=120
        )

    sh(f"{initdb} -D {root}/data -A trust -U postgres")
    sh(f"{pg_ctl} -D {root}/data -w -l {root}/log -o '-k {root} -c listen_addresses= -c fsync=off' start")
    try:
        yield f"postgresql://postgres@/{{db}}?host={root}"
    finally:
        sh(f"{pg_ctl} -D {root}/data -m immediate -w stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def url(server):
    """A fresh, empty database for one test."""
    import sqlalchemy

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(
        server.format(db="postgres").replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sqlalchemy.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return server.format(db=name)


def _sql(url, statement):
    import sqlalchemy

    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        out = conn.execute(sqlalchemy.text(statement))
        rows = out.fetchall() if out.returns_rows else None
    engine.dispose()
    return rows


def test_a_tracked_run_round_trips(url):
    with track(ledger=url, interval=0.02, model_params=1234, name="pg-1") as run:
        for loss in (4.0, 3.5, 3.0):
            run.step(loss=loss, tokens=512)
    rec = run.result
    assert rec.status == "completed" and rec.ledger.startswith("postgresql+psycopg://postgres@/")
    with Ledger(url, readonly=True) as led:
        row = led.run(run.run_id)
        stored = RunRecord.from_dict(json.loads(row["record"]))
        steps = led.steps(run.run_id)
        assert led.sample_count(run.run_id) == rec.samples == len(led.samples(run.run_id)) >= 1
    assert stored == rec
    assert [(s["step"], s["loss"], s["tokens"]) for s in steps] == [(1, 4.0, 512), (2, 3.5, 1024), (3, 3.0, 1536)]
    assert _sql(url, "SELECT MAX(version) FROM flopcast_schema")[0][0] == SCHEMA_VERSION


def test_cli_track_and_runs_list_take_a_url(url, capsys):
    from flopcast.cli import main

    assert main(["track", "--json", "--ledger", url, "--interval", "0.05", "--", sys.executable, "-c", "pass"]) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert main(["runs", "list", "--json", "--ledger", url]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in listed["runs"]] == [run_id]
    assert main(["runs", "show", run_id[:8], "--json", "--ledger", url]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == run_id


def test_an_empty_database_read_only_and_a_foreign_runs_table_are_refused(url):
    with pytest.raises(LedgerError, match="holds no flopcast ledger yet"):
        Ledger(url, readonly=True)
    _sql(url, "CREATE TABLE runs (x int)")
    with pytest.raises(LedgerError, match="has a 'runs' table but no flopcast ledger; it was left untouched"):
        Ledger(url)
    assert _sql(url, "SELECT count(*) FROM information_schema.tables WHERE table_schema='public'")[0][0] == 1


def test_a_schema_1_ledger_migrates_on_write_and_reads_read_only(url):
    _sql(
        url,
        "CREATE TABLE flopcast_schema (version INTEGER NOT NULL); INSERT INTO flopcast_schema VALUES (1);"
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY, status TEXT NOT NULL, started_at TEXT NOT NULL)",
    )
    with Ledger(url, readonly=True) as led:
        assert led.runs() == [] and led.steps("x") == []
    Ledger(url).close()
    assert _sql(url, "SELECT version FROM flopcast_schema")[0][0] == SCHEMA_VERSION
    assert _sql(url, "SELECT to_regclass('steps') IS NOT NULL")[0][0] is True


def test_a_newer_schema_is_refused(url):
    _sql(url, "CREATE TABLE flopcast_schema (version INTEGER NOT NULL); INSERT INTO flopcast_schema VALUES (99)")
    with pytest.raises(LedgerError, match="schema version 99"):
        Ledger(url)


def test_a_bad_url_is_one_line_without_the_password(server):
    bad = server.format(db="nonexistent_db").replace("postgres@", "postgres:hunter2@")
    with pytest.raises(LedgerError) as err:
        Ledger(bad)
    assert "hunter2" not in str(err.value) and "\n" not in str(err.value)
    assert "cannot open the ledger" in str(err.value)


def test_kill_9_keeps_every_committed_sample(url):
    proc = subprocess.Popen([sys.executable, "-c", WORKER_FOREVER, url])
    deadline, n = time.time() + 30, 0
    while time.time() < deadline and n < 10:
        time.sleep(0.1)
        try:
            with Ledger(url, readonly=True) as led:
                n = len(led.samples())
        except LedgerError:
            n = 0
    assert n >= 10, "tracker never wrote samples"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Ledger(url, readonly=True) as led:
        (row,) = led.runs()
        samples = led.samples(row["run_id"])
    assert row["status"] == "running" and len(samples) >= n
    assert [s["seq"] for s in samples] == list(range(len(samples)))
    assert json.loads(row["record"])["steps"] == row["steps"] == samples[-1]["steps"] > 0


def test_two_concurrent_writers_lose_nothing(url):
    Ledger(url).close()  # the schema first, so the two writers do not race to create it
    procs = [
        subprocess.Popen([sys.executable, "-c", WORKER_TIMED, url, f"w{i}"], stdout=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    results = [json.loads(p.communicate(timeout=60)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    with Ledger(url, readonly=True) as led:
        rows = {r["run_id"]: r for r in led.runs()}
        for res in results:
            assert res["errors"] == [] and res["samples"] > 20
            assert len(led.samples(res["run_id"])) == res["samples"]
            assert rows[res["run_id"]]["steps"] == res["steps"] and rows[res["run_id"]]["status"] == "completed"
            assert len(led.steps(res["run_id"])) == res["steps"]


def test_an_evaluation_after_the_run_stopped_amends_the_stored_run(url):
    """``run.amend(metrics=...)`` (what the trainer callbacks do for an evaluate() after train()): the step row and
    the updated record in one transaction on the server, read back."""
    with track(ledger=url, interval=0.02, name="pg-amend") as run:
        run.step(2, loss=4.0)
    rec = run.amend(metrics={"eval_loss": 2.5})
    with Ledger(url, readonly=True) as led:
        stored = RunRecord.from_dict(json.loads(led.run(run.run_id)["record"]))
        steps = led.steps(run.run_id)
    assert stored == rec and stored.final_eval_loss == 2.5 and stored.final_loss == 4.0
    assert [(s["step"], s["loss"], s["metrics"]) for s in steps] == [(2, 4.0, None), (2, None, {"eval_loss": 2.5})]
