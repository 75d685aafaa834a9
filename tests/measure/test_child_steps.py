"""Per-step rows from a program inside ``flopcast track -- CMD`` reach the parent's ledger run (issue 15).

The child's sampling thread appends its drained rows to ``FLOPCAST_STEPS_FILE`` as JSON lines; the parent reads
what is new at each sample (a byte offset, a last line without its newline left for later) and commits the rows
with its own run. The children here are real Python processes started by ``flopcast.cli.main``; they write what
they logged to a file, and the ledger must hold exactly that. No timing is asserted: where a child must wait for
the parent, it polls the file or the ledger.
"""

from __future__ import annotations

import json
import sys

import pytest

from flopcast.cli import main
from flopcast.measure import Ledger
from flopcast.measure.progress import StepsReader, append_steps, read_progress, step_row, write_progress

PY = sys.executable

LOGGING_CHILD = """
import json, sys, time, flopcast
logged = []
with flopcast.track() as run:
    for i in range(1, 13):
        loss, tokens = 10.0 / i, 8 * i
        run.step(loss=loss, tokens=tokens, epoch=i / 4)
        logged.append({"step": i, "loss": loss, "tokens": sum(8 * k for k in range(1, i + 1)),
                       "learning_rate": None, "metrics": None})
        if i % 4 == 0:
            run.observe(learning_rate=1e-3 / i, metrics={"eval_loss": 5.0 / i, "eval_acc": i / 20})
            logged.append({"step": i, "loss": None, "tokens": logged[-1]["tokens"], "learning_rate": 1e-3 / i,
                           "metrics": {"eval_loss": 5.0 / i, "eval_acc": i / 20}})
        time.sleep(0.01)
json.dump(logged, open(sys.argv[1], "w"))
"""

CRASHING_CHILD = """
import json, os, signal, sys, time, flopcast
run = flopcast.track().start()
for i in range(1, 6):
    run.step(loss=1.0 / i, tokens=4)
json.dump([{"step": i, "loss": 1.0 / i, "tokens": 4 * i} for i in range(1, 6)], open(sys.argv[1], "w"))
path, deadline = os.environ["FLOPCAST_STEPS_FILE"], time.monotonic() + 60
while time.monotonic() < deadline:  # until the sampling thread has handed the 5 rows to the parent
    if os.path.exists(path) and open(path).read().count("\\n") == 5:
        break
    time.sleep(0.01)
else:
    sys.exit(3)
os.kill(os.getpid(), signal.SIGKILL)  # no atexit, no final tick
"""

PARTIAL_CHILD = """
import json, os, sqlite3, sys, time
path, ledger, run_id = os.environ["FLOPCAST_STEPS_FILE"], sys.argv[1], os.environ["FLOPCAST_PARENT_RUN"]
rows = [json.dumps({"step": i, "t_seconds": 0.1 * i, "loss": 2.0 / i, "tokens": 16 * i}) + "\\n" for i in (1, 2, 3)]

def samples():
    con = sqlite3.connect(ledger)
    try:
        return con.execute("SELECT COUNT(*) FROM samples WHERE run_id = ?", (run_id,)).fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        con.close()

def after_two_more_samples():
    n0, deadline = samples(), time.monotonic() + 60
    while samples() < n0 + 2:  # a whole read-and-commit of the parent after what was written
        if time.monotonic() > deadline:
            sys.exit(3)
        time.sleep(0.01)

with open(path, "a") as f:
    f.write(rows[0] + rows[1][:17]); f.flush()
after_two_more_samples()
with open(path, "a") as f:
    f.write(rows[1][17:] + "not a row\\n" + rows[2] + rows[2][:9]); f.flush()  # a junk line; a row cut off
after_two_more_samples()
"""


def _run(tmp_path, capsys, *cmd: str) -> tuple[int, dict, Ledger]:
    ledger = tmp_path / "l.sqlite"
    code = main(["track", "--json", "--interval", "0.05", "--ledger", str(ledger), "--", *cmd])
    return code, json.loads(capsys.readouterr().out), Ledger(ledger, readonly=True)


def test_rows_the_child_logged_are_the_parents_ledger_rows(tmp_path, capsys):
    logged_file = tmp_path / "logged.json"
    code, rec, led = _run(tmp_path, capsys, PY, "-c", LOGGING_CHILD, str(logged_file))
    assert code == 0 and rec["status"] == "completed" and rec["errors"] == []
    assert [r["run_id"] for r in led.runs()] == [rec["run_id"]]  # the child wrote no run of its own
    rows = led.steps(rec["run_id"])
    logged = json.loads(logged_file.read_text())
    assert [{k: r[k] for k in ("step", "loss", "tokens", "learning_rate", "metrics")} for r in rows] == logged
    assert len(rows) == 12 + 3  # each row once
    # on the parent's clock: after it started (the child starts later), in order, within the run
    ts = [r["t_seconds"] for r in rows]
    assert ts == sorted(ts) and 0 < ts[0] and ts[-1] <= rec["wall_seconds"]
    # the figures still come through the progress file: the last loss, the tokens, the epochs completed
    assert (rec["steps"], rec["final_loss"], rec["tokens_seen"], rec["epochs"]) == (12, 10.0 / 12, 8 * 78, 3.0)
    assert rec["final_eval_loss"] == 5.0 / 12


