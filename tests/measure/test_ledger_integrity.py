"""A damaged ledger stops `track` before the job; a run id is printed only once its row reads back;
a final write that fails never loses the run (it is saved to a JSON file and the exit code says so)."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest

from flopcast.cli import main
from flopcast.errors import LedgerError
from flopcast.measure import Ledger, track

PY = sys.executable
GARBAGE = b"\xde\xad\xbe\xef" * 1024


def real_ledger(path: Path, runs: int = 3, samples: int = 40) -> dict[str, int]:
    """A real flopcast ledger with a few runs, checkpointed into the main file; {table/index: root page}."""
    with Ledger(path) as led:
        for r in range(runs):
            rid = f"r{r}"
            led.begin_run({"run_id": rid, "status": "running", "started_at": f"2026-01-0{r + 1}T00:00:00+00:00"})
            for i in range(samples):
                led.add_sample(
                    rid,
                    i,
                    {"t_seconds": float(i), "unix_time": 1e9 + i, "data": {"x": "y" * 200}},
                    {"steps": i, "samples": i + 1},
                )
            led.finish_run(
                rid,
                {
                    "status": "completed",
                    "exit_code": 0,
                    "steps": samples,
                    "samples": samples,
                    "record": {"run_id": rid, "pad": "z" * 3000},
                },
            )
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    roots = dict(con.execute("SELECT name, rootpage FROM sqlite_master WHERE rootpage > 0"))
    con.close()
    return roots


def damage(path: Path, page: int, page_size: int = 4096) -> None:
    with open(path, "r+b") as f:
        f.seek((page - 1) * page_size)
        f.write(GARBAGE)


def marker_cmd(marker: Path) -> list[str]:
    return ["--", PY, "-c", f"open({str(marker)!r}, 'w').close()"]


@pytest.mark.parametrize(
    "what", ["flopcast_schema", "runs", "sqlite_autoindex_runs_1", "samples", "events", "runs_job"]
)
def test_damaged_pages_stop_track_before_the_job_and_are_left_untouched(capsys, tmp_path, what):
    ledger = tmp_path / "runs.sqlite"
    roots = real_ledger(ledger)
    damage(ledger, roots[what])
    con = sqlite3.connect(ledger)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    except sqlite3.DatabaseError:
        ok = False
    con.close()
    assert not ok  # the premise: SQLite itself finds the damage
    before = ledger.read_bytes()
    marker = tmp_path / "ran"
    assert main(["track", "--ledger", str(ledger), *marker_cmd(marker)]) == 2
    out = capsys.readouterr()
    assert out.err.startswith("flopcast: error:") and out.err.count("\n") == 1
    assert "damaged" in out.err or "not a readable flopcast ledger" in out.err
    assert "--ledger" in out.err and "backup" in out.err  # the fix
    assert out.out == ""  # no run id printed
    assert not marker.exists()
    assert ledger.read_bytes() == before
    assert main(["runs", "list", "--ledger", str(ledger)]) in (0, 2)  # whatever still reads, never an internal error
    assert "internal error" not in capsys.readouterr().err


def test_library_refuses_a_damaged_ledger_before_the_run(tmp_path):
    ledger = tmp_path / "runs.sqlite"
    damage(ledger, real_ledger(ledger)["samples"])
    with pytest.raises(LedgerError, match="damaged"):
        track(ledger=ledger).start()


def test_a_sound_ledger_reads_back_what_track_printed(capsys, tmp_path):
    ledger = tmp_path / "runs.sqlite"
    real_ledger(ledger)
    assert main(["track", "--json", "--ledger", str(ledger), "--", PY, "-c", "pass"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["ledger"] == str(ledger) and rec["save_error"] is None and rec["fallback_file"] is None
    assert main(["runs", "show", rec["run_id"], "--ledger", str(ledger), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["record"]
    assert shown["run_id"] == rec["run_id"] and shown["exit_code"] == 0


DELETE_LEDGER = """
import os, sys, time
time.sleep(0.3)
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(sys.argv[1] + suffix):
        os.unlink(sys.argv[1] + suffix)
