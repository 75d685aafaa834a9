"""`flopcast trends` / `project`: every option acts or is refused; every input ends in a result or one line (exit 2)."""

from __future__ import annotations

import json
import os
import time

import pytest

from flopcast.cli import main

from .test_trends_cli import USER_CSV


def _one_line_exit_2(capsys, argv, *needles):
    assert main(argv) == 2
    cap = capsys.readouterr()
    assert cap.err.count("\n") == 1 and "Traceback" not in cap.err and "internal error" not in cap.err
    for needle in needles:
        assert needle in cap.err
    return cap


@pytest.mark.parametrize(
    ("extra", "option"),
    [
        (["--hardware", "H100 SXM"], "--hardware"),
        (["--region", "USA"], "--region"),
        (["--utilization", "0.4"], "--utilization"),
    ],
)
@pytest.mark.parametrize("command", [["trends", "--no-plots"], ["project", "imagenet", "--target", "5"]])
def test_hardware_options_without_hardware_conversion_are_refused(capsys, command, extra, option):
    _one_line_exit_2(
        capsys,
        [
            *command,
            "--benchmark" if command[0] == "trends" else "--measure",
            "imagenet" if command[0] == "trends" else "training",
            *extra,
        ],
        option,
        "--conversion hardware",
    )


def test_hardware_option_acts_with_hardware_conversion(capsys):
    args = ["project", "imagenet", "--target", "5", "--measure", "training", "--conversion", "hardware", "--json"]
    assert main([*args, "--hardware", "H100 SXM"]) == 0
    h100 = json.loads(capsys.readouterr().out)
    assert main([*args, "--hardware", "A100 SXM4 80GB"]) == 0
    a100 = json.loads(capsys.readouterr().out)
    p_h, p_a = (next(p for p in o["projections"] if p["form"] == "polynomial") for o in (h100, a100))
    assert p_h["flop"] == p_a["flop"] and p_h["usd"] != p_a["usd"]  # same computation, other price per FLOP


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (
            ["trends", "--benchmark", "imagenet", "--measure", "per-pass", "--burden-precision", "fp32", "--no-plots"],
            ("--burden-precision", "--measure training"),
        ),
        (
            ["trends", "--benchmark", "wmt14_en_fr", "--measure", "training", "--params-per-pass", "--no-plots"],
            ("--params-per-pass", "--measure per-pass"),
        ),
        (["trends", "--benchmark", "imagenet", "--plots", "x", "--no-plots"], ("--plots and --no-plots",)),
        (["project", "imagenet", "--target", "nan"], ("must be > 0",)),
        (["project", "imagenet", "--target", "inf"], ("must be > 0",)),
        (
            [
                "project",
                "imagenet",
                "--target",
                "5",
                "--measure",
                "training",
                "--conversion",
                "hardware",
                "--utilization",
                "nan",
            ],
            ("utilization",),
        ),
        (
            [
                "project",
                "imagenet",
                "--target",
                "5",
                "--measure",
                "training",
                "--conversion",
                "hardware",
                "--utilization",
                "-0.5",
            ],
            ("utilization",),
        ),
        (
            [
                "project",
                "imagenet",
                "--target",
                "5",
                "--measure",
                "training",
                "--conversion",
                "hardware",
                "--utilization",
                "0",
            ],
            ("utilization",),
        ),
    ],
)
def test_ignored_or_meaningless_options_are_refused(capsys, argv, needles):
    _one_line_exit_2(capsys, argv, *needles)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty file"),
        (b"model,score,gflops_forward\n", "no data rows"),
        (b"name,accuracy\nx,50\n", "missing column(s) 'model', 'score'"),
        (b"model,score,gflops_forward\na,50,1\nb,60,2\nc,70,4\n\xff\xfe,80,8\n", "not UTF-8"),
        (b"model,score\na,50\nb,60\nc,70\n", "at least 3"),
        (b"model,score,gflops_forward\na,50,1\nb,60\n", "2 fields, header has 3"),
        (b"model,score,gflops_forward\na,50,-1\nb,60,2\nc,70,4\n", "must be > 0"),
        (b"model,score,gflops_forward\na,50,inf\nb,60,2\nc,70,4\n", "not a finite number"),
    ],
)
def test_bad_csv_is_one_line_exit_2(tmp_path, capsys, content, needle):
    data = tmp_path / "bench.csv"
    data.write_bytes(content)
    _one_line_exit_2(capsys, ["trends", "--data", str(data), "--no-plots"], needle)


