"""`flopcast trends` / `flopcast project`: JSON contract, conversions, plots, one-line errors (exit 2)."""

from __future__ import annotations

import json

import pytest

from flopcast.cli import main
from flopcast.trends.project import analyze

FIT_KEYS = {"benchmark", "measure", "form", "n", "slope", "slope_ci", "r2"}
PROJ_KEYS = {
    "benchmark",
    "measure",
    "form",
    "target_error",
    "flop",
    "flop_low",
    "flop_high",
    "usd",
    "co2e_lbs",
    "co2e_kg",
    "conversion",
}

USER_CSV = """model,date,score,gflops_forward,flops_unit_note,train_compute_flop,notes
a,2015-01,60,1,GMACs,1e18,
b,2016-01,70,4,GMACs,1e19,
c,2017-01,75,9,GMACs,4e19,
d,2018-01,80,30,GMACs,2e20,
e,2019-01,84,100,GMACs,1e21,
"""


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_json_contract_and_thompson_conversion(capsys):
    out = _json(capsys, ["trends", "--benchmark", "imagenet", "--no-plots", "--json"])
    assert out["fits"] and out["projections"]
    for f in out["fits"]:
        assert FIT_KEYS <= f.keys()
        if f["form"] == "polynomial":
            assert f["exponent"] == pytest.approx(-1 / f["slope"])
    for p in out["projections"]:
        assert PROJ_KEYS <= p.keys()
        assert p["conversion"] == "thompson2020"
        if p["measure"] == "training":
            assert p["usd"] == pytest.approx(p["flop"] / 6.874e16)
            assert p["co2e_lbs"] == pytest.approx(p["flop"] / 3.498e17)
    targets = {p["target_error"] for p in out["projections"]}
    assert targets == {5.0, 1.0}  # ImageNet defaults: 5% and 1% top-1 error
    assert {f["measure"] for f in out["fits"]} == {"per-pass", "training"}
    assert out["compute_trend"]["eras"]


def test_hardware_conversion_matches_the_estimate_module(capsys):
    from flopcast.estimate import estimate

    out = _json(
        capsys,
        [
            "project",
            "imagenet",
            "--target",
            "5",
            "--measure",
            "training",
            "--conversion",
            "hardware",
            "--hardware",
            "H100 SXM",
            "--region",
            "USA",
            "--json",
        ],
    )
    p = next(p for p in out["projections"] if p["form"] == "polynomial")
    est = estimate(flop=p["flop"], hardware="H100 SXM", chips=1, region="USA")
    assert p["conversion"] == "hardware"
    assert p["usd"] == pytest.approx(est.cost_usd, rel=1e-9)
    assert p["co2e_kg"] == pytest.approx(est.co2e_kg, rel=1e-9)


def test_user_csv_with_plots(tmp_path, capsys):
    data = tmp_path / "mybench.csv"
    data.write_text(USER_CSV)
    plots = tmp_path / "plots"
    out = _json(capsys, ["trends", "--data", str(data), "--plots", str(plots), "--json", "--target", "10"])
    fits = {(f["measure"], f["form"], f["frontier"]): f for f in out["fits"]}
    assert fits[("training", "polynomial", False)]["n"] == 5
    assert {p["target_error"] for p in out["projections"]} == {10.0}
    names = {p.name for p in plots.iterdir()}
    assert {"trends_mybench.png", "trends_mybench.svg", "trends_projections.png", "trends_projections.svg"} <= names


def test_burden_precision_override_reprices_tensor_core_rows(capsys):
    # Was: default vs --burden-precision fp32 differ. The default is now each row's train_precision, and
    # ImageNet's burden rows (pycls RegNetY) are cited fp32, so default == fp32 (both k = 11.8); the chip's
    # tensor peak (the old default, k = 10.2) is now the override `--burden-precision chip`.
    args = ["trends", "--benchmark", "imagenet", "--measure", "training", "--no-plots", "--json"]
    default = _json(capsys, args)
    chip = _json(capsys, [*args, "--burden-precision", "chip"])
    n = {(f["frontier"], f["form"]): f["n"] for f in default["fits"]}
    assert n == {(f["frontier"], f["form"]): f["n"] for f in chip["fits"]}  # same rows, other peak
    slope = {(f["frontier"], f["form"]): f["slope"] for f in chip["fits"]}
    assert slope[(False, "polynomial")] != next(
        f["slope"] for f in default["fits"] if not f["frontier"] and f["form"] == "polynomial"
    )


def test_default_run_is_deterministic():
    a = json.dumps(analyze().to_dict(), sort_keys=True, default=str)
    b = json.dumps(analyze().to_dict(), sort_keys=True, default=str)
    assert a == b


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["trends", "--benchmark", "imagenot"], "unknown benchmark 'imagenot'"),
        (["project", "imagenet", "--target", "0"], "must be > 0"),
        (["project", "imagenet", "--target", "-3"], "must be > 0"),
        (["project", "imagenet", "--target", "30"], "not better than today's best"),
        (["project", "coco", "--target", "5", "--measure", "sideways"], "unknown measure"),
        # 1 counted row from 2020 on (LUKE; the others are 2016-2018)
        (["project", "conll2003", "--target", "5", "--measure", "per-pass", "--since", "2020"], "at least 3"),
        (["trends", "--conversion", "magic", "--no-plots"], "unknown conversion"),
        (["trends", "--burden-precision", "fp99", "--no-plots"], "unknown precision 'fp99'"),
        (["project", "--target", "5"], "name a benchmark"),
        (["project", "imagenet", "--target", "5", "--data", "x.csv"], "not both"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_benchmark_lists_the_bundled_ones(capsys):
    assert main(["project", "wmt", "--target", "5"]) == 2
    err = capsys.readouterr().err
    assert "wmt14_en_fr" in err and "wmt14_en_de" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("model,flop\na,1\n", "missing column(s) 'score'"),
        ("model,score,train_compute_flop\na,50,1e18\nb,abc,1e19\n", "mybench.csv:3 column 'score'"),
        ("model,score,train_compute_flop\na,150,1e18\n", "is above 100"),
        ("model,score,train_compute_flop\na,50,1e18\nb,60,1e19\n", "at least 3"),
    ],
)
def test_bad_user_csv(tmp_path, capsys, text, message):
    data = tmp_path / "mybench.csv"
    data.write_text(text)
    assert main(["trends", "--data", str(data), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.slow
def test_readme_command_runs_everything_and_names_the_plot_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["trends"]) == 0
    out = capsys.readouterr().out
    assert "written to flopcast-plots/" in out
    for key in ("imagenet", "coco", "squad11", "conll2003", "wmt14_en_fr", "wmt14_en_de"):
        assert key in out
    files = {p.name for p in (tmp_path / "flopcast-plots").iterdir()}
    for stem in ("trends_imagenet", "trends_coco", "trends_projections", "trends_compute_over_time"):
        assert {f"{stem}.png", f"{stem}.svg"} <= files
