"""`flopcast scaling fit|plan`: JSON contract between fit and plan, estimates, plots, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from flopcast.cli import main
from flopcast.data import path as data_path
from flopcast.scaling.laws import compute_loss

CHIN = str(data_path("chinchilla/svg_extracted_data.csv"))
CHIN_COLS = ["--params-col", "Model Size", "--flop-col", "Training FLOP", "--loss-col", "loss"]


def write_runs(tmp_path, rows, header="N,D,loss", name="runs.csv"):
    p = tmp_path / name
    p.write_text(header + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return str(p)


def one_line_error(capsys, code, expected):
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("flopcast: error:") and err.count("\n") == 1, err
    for e in expected:
        assert e in err, err
    return err


@pytest.fixture(scope="module")
def fit_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("fit") / "fit.json"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["scaling", "fit", CHIN, *CHIN_COLS, "--drop-highest-loss", "5", "--bootstrap", "20", "--json"])
    assert code == 0
    out.write_text(buf.getvalue())
    return out


def test_fit_json_has_the_contract_keys(fit_json):
    data = json.loads(fit_json.read_text())
    assert {"law", "n", "params", "ci", "residual"} <= set(data)
    assert data["law"] == "chinchilla" and data["n"] == 240
    assert set(data["params"]) == {"E", "A", "B", "alpha", "beta"} == set(data["ci"])
    assert data["params"]["E"] == pytest.approx(1.82, abs=0.01)
    assert len(data["bootstrap_samples"]) == 20


def test_plan_reads_fit_and_gives_intervals(fit_json, capsys):
    capsys.readouterr()
    assert main(["scaling", "plan", "--fit", str(fit_json), "--flop", "5.76e23", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert {"flop", "params", "tokens", "loss", "ci"} <= set(plan)
    assert plan["flop"] == 5.76e23
    assert 15 < plan["tokens"] / plan["params"] < 25
    assert 6 * plan["params"] * plan["tokens"] == pytest.approx(5.76e23)
    lo, hi = plan["ci"]["params"]
    assert lo < plan["params"] < hi
    assert plan["extrapolation"] > 10  # 5.76e23 is far beyond the largest reconstructed run


def test_plan_target_loss_round_trips_budget(fit_json, capsys):
    capsys.readouterr()
    assert main(["scaling", "plan", "--fit", str(fit_json), "--flop", "1e22", "--json"]) == 0
    loss = json.loads(capsys.readouterr().out)["loss"]
    assert main(["scaling", "plan", "--fit", str(fit_json), "--target-loss", str(loss), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["flop"] == pytest.approx(1e22, rel=1e-6)


def test_plan_with_hardware_goes_through_estimate(fit_json, capsys):
    capsys.readouterr()
    assert (
        main(
            [
                "scaling",
                "plan",
                "--fit",
                str(fit_json),
                "--flop",
                "5.76e23",
                "--hardware",
                "H100 SXM",
                "--chips",
                "1024",
                "--utilization",
                "0.4",
                "--region",
                "USA",
                "--json",
            ]
        )
        == 0
    )
    plan = json.loads(capsys.readouterr().out)
    # wall time by hand: FLOP / (chips x dense bf16 peak x utilization)
    peak = plan["estimate"]["training_flop"] / (1024 * 0.4 * plan["wall_hours"] * 3600)
    assert peak == pytest.approx(989.4e12, rel=1e-3)
    assert plan["chip_hours"] == pytest.approx(1024 * plan["wall_hours"])
    assert plan["cost_usd"] > 0 and plan["co2e_kg"] > 0


def test_plan_table_and_fit_table_render(fit_json, capsys):
    assert main(["scaling", "plan", "--fit", str(fit_json), "--target-loss", "2.0"]) == 0
    out = capsys.readouterr().out
    assert "tokens per parameter" in out and "extrapolation" in out


def test_fit_compute_law_and_plots(tmp_path, capsys):
    flop = np.logspace(17, 21, 12)
    loss = compute_loss(flop, E=1.8, A=1000.0, alpha=0.15)
    runs = write_runs(tmp_path, zip(flop, loss, strict=True), header="C,loss")
    png = tmp_path / "loss.png"
    assert main(["scaling", "fit", runs, "--flop-col", "C", "--bootstrap", "10", "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "compute" in out and png.stat().st_size > 10_000
    n = np.array([1e7, 3e7, 1e8, 3e8, 1e9, 3e9] * 2)
    d = np.array([2e8, 6e8, 2e9, 6e9, 2e10, 6e10, 1e9, 1e9, 1e10, 1e10, 1e11, 1e11])
    loss = 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28
    runs = write_runs(tmp_path, zip(n, d, loss, strict=True), name="nd.csv")
    svg = tmp_path / "nd.svg"
    assert (
        main(
            [
                "scaling",
                "plan",
                "--runs",
                runs,
                "--params-col",
                "N",
                "--tokens-col",
                "D",
                "--bootstrap",
                "5",
                "--flop",
                "1e22",
                "--plot",
                str(svg),
            ]
        )
        == 0
    )
    assert svg.exists() and (tmp_path / "nd-isoflop.svg").exists()


def test_error_too_few_runs(tmp_path, capsys):
    runs = write_runs(tmp_path, [(1e7, 1e9, 3.1), (1e8, 1e9, 2.9), (1e9, 1e10, 2.5)])
    code = main(["scaling", "fit", runs, "--params-col", "N", "--tokens-col", "D"])
    one_line_error(capsys, code, ["3 run(s) are too few", "chinchilla", "at least 6"])


def test_error_non_positive_value_names_file_line_column(tmp_path, capsys):
    runs = write_runs(tmp_path, [(1e7, 1e9, 3.1), (0, 1e9, 2.9)])
    code = main(["scaling", "fit", runs, "--params-col", "N", "--tokens-col", "D"])
    one_line_error(capsys, code, [f"{runs}:3", "column 'N'", "must be > 0"])


def test_error_missing_named_column_lists_header(tmp_path, capsys):
    runs = write_runs(tmp_path, [(1e7, 1e9, 3.1)])
    code = main(["scaling", "fit", runs, "--params-col", "params", "--tokens-col", "D"])
    one_line_error(capsys, code, [f"{runs}:1", "missing column(s) 'params'", "header has: N, D, loss"])


def test_error_target_below_irreducible(fit_json, capsys):
    code = main(["scaling", "plan", "--fit", str(fit_json), "--target-loss", "1.5"])
    one_line_error(capsys, code, ["below the fitted irreducible loss E=1.8"])


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--target-loss", "2", "--flop", "1e20"], "exactly one of --target-loss or --flop"),
        (["--flop", "-1"], "--flop must be > 0"),
    ],
)
def test_error_plan_arguments(fit_json, capsys, args, expected):
    one_line_error(capsys, main(["scaling", "plan", "--fit", str(fit_json), *args]), [expected])


def test_error_bad_fit_file_and_sources(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    one_line_error(capsys, main(["scaling", "plan", "--fit", str(bad), "--flop", "1e20"]), ["not JSON"])
    bad.write_text('{"law": "chinchilla"}')
    one_line_error(
        capsys,
        main(["scaling", "plan", "--fit", str(bad), "--flop", "1e20"]),
        ["not a 'flopcast scaling fit --json' result"],
    )
    one_line_error(capsys, main(["scaling", "plan", "--flop", "1e20"]), ["exactly one of --fit"])
    one_line_error(
        capsys,
        main(["scaling", "fit", CHIN, *CHIN_COLS, "--plot", str(tmp_path / "x.gif")]),
        ["unsupported format .gif"],
    )
    one_line_error(
        capsys,
        main(["scaling", "fit", CHIN, "--flop-col", "Training FLOP", "--law", "chinchilla"]),
        ["needs params and tokens"],
    )
    one_line_error(
        capsys,
        main(["scaling", "fit", CHIN, *CHIN_COLS, "--law", "chinchila"]),
        ["unknown scaling law 'chinchila'", "chinchilla"],
    )


def test_help_has_examples(capsys):
    for cmd in (["scaling", "--help"], ["scaling", "fit", "--help"], ["scaling", "plan", "--help"]):
        assert main(cmd) == 0
        assert "Example" in capsys.readouterr().out


def test_runs_from_track_ledger(tmp_path, capsys):
    """Compute comes from the `flopcast track` ledger (measured steps x FLOP/step); loss from the CSV."""
    import flopcast

    ledger = tmp_path / "runs.sqlite"
    flop = np.logspace(15, 19, 8)
    ids = []
    for i, c in enumerate(flop):
        with flopcast.track(
            ledger=ledger, flop_per_step=c / 4, interval=60, name=f"r{i}", install_signal_handlers=False
        ) as run:
            for _ in range(4):
                run.step()
        ids.append(run.run_id)
    loss = compute_loss(flop, E=1.8, A=1000.0, alpha=0.15)
    runs = write_runs(tmp_path, zip(ids, loss, strict=True), header="run,loss")
    capsys.readouterr()
    assert (
        main(
            [
                "scaling",
                "fit",
                runs,
                "--ledger",
                str(ledger),
                "--run-col",
                "run",
                "--bootstrap",
                "0",
                "--law",
                "compute",
                "--json",
            ]
        )
        == 0
    )
    fit = json.loads(capsys.readouterr().out)
    assert fit["fitted_range"]["flop"] == pytest.approx([1e15, 1e19])
    assert fit["params"]["alpha"] == pytest.approx(0.15, rel=1e-3)
    bad = write_runs(tmp_path, [("nope", 2.0)] * 4, header="run,loss", name="bad.csv")
    code = main(["scaling", "fit", bad, "--ledger", str(ledger), "--run-col", "run", "--law", "compute"])
    one_line_error(capsys, code, [f"{bad}:2", "column 'run'", "unknown run 'nope'"])
