"""One JSON convention (issue 12): every ``--json`` output is an object with a ``schema`` key
(``flopcast.<kind>/<version>``), and every object carrying one — top level or nested — validates against the
JSON Schema shipped for that kind in ``flopcast/data/schemas/<kind>.<version>.json`` (Draft 2020-12). Every
shipped schema is exercised by a real output here. Physical quantities (``*_kwh``, ``*_usd``, ``*_seconds``,
``flop``…) are numbers >= 0 or null (unknown), never negative.
"""

from __future__ import annotations

import contextlib
import io
import json
from importlib import resources
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema")
pytest.importorskip("torch")

from flopcast.cli import main  # noqa: E402

SCHEMAS = resources.files("flopcast") / "data" / "schemas"


def run(*argv: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    assert code == 0, (argv, err.getvalue()[-500:])
    return json.loads(out.getvalue())


def documents(v, found: list[dict]) -> list[dict]:
    if isinstance(v, dict):
        if isinstance(v.get("schema"), str):
            found.append(v)
        for x in v.values():
            documents(x, found)
    elif isinstance(v, list):
        for x in v:
            documents(x, found)
    return found


def schema_for(kind: str) -> dict:
    name = kind.removeprefix("flopcast.").replace("/", ".") + ".json"
    file = SCHEMAS / name
    assert file.is_file(), f"no schema shipped for {kind} (flopcast/data/schemas/{name})"
    return json.loads(file.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> list[dict]:
    work = tmp_path_factory.mktemp("json")
    led = str(work / "ledger.sqlite")
    runs = work / "runs.csv"
    import numpy as np

    rng = np.random.default_rng(0)
    n, d = 10 ** rng.uniform(6, 9, 30), 10 ** rng.uniform(8, 11, 30)
    loss = (1.7 + 406.4 / n**0.34 + 410.7 / d**0.28) * np.exp(rng.normal(0, 0.01, 30))
    runs.write_text("params,tokens,loss\n" + "".join(f"{a:.6g},{b:.6g},{c:.6g}\n" for a, b, c in zip(n, d, loss)))
    docs = [
        run("track", "--ledger", led, "--name", "demo-1", "--hardware", "H100 SXM", "--json", "--", "true"),
        run("count", "gpt2", "--seq-len", "8", "--mode", "train", "--optimizer", "adam", "--json"),
    ]
    (work / "count.json").write_text(json.dumps(docs[-1]))
    est = run(
        "estimate", "--params", "7B", "--tokens", "2T", "--hardware", "h100", "--chips", "256", "--project", "--json"
    )
    (work / "est.json").write_text(json.dumps({k: v for k, v in est.items() if k != "project"}))
    fit = run(
        "scaling",
        "fit",
        str(runs),
        "--params-col",
        "params",
        "--tokens-col",
        "tokens",
        "--loss-col",
        "loss",
        "--bootstrap",
        "20",
        "--json",
    )
    (work / "fit.json").write_text(json.dumps(fit))
    run_id = docs[0]["run_id"]
    docs += [
        est,
        fit,
        run("estimate", "--flop", "3.14e23", "--conversion", "thompson2020", "--json"),
        run("hardware", "list", "--json"),
        run("hardware", "show", "h100", "--json"),
        run("regions", "list", "--kind", "aws", "--json"),
        run("regions", "show", "FRA", "--json"),
        run("trends", "--no-plots", "--json"),
        run("trends", "--paper", "--json"),
        run("project", "imagenet", "--target", "5", "--budget-usd", "1e6", "--json"),
        run("simulate", "--sims", "2", "--features", "5", "--sizes", "15", "--json"),
        run(
            "scaling",
            "plan",
            "--fit",
            str(work / "fit.json"),
            "--flop",
            "1e21",
            "--hardware",
            "h100",
            "--chips",
            "8",
            "--json",
        ),
        run("runs", "list", "--ledger", led, "--json"),
        run("runs", "show", run_id, "--ledger", led, "--json"),
        run("report", "demo-1", "--ledger", led, "--format", "json"),
        run("report", "--count", str(work / "count.json"), "--estimate", str(work / "est.json"), "--format", "json"),
    ]
    _calibrating_run(led)
    docs.append(
        run(
            "estimate",
            "--flop",
            "1e20",
            "--hardware",
            "h100",
            "--chips",
            "8",
            "--calibrate",
            "calibrating",
            "--ledger",
            led,
            "--json",
        )
    )
    return docs


def _calibrating_run(ledger: str) -> None:
    """A tracked H100 run with an MFU and measured GPU energy (an injected board-power sampler), for --calibrate."""
    import time

    from flopcast.measure import track
    from flopcast.measure.samplers import Reading, Sampler
    from flopcast.provenance import Basis

    class Board(Sampler):
        component, backend = "gpu", "board"

        def start(self, t):
            pass

        def read(self, t):
            return Reading("gpu", "board", Basis.MEASURED, 600.0 * t, 600.0)

    with track(
        ledger=ledger, interval=0.02, samplers=[Board()], hardware="h100", flop_per_step=1e12, name="calibrating"
    ) as r:
        for _ in range(3):
            time.sleep(0.02)
            r.step()


def test_every_json_output_is_an_object_with_a_schema_key(outputs):
    for doc in outputs:
        assert isinstance(doc, dict) and str(doc.get("schema", "")).startswith("flopcast."), str(doc)[:200]


def test_every_document_validates_against_its_shipped_schema(outputs):
    seen = set()
    for doc in documents(outputs, []):
        if not doc["schema"].startswith("flopcast."):
            continue
        seen.add(doc["schema"])
        jsonschema.Draft202012Validator(schema_for(doc["schema"])).validate(doc)
    shipped = {
        json.loads(f.read_text(encoding="utf-8"))["title"] for f in SCHEMAS.iterdir() if f.name.endswith(".json")
    }
    assert shipped <= seen, f"schemas no output exercises: {sorted(shipped - seen)}"


def test_a_negative_quantity_or_a_missing_key_fails_validation(outputs):
    est = next(d for d in outputs if d["schema"] == "flopcast.estimate/1")
    validator = jsonschema.Draft202012Validator(schema_for("flopcast.estimate/1"))
    assert validator.is_valid(est)
    assert not validator.is_valid({**est, "energy_kwh": -1.0})
    assert not validator.is_valid({k: v for k, v in est.items() if k != "training_flop"})
    assert not validator.is_valid({**est, "schema": "flopcast.run/1"})


def test_schema_files_are_valid_draft_2020_12():
    for f in SCHEMAS.iterdir():
        if f.name.endswith(".json"):
            jsonschema.Draft202012Validator.check_schema(json.loads(f.read_text(encoding="utf-8")))
            assert Path(f.name).stem.count(".") == 1  # <kind>.<version>


def test_a_library_run_without_a_ledger_or_command_validates():
    import flopcast
    from flopcast.report.jsonout import dumps

    run = flopcast.track(ledger=False, install_signal_handlers=False, interval=0.05)
    with run:
        run.step()
    doc = json.loads(dumps(run.record()))
    assert doc["command"] is None and doc["ledger"] is None
    schema = json.loads((resources.files("flopcast") / "data" / "schemas" / "run.1.json").read_text())
    assert [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)] == []