time.sleep(0.15)
"""

DAMAGE_LEDGER = """
import os, sys, time
time.sleep(0.3)
with open(sys.argv[1], "r+b") as f:
    for page in range(3, os.path.getsize(sys.argv[1]) // 4096 + 1):
        f.seek((page - 1) * 4096)
        f.write(b"\\xde\\xad" * 2048)
time.sleep(0.15)
"""


@pytest.mark.parametrize(
    "child, needle", [(DELETE_LEDGER, "did not read back"), (DAMAGE_LEDGER, "damaged during the run")]
)
def test_a_final_write_that_does_not_read_back_is_saved_elsewhere_and_exits_2(capsys, tmp_path, child, needle):
    ledger = tmp_path / "runs.sqlite"
    real_ledger(ledger)
    code = main(["track", "--ledger", str(ledger), "--interval", "0.05", "--", PY, "-c", child, str(ledger)])
    out = capsys.readouterr()
    assert code == 2
    assert out.err.startswith("flopcast: error:") and out.err.count("\n") == 1 and needle in out.err
    assert "exited 0" in out.err
    (saved,) = tmp_path.glob("runs.*.unsaved.json")
    assert str(saved) in out.err
    payload = json.loads(saved.read_text())
    rec = payload["record"]
    assert payload["run_id"] == rec["run_id"] and rec["status"] == "completed" and rec["exit_code"] == 0
    assert rec["wall_seconds"] >= 0.3 and rec["ledger"] is None
    assert f"flopcast runs show {rec['run_id']}" not in out.out  # never pointed at a ledger that lacks it


def test_no_writable_fallback_says_the_record_is_only_in_the_output(capsys, tmp_path, monkeypatch):
    from flopcast.measure import fallback as fallback_mod

    ledger = tmp_path / "runs.sqlite"

    def refuse(self, run_id, summary):
        raise LedgerError(f"ledger {self.path}: disk full (simulated)")

    monkeypatch.setattr(Ledger, "finish_run", refuse)
    monkeypatch.setattr(fallback_mod, "candidate_dirs", lambda p: [Path("/proc/no-such-dir")])
    code = main(["track", "--json", "--ledger", str(ledger), "--", PY, "-c", "pass"])
    out = capsys.readouterr()
    rec = json.loads(out.out)
    assert code == 2 and rec["fallback_file"] is None and rec["exit_code"] == 0
    assert "disk full (simulated)" in out.err and "only in this output" in out.err and out.err.count("\n") == 1


def test_samples_the_ledger_refused_are_kept(tmp_path, monkeypatch):
    ledger = tmp_path / "runs.sqlite"
    calls = {"n": 0}
    real = Ledger.add_sample

    def flaky(self, *args):
        calls["n"] += 1
        if calls["n"] == 2:
            raise LedgerError("ledger: disk I/O error (simulated)")
        return real(self, *args)

    monkeypatch.setattr(Ledger, "add_sample", flaky)
    import time

    with track(ledger=ledger, interval=0.02) as run:
        time.sleep(0.15)
    rec = run.result
    assert rec.save_error is None and rec.ledger == str(ledger)
    saved = json.loads(Path(rec.fallback_file).read_text())
    assert len(saved["unsaved_samples"]) == 1 and saved["unsaved_samples"][0]["seq"] == 1
    assert any("1 samples could not be written" in e for e in rec.errors)


def test_runs_list_on_a_directory_says_what_is_expected(capsys, tmp_path):
    assert main(["runs", "list", "--ledger", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and "SQLite file" in err and "no ledger" not in err
    real_ledger(tmp_path / "runs.sqlite")
    assert main(["runs", "list", "--ledger", str(tmp_path)]) == 2
    assert f"pass --ledger {tmp_path / 'runs.sqlite'}" in capsys.readouterr().err
    assert main(["track", "--ledger", str(tmp_path), "--", PY, "-c", "pass"]) == 2
    assert "is a directory" in capsys.readouterr().err
