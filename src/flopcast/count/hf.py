"""Build Hugging Face models from configuration values alone, and synthesize their inputs.

Nothing is ever downloaded: the model is instantiated from a config (bundled preset or a local
``config.json``) with freshly initialised weights, on the meta device by default, where no memory
is allocated. Inputs are synthesized from the model's ``main_input_name``: token ids, pixel values,
audio features, plus decoder token ids for encoder-decoder models.

Workarounds for counting on the meta device (transformers 5.x, torch 2.x), all applied here:

* ``use_cache=False``: a forward pass that is being counted is a training/scoring pass, not a
  generation step, so no KV cache object is created (its bookkeeping is not the network pass).
* No ``attention_mask`` is passed: a full (all-ones) mask is the default, which lets the mask
  utilities skip the data-dependent checks (``padding_mask.all()``) that meta tensors cannot
  answer. The model still builds its causal / sliding-window mask from shapes alone, and eager and
  sdpa attention both compute the full ``seq_len x seq_len`` score matrix, so they count alike.
* With no mask and no cache, transformers checks ``position_ids`` for packed sequences with a
  data-dependent ``.all()``, and models that build their own all-ones mask (BART) ask whether it pads;
  :func:`_meta_safe_masks` answers "not packed" and "no padding" for meta tensors only.
* Token ids on meta are ``zeros`` (their values are never read); on a real device they are drawn
  from ``[0, vocab_size)`` with a fixed seed so that runs are reproducible.
* Weights are created under ``torch.device(device)`` with the default dtype set to the requested
  one, so a 405B-parameter model costs nothing on meta and no fp32 copy is made for bf16/fp16.
* Rotary embeddings compute ``inv_freq`` from the config at construction; on meta this is a shape
  only, and ``rope_scaling`` (Llama 3.1) works the same way.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from flopcast._names import nearest
from flopcast.count.precision import DTYPES, dtype_name, torch_dtype_of
from flopcast.errors import ModelError, one_line
from flopcast.units import BYTES_PER_VALUE


def torch_dtype(name: str) -> Any:
    """The torch dtype for ``"fp32"``, ``"bf16"`` or ``"fp16"`` (also accepts torch spellings)."""
    canonical = dtype_name(name)
    if canonical is None:
        raise ModelError(f"unknown dtype {name!r}; use one of {', '.join(DTYPES)}")
    return torch_dtype_of(canonical)


@contextlib.contextmanager
def building(device: str, dtype: str) -> Iterator[None]:
    """Create tensors on ``device`` with default dtype ``dtype`` inside the block (restored after)."""
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch_dtype(dtype))
    try:
        with torch.device(device):
            yield
    finally:
        torch.set_default_dtype(previous)


def _offline() -> None:
    # Building from a config never downloads; these make sure nothing tries.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _meta_safe_masks() -> None:
    """Let transformers' mask utilities run on meta tensors (idempotent; patches four functions).

    Masks built from shapes alone work on meta, but four helpers ask data-dependent questions that a
    meta tensor cannot answer (``Tensor.item()`` raises):

    * ``find_packed_sequence_indices``: with no attention mask and no KV cache (a training pass),
      transformers >= 4.53 asks whether ``position_ids`` pack several sequences into one row,
      ``(mask[:, -1] == 0).all()``. Synthesized inputs are one sequence per row, which is what "no
      packing" (``None``) means.
    * ``_ignore_causal_mask_sdpa`` / ``_ignore_bidirectional_mask_sdpa``: models that build an
      all-ones ``attention_mask`` themselves when given none (BART, mBART, Marian, PLBart...) then ask
      whether it pads anything, ``padding_mask.sum() == numel``. A meta mask has no values: it is
      answered as "no padding" (the checks see ``padding_mask=None``), the case of synthesized inputs.
    * ``PreTrainedModel.warn_if_padding_and_no_attention_mask`` (DeBERTa, ALBERT-style models and some
      30 others): a warning that asks whether ``pad_token_id in input_ids``; skipped for meta ids.

    On meta the attention count is the full ``S x S`` either way (flopcast's convention), so the answers
    change which kernel transformers picks, never the count. On every other device the original
    functions run unchanged.
    """
    try:
        from transformers import masking_utils
    except ImportError:  # older transformers: no such checks
        return

    def packed(original: Any) -> Any:
        def find_packed_sequence_indices(position_ids: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(position_ids, "is_meta", False):
                return None
            return original(position_ids, *args, **kwargs)

        return find_packed_sequence_indices

    def no_padding(original: Any) -> Any:
        def ignore_mask(padding_mask: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(padding_mask, "is_meta", False):
                padding_mask = None
            return original(padding_mask, *args, **kwargs)

        return ignore_mask

    def no_warning(original: Any) -> Any:
        def warn_if_padding_and_no_attention_mask(self: Any, input_ids: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(input_ids, "is_meta", False):
                return None
            return original(self, input_ids, *args, **kwargs)

        return warn_if_padding_and_no_attention_mask

    from transformers.modeling_utils import PreTrainedModel

    for owner, name, wrap in (
        (masking_utils, "find_packed_sequence_indices", packed),
        (masking_utils, "_ignore_causal_mask_sdpa", no_padding),
        (masking_utils, "_ignore_bidirectional_mask_sdpa", no_padding),
        (PreTrainedModel, "warn_if_padding_and_no_attention_mask", no_warning),
    ):
        original = getattr(owner, name, None)
        if original is None or getattr(original, "_flopcast_meta_safe", False):
            continue
        patched = wrap(original)
        patched._flopcast_meta_safe = True
        patched.__name__, patched.__doc__ = original.__name__, original.__doc__
        setattr(owner, name, patched)


#: Attention implementations a model can be built with (transformers' ``attn_implementation``); both count alike.
ATTENTIONS = ("eager", "sdpa")


def make_config(values: Mapping[str, Any], *, attn_implementation: str | None = None, where: str = "config") -> Any:
    """A ``transformers`` config object from plain values (``model_type`` required or implied).

    ``attn_implementation`` None lets transformers choose: ``sdpa`` where the model has it, else
    ``eager`` (both count alike under flopcast's full ``S x S`` attention convention).

    Raises
    ------
    ModelError
        Unknown ``model_type`` (with the nearest known types) or values the config class rejects.
    """
    if attn_implementation is not None and attn_implementation not in ATTENTIONS:
        raise ModelError(f"{where}: attn_implementation {attn_implementation!r}: use eager or sdpa")
    _offline()
    import transformers
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING

    values = dict(values)
    model_type = values.pop("model_type", None)
    if model_type is None:
        arch = (values.get("architectures") or [""])[0]
        cls = getattr(transformers, arch, None)
        model_type = getattr(getattr(cls, "config_class", None), "model_type", None)
        if not model_type:
            raise ModelError(f"{where}: no 'model_type' and unknown architecture {arch!r}; add \"model_type\"")
    if model_type not in CONFIG_MAPPING:
        near = ", ".join(nearest(model_type, list(CONFIG_MAPPING.keys()), n=4))
        raise ModelError(
            f"{where}: model_type {model_type!r} is not known to transformers "
            f"{transformers.__version__}" + (f"; nearest: {near}" if near else "")
        )
    try:
        config = transformers.AutoConfig.for_model(model_type, **values)
    except Exception as exc:
        raise ModelError(f"{where}: transformers rejects the config: {one_line(exc)}") from None
    config._attn_implementation = attn_implementation
    if hasattr(config, "use_cache"):
        config.use_cache = False
    return config


def model_class(config: Any) -> Any:
    """The class named in ``config.architectures`` if transformers has it, else the auto base model."""
    import transformers

    for arch in getattr(config, "architectures", None) or []:
        cls = getattr(transformers, arch, None)
        if cls is not None:
            return cls
    return None


def param_count_estimate(config: Any) -> int | None:
    """A rough parameter count from the config (12·L·d² + V·d), to refuse real-weight builds that cannot fit."""
    d = getattr(config, "hidden_size", None) or getattr(config, "d_model", None)
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "num_layers", None)
    vocab = getattr(config, "vocab_size", 0) or 0
    inter = getattr(config, "intermediate_size", None) or getattr(config, "d_ff", None) or 4 * (d or 0)
    if not d or not layers:
        return None
    return int(layers * (4 * d * d + 3 * d * inter) + 2 * vocab * d)


def build_model(config: Any, *, device: str = "meta", dtype: str = "fp32", where: str = "config") -> Any:
    """Instantiate the model for ``config`` on ``device`` in ``dtype`` (random init, no download)."""
    import psutil
    import transformers

    if str(device) != "meta":
        n = param_count_estimate(config)
        avail = psutil.virtual_memory().available
        if n is not None and n * BYTES_PER_VALUE.get(dtype, 4) > 0.5 * avail:
            raise ModelError(
                f"{where}: about {n / 1e9:.1f}B parameters need "
                f"{n * BYTES_PER_VALUE.get(dtype, 4) / 2**30:.0f} GiB on {device}, more than half the "
                f"{avail / 2**30:.0f} GiB available; count on device 'meta' instead"
            )
    if str(device) == "meta":
        _meta_safe_masks()
    cls = model_class(config)
    _check_attention(cls or _auto_class(config), config, where)
    try:
        with building(device, dtype):
            model = cls(config) if cls is not None else transformers.AutoModel.from_config(config)
    except Exception as exc:
        hint = _SDPA_HINT if "scaled_dot_product_attention" in str(exc) else ""
        raise ModelError(f"{where}: cannot build the model from its config: {one_line(exc)}{hint}") from None
    model.eval()
    return model


_SDPA_HINT = " (use --attention eager)"


def _auto_class(config: Any) -> Any:
    """The base model class ``AutoModel.from_config`` would build for ``config``, or None."""
    try:
        from transformers.models.auto.modeling_auto import MODEL_MAPPING

        return MODEL_MAPPING[type(config)]
    except Exception:  # unmapped config class: transformers' own error comes at build time
        return None


def _check_attention(cls: Any, config: Any, where: str) -> None:
    """Refuse ``sdpa`` for a model class that has none, naming the fix (before anything is built)."""
    if getattr(config, "_attn_implementation", None) == "sdpa" and getattr(cls, "_supports_sdpa", True) is False:
        import transformers

        raise ModelError(
            f"{where}: {cls.__name__} has no sdpa attention in transformers {transformers.__version__}; "
            "use --attention eager (or leave --attention unset to take what the model supports)"
        )


def _token_ids(shape: tuple[int, ...], vocab: int, device: str) -> Any:
    import torch

    if str(device) == "meta":
        return torch.zeros(shape, dtype=torch.long, device=device)
    gen = torch.Generator(device="cpu").manual_seed(0)
    return torch.randint(0, max(int(vocab), 1), shape, generator=gen, dtype=torch.long).to(device)


def _floats(shape: tuple[int, ...], dtype: str, device: str) -> Any:
    import torch

    if str(device) == "meta":
        return torch.empty(shape, dtype=torch_dtype(dtype), device=device)
    gen = torch.Generator(device="cpu").manual_seed(0)
    return torch.randn(shape, generator=gen, dtype=torch.float32).to(device=device, dtype=torch_dtype(dtype))


def _image_size(config: Any) -> tuple[int, int]:
    size = getattr(config, "image_size", 224)
    if isinstance(size, (list, tuple)):
        return int(size[0]), int(size[-1])
    return int(size), int(size)


def position_table_limit(model: Any) -> int | None:
    """Longest token sequence the model's position-embedding tables cover, or None if it has none.

    Learned (GPT-2 ``wpe``, BERT ``position_embeddings``, OPT/BART ``embed_positions``) and table-based
    sinusoidal embeddings index a table, so a longer input would fail on real tensors (on meta it
    would be counted silently). Rotary, ALiBi and relative schemes have no table and no limit here.
    OPT-style tables reserve ``offset`` rows; RoBERTa-style ones start after ``padding_idx``.

    Only tables that index *token* positions count: a position table beside a token embedding in the
    same parent module (``wte``/``wpe``, ``token_embedding``/``position_embedding``). A vision tower's
    patch-position table (CLIP, SigLIP) or an audio encoder's frame table (Whisper) sits beside a
    convolution instead and limits patches or frames, not tokens. One pass over the modules: O(modules).
    """
    from torch import nn

    limits = []
    for parent in model.modules():
        children = dict(parent.named_children())
        tables = {n: m for n, m in children.items() if isinstance(m, nn.Embedding)}
        positions = {n: m for n, m in tables.items() if "position" in n.lower() or n.lower() == "wpe"}
        if not positions or len(positions) == len(tables):  # no token embedding beside them
            continue
        for module in positions.values():
            reserved = int(getattr(module, "offset", 0) or 0)
            if module.padding_idx is not None:
                reserved = max(reserved, int(module.padding_idx) + 1)
            limits.append(int(module.num_embeddings) - reserved)
    return min(limits) if limits else None


def _sub_config(config: Any, name: str) -> Any:
    """``config.text_config`` / ``config.vision_config`` of a multi-modal config, else ``config`` itself."""
    sub = getattr(config, name, None)
    return sub if sub is not None and not isinstance(sub, (dict, str)) else config


def _takes(model: Any, name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False


def _token_inputs(model: Any, config: Any, shape: tuple[int, ...], device: str, where: str) -> dict[str, Any]:
    if len(shape) != 2:
        raise ModelError(f"{where}: token inputs need --input-shape BATCH,SEQ_LEN (got {_dims(shape)})")
    limit = position_table_limit(model)
    if limit is not None and shape[1] > limit:
        raise ModelError(
            f"{where}: sequence length {shape[1]} exceeds the {limit} positions its position "
            f"embeddings cover; use --seq-len {limit} or less"
        )
    vocab = getattr(_sub_config(config, "text_config"), "vocab_size", None) or 1
    inputs = {"input_ids": _token_ids(shape, vocab, device)}
    if getattr(config, "is_encoder_decoder", False):
        inputs["decoder_input_ids"] = _token_ids(shape, vocab, device)
    return inputs


def _pixel_inputs(
    config: Any, shape: tuple[int, ...] | None, batch: int, dtype: str, device: str, where: str
) -> dict[str, Any]:
    vision = _sub_config(config, "vision_config")
    h, w = _image_size(vision)
    shape = shape or (batch, getattr(vision, "num_channels", 3), h, w)
    if len(shape) != 4:
        raise ModelError(f"{where}: image inputs need --input-shape BATCH,CHANNELS,HEIGHT,WIDTH (got {_dims(shape)})")
    return {"pixel_values": _floats(shape, dtype, device)}


def _describe(inputs: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {_dims(tuple(v.shape))}" for k, v in inputs.items())


def synthesize_inputs(
    model: Any,
    config: Any,
    *,
    batch: int,
    seq_len: int | None,
    input_shape: tuple[int, ...] | None,
    dtype: str,
    device: str,
    where: str,
) -> tuple[dict[str, Any], str]:
    """Keyword inputs for ``model.forward`` and a one-line description of them.

    Token models get ``input_ids`` of shape ``(batch, seq_len)`` (``input_shape`` overrides it);
    encoder-decoder models also get ``decoder_input_ids`` of the same shape; image models get
    ``pixel_values`` of shape ``(batch, num_channels, image_size, image_size)`` unless
    ``input_shape`` says otherwise; audio models get ``input_features`` / ``input_values``.

    A dual-tower multi-modal model (CLIP, SigLIP, ALIGN: a ``text_config`` and a ``vision_config``, a
    forward taking ``input_ids`` and ``pixel_values``) gets both: tokens sized by the text tower's
    vocabulary, images by the vision tower's ``image_size`` (``input_shape`` shapes the main input).
    Models whose text must carry image placeholder tokens (LLaVA-style, an ``image_token_id`` in the
    config) get text alone.
    """
    name = getattr(model, "main_input_name", "input_ids")
    if name == "input_ids":
        shape = tuple(input_shape) if input_shape else (batch, seq_len or 128)
        inputs = _token_inputs(model, config, shape, device, where)
        dual = (
            getattr(config, "vision_config", None) is not None
            and _takes(model, "pixel_values")
            and getattr(config, "image_token_id", None) is None
            and getattr(config, "image_token_index", None) is None
        )
        if dual:
            inputs.update(_pixel_inputs(config, None, shape[0], dtype, device, where))
        return inputs, _describe(inputs)
    if name == "pixel_values":
        inputs = _pixel_inputs(config, tuple(input_shape) if input_shape else None, batch, dtype, device, where)
        return inputs, _describe(inputs)
    vocab = getattr(_sub_config(config, "text_config"), "vocab_size", None) or 1
    if name == "input_features":  # speech encoders (Whisper: 80 mel bins x 3000 frames)
        bins = getattr(config, "num_mel_bins", 80)
        frames = 2 * getattr(config, "max_source_positions", 1500)
        shape = tuple(input_shape) if input_shape else (batch, bins, frames)
        inputs = {"input_features": _floats(shape, dtype, device)}
        if getattr(config, "is_encoder_decoder", False):
            inputs["decoder_input_ids"] = _token_ids((shape[0], seq_len or 128), vocab, device)
        return inputs, _describe(inputs)
    if name == "input_values":  # raw waveforms (wav2vec2: 16 kHz samples)
        shape = tuple(input_shape) if input_shape else (batch, seq_len or 16000)
        return {"input_values": _floats(shape, dtype, device)}, f"input_values {_dims(shape)}"
    raise ModelError(f"{where}: cannot synthesize inputs named {name!r}; use a Python factory instead")


def _dims(shape: tuple[int, ...]) -> str:
    return "x".join(str(int(s)) for s in shape)
