"""Model sources: bundled presets, local config.json files, Python factories, and their errors."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from flopcast.count import hf  # noqa: E402
from flopcast.count.presets import get_preset  # noqa: E402
from flopcast.count.sources import LoadedModel, list_presets, load_model  # noqa: E402
from flopcast.errors import DataFormatError, InputError, ModelError, UnknownNameError  # noqa: E402

MODELS = Path(__file__).with_name("models.py")
REQUIRED = [
    "gpt2",
    "bert-base-uncased",
    "t5-base",
    "vit-base-patch16-224",
    "llama-2-7b",
    "llama-2-70b",
    "llama-3-8b",
    "llama-3.1-405b",
    "mistral-7b",
]
GPT2_TINY = {
    "model_type": "gpt2",
    "architectures": ["GPT2LMHeadModel"],
    "vocab_size": 1000,
    "n_positions": 64,
    "n_embd": 32,
    "n_layer": 2,
    "n_head": 4,
}


def test_required_presets_are_bundled():
    assert set(REQUIRED) <= set(list_presets())
    assert list_presets() == sorted(list_presets())


@pytest.mark.parametrize("name", list_presets())
def test_every_preset_cites_its_model_card(name):
    preset = get_preset(name)
    assert preset.name == name
    assert "https://huggingface.co/" in preset.source
    assert preset.config["model_type"] in hf_model_types()
    assert not any(k.startswith("_") for k in preset.config)


def hf_model_types():
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    return set(CONFIG_MAPPING.keys())


def test_preset_names_are_forgiving_and_unknown_ones_suggest_nearest():
    assert get_preset("Llama-2-7B").name == "llama-2-7b"
    assert get_preset("llama 3.1 405b").name == "llama-3.1-405b"
    with pytest.raises(UnknownNameError) as err:
        load_model("gtp2")
    assert "gpt2" in err.value.nearest and "\n" not in str(err.value)


def test_llama_preset_builds_on_meta_with_token_inputs():
    lm = load_model("llama-2-7b")
    assert isinstance(lm, LoadedModel) and lm.kind == "preset" and lm.name == "llama-2-7b"
    assert type(lm.model).__name__ == "LlamaForCausalLM"
    assert lm.model.config._attn_implementation == "sdpa"
    ids = lm.inputs["input_ids"]
    assert ids.is_meta and ids.dtype == torch.long and tuple(ids.shape) == (1, 4096)  # pretraining context
    assert all(p.is_meta for p in lm.model.parameters())
    # Llama 2 paper, Table 1: 7B; the published figure for Llama-2-7b-hf is 6,738,415,616 parameters.
    assert sum(p.numel() for p in lm.model.parameters()) == 6_738_415_616


def test_gpt2_preset_has_gpt2_parameter_count():
    lm = load_model("gpt2", seq_len=16, attn_implementation="eager")
    # 124,439,808: the parameter count of openai-community/gpt2 (tied head counted once).
    assert sum(p.numel() for p in lm.model.parameters()) == 124_439_808
    assert lm.model.config._attn_implementation == "eager"
    assert lm.seq_len == 16


def test_encoder_decoder_and_image_inputs():
    t5 = load_model("t5-base", batch=2, seq_len=32)
    assert set(t5.inputs) == {"input_ids", "decoder_input_ids"}
    assert tuple(t5.inputs["decoder_input_ids"].shape) == (2, 32)
    vit = load_model("vit-base-patch16-224", batch=3, dtype="bf16")
    px = vit.inputs["pixel_values"]
    assert tuple(px.shape) == (3, 3, 224, 224) and px.dtype == torch.bfloat16
    assert {p.dtype for p in vit.model.parameters()} == {torch.bfloat16}
    big = load_model("vit-base-patch16-224", input_shape=(1, 3, 384, 384))
    assert tuple(big.inputs["pixel_values"].shape) == (1, 3, 384, 384)
    assert torch.get_default_dtype() == torch.float32  # restored after building in bf16


def test_cpu_build_uses_reproducible_token_ids(tmp_path):
    a = load_model(_write(GPT2_TINY, tmp_path / "a"), device="cpu", seq_len=8)
    b = load_model(_write(GPT2_TINY, tmp_path / "b"), device="cpu", seq_len=8)
    assert torch.equal(a.inputs["input_ids"], b.inputs["input_ids"])
    assert int(a.inputs["input_ids"].max()) < 1000
    assert a.model(**a.inputs).logits.shape == (1, 8, 1000)


def test_cpu_build_refuses_models_that_cannot_fit():
    with pytest.raises(ModelError, match="meta"):
        load_model("llama-3.1-405b", device="cpu")


def _write(values, folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "config.json"
    p.write_text(values if isinstance(values, str) else json.dumps(values))
    return str(p)


def test_config_json_path_and_folder(tmp_path):
    p = tmp_path / "config.json"
    p.write_text(json.dumps(GPT2_TINY))
    lm = load_model(str(p))
    assert lm.kind == "config" and lm.name == "GPT2LMHeadModel"
    assert tuple(lm.inputs["input_ids"].shape) == (1, 64)  # n_positions
    assert load_model(str(tmp_path), seq_len=10).inputs["input_ids"].shape[-1] == 10


@pytest.mark.parametrize(
    ("text", "pattern", "error"),
    [
        ('{"model_type": "gpt2",\n "n_layer": 2,,}', r"config\.json:2: invalid JSON", DataFormatError),
        ("[1, 2]", "expected a JSON object", DataFormatError),
        ('{"n_layer": 2}', "model_type", DataFormatError),
        ('{"model_type": "gtp2"}', "nearest: gpt2", ModelError),
        ('{"model_type": "gpt2", "n_embd": 770, "n_head": 12}', "divisible", ModelError),
    ],
)
def test_malformed_config_json_is_one_line_error(tmp_path, text, pattern, error):
    with pytest.raises(error, match=pattern) as err:
        load_model(_write(text, tmp_path))
    assert isinstance(err.value, InputError) and "\n" not in str(err.value)


def test_sequence_longer_than_the_position_table_is_a_one_line_error(tmp_path):
    path = _write(GPT2_TINY, tmp_path)
    assert load_model(path, seq_len=64).inputs["input_ids"].shape[-1] == 64  # exactly n_positions: fine
    with pytest.raises(ModelError, match=r"sequence length 65 exceeds the 64 positions.*--seq-len 64") as err:
        load_model(path, seq_len=65)
    assert "\n" not in str(err.value)


def test_position_table_limit_reads_offsets_and_padding():
    from torch import nn

    from flopcast.count.hf import position_table_limit

    class Opt(nn.Embedding):  # OPT-style: two reserved rows
        offset = 2

    model = nn.Module()
    model.embed_tokens = nn.Embedding(100, 8)
    model.embed_positions = Opt(2050, 8)
    assert position_table_limit(model) == 2048
    roberta = nn.Module()
    roberta.word_embeddings = nn.Embedding(100, 8)
    roberta.position_embeddings = nn.Embedding(514, 8, padding_idx=1)  # positions start at padding_idx + 1
    assert position_table_limit(roberta) == 512
    rotary = nn.Module()
    rotary.embed_tokens = nn.Embedding(100, 8)  # token table only: no positional limit
    assert position_table_limit(rotary) is None
    # a vision tower's patch-position table sits beside a convolution, not a token table: it limits patches
    two_towers = nn.Module()
    two_towers.text, two_towers.vision = nn.Module(), nn.Module()
    two_towers.text.token_embedding, two_towers.text.position_embedding = nn.Embedding(50, 8), nn.Embedding(77, 8)
    two_towers.vision.patch_embedding, two_towers.vision.position_embedding = nn.Conv2d(3, 8, 4), nn.Embedding(17, 8)
    assert position_table_limit(two_towers) == 77


def test_rotary_models_may_run_past_their_pretraining_context():
    lm = load_model("llama-2-7b", seq_len=8192)  # no position table: counted, not refused
    assert lm.inputs["input_ids"].shape[-1] == 8192


def test_missing_config_file():
    with pytest.raises(DataFormatError, match="cannot read"):
        load_model("/nonexistent/config.json")


# ------------------------------------------------------------------ factories


def test_file_factory_builds_on_meta_and_needs_an_input_shape():
    lm = load_model(f"{MODELS}:resnet50", input_shape=(2, 3, 224, 224))
    assert lm.kind == "factory" and lm.config is None
    assert all(p.is_meta for p in lm.model.parameters()) and lm.inputs.is_meta
    assert tuple(lm.inputs.shape) == (2, 3, 224, 224)
    with pytest.raises(ModelError, match=r"--input-shape .*1,3,224,224"):
        load_model(f"{MODELS}:resnet50")


def test_factory_with_embedding_gets_token_ids():
    lm = load_model(f"{MODELS}:lstm_lm", batch=4, seq_len=35, device="cpu")
    assert lm.inputs.dtype == torch.long and tuple(lm.inputs.shape) == (4, 35) and lm.seq_len == 35
    assert int(lm.inputs.max()) < 10_000
    with pytest.raises(ModelError, match="--seq-len"):
        load_model(f"{MODELS}:lstm_lm")


@pytest.fixture
def factories(tmp_path, monkeypatch):
    pkg = tmp_path / "fcpkg_sources_test"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "nets.py").write_text(
        textwrap.dedent("""
        import torch
        def mlp():
            return torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
        def with_inputs():
            return torch.nn.Linear(8, 2), torch.zeros(5, 8)
        def not_a_module():
            return {"weights": 1}
        def broken():
            raise RuntimeError("out of widgets")
        CONSTANT = 3
    """)
    )
    (tmp_path / "syntax_error.py").write_text("def f(:\n    pass\n")
    (tmp_path / "raises_on_import.py").write_text("import no_such_module_anywhere_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_dotted_factory_and_inputs_guessed_from_first_linear(factories):
    lm = load_model("fcpkg_sources_test.nets:mlp", batch=3)
    assert tuple(lm.inputs.shape) == (3, 16) and lm.inputs.is_meta
    pair = load_model("fcpkg_sources_test.nets:with_inputs", device="cpu")
    assert tuple(pair.inputs.shape) == (5, 8)


@pytest.mark.parametrize(
    ("spec", "pattern"),
    [
        ("fcpkg_sources_test.nets:nope", r"has no attribute 'nope'"),
        ("fcpkg_sources_test.nets:mpl", r"nearest: mlp"),
        ("fcpkg_sources_test.nets:CONSTANT", r"not a callable"),
        ("fcpkg_sources_test.nets:not_a_module", r"returned a dict, not a torch\.nn\.Module"),
        ("fcpkg_sources_test.nets:broken", r"failed: RuntimeError: out of widgets"),
        ("no_such_pkg_xyz.models:net", r"cannot import .*no module named 'no_such_pkg_xyz'"),
        ("{tmp}/syntax_error.py:f", r"SyntaxError: .*syntax_error\.py, line 1"),
        ("{tmp}/raises_on_import.py:f", r"ModuleNotFoundError"),
        ("{tmp}/missing.py:f", r"no file"),
    ],
)
def test_factory_errors_are_one_line(factories, spec, pattern):
    with pytest.raises(ModelError, match=pattern) as err:
        load_model(spec.format(tmp=factories))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"batch": 0}, "batch"),
        ({"seq_len": -1}, "seq_len"),
        ({"dtype": "fp8"}, "dtype"),
        ({"input_shape": (1, 0)}, "input shape"),
    ],
)
def test_bad_arguments(kwargs, pattern):
    with pytest.raises(ModelError, match=pattern):
        load_model("gpt2", **kwargs)


def test_token_preset_rejects_image_shaped_input():
    with pytest.raises(ModelError, match="BATCH,SEQ_LEN"):
        load_model("gpt2", input_shape=(1, 3, 224, 224))


def test_meta_mask_patch_leaves_real_tensors_alone():
    load_model("gpt2", seq_len=4)  # installs the patch
    from transformers import masking_utils

    packed = torch.tensor([[0, 1, 2, 0, 1]])
    assert masking_utils.find_packed_sequence_indices(packed).tolist() == [[0, 0, 0, 1, 1]]
    assert masking_utils.find_packed_sequence_indices(torch.arange(5)[None]) is None
    assert masking_utils.find_packed_sequence_indices(torch.empty(1, 5, device="meta")) is None
    hf._meta_safe_masks()  # idempotent
    assert masking_utils.find_packed_sequence_indices._flopcast_meta_safe


def test_an_unknown_attention_implementation_is_refused_by_the_library_and_the_cli(capsys):
    from flopcast.cli import main
    from flopcast.count import ATTENTIONS, load_model
    from flopcast.errors import ModelError

    assert ATTENTIONS == ("eager", "sdpa")
    with pytest.raises(ModelError, match="attn_implementation 'flash': use eager or sdpa"):
        load_model("gpt2", attn_implementation="flash")
    assert main(["count", "gpt2", "--attention", "flash"]) == 2
    assert capsys.readouterr().err.strip() == "flopcast: error: --attention 'flash': use eager or sdpa"
