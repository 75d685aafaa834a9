"""`flopcast track -- CMD` and `flopcast runs ...` through flopcast.cli.main."""

from __future__ import annotations

import csv
import io
import json
import resource
import sys

import pytest

from flopcast.cli import main
from flopcast.measure import Ledger

PY = sys.executable
CHILD = """
import sys, time, flopcast
with flopcast.track(total_steps=6, flop_per_step=2e9) as run:
    t = time.process_time()
    for i in range(6):
        while time.process_time() - t < 0.04 * (i + 1):
            pass
        run.step()
    time.sleep(0.3)
import os
start_ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])  # field 22: starttime
age = time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
open(sys.argv[2], "w").write(str(age))  # the kernel's view of how long this process has lived
sys.exit(int(sys.argv[1]))
"""


def children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_json(capsys, args):
    code = main(args)
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip().startswith("{") else None), out.err


def test_track_json_passes_exit_code_and_agrees_with_the_os(capsys, tmp_path):
    ledger = str(tmp_path / "l.sqlite")
    age = tmp_path / "age"
    cpu0 = children_cpu()
    code, rec, _ = run_json(
        capsys,
        [
            "track",
            "--json",
            "--interval",
            "0.1",
            "--ledger",
            ledger,
            "--region",
            "FRA",
            "--",
            PY,
            "-c",
            CHILD,
            "3",
            str(age),
        ],
    )
    cpu = children_cpu() - cpu0
    assert code == 3
    for key in (
        "run_id",
        "exit_code",
        "wall_seconds",
        "chip_hours",
        "energy_kwh",
        "energy_source",
        "co2e_kg",
        "cost_usd",
        "achieved_flop_per_s",
        "mfu",
        "forecast",
    ):
        assert key in rec
    assert rec["exit_code"] == 3 and rec["status"] == "failed"
    assert rec["cpu_seconds"] == pytest.approx(cpu, abs=0.01)  # wait4 rusage of the child: the OS's figure
    # wall time: the child's age at its last line (kernel start time, 10 ms ticks) plus its exit, within 0.3 s
    lived = float(age.read_text())
    assert lived - 0.03 <= rec["wall_seconds"] <= lived + 0.3
    # steps and FLOP/step were reported by the flopcast.track() inside the command
    assert rec["steps"] == 6 and rec["total_steps"] == 6 and rec["flop_per_step"] == 2e9
    assert rec["achieved_flop_per_s"] > 0
    assert rec["energy_source"] == {"gpu": "unavailable", "cpu": "estimated", "ram": "estimated"}
    assert rec["region"] == "FRA" and rec["g_co2e_per_kwh"] == 56.0
    with Ledger(ledger, readonly=True) as led:
        (row,) = led.runs()
    assert row["run_id"] == rec["run_id"] and row["exit_code"] == 3 and json.loads(row["command"])[0] == PY


def test_signal_death_is_reported_shell_style(capsys, tmp_path):
    code, rec, _ = run_json(
        capsys,
        [
            "track",
            "--json",
            "--ledger",
            str(tmp_path / "l.sqlite"),
            "--",
            PY,
            "-c",
            "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
        ],
    )
    assert code == 143 == rec["exit_code"]


def test_missing_command_is_127(capsys, tmp_path):
    assert main(["track", "--ledger", str(tmp_path / "l.sqlite"), "--", "no-such-program-xyz"]) == 127
    assert "command not found: no-such-program-xyz" in capsys.readouterr().err
    assert main(["track", "--ledger", str(tmp_path / "l.sqlite"), "--", str(tmp_path / "nope.sh")]) == 127
    noexec = tmp_path / "script.sh"
    noexec.write_text("echo hi\n")
    assert main(["track", "--ledger", str(tmp_path / "l.sqlite"), "--", str(noexec)]) == 126
    assert main(["track", "--ledger", str(tmp_path / "l.sqlite")]) == 2
    assert "no command given" in capsys.readouterr().err


@pytest.mark.parametrize(
    "bad, message",
    [
        (["--hardware", "h1000"], "unknown accelerator"),
        (["--region", "Atlantis"], "unknown"),
        (["--interval", "0"], "interval must be"),
        (["--precision", "fp4"], "fp4"),
    ],
)
def test_bad_inputs_exit_2_before_the_command_runs(capsys, tmp_path, bad, message):
    marker = tmp_path / "ran"
    args = [
        "track",
        "--ledger",
        str(tmp_path / "l.sqlite"),
        "--hardware",
        "a100 80gb",
        *bad,
        "--",
        PY,
        "-c",
        f"open({str(marker)!r}, 'w').close()",
    ]
    if bad[0] == "--hardware":
        args[3:5] = []
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("flopcast: error:") and message in err and "Traceback" not in err
    assert not marker.exists()


def test_corrupt_and_unwritable_ledgers_stop_before_the_job(capsys, tmp_path):
    marker = tmp_path / "ran"
    cmd = ["--", PY, "-c", f"open({str(marker)!r}, 'w').close()"]
    corrupt = tmp_path / "bad.sqlite"
    corrupt.write_bytes(b"\x00garbage" * 64)
    before = corrupt.read_bytes()
    assert main(["track", "--ledger", str(corrupt), *cmd]) == 2
    assert "not a readable flopcast ledger" in capsys.readouterr().err
    assert corrupt.read_bytes() == before
    assert main(["track", "--ledger", str(tmp_path / "missing-dir" / "l.sqlite"), *cmd]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["runs", "list", "--ledger", str(corrupt)]) == 2
    assert not marker.exists()


def test_env_var_ledger_and_runs_commands(capsys, tmp_path, monkeypatch):
    ledger = tmp_path / "env.sqlite"
    monkeypatch.setenv("FLOPCAST_LEDGER", str(ledger))
    ids = []
    for code in (0, 1):
        assert main(["track", "--json", "--name", f"job{code}", "--", PY, "-c", f"raise SystemExit({code})"]) == code
        ids.append(json.loads(capsys.readouterr().out)["run_id"])
    assert ledger.exists()
    assert main(["runs", "list"]) == 0
    listing = capsys.readouterr().out
    assert ids[0] in listing and ids[1] in listing and "failed" in listing and "job0" in listing
    assert main(["runs", "show", ids[1][:-3], "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["record"]["run_id"] == ids[1] and shown["record"]["exit_code"] == 1
    assert main(["runs", "show", ids[0]]) == 0
    assert ids[0] in capsys.readouterr().out
    assert main(["runs", "show", "zzz"]) == 2
    assert "unknown run 'zzz'" in capsys.readouterr().err
    assert main(["runs", "export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["run_id"] for r in rows] == ids and rows[1]["status"] == "failed"
    out = tmp_path / "runs.json"
    assert main(["runs", "export", "--format", "json", "-o", str(out)]) == 0
    exported = json.loads(out.read_text())
    assert [r["record"]["exit_code"] for r in exported] == [0, 1]
    assert main(["runs", "export", "--samples", "--format", "json"]) == 0
    samples = json.loads(capsys.readouterr().out)
    assert {s["run_id"] for s in samples} == set(ids)
    assert main(["runs", "export", "--format", "xml"]) == 2


def test_human_output_labels_every_figure(capsys, tmp_path):
    assert main(["track", "--ledger", str(tmp_path / "l.sqlite"), "--", PY, "-c", "pass"]) == 0
    out = capsys.readouterr().out
    assert "unavailable" in out and "estimated" in out
    assert "world average" in out  # no region given: said so
    assert "assumed: grid_intensity" in out
