"""The models of the count benchmark and their analytic dense forward counts (FLOP, 2 per multiply-add).

Each entry builds a model and the positional inputs of one forward pass through flopcast's own
model sources (``flopcast.count.sources.load_model``), wrapped so that every peer sees the same
``model(x) -> tensor`` call. The reference counts are derived by hand from the architectures,
independently of any counter:

* ResNet-50: every convolution ``2·k²·C_in·C_out·H_out·W_out`` plus the classifier (He et al. 2016,
  torchvision's v1.5 layout with the stride on the 3x3 convolution);
* LSTM LM: ``4·h·(x + h)`` multiply-adds per token per layer plus the head (``tests/count/models.py``);
* transformers: ``flopcast.estimate.analytic.dense_forward_flop`` (all projections, both attention
  matmuls over the full context, the head).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEST_MODELS = ROOT / "tests" / "count" / "models.py"


@dataclass(frozen=True)
class BenchModel:
    name: str
    spec: str  # flopcast model spec
    device: str
    kwargs: dict[str, Any]
    reference: Callable[[], int]  # analytic dense forward FLOP
    description: str


def _test_models() -> Any:
    spec = importlib.util.spec_from_file_location("_flopcast_bench_test_models", TEST_MODELS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def resnet50_dense_flop(size: int = 224, num_classes: int = 1000) -> int:
    """2·MAC of ResNet-50's convolutions and classifier for one ``size x size`` image (He et al. 2016, Table 1)."""

    def conv(k: int, cin: int, cout: int, hw: int) -> int:
        return k * k * cin * cout * hw * hw

    mac = conv(7, 3, 64, size // 2)
    s, cin = size // 4, 64
    for i, blocks in enumerate((3, 4, 6, 3)):
        w = 64 * 2**i
        out = s // 2 if i > 0 else s
        for j in range(blocks):
            s_in = s if j == 0 else out
            mac += conv(1, cin, w, s_in) + conv(3, w, w, out) + conv(1, w, 4 * w, out)
            if j == 0:
                mac += conv(1, cin, 4 * w, out)
            cin = 4 * w
        s = out
    return 2 * (mac + 2048 * num_classes)


def _analytic(preset: str, batch: int, seq_len: int) -> Callable[[], int]:
    def ref() -> int:
        from flopcast.count.presets import get_preset
        from flopcast.estimate.analytic import dense_forward_flop, shape_from_config, vit_patches

        config = get_preset(preset).config
        tokens = vit_patches(config) if config["model_type"] == "vit" else seq_len
        return dense_forward_flop(shape_from_config(config), batch=batch, seq_len=tokens)

    return ref


def _lstm_ref(batch: int, seq_len: int) -> Callable[[], int]:
    def ref() -> int:
        m = _test_models()
        return m.lstm_lm_forward_flop(m.LSTMLanguageModel(), batch, seq_len)

    return ref


GPT2_SEQ = 256

MODELS: dict[str, BenchModel] = {
    m.name: m
    for m in [
        BenchModel(
            "resnet50",
            f"{TEST_MODELS}:resnet50",
            "cpu",
            {"input_shape": (1, 3, 224, 224)},
            lambda: resnet50_dense_flop(224),
            "ResNet-50, 1x3x224x224, CPU",
        ),
        BenchModel(
            "vit-b/16",
            "vit-base-patch16-224",
            "cpu",
            {"batch": 1},
            _analytic("vit-base-patch16-224", 1, 0),
            "ViT-B/16 (HF ViTForImageClassification), 1x3x224x224, CPU, sdpa",
        ),
        BenchModel(
            "lstm-lm",
            f"{TEST_MODELS}:lstm_lm",
            "cpu",
            {"batch": 20, "seq_len": 35},
            _lstm_ref(20, 35),
            "2-layer LSTM LM (650 units, 10k vocab), 20x35 tokens, CPU",
        ),
        BenchModel(
            "bert-base-512",
            "bert-base-uncased",
            "cpu",
            {"batch": 1, "seq_len": 512},
            _analytic("bert-base-uncased", 1, 512),
            "BERT-base MLM, 1x512 tokens, CPU, sdpa",
        ),
        BenchModel(
            "gpt2-eager",
            "gpt2",
            "cpu",
            {"batch": 1, "seq_len": GPT2_SEQ, "attn_implementation": "eager"},
            _analytic("gpt2", 1, GPT2_SEQ),
            f"GPT-2 124M, 1x{GPT2_SEQ} tokens, CPU, eager attention",
        ),
        BenchModel(
            "gpt2-sdpa",
            "gpt2",
            "cpu",
            {"batch": 1, "seq_len": GPT2_SEQ, "attn_implementation": "sdpa"},
            _analytic("gpt2", 1, GPT2_SEQ),
            f"GPT-2 124M, 1x{GPT2_SEQ} tokens, CPU, sdpa attention",
        ),
        BenchModel(
            "llama-2-7b-meta",
            "llama-2-7b",
            "meta",
            {"batch": 1, "seq_len": 4096},
            _analytic("llama-2-7b", 1, 4096),
            "Llama-2-7B, 1x4096 tokens, meta device, sdpa",
        ),
    ]
}


class Positional:
    """``model(x) -> tensor``: the common call every peer gets (HF keyword inputs, ``.logits`` outputs)."""

    @staticmethod
    def wrap(model: Any, key: str | None) -> Any:
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                out = self.model(**{key: x}) if key else self.model(x)
                return out.logits if hasattr(out, "logits") else out

        return Wrapped().eval()


def build(name: str) -> tuple[Any, tuple[Any, ...]]:
    """The wrapped model and its positional inputs. CPU weights are zero-filled without random init
    (counting never reads values; random init of 100M+ parameters would dominate the benchmark)."""
    import torch

    from flopcast.count.sources import load_model

    m = MODELS[name]
    ctx = _no_init() if m.device != "meta" else _null()
    with ctx:
        lm = load_model(m.spec, device=m.device, **m.kwargs)
    if m.device != "meta":
        with torch.no_grad():
            for p in lm.model.parameters():
                p.zero_()
    if isinstance(lm.inputs, dict):
        ((key, x),) = lm.inputs.items()
    else:
        key, x = None, lm.inputs
    return Positional.wrap(lm.model, key), (x,)


def _no_init() -> Any:
    from transformers.initialization import no_init_weights

    return no_init_weights()


def _null() -> Any:
    import contextlib

    return contextlib.nullcontext()