def test_rows_up_to_a_crash_are_kept(tmp_path, capsys):
    logged_file = tmp_path / "logged.json"
    code, rec, led = _run(tmp_path, capsys, PY, "-c", CRASHING_CHILD, str(logged_file))
    assert code == 128 + 9 and rec["status"] == "failed"
    rows = led.steps(rec["run_id"])
    assert [{k: r[k] for k in ("step", "loss", "tokens")} for r in rows] == json.loads(logged_file.read_text())
    assert [r["run_id"] for r in led.runs()] == [rec["run_id"]]


def test_a_partial_last_line_waits_for_its_newline(tmp_path, capsys):
    ledger = tmp_path / "l.sqlite"
    code = main(
        ["track", "--json", "--interval", "0.05", "--ledger", str(ledger), "--", PY, "-c", PARTIAL_CHILD, str(ledger)]
    )
    rec = json.loads(capsys.readouterr().out)
    assert code == 0
    led = Ledger(ledger, readonly=True)
    rows = led.steps(rec["run_id"])
    # row 2 was read in two halves, row 3 once; the junk line and the cut-off copy of row 3 are not rows
    assert [(r["step"], r["loss"], r["tokens"]) for r in rows] == [(1, 2.0, 16), (2, 1.0, 32), (3, 2.0 / 3, 48)]
    assert [r["t_seconds"] for r in rows] == [0.1, 0.2, 0.1 * 3]  # no unix_time: kept as written
    assert any("1 line(s)" in e and "not step rows" in e for e in rec["errors"])
    assert any("last step row was cut off (9 bytes" in e for e in rec["errors"])


def test_reader_reads_only_whole_new_lines(tmp_path):
    path = tmp_path / "steps.jsonl"
    reader = StepsReader(path)
    assert reader.read() == []  # no file yet
    append_steps(path, [{"step": 1, "t_seconds": 0.5, "loss": 3.0, "tokens": 10}], unix0=1000.0)
    line = path.read_bytes()
    assert json.loads(line)["unix_time"] == 1000.5
    with open(path, "ab") as f:
        f.write(line.replace(b'"step": 1', b'"step": 2')[:20])
    first = reader.read(unix0=999.0)
    assert [(r["step"], r["t_seconds"], r["loss"], r["tokens"]) for r in first] == [(1, 1.5, 3.0, 10)]
    assert (reader.offset, reader.tail_bytes) == (len(line), 20)
    with open(path, "ab") as f:
        f.write(line.replace(b'"step": 1', b'"step": 2')[20:])
    assert [r["step"] for r in reader.read()] == [2]  # the first row is not read again
    assert reader.read() == [] and reader.offset == path.stat().st_size and reader.tail_bytes == 0


def test_junk_rows_are_refused():
    assert step_row(b'{"step": 3, "loss": 1.5, "metrics": {"eval_loss": 2}}')["metrics"] == {"eval_loss": 2.0}
    for bad in (b"[1]", b'{"step": -1}', b'{"step": 1.5}', b'{"step": true}', b'{"step": 1, "tokens": -2}', b"{"):
        assert step_row(bad) is None, bad
    assert step_row(b'{"step": 1, "loss": "low", "learning_rate": 1e999}')["loss"] is None


def test_epochs_and_dataset_size_travel_in_the_progress_file(tmp_path):
    p = tmp_path / "p.json"
    write_progress(p, 3, None, None, figures={"epochs": 1.25, "dataset_examples": 1000})
    assert read_progress(p)["figures"] == {"epochs": 1.25, "dataset_examples": 1000}
    p.write_text('{"steps": 1, "figures": {"epochs": -1, "dataset_examples": 0.5}}')
    assert read_progress(p)["figures"] == {}


def test_a_record_with_every_figure_validates_against_the_shipped_schema(tmp_path, capsys):
    """The run schema types each figure (a record with loss, tokens, size, epochs, region, forecast validates)."""
    jsonschema = pytest.importorskip("jsonschema")
    from importlib import resources

    schema = json.loads((resources.files("flopcast") / "data" / "schemas" / "run.1.json").read_text())
    child = (
        "import flopcast\n"
        "with flopcast.track(total_steps=4, flop_per_step=1e9, model_params=10, dataset_examples=8,\n"
        "                    model_params_non_embedding=6) as run:\n"
        "    for i in range(4):\n"
        "        run.step(loss=2.0 - i / 4, tokens=16, epoch=(i + 1) / 2)\n"
    )
    ledger = str(tmp_path / "l.sqlite")
    args = ["track", "--json", "--interval", "0.05", "--region", "FRA", "--hardware", "H100 SXM", "--ledger", ledger]
    assert main([*args, "--", PY, "-c", child]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert (rec["epochs"], rec["dataset_examples"], rec["model_params"], rec["tokens_seen"]) == (2.0, 8, 10, 64)
    assert rec["model_params_non_embedding"] == 6  # reported by the child, like model_params
    assert rec["region"] == "FRA" and rec["forecast"] is not None and rec["final_loss"] == 1.25
    jsonschema.validate(rec, schema)
    bads = ({"epochs": -0.5}, {"dataset_examples": 0}, {"dataset_examples": 1.5}, {"tokens_seen": -1})
    for bad in (*bads, {"model_params_non_embedding": 0}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**rec, **bad}, schema)
