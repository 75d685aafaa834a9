"""`flopcast estimate`, `flopcast hardware`, `flopcast regions` through flopcast.cli.main."""

from __future__ import annotations

import json

import pytest

from flopcast.cli import main
from flopcast.cli.estimate import parse_number


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_estimate_json_keys(capsys):
    d = _json(
        capsys, ["estimate", "--params", "175B", "--tokens", "300B", "--hardware", "V100", "--chips", "1024", "--json"]
    )
    for key in (
        "training_flop",
        "method",
        "wall_hours",
        "chip_hours",
        "cost_usd",
        "energy_kwh",
        "co2e_kg",
        "assumptions",
        "low",
        "high",
    ):
        assert key in d
    assert d["training_flop"] == pytest.approx(3.15e23)
    assert d["low"]["wall_hours"] <= d["wall_hours"] <= d["high"]["wall_hours"]
    assert all({"name", "value", "unit", "source", "basis"} <= set(a) for a in d["assumptions"])


def test_hardware_burden_is_the_compute_without_a_flop_source(capsys):
    d = _json(
        capsys,
        [
            "estimate",
            "--hardware",
            "GTX 580",
            "--chips",
            "2",
            "--hours",
            "132",
            "--conversion",
            "thompson2020",
            "--json",
        ],
    )
    assert d["training_flop"] == pytest.approx(2 * 1.581e12 * 132 * 3600)
    assert d["cost_usd"] == pytest.approx(d["training_flop"] / 6.874e16)


def test_estimate_table(capsys):
    assert (
        main(["estimate", "--flop", "3.14e23", "--hardware", "h100 sxm", "--hours", "720", "--region", "aws:us-east-1"])
        == 0
    )
    out = capsys.readouterr().out
    assert "wall clock" in out and "assumed: pue" in out and "grid_intensity" in out


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["estimate", "--flop", "1e21", "--hardware", "h1000", "--chips", "2"], "unknown accelerator 'h1000'; nearest"),
        (
            ["estimate", "--flop", "1e21", "--hardware", "h100 sxm", "--chips", "2", "--region", "moon"],
            "unknown region",
        ),
        (["estimate", "--params", "-5", "--tokens", "1T"], "params must be > 0"),
        (["estimate", "--params", "lots", "--tokens", "1T"], "--params: 'lots' is not a number"),
        (["estimate", "--flop", "1e21", "--hardware", "V100", "--chips", "8", "--precision", "bf16"], "no published"),
        (
            [
                "estimate",
                "--params",
                "70B",
                "--tokens",
                "1.4T",
                "--hardware",
                "a100 80gb",
                "--chips",
                "64",
                "--zero-stage",
                "0",
            ],
            "impossible memory fit",
        ),
        (["estimate", "--examples", "1000"], "--examples needs --model"),
        (["hardware", "show", "zz-top-9000"], "unknown accelerator"),
        (["regions", "show", "us-centrl1"], "unknown region 'us-centrl1'; nearest"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, argv, match):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("flopcast: error:") and err.count("\n") == 1
    assert match in err


def test_parse_number():
    assert parse_number("params", "175B") == 175e9
    assert parse_number("tokens", "1.4T") == pytest.approx(1.4e12)
    assert parse_number("flop", "3.14e23") == 3.14e23


def test_hardware_commands(capsys):
    assert main(["hardware", "list", "--json"]) == 0
    names = {r["name"] for r in json.loads(capsys.readouterr().out)["accelerators"]}
    assert {"H100 SXM5 80GB", "NVIDIA GeForce GTX 580", "Google TPU v2"} <= names and len(names) < 60
    d = _json(capsys, ["hardware", "show", "NVIDIA Tesla V100 16GB", "--json"])
    assert d["name"] == "NVIDIA Tesla V100 SXM2 16 GB" and d["peak_flop_per_s"]["fp16"] == 125e12
    assert d["prices"]
    rows = _json(capsys, ["hardware", "list", "--all", "--search", "k80", "--json"])["accelerators"]
    assert any(r["name"] == "NVIDIA Tesla K80" for r in rows)


def test_regions_commands(capsys):
    rows = _json(capsys, ["regions", "list", "--kind", "azure", "--json"])["regions"]
    assert rows and all(r["code"].startswith("azure:") for r in rows)
    d = _json(capsys, ["regions", "show", "gcp:us-central1", "--json"])
    assert d["g_co2e_per_kwh"] == 430
    assert main(["regions", "show", "FRA"]) == 0
    assert "France" in capsys.readouterr().out


