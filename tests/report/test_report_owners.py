"""One owner per fact in the report documents: a plan file is read once, the format options are checked by the
library (the CLI calls the same check before reading anything), the unused ``totals`` slot is gone from
:class:`Report` and from its JSON (``flopcast.report/2``; /1 kept an always empty key), and a job and a run
are compared with the plan on the same figures."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from flopcast.errors import InputError
from flopcast.report.document_inputs import load_estimate
from flopcast.report.document_project import load_project_plan
from flopcast.report.document_render import FORMATS, TRAINING_TYPES, check_options, render
from flopcast.report.documents import Report, actual_of_job, card_report

from .helpers import cli


@pytest.fixture(scope="module")
def project_estimate(tmp_path_factory: pytest.TempPathFactory) -> dict:
    code, out, err = cli(
        ["estimate", "--hardware", "h100", "--chips", "1", "--hours", "2", "--region", "FRA", "--project", "--json"]
    )
    assert code == 0, err
    return json.loads(out)


def _count_reads(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[Path]:
    reads: list[Path] = []
    real = Path.read_text

    def read_text(self: Path, *args, **kwargs) -> str:
        if self == path:
            reads.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    return reads


@pytest.mark.parametrize("bare", [False, True])
def test_a_project_plan_file_is_read_once(
    project_estimate: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bare: bool
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(project_estimate["project"] if bare else project_estimate))
    reads = _count_reads(monkeypatch, path)
    plan = load_project_plan(path)
    assert len(reads) == 1
    assert [ln.name for ln in plan.lines] == [ln["name"] for ln in project_estimate["project"]["lines"]]
    assert (plan.estimate is None) is bare


def test_the_library_refuses_an_unknown_format_as_the_cli_does(project_estimate: dict, tmp_path: Path) -> None:
    path = tmp_path / "est.json"
    path.write_text(json.dumps({k: v for k, v in project_estimate.items() if k != "project"}))
    report = card_report(None, load_estimate(path))
    for fmt in FORMATS:
        for training_type in (None, *TRAINING_TYPES):
            check_options(fmt, training_type)
    with pytest.raises(InputError, match=r"^unknown --format 'pdf'; use one of md, html, json, model-card$"):
        render(report, "pdf")
    with pytest.raises(InputError, match=r"^unknown --training-type 'pretrain'; use pre-training or fine-tuning$"):
        render(report, "md", training_type="pretrain")
    code, out, err = cli(["report", "--count", str(path), "--estimate", str(path), "--format", "pdf"])
    assert code == 2 and out == "" and "unknown --format 'pdf'" in err


def test_totals_is_neither_a_report_field_nor_a_json_key(project_estimate: dict, tmp_path: Path) -> None:
    path = tmp_path / "est.json"
    path.write_text(json.dumps({k: v for k, v in project_estimate.items() if k != "project"}))
    report = card_report(None, load_estimate(path))
    assert "totals" not in {f.name for f in dataclasses.fields(Report)}
    doc = report.to_dict()
    assert doc["schema"] == "flopcast.report/2" and "totals" not in doc  # a project's totals are total_* figures


def test_a_job_is_compared_on_the_figures_a_run_is() -> None:
    job = {
        "wall_seconds": 10.0,
        "chip_hours": 2.0,
        "energy_kwh": 3.0,
        "co2e_kg": 0.5,
        "cost_usd": 7.0,
        "mfu": 0.4,
        "flop_per_step": 1e9,
        "steps": 4.0,
    }
    assert actual_of_job(job) == {
        "wall_seconds": 10.0,
        "chip_hours": 2.0,
        "energy_kwh": 3.0,
        "co2e_kg": 0.5,
        "cost_usd": 7.0,
        "utilization": 0.4,
        "training_flop": 4e9,
    }
    assert actual_of_job({**job, "steps": 0})["training_flop"] is None
