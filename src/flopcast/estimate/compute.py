"""The compute source of an estimate: given FLOP, 6ND (+ attention), a per-example count, or hardware burden.

Each path is a small pure function from validated inputs to a :class:`ComputeSource` that carries
the FLOP, the method text and the assumptions it rests on (in the order they were read).
"""

from __future__ import annotations

from dataclasses import dataclass

from flopcast.errors import InputError
from flopcast.estimate import defaults as D
from flopcast.estimate import formulas as F
from flopcast.provenance import Assumption, Basis

KAPLAN_6ND_SOURCE = "Kaplan et al. 2020 sec. 2.1 (2ND forward + 4ND backward)"
KAPLAN_ATTENTION_SOURCE = "Kaplan et al. 2020 Table 1 (2 n_layer n_ctx d_attn per token forward, x3 for training)"
_GIVEN = "given by the user"


@dataclass(frozen=True)
class ComputeInputs:
    """The compute options of :func:`~flopcast.estimate.estimate`, as given (``None`` = not given)."""

    flop: float | None = None
    params: float | None = None
    tokens: float | None = None
    forward_flop: float | None = None
    examples: float | None = None
    epochs: float = 1.0
    layers: float | None = None
    context: float | None = None
    d_model: float | None = None
    backward_forward_ratio: float = F.BACKWARD_FORWARD_RATIO
    architecture: str | None = None


@dataclass(frozen=True)
class ComputeSource:
    """Where the training FLOP come from.

    Attributes
    ----------
    kind : ``"given"``, ``"llm"`` (6ND), ``"counted"`` (per-example count) or ``"burden"`` (hardware burden).
    flop : training FLOP; ``None`` for the hardware burden (it depends on the utilization assumed).
    method : how it was obtained, as printed.
    assumptions : the inputs it rests on, in order.
    caveats : warnings about the source (e.g. MoE parameters must be the active ones).
    """

    kind: str
    flop: float | None
    method: str
    assumptions: tuple[Assumption, ...] = ()
    caveats: tuple[str, ...] = ()


def compute_source(inputs: ComputeInputs) -> ComputeSource:
    """The one compute source ``inputs`` name, validated; the hardware burden when none is given.

    Raises
    ------
    InputError
        Two sources at once, a missing half (params without tokens), a zero/negative/non-finite
        number, or epochs on a source that is not a per-example count.
    """
    i = inputs
    given = {
        "flop": i.flop is not None,
        "params/tokens": i.params is not None or i.tokens is not None,
        "forward_flop/examples": i.forward_flop is not None or i.examples is not None,
    }
    chosen = [k for k, v in given.items() if v]
    if len(chosen) > 1:
        raise InputError(f"give one compute source, not {' and '.join(chosen)}")
    if i.flop is not None:
        c = F.positive("flop", i.flop)
        source = ComputeSource("given", c, "given", (Assumption("training_flop", c, "FLOP", _GIVEN, Basis.GIVEN),))
    elif i.params is not None or i.tokens is not None:
        source = _params_tokens(i)
    elif i.forward_flop is not None or i.examples is not None:
        source = _counted(i)
    else:
        source = ComputeSource("burden", None, "hardware burden: chips x peak x hours x utilization")
    if F.positive("epochs", i.epochs) != 1.0 and source.kind != "counted":
        raise InputError(
            "epochs apply to a per-example count (--model with --examples); with --tokens give the "
            "total tokens seen, with --flop the total compute"
        )
    if i.architecture is not None and D.ARCHITECTURE_CAVEATS[i.architecture] and source.kind == "llm":
        return ComputeSource(
            source.kind, source.flop, source.method, source.assumptions, (D.ARCHITECTURE_CAVEATS[i.architecture],)
        )
    return source


def _params_tokens(i: ComputeInputs) -> ComputeSource:
    """C = 6 N D (decoder-only, plus the attention term given its shape) or 6 (N/2) D (encoder-decoder)."""
    n, d = F.positive("params", i.params), F.positive("tokens", i.tokens)
    read: tuple[Assumption, ...] = (
        Assumption("params", n, "parameters", _GIVEN, Basis.GIVEN),
        Assumption("tokens", d, "tokens", _GIVEN, Basis.GIVEN),
    )
    shape = (i.layers, i.context, i.d_model)
    if i.architecture == "encoder-decoder":
        if any(v is not None for v in shape):
            raise InputError(
                "the attention term (--layers/--context/--d-model) is for decoder-only models; "
                "drop it with --architecture encoder-decoder"
            )
        return ComputeSource(
            "llm",
            F.encoder_decoder_training_flop(n, d),
            "operation counting: 6 (N/2) D (encoder-decoder)",
            (*read, Assumption("formula", "6 (N/2) D", "", D.ENCODER_DECODER_SOURCE, Basis.ESTIMATED)),
        )
    c = F.dense_transformer_training_flop(n, d)
    read = (*read, Assumption("formula", "6 N D", "", KAPLAN_6ND_SOURCE, Basis.ESTIMATED))
    if not any(v is not None for v in shape):
        return ComputeSource("llm", c, "operation counting: 6 N D", read)
    if not all(v is not None for v in shape):
        raise InputError("the attention term needs layers, context and d_model together")
    extra = F.attention_training_flop(
        F.positive("layers", i.layers), F.positive("context", i.context), F.positive("d_model", i.d_model), d
    )
    return ComputeSource(
        "llm",
        c + extra,
        "operation counting: 6 N D + 6 n_layer n_ctx d_model D (attention)",
        (*read, Assumption("attention_flop", extra, "FLOP", KAPLAN_ATTENTION_SOURCE, Basis.ESTIMATED)),
    )


def _counted(i: ComputeInputs) -> ComputeSource:
    """C = (1 + r) x forward FLOP x examples x epochs."""
    fwd, ex = F.positive("forward_flop", i.forward_flop), F.positive("examples", i.examples)
    ep, r = F.positive("epochs", i.epochs), F.positive("backward_forward_ratio", i.backward_forward_ratio)
    default_ratio = i.backward_forward_ratio == F.BACKWARD_FORWARD_RATIO
    read = (
        Assumption("forward_flop", fwd, "FLOP per example", "given (e.g. from `flopcast count`)", Basis.GIVEN),
        Assumption("examples", ex, "examples per epoch", _GIVEN, Basis.GIVEN),
        Assumption("epochs", ep, "epochs", _GIVEN, Basis.GIVEN),
        Assumption(
            "backward_forward_ratio",
            r,
            "",
            D.BACKWARD_FORWARD_RATIO_SOURCE if default_ratio else "given",
            Basis.ASSUMED if default_ratio else Basis.GIVEN,
        ),
    )
    return ComputeSource(
        "counted",
        F.counted_training_flop(fwd, ex, ep, r),
        f"operation counting: (1 + {r:g}) x forward FLOP x examples x epochs",
        read,
    )
