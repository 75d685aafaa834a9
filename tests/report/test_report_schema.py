"""Every kind of report validates against the shipped ``flopcast.report/2`` schema (run, job, project, a project
against its plan, a card), which no longer has /1's always empty ``totals`` key; a /1 document (with it) and a
report missing a required key fail validation."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from .helpers import Recorded, cli

jsonschema = pytest.importorskip("jsonschema")

CONFIG = {"model_type": "gpt2", "n_layer": 2, "n_embd": 64, "n_head": 2, "vocab_size": 128, "n_positions": 32}


def _json(args: list[str]) -> dict:
    code, out, err = cli(args)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def schema() -> dict:
    text = (resources.files("flopcast") / "data" / "schemas" / "report.2.json").read_text(encoding="utf-8")
    return json.loads(text)


@pytest.fixture(scope="module")
def plans(recorded: Recorded, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A project plan (`estimate --project --json`), the same without its project lines, and a count."""
    d = tmp_path_factory.mktemp("schema")
    est = _json(["estimate", "--hardware", "h100", "--chips", "1", "--hours", "0.0003", "--project", "--json"])
    (d / "project.json").write_text(json.dumps(est))
    (d / "est.json").write_text(json.dumps({k: v for k, v in est.items() if k != "project"}))
    pytest.importorskip("torch")
    (d / "config.json").write_text(json.dumps(CONFIG))
    (d / "count.json").write_text(json.dumps(_json(["count", str(d / "config.json"), "--seq-len", "16", "--json"])))
    return {"project": d / "project.json", "est": d / "est.json", "count": d / "count.json"}


@pytest.fixture(scope="module")
def reports(recorded: Recorded, plans: dict[str, Path]) -> dict[str, dict]:
    led = ["--ledger", str(recorded.ledger), "--format", "json"]
    est = ["--estimate", str(plans["est"])]
    return {
        "run": _json(["report", recorded.records["sweep-1"]["run_id"], *led, *est]),
        "cpu run": _json(["report", recorded.records["<script>alert(1)</script>"]["run_id"], *led]),
        "job": _json(["report", recorded.job_id, *led, *est]),
        "project": _json(["report", "sweep-*", *led, *est]),
        "project plan": _json(["report", "--project", "sweep-*", "--estimate", str(plans["project"]), *led]),
        "card": _json(["report", "--count", str(plans["count"]), *est, "--format", "json"]),
    }


def test_every_report_kind_validates_against_report_2(reports: dict[str, dict], schema: dict) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    docs = reports
    assert {d["kind"] for d in docs.values()} == {"run", "job", "project", "card"}
    for name, doc in docs.items():
        assert doc["schema"] == "flopcast.report/2" and "totals" not in doc, name
        assert [e.message for e in validator.iter_errors(doc)] == [], name
    assert docs["run"]["comparison"] is not None and docs["project plan"]["project"] is not None


def test_a_report_1_document_or_a_missing_key_fails_report_2(reports: dict[str, dict], schema: dict) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    doc = reports["run"]
    assert validator.is_valid(doc)
    assert not validator.is_valid({**doc, "schema": "flopcast.report/1", "totals": []})
    assert not validator.is_valid({k: v for k, v in doc.items() if k != "figures"})
    bad = {**doc, "figures": [{**doc["figures"][0], "basis": "guessed"}]}
    assert not validator.is_valid(bad)
