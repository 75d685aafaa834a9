"""``flopcast track --json -- CMD``: standard output is the JSON record alone, whatever the command prints;
the command's own output goes to standard error (and without --json it stays on standard output)."""

from __future__ import annotations

import json
import subprocess
import sys


def _track(tmp_path, *flags):
    cmd = [
        sys.executable,
        "-m",
        "flopcast",
        "track",
        *flags,
        "--ledger",
        str(tmp_path / "r.sqlite"),
        "--interval",
        "0.05",
        "--",
        sys.executable,
        "-c",
        "print('hello'); print('world', flush=True)",
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_json_stdout_parses_when_the_child_prints(tmp_path):
    done = _track(tmp_path, "--json")
    assert done.returncode == 0, done.stderr
    rec = json.loads(done.stdout)
    assert rec["schema"] == "flopcast.run/1" and rec["status"] == "completed" and rec["exit_code"] == 0
    assert "hello\nworld\n" in done.stderr


def test_without_json_the_child_keeps_stdout(tmp_path):
    done = _track(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hello\nworld\n") and "hello" not in done.stderr


def test_a_tracked_program_reports_its_loss_tokens_and_size_to_the_parent(tmp_path):
    code = (
        "import flopcast\n"
        "with flopcast.track(model_params=1000) as run:\n"
        "    run.step(loss=3.0, tokens=64)\n"
        "    run.step(loss=2.5, tokens=64)\n"
    )
    cmd = [
        sys.executable,
        "-m",
        "flopcast",
        "track",
        "--json",
        "--ledger",
        str(tmp_path / "r.sqlite"),
        "--interval",
        "0.05",
        "--",
        sys.executable,
        "-c",
        code,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rec = json.loads(done.stdout)
    assert (rec["steps"], rec["final_loss"], rec["tokens_seen"], rec["model_params"]) == (2, 2.5, 128, 1000)