def test_directory_or_missing_file_as_data(tmp_path, capsys):
    _one_line_exit_2(capsys, ["trends", "--data", str(tmp_path), "--no-plots"], "is a directory")
    _one_line_exit_2(capsys, ["trends", "--data", str(tmp_path / "nope.csv"), "--no-plots"], "no such file")


def _user_csv(tmp_path):
    data = tmp_path / "mybench.csv"
    data.write_text(USER_CSV)
    return data


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through permission bits")
def test_read_only_plot_folder_is_refused_before_the_work(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        _one_line_exit_2(capsys, ["trends", "--data", str(_user_csv(tmp_path)), "--plots", str(ro / "p")], "--plots")
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize("where", ["proc", "file"])
def test_impossible_plot_folder_is_refused_before_the_work(tmp_path, capsys, monkeypatch, where):
    target = "/proc/flopcast-plots" if where == "proc" else str(tmp_path / "a_file")
    if where == "file":
        (tmp_path / "a_file").write_text("not a folder")
    called = []
    import flopcast.trends.project as tp

    monkeypatch.setattr(tp, "load_rows", lambda *a, **k: called.append(1) or [])  # the work must not start
    _one_line_exit_2(capsys, ["trends", "--data", str(_user_csv(tmp_path)), "--plots", target], "--plots")
    assert not called


def test_plot_failure_late_keeps_the_tables(tmp_path, capsys, monkeypatch):
    import flopcast.report.trends_plots as tpl

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tpl, "write_plots", boom)
    cap = _one_line_exit_2(
        capsys,
        ["trends", "--data", str(_user_csv(tmp_path)), "--plots", str(tmp_path / "p")],
        "No space left on device",
        "--no-plots",
    )
    assert "Fits (OLS" in cap.out and "Projections" in cap.out  # the tables were printed before the error
    cap = _one_line_exit_2(
        capsys,
        ["trends", "--data", str(_user_csv(tmp_path)), "--plots", str(tmp_path / "p"), "--json"],
        "No space left on device",
    )
    out = json.loads(cap.out)
    assert out["fits"] and out["plots"] == [] and "No space" in out["plot_error"]


def test_large_user_csv_runs_in_linear_memory(tmp_path, capsys):
    """30,000 rows (the old leave-one-out needed a 30,000² mask, 0.9 GB, and 40+ s): a result, quickly."""
    import numpy as np

    rng = np.random.default_rng(0)
    n = 30_000
    g = 10 ** rng.uniform(0, 3, n)
    err = np.clip(10 ** (1.6 - 0.25 * np.log10(g) + rng.normal(0, 0.05, n)), 0.5, 99)
    data = tmp_path / "big.csv"
    with data.open("w") as f:
        f.write("model,date,score,gflops_forward,flops_unit_note\n")
        f.writelines(f"m{i},{2010 + i % 12}-01,{100 - err[i]:.4f},{g[i]:.5g},GMACs\n" for i in range(n))
    t0 = time.perf_counter()
    out = json.loads(
        _json_out(capsys, ["trends", "--data", str(data), "--measure", "per-pass", "--no-plots", "--json"])
    )
    assert time.perf_counter() - t0 < 60
    f = next(f for f in out["fits"] if f["form"] == "polynomial" and not f["frontier"])
    assert f["n"] == n and f["slope"] == pytest.approx(-0.25, abs=0.005)
    assert f["bootstrap_method"].startswith("bag of little bootstraps")
    assert f["bootstrap_slope_ci"][0] < f["slope"] < f["bootstrap_slope_ci"][1]


def _json_out(capsys, argv) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out
