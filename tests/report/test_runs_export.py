"""`flopcast runs export --format csv|parquet`: one flat column per figure; read back with the csv module (and
pyarrow, when installed), every cell equals the figure `runs show --json` holds for that run."""

from __future__ import annotations

import csv
import io
import json
import platform
import sys

import psutil
import pytest

from flopcast.report.run_table import COLUMNS

from .helpers import Recorded, cli

NUMBERS = (
    "wall_seconds",
    "active_seconds",
    "pue",
    "g_co2e_per_kwh",
    "chip_hours",
    "it_energy_kwh",
    "energy_kwh",
    "co2e_kg",
    "cost_usd",
    "achieved_flop_per_s",
    "mfu",
    "peak_flop_per_s_per_chip",
    "flop_per_step",
    "final_loss",
    "final_eval_loss",
    "epochs",
)
WHOLE = (
    "exit_code",
    "steps",
    "chips",
    "tokens_seen",
    "model_params",
    "model_params_non_embedding",
    "dataset_examples",
    "ram_total_bytes",
)
TEXT = (
    "run_id",
    "job_id",
    "name",
    "status",
    "started_at",
    "ended_at",
    "hardware",
    "precision",
    "region",
    "cpu_model",
    "os",
    "python_version",
)


def shown(recorded: Recorded, run_id: str) -> dict:
    code, out, err = cli(["runs", "show", run_id, "--ledger", str(recorded.ledger), "--json"])
    assert code == 0, err
    return json.loads(out)


def expected(run: dict) -> dict:
    """The flat row a `runs show --json` run should give, derived here from the record itself."""
    rec = run["record"]
    row = {k: rec[k] for k in (*NUMBERS, *WHOLE, *TEXT[4:])}
    row.update(run_id=run["run_id"], job_id=run["job_id"], name=run["name"], status=run["status"])
    for c in ("gpu", "cpu", "ram"):
        comp = rec["components"].get(c)
        basis = rec["energy_source"].get(c) if comp else None
        row[f"{c}_energy_basis"] = basis
        row[f"{c}_energy_kwh"] = (
            comp["energy_joules"] / 3.6e6
            if comp and basis != "unavailable" and comp["energy_joules"] is not None
            else None
        )
    return row


def parse(cell: str, col: str):
    if cell == "":
        return None
    return float(cell) if col in NUMBERS or col.endswith("_kwh") else int(cell) if col in WHOLE else cell


def test_csv_reads_back_as_the_ledgers_figures(recorded: Recorded) -> None:
    code, out, err = cli(["runs", "export", "--ledger", str(recorded.ledger)])
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 8  # 4 tracked + interrupted + lost + 2 job nodes
    assert not any(cell.startswith(("{", "[")) for r in rows for cell in r.values())  # no JSON blobs
    for r in rows:
        want = expected(shown(recorded, r["run_id"]))
        got = {c: parse(r[c], c) for c in COLUMNS}
        assert got == want, r["run_id"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["sweep-2"]["status"] == "failed" and by_name["sweep-2"]["exit_code"] == "3"
    assert by_name["sweep-5"]["status"] == "lost" and by_name["sweep-4"]["exit_code"] == "130"
    # a tracked run on this machine: H100 at its TDP (assumed, no NVML), the CPU estimated
    s1 = by_name["sweep-1"]
    assert (s1["hardware"], s1["chips"], s1["region"], s1["gpu_energy_basis"]) == (
        "H100 SXM5 80GB",
        "1",
        "FRA",
        "assumed",
    )
    assert s1["cpu_energy_basis"] == "estimated" and float(s1["cpu_energy_kwh"]) > 0
    assert float(s1["energy_kwh"]) == pytest.approx(float(s1["it_energy_kwh"]) * float(s1["pue"]))
    assert float(s1["chip_hours"]) == pytest.approx(float(s1["wall_seconds"]) / 3600)
    # the machine (issue 14), read at run start: this machine's figures, flat columns
    assert COLUMNS[-4:] == ("cpu_model", "ram_total_bytes", "os", "python_version")
    assert int(s1["ram_total_bytes"]) == psutil.virtual_memory().total
    assert (s1["os"], s1["python_version"]) == (platform.platform(), platform.python_version())


def test_json_export_is_unchanged(recorded: Recorded) -> None:
    code, out, err = cli(["runs", "export", "--format", "json", "--ledger", str(recorded.ledger)])
    assert code == 0, err
    runs = json.loads(out)
    assert runs[0]["schema"] == "flopcast.ledger_run/1" and runs[0] == shown(recorded, runs[0]["run_id"])


def test_csv_to_a_file(recorded: Recorded, tmp_path) -> None:
    out = tmp_path / "runs.csv"
    code, _, err = cli(["runs", "export", "--ledger", str(recorded.ledger), "-o", str(out)])
    assert code == 0, err
    assert out.read_text(encoding="utf-8").splitlines()[0] == ",".join(COLUMNS)


def test_parquet_reads_back_as_the_ledgers_figures(recorded: Recorded, tmp_path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "runs.parquet"
    code, _, err = cli(["runs", "export", "--format", "parquet", "--ledger", str(recorded.ledger), "-o", str(out)])
    assert code == 0, err
    rows = pq.read_table(out).to_pylist()
    assert tuple(rows[0]) == COLUMNS
    for r in rows:
        assert r == expected(shown(recorded, r["run_id"])), r["run_id"]


@pytest.mark.parametrize("case", ["no-pyarrow", "stdout", "samples", "unwritable"])
def test_parquet_refusals_are_one_line(recorded: Recorded, monkeypatch, tmp_path, case: str) -> None:
    if case == "no-pyarrow":
        monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError
        monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    target = {"stdout": [], "unwritable": ["-o", "/proc/flopcast/r.parquet"]}.get(case, ["-o", str(tmp_path / "r.pq")])
    # the destination is checked first, then pyarrow: an impossible path is named even without pyarrow
    extra = ["--samples"] if case == "samples" else []
    code, out, err = cli(["runs", "export", "--format", "parquet", *extra, *target, "--ledger", str(recorded.ledger)])
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("flopcast: error: ")
    assert {
        "no-pyarrow": "pip install pyarrow",
        "stdout": "give -o",
        "samples": "--samples",
        "unwritable": "output file",
    }[case] in lines[0]
    assert not (tmp_path / "r.pq").exists()
