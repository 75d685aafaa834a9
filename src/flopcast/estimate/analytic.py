"""Analytic FLOP counts of transformer forward passes, as pure functions of the configuration.

The *dense forward count* sums every matrix multiply of one forward pass, 1 multiply-add = 2 FLOP:
the Q, K, V and output projections, both attention matmuls (``Q·Kᵀ`` and ``A·V``) over the full
context (a causal mask does not skip the masked half: eager and SDPA kernels compute it), the MLP
(two or, gated, three matrices), and the output head. Embedding lookups, normalisation, softmax,
activations and residual additions are not matmuls and count 0 here.

Kaplan et al. (2020, "Scaling Laws for Neural Language Models", Table 1 / eq. 2.2) approximate
the same pass as ``C_forward ≈ 2·N + 2·n_layer·n_ctx·d_attn`` FLOP per token, with ``N`` the
non-embedding parameters: it omits the head and counts one attention matmul. Both are here so the
docs can relate them (:func:`kaplan_forward_flop_per_token`).

Torch-free arithmetic, so it lives with the estimate formulas (it was ``flopcast.count.analytic``);
the count tests and benchmark compare the measured count with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from flopcast.errors import ModelError


@dataclass(frozen=True)
class TransformerShape:
    """The dimensions of a transformer that fix its forward FLOP.

    Attributes
    ----------
    n_layer : int
        Blocks in the (decoder-only or encoder-only) stack; encoder blocks for encoder-decoders.
    d_model : int
        Residual stream width.
    n_head, n_kv_head, d_head : int
        Query heads, key/value heads (grouped-query attention when fewer), width per head.
    d_ff : int
        MLP hidden width.
    gated_mlp : bool
        Three MLP matrices (SwiGLU / GeGLU) instead of two.
    vocab : int
        Output head width per token (vocabulary or classes); 0 for no head.
    head_tokens : str
        ``"all"`` (LM heads) or ``"first"`` (a classifier on the CLS token only).
    head_transform : bool
        A ``d_model x d_model`` dense layer before the head (BERT's MLM head).
    n_decoder_layer : int
        Decoder blocks (self- and cross-attention) of an encoder-decoder; 0 otherwise.
    patch_in : int
        Inputs per patch (channels·patch²) for a patch-embedding ViT; 0 otherwise.
    extra_tokens : int
        Tokens added to the input (ViT's CLS token).
    """

    n_layer: int
    d_model: int
    n_head: int
    n_kv_head: int
    d_head: int
    d_ff: int
    gated_mlp: bool = False
    vocab: int = 0
    head_tokens: str = "all"
    head_transform: bool = False
    n_decoder_layer: int = 0
    patch_in: int = 0
    extra_tokens: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def attention_mac(n_q: int, n_kv: int, d_model: int, n_head: int, n_kv_head: int, d_head: int) -> int:
    """Multiply-adds of one attention block for one sequence (projections + both matmuls, full context).

    ``Q = x·Wq`` (n_q·d·h·dₕ), ``K, V = y·Wk, y·Wv`` (2·n_kv·d·h_kv·dₕ), ``S = Q·Kᵀ`` and ``A·V``
    (2·n_q·n_kv·h·dₕ), ``out = A·Wo`` (n_q·h·dₕ·d). Vaswani et al. 2017, sec. 3.2.
    """
    q_dim, kv_dim = n_head * d_head, n_kv_head * d_head
    return n_q * d_model * q_dim + 2 * n_kv * d_model * kv_dim + 2 * n_q * n_kv * q_dim + n_q * q_dim * d_model


def mlp_mac(n: int, d_model: int, d_ff: int, gated: bool) -> int:
    """Multiply-adds of one MLP block for ``n`` tokens: 2 (or 3, gated; Shazeer 2020) ``d x d_ff`` matrices."""
    return n * d_model * d_ff * (3 if gated else 2)


def dense_forward_flop(shape: TransformerShape, *, batch: int, seq_len: int, decoder_len: int | None = None) -> int:
    """The dense forward FLOP of one pass over ``batch`` sequences of ``seq_len`` tokens (2 FLOP per MAC).

    For a ViT, ``seq_len`` is the number of patches; ``decoder_len`` (default ``seq_len``) is the
    decoder length of an encoder-decoder.
    """
    s = shape
    n = seq_len + s.extra_tokens
    mac = s.patch_in * seq_len * s.d_model
    block = attention_mac(n, n, s.d_model, s.n_head, s.n_kv_head, s.d_head) + mlp_mac(n, s.d_model, s.d_ff, s.gated_mlp)
    mac += s.n_layer * block
    out_tokens = n
    if s.n_decoder_layer:
        m = decoder_len or seq_len
        dec = (
            attention_mac(m, m, s.d_model, s.n_head, s.n_kv_head, s.d_head)
            + attention_mac(m, n, s.d_model, s.n_head, s.n_kv_head, s.d_head)
            + mlp_mac(m, s.d_model, s.d_ff, s.gated_mlp)
        )
        mac += s.n_decoder_layer * dec
        out_tokens = m
    head_tokens = 1 if s.head_tokens == "first" else out_tokens
    mac += head_tokens * (s.d_model * s.d_model * s.head_transform + s.d_model * s.vocab)
    return 2 * batch * mac


def non_embedding_params(shape: TransformerShape) -> int:
    """Kaplan et al. 2020 (Table 1) ``N ≈ 2·d_model·n_layer·(2·d_attn + d_ff)``, generalised to GQA and gated MLPs.

    Weight matrices of the attention and MLP blocks only (no biases, norms, embeddings or head).
    """
    s = shape
    attn = s.d_model * s.d_head * (2 * s.n_head + 2 * s.n_kv_head)
    mlp = s.d_model * s.d_ff * (3 if s.gated_mlp else 2)
    return s.n_layer * (attn + mlp)


def kaplan_forward_flop_per_token(shape: TransformerShape, n_ctx: int) -> int:
    """Kaplan et al. 2020, Table 1: ``C_forward ≈ 2·N + 2·n_layer·n_ctx·d_attn`` FLOP per token.

    Counts one of the two attention matmuls and omits the output head; compare
    :func:`dense_forward_flop` divided by the number of tokens.
    """
    return 2 * non_embedding_params(shape) + 2 * shape.n_layer * n_ctx * shape.n_head * shape.d_head


# ------------------------------------------------------------ configs -> shapes (one small handler per family)


def _gpt2(c: Mapping[str, Any]) -> TransformerShape:
    d, h = c["n_embd"], c["n_head"]
    return TransformerShape(
        n_layer=c["n_layer"],
        d_model=d,
        n_head=h,
        n_kv_head=h,
        d_head=d // h,
        d_ff=c.get("n_inner") or 4 * d,
        vocab=c["vocab_size"],
    )


def _bert(c: Mapping[str, Any]) -> TransformerShape:  # BertForMaskedLM: transform + decoder on every token
    d, h = c["hidden_size"], c["num_attention_heads"]
    return TransformerShape(
        n_layer=c["num_hidden_layers"],
        d_model=d,
        n_head=h,
        n_kv_head=h,
        d_head=d // h,
        d_ff=c["intermediate_size"],
        vocab=c["vocab_size"],
        head_transform=True,
    )


def _llama(c: Mapping[str, Any]) -> TransformerShape:  # also Mistral: SwiGLU MLP, GQA, untied head
    d, h = c["hidden_size"], c["num_attention_heads"]
    return TransformerShape(
        n_layer=c["num_hidden_layers"],
        d_model=d,
        n_head=h,
        n_kv_head=c.get("num_key_value_heads") or h,
        d_head=c.get("head_dim") or d // h,
        d_ff=c["intermediate_size"],
        gated_mlp=True,
        vocab=c["vocab_size"],
    )


def _vit(c: Mapping[str, Any]) -> TransformerShape:  # ViTForImageClassification: CLS token, linear classifier
    d, h, p = c["hidden_size"], c["num_attention_heads"], c["patch_size"]
    return TransformerShape(
        n_layer=c["num_hidden_layers"],
        d_model=d,
        n_head=h,
        n_kv_head=h,
        d_head=d // h,
        d_ff=c["intermediate_size"],
        vocab=c.get("num_labels", 1000),
        head_tokens="first",
        patch_in=c.get("num_channels", 3) * p * p,
        extra_tokens=1,
    )


def _t5(c: Mapping[str, Any]) -> TransformerShape:  # T5ForConditionalGeneration: LM head on decoder tokens
    h = c["num_heads"]
    gated = str(c.get("feed_forward_proj", "relu")).startswith("gated")
    return TransformerShape(
        n_layer=c["num_layers"],
        d_model=c["d_model"],
        n_head=h,
        n_kv_head=h,
        d_head=c["d_kv"],
        d_ff=c["d_ff"],
        gated_mlp=gated,
        vocab=c["vocab_size"],
        n_decoder_layer=c.get("num_decoder_layers") or c["num_layers"],
    )


SHAPES: dict[str, Callable[[Mapping[str, Any]], TransformerShape]] = {
    "gpt2": _gpt2,
    "bert": _bert,
    "llama": _llama,
    "mistral": _llama,
    "vit": _vit,
    "t5": _t5,
}


def shape_from_config(config: Mapping[str, Any]) -> TransformerShape:
    """The :class:`TransformerShape` of a Hugging Face config (dict), for the families in ``SHAPES``."""
    model_type = config.get("model_type")
    handler = SHAPES.get(str(model_type))
    if handler is None:
        raise ModelError(f"no analytic count for model_type {model_type!r}; known: {', '.join(sorted(SHAPES))}")
    try:
        return handler(config)
    except KeyError as exc:
        raise ModelError(f"config of model_type {model_type!r} lacks {exc.args[0]!r}") from None


def vit_patches(config: Mapping[str, Any], height: int | None = None, width: int | None = None) -> int:
    """Patches of a ViT input: (H/p)·(W/p), default the config's ``image_size``."""
    p = config["patch_size"]
    size = config.get("image_size", 224)
    return ((height or size) // p) * ((width or size) // p)
