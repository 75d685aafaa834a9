"""SIGTERM / SIGINT reach `flopcast track -- CMD` from outside: the record closes cleanly, codes pass through."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from flopcast.cli import main
from flopcast.errors import LedgerError
from flopcast.measure import Ledger

# The command marks when its interpreter is up: a signal that lands while Python is still importing `site`
# ends it with exit 1 (a KeyboardInterrupt in startup), not the signal's code, and the test would be flaky.
SLEEPER = "import pathlib, sys, time; pathlib.Path(sys.argv[1]).touch(); time.sleep(60)"


def start_tracked(ledger, *, new_session=False):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flopcast",
            "track",
            "--json",
            "--interval",
            "0.1",
            "--ledger",
            str(ledger),
            "--",
            sys.executable,
            "-c",
            SLEEPER,
            str(ledger) + ".ready",
        ],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=new_session,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        time.sleep(0.1)
        try:
            with Ledger(ledger, readonly=True) as led:
                if led.samples() and os.path.exists(str(ledger) + ".ready"):
                    return proc
        except LedgerError:
            continue
    proc.kill()
    pytest.fail("tracker never started sampling")


@pytest.mark.parametrize(
    "sig, how, status, code",
    [
        (signal.SIGTERM, "tracker", "terminated", 128 + signal.SIGTERM),  # forwarded to the command
        (signal.SIGINT, "group", "interrupted", 128 + signal.SIGINT),  # Ctrl-C: the terminal signals the group
    ],
)
def test_signal_closes_the_record(tmp_path, sig, how, status, code):
    ledger = tmp_path / "l.sqlite"
    proc = start_tracked(ledger, new_session=how == "group")
    if how == "group":
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == code
    rec = json.loads(out)
    assert rec["status"] == status and rec["exit_code"] == code
    with Ledger(ledger, readonly=True) as led:
        (row,) = led.runs()
    assert row["status"] == status and row["ended_at"] is not None


def test_killed_tracker_shows_as_lost(tmp_path, capsys):
    ledger = tmp_path / "l.sqlite"
    proc = start_tracked(ledger, new_session=True)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    assert main(["runs", "list", "--ledger", str(ledger)]) == 0
    assert "lost" in capsys.readouterr().out
