"""The CLI takes its facts and its checks from their library owners (issue 12: cli/ parses, calls, renders).

Each test changes or calls the owner and sees the CLI follow it, so a copy of the fact back in cli/ fails here:
count's --mode/--dtype names (flopcast.count.MODES, DTYPES), the estimate --json document
(report.estimate_render.estimate_json), the --utilization/--calibrate refusal (estimate.refuse_both_utilization)
and scaling's plot file types (report.paths.PLOT_SUFFIXES). trends' are in tests/trends/test_trends_cli_owners.py.
"""

from __future__ import annotations

import json

import pytest

import flopcast.count
import flopcast.report.paths
from flopcast.cli import main
from flopcast.data import path as data_path
from flopcast.errors import InputError
from flopcast.estimate import MeasuredRates, ProjectOverheads, estimate, project_estimate, refuse_both_utilization
from flopcast.report.estimate_render import estimate_document, estimate_json

ESTIMATE = ["estimate", "--params", "7B", "--tokens", "2T", "--hardware", "h100", "--chips", "256"]


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("flopcast: error: ") and err.count("\n") == 1, err
    return err.removeprefix("flopcast: error: ").rstrip("\n")


# 1. count: the allowed --mode and --dtype are the library's


@pytest.mark.parametrize(("name", "option", "value"), [("MODES", "--mode", "backward"), ("DTYPES", "--dtype", "int4")])
def test_count_refuses_by_the_librarys_names(capsys, monkeypatch, name, option, value):
    pytest.importorskip("torch")
    assert len(getattr(flopcast.count, name)) >= 2
    monkeypatch.setattr(flopcast.count, name, ("aa", "bb", "cc"), raising=False)
    assert _error(capsys, ["count", "gpt2", option, value]) == f"{option} {value!r}: use aa, bb or cc"


def test_count_exports_the_names_its_count_accepts():
    from flopcast.count.api import MODES
    from flopcast.count.precision import DTYPES

    assert flopcast.count.MODES is MODES and flopcast.count.DTYPES is DTYPES
    assert {"DTYPES", "MODES"} <= set(flopcast.count.__all__)


# 2. estimate: report/ builds the --json document; the library refuses --utilization with --calibrate


def test_estimate_json_is_report_estimate_json(capsys):
    est = estimate(params=7e9, tokens=2e12, hardware="h100", chips=256)
    assert main([*ESTIMATE, "--json"]) == 0
    assert capsys.readouterr().out == estimate_json(est) + "\n"
    proj = project_estimate(est, ProjectOverheads(eval_fraction=0.05))
    assert main([*ESTIMATE, "--json", "--project", "--eval-fraction", "0.05"]) == 0
    out = capsys.readouterr().out
    assert out == estimate_json(est, proj) + "\n"
    doc = json.loads(out)
    assert doc["project"] == json.loads(json.dumps(proj.to_dict())) and "calibration" not in doc
    assert doc["training_flop"] == pytest.approx(6 * 7e9 * 2e12)  # 6ND, the estimate's own fields at the top


def test_estimate_document_has_project_and_calibration_only_when_given():
    est = estimate(flop=1e20, hardware="h100", chips=8)
    assert estimate_document(est) == est.to_dict()
    assert set(estimate_document(est, project_estimate(est, ProjectOverheads()))) == {*est.to_dict(), "project"}


def test_utilization_beside_calibration_is_refused_by_the_library_before_the_ledger_is_read(capsys, tmp_path):
    missing = tmp_path / "no-such-ledger.sqlite"
    argv = ["estimate", "--flop", "1e20", "--hardware", "h100", "--chips", "8", "--calibrate", "run-*"]
    with pytest.raises(InputError) as lib:
        refuse_both_utilization(0.3)
    assert _error(capsys, [*argv, "--ledger", str(missing), "--utilization", "0.3"]) == str(lib.value)
    assert not missing.exists()
    assert "no ledger" in _error(capsys, [*argv, "--ledger", str(missing)])  # without --utilization it is read
    refuse_both_utilization(None)
    rates = MeasuredRates("H100 SXM5 80GB", "bf16", (0.3, 0.4, 0.5), (500.0, 600.0, 700.0), "test runs")
    with pytest.raises(InputError) as measured:
        estimate(flop=1e20, hardware="h100", chips=8, utilization=0.3, measured=rates)
    assert str(measured.value) == str(lib.value)


# 3. scaling: the plot file types are report's


def test_scaling_plot_types_are_report_paths(capsys, monkeypatch, tmp_path):
    chin = str(data_path("chinchilla/svg_extracted_data.csv"))
    cols = ["--params-col", "Model Size", "--flop-col", "Training FLOP", "--loss-col", "loss"]
    argv = ["scaling", "fit", chin, *cols, "--bootstrap", "0", "--plot"]
    assert _error(capsys, [*argv, str(tmp_path / "fit.gif")]).endswith(
        "unsupported format .gif; use one of " + ", ".join(flopcast.report.paths.PLOT_SUFFIXES)
    )
    monkeypatch.setattr(flopcast.report.paths, "PLOT_SUFFIXES", (".png", ".gif"))
    assert _error(capsys, [*argv, str(tmp_path / "fit.pdf")]).endswith("; use one of .png, .gif")