def test_model_path_uses_counted_forward_flop(capsys, monkeypatch):
    """--model: forward FLOP per example x examples x epochs x 3, params feed the memory fit (count faked)."""
    from flopcast.estimate import model as model_mod

    def fake(spec, *, batch=1, seq_len=None):
        assert spec == "resnet50" and batch == 4
        return model_mod.CountedModel("resnet50", 8.2e9, 25.6e6, 1e8, batch)

    monkeypatch.setattr(model_mod, "count_model", fake)
    d = _json(
        capsys,
        [
            "estimate",
            "--model",
            "resnet50",
            "--batch",
            "4",
            "--examples",
            "1.28M",
            "--epochs",
            "90",
            "--hardware",
            "V100",
            "--json",
        ],
    )
    assert d["training_flop"] == pytest.approx(3 * 8.2e9 * 1.28e6 * 90)
    assert d["memory"]["activations_bytes"] == pytest.approx(4e8)
    assert d["chips"] == d["memory"]["min_chips"] == 1
    assert main(["estimate", "--model", "resnet50", "--batch", "4"]) == 2
    assert "--model needs --examples" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--flop", "1e21", "--hardware", "V100", "--chips", "2.5"], "chips must be a whole number"),
        (["--flop", "1e21", "--hardware", "V100", "--chips", "8", "--pue", "nan"], "pue must be > 0 and finite"),
        (["--flop", "1e21", "--hardware", "V100", "--chips", "8", "--utilization", "inf"], "utilization must be"),
        (["--flop", "1e400", "--hardware", "V100", "--chips", "8"], "flop must be > 0 and finite"),
        (["--params", "1e200", "--tokens", "1e200"], "overflows"),
        (["--params", "1B", "--tokens", "1B", "--epochs", "3"], "epochs apply to a per-example count"),
        (["--params", "1B", "--tokens", "1B", "--batch", "4"], "--batch/--seq-len set how --model is counted"),
        (["--hardware", "V100", "--chips", "8", "--hours", "10", "--family", "poetry"], "unknown model family"),
        (["--flop", "1e21", "--hardware", "TPU v4", "--chips", "8", "--power-fraction", "0.5"], "measured mean power"),
    ],
)
def test_estimate_refuses_bad_numbers_in_one_line(capsys, argv, match):
    assert main(["estimate", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flopcast: error:") and err.count("\n") == 1 and match in err


def test_encoder_decoder_changes_the_count_not_just_a_caveat(capsys):
    d = _json(capsys, ["estimate", "--params", "11B", "--tokens", "1T", "--architecture", "encoder-decoder", "--json"])
    assert d["training_flop"] == pytest.approx(3.3e22) and "N/2" in d["method"]


def test_family_is_an_option_and_a_labelled_assumption(capsys):
    argv = ["estimate", "--hardware", "TPU v3", "--chips", "512", "--hours", "481.9", "--json"]
    lang = _json(capsys, [*argv, "--family", "language"])
    other = _json(capsys, argv)
    assert lang["utilization"] == 0.3 and other["utilization"] == 0.4
    u = next(a for a in lang["assumptions"] if a["name"] == "utilization")
    assert u["basis"] == "assumed" and "--family language" in u["source"]
    assert lang["training_flop"] == pytest.approx(3.3e22, rel=0.02)  # T5-11B, Epoch: 3.3e22


def test_activation_caveat_names_a_real_option(capsys):
    d = _json(capsys, ["estimate", "--params", "7B", "--tokens", "1T", "--hardware", "h100", "--json"])
    caveat = next(c for c in d["caveats"] if "activations" in c)
    assert "--activations-bytes" in caveat
    with_acts = _json(
        capsys,
        ["estimate", "--params", "7B", "--tokens", "1T", "--hardware", "h100", "--activations-bytes", "2T", "--json"],
    )
    assert with_acts["memory"]["activations_bytes"] == 2e12
    assert not any("activations" in c for c in with_acts["caveats"])
    assert with_acts["memory"]["min_chips"] > d["memory"]["min_chips"]


def test_model_without_torch_names_the_extra():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from flopcast.cli import main\n"
        "sys.exit(main(['estimate', '--model', 'gpt2', '--examples', '1000']))"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr
    err = p.stderr.strip().splitlines()
    assert len(err) == 1 and "pip install 'flopcast[torch]'" in err[0] and "Traceback" not in p.stderr
