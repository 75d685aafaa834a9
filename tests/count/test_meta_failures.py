"""Configs that used to fail on meta: BART's own all-ones mask, models without sdpa, CLIP's two towers."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from flopcast.cli import main  # noqa: E402
from flopcast.count import count  # noqa: E402
from flopcast.count.sources import load_model  # noqa: E402
from flopcast.errors import ModelError  # noqa: E402

pytestmark = pytest.mark.torch

D, FFN, V, S = 16, 32, 50, 8
BART = {
    "model_type": "bart",
    "architectures": ["BartForConditionalGeneration"],
    "d_model": D,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": FFN,
    "decoder_ffn_dim": FFN,
    "vocab_size": V,
    "max_position_embeddings": 64,
}
PEGASUS_X = {
    "model_type": "pegasus_x",
    "d_model": D,
    "encoder_layers": 1,
    "decoder_layers": 1,
    "encoder_attention_heads": 2,
    "decoder_attention_heads": 2,
    "encoder_ffn_dim": FFN,
    "decoder_ffn_dim": FFN,
    "vocab_size": V,
    "max_position_embeddings": 64,
    "block_size": 4,
    "num_global_tokens": 2,
}
TEXT_POSITIONS, IMAGE, PATCH, DV, FFNV, P = 20, 32, 8, 24, 48, 8
CLIP = {
    "model_type": "clip",
    "projection_dim": P,
    "text_config": {
        "hidden_size": D,
        "intermediate_size": FFN,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "vocab_size": V,
        "max_position_embeddings": TEXT_POSITIONS,
        "bos_token_id": 0,
        "eos_token_id": 1,
        "pad_token_id": 1,
    },
    "vision_config": {
        "hidden_size": DV,
        "intermediate_size": FFNV,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "image_size": IMAGE,
        "patch_size": PATCH,
    },
}


def _write(values, tmp_path, name="config.json"):
    path = tmp_path / name
    path.write_text(json.dumps(values))
    return str(path)


def _layer(tokens, d, ffn):
    """One encoder layer: q, k, v, o projections, QKᵀ and PV over the full S×S, the two MLP products."""
    return 2 * tokens * 4 * d * d + 2 * 2 * tokens * tokens * d + 2 * tokens * 2 * d * ffn


def test_bart_counts_on_meta_as_on_cpu_and_by_hand(tmp_path):
    # BART's decoder builds its own all-ones attention mask and asks whether it pads (a .item() on meta)
    path = _write(BART, tmp_path)
    cross = 2 * S * 2 * D * D + 2 * S * 2 * D * D + 2 * 2 * S * S * D  # q, o from the decoder; k, v from the encoder
    hand = _layer(S, D, FFN) + _layer(S, D, FFN) + cross + 2 * S * D * V  # encoder, decoder, cross, LM head
    counts = {}
    for device in ("meta", "cpu"):
        lm = load_model(path, seq_len=S, device=device)
        counts[device] = count(lm.model, lm.inputs, mode="train")
    assert counts["meta"].forward_flop == counts["cpu"].forward_flop == hand
    assert counts["meta"].backward_flop == counts["cpu"].backward_flop
    assert counts["meta"].uncounted_ops == {}


def test_bart_through_the_cli_on_meta(capsys, tmp_path):
    assert main(["count", _write(BART, tmp_path), "--seq-len", str(S), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["device"] == "meta"


def test_a_model_without_sdpa_takes_eager_by_default_and_refuses_sdpa_naming_eager(capsys, tmp_path):
    path = _write(PEGASUS_X, tmp_path)
    assert main(["count", path, "--seq-len", str(S), "--json"]) == 0
    default = json.loads(capsys.readouterr().out)["forward_flop"]
    assert main(["count", path, "--seq-len", str(S), "--attention", "eager", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["forward_flop"] == default > 0
    assert main(["count", path, "--seq-len", str(S), "--attention", "sdpa"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no sdpa attention" in err and "use --attention eager" in err
    with pytest.raises(ModelError, match="use --attention eager"):
        load_model(path, seq_len=S, attn_implementation="sdpa")


def test_clip_gets_tokens_and_images_and_its_text_tower_sets_the_sequence_limit(tmp_path):
    path = _write(CLIP, tmp_path)
    patches = (IMAGE // PATCH) ** 2
    text = _layer(TEXT_POSITIONS, D, FFN)
    vision = 2 * patches * 3 * PATCH * PATCH * DV + _layer(patches + 1, DV, FFNV)  # patch conv, one layer (+CLS)
    # the two projections of one pooled vector each, and the 1x1 text-image similarity (2·B·B·P)
    hand = text + vision + 2 * D * P + 2 * DV * P + 2 * P
    for device in ("meta", "cpu"):
        lm = load_model(path, device=device)  # default length: the text tower's 20 positions
        assert lm.inputs_description == f"input_ids 1x{TEXT_POSITIONS}, pixel_values 1x3x{IMAGE}x{IMAGE}"
        r = count(lm.model, lm.inputs)
        assert r.forward_flop == hand and r.uncounted_ops == {}
        assert r.total("text_model") == text and r.total("vision_model") == vision
    # the vision tower's table has 17 rows (16 patches + CLS): it limits patches, not tokens
    assert load_model(path, seq_len=TEXT_POSITIONS).seq_len == TEXT_POSITIONS
    with pytest.raises(ModelError, match=f"exceeds the {TEXT_POSITIONS} positions"):
        load_model(path, seq_len=TEXT_POSITIONS + 1)


def test_clip_counts_a_train_step_on_meta(tmp_path):
    lm = load_model(_write(CLIP, tmp_path), batch=2, seq_len=10)
    r = count(lm.model, lm.inputs, mode="train")
    assert r.backward_flop > r.forward_flop > 0 and r.uncounted_ops == {}


VALUE_READING = """
import torch


class Gate(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)

    def forward(self, x):
        if (x > 0).any():  # a branch on tensor values: Tensor.item() on meta
            return self.lin(x)
        return x


def build():
    return Gate()
"""


def test_a_model_reading_values_on_meta_names_device_cpu(capsys, tmp_path):
    f = tmp_path / "gate.py"
    f.write_text(VALUE_READING)
    assert main(["count", f"{f}:build", "--input-shape", "2,4"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "meta" in err and "--device cpu" in err and "check --input-shape" not in err
    assert main(["count", f"{f}:build", "--input-shape", "2,4", "--device", "cpu", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["forward_flop"] == 2 * 2 * 4 * 4


def test_a_shape_error_on_meta_keeps_the_input_hint(capsys):
    from pathlib import Path

    models = Path(__file__).with_name("models.py")
    assert main(["count", f"{models}:resnet50", "--input-shape", "1,4,224,224"]) == 2
    err = capsys.readouterr().err
    assert "check --input-shape" in err and "--device cpu" not in err


def test_models_that_warn_about_padding_count_on_meta_as_on_cpu(tmp_path):
    # DeBERTa (and ~30 other models) ask `pad_token_id in input_ids` to warn about a missing mask: .item() on meta
    path = _write(
        {
            "model_type": "deberta-v2",
            "hidden_size": D,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": FFN,
            "vocab_size": V,
        },
        tmp_path,
    )
    meta, cpu = (load_model(path, seq_len=S, device=d) for d in ("meta", "cpu"))
    assert count(meta.model, meta.inputs).forward_flop == count(cpu.model, cpu.inputs).forward_flop > 0
