"""`flopcast count` with the real model sources: each bad input is one line on stderr and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from flopcast.cli import main  # noqa: E402

MODELS = Path(__file__).with_name("models.py")


def one_line_error(capsys, *args: str) -> str:
    assert main(["count", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flopcast: error:") and err.count("\n") == 1, err
    return err


def test_unknown_preset_suggests_nearest(capsys):
    err = one_line_error(capsys, "gpt-5")
    assert "unknown model preset 'gpt-5'" in err and "nearest: gpt2" in err


def test_factory_that_does_not_import(capsys, tmp_path):
    err = one_line_error(capsys, "no_such_package_xyz.nets:build")
    assert "no module named 'no_such_package_xyz'" in err
    bad = tmp_path / "bad.py"
    bad.write_text("def build(:\n")
    assert "SyntaxError" in one_line_error(capsys, f"{bad}:build")


def test_factory_that_does_not_return_a_module(capsys, tmp_path):
    f = tmp_path / "notmod.py"
    f.write_text("def build():\n    return [1, 2, 3]\n")
    assert "returned a list, not a torch.nn.Module" in one_line_error(capsys, f"{f}:build")


def test_factory_or_module_that_calls_sys_exit(capsys, tmp_path):
    """User code that exits is a failed model source (exit 2, one line), not flopcast exiting with its code."""
    f = tmp_path / "exits.py"
    f.write_text("import sys\n\ndef build():\n    sys.exit(7)\n")
    assert "called sys.exit(7)" in one_line_error(capsys, f"{f}:build")
    g = tmp_path / "script.py"
    g.write_text("import sys\nsys.exit(3)\n")
    assert "sys.exit(3) on import" in one_line_error(capsys, f"{g}:build")


def test_malformed_config_json(capsys, tmp_path):
    cfg = tmp_path / "config.json"
    cfg.write_text('{\n  "model_type": "gpt2",\n  "n_layer": 2\n  "n_head": 4\n}\n')
    err = one_line_error(capsys, str(cfg))
    assert f"{cfg}:4" in err and "invalid JSON" in err


def test_input_shape_the_model_rejects(capsys):
    err = one_line_error(capsys, f"{MODELS}:resnet50", "--input-shape", "1,4,224,224")
    assert "failed on its input" in err and "channel" in err


def test_factory_and_preset_count_through_the_cli(capsys):
    assert main(["count", f"{MODELS}:resnet50", "--input-shape", "1,3,224,224", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["params"] == 25_557_032 and round(d["forward_mac"] / 1e9, 2) == 4.09
    assert main(["count", "t5-base", "--seq-len", "64", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["model"] == "t5-base" and d["forward_flop"] > 0 and d["uncounted_ops"] == {}


def test_a_directory_without_config_json_says_so(capsys, tmp_path):
    err = one_line_error(capsys, str(tmp_path))
    assert f"'{tmp_path}' is a directory with no config.json" in err and "module:factory" in err
    assert "unknown model preset" not in err


def test_a_directory_holding_config_json_counts_that_config(capsys, tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "model_type": "gpt2",
                "n_layer": 1,
                "n_embd": 16,
                "n_head": 2,
                "n_positions": 32,
                "vocab_size": 50,
                "bos_token_id": 0,
                "eos_token_id": 0,
            }
        )
    )
    assert main(["count", str(tmp_path), "--seq-len", "8", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    # one layer: 2·8 tokens·12·16² (projections and MLP) + 2·2·8²·16 (QKᵀ and PV)
    assert d["forward_flop"] == 2 * 8 * 12 * 16 * 16 + 2 * 2 * 8 * 8 * 16


@pytest.mark.parametrize(
    ("missing", "spec", "said"),
    [
        ("torch", "gpt2", "flopcast count needs torch"),
        ("transformers", "gpt2", "building preset 'gpt2' (a Hugging Face config) needs transformers"),
    ],
)
def test_a_missing_extra_is_named(missing, spec, said):
    import subprocess
    import sys

    code = (
        f"import sys; sys.modules[{missing!r}] = None\n"  # as if it were not installed
        f"from flopcast.cli import main\nsys.exit(main(['count', {spec!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and said in done.stderr and "pip install 'flopcast[torch]'" in done.stderr


def test_a_factory_counts_without_transformers():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['transformers'] = None\nfrom flopcast.cli import main\n"
        f"sys.exit(main(['count', '{MODELS}:resnet50', '--input-shape', '1,3,32,32', '--json']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["params"] == 25_557_032
