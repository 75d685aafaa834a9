"""Assumed values with their ranges and sources: each is a (low, central, high) triple."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    """An assumed quantity: low <= central <= high, and where the numbers come from."""

    low: float
    central: float
    high: float
    source: str

    def __post_init__(self) -> None:
        if not self.low <= self.central <= self.high:
            raise ValueError(f"range out of order: {self}")


_EPOCH = (
    "Epoch AI convention (Sevilla et al. 2022, 'Estimating Training Compute of Deep Learning Models': "
    "{u} utilization for {what}); the range is flopcast's, spanning commonly reported model FLOP utilization"
)
UTILIZATION_LLM = Range(0.2, 0.3, 0.5, _EPOCH.format(u="30%", what="large language models"))
UTILIZATION_OTHER = Range(0.25, 0.4, 0.55, _EPOCH.format(u="40%", what="other models"))
# Utilization conventions published hardware-burden estimates use, by model family (``--family``).
# Epoch AI's convention (Sevilla et al. 2022; the 2022 compute calculator's default is 30%): 0.3 for
# language models, 0.4 for other models. Epoch's own table (data/epoch/ml_systems.csv) bears it out: of
# its "Hardware"-method rows, the language rows cluster at an implied 0.30 and biology/vision/other rows
# at 0.40 or 0.30 (see docs/estimate.md for the counts and `bench/estimate_vs_epoch.py`).
FAMILY_UTILIZATION = {"language": UTILIZATION_LLM, "other": UTILIZATION_OTHER}
FAMILY_ALIASES = {
    "llm": "language",
    "lm": "language",
    "nlp": "language",
    "text": "language",
    "code": "language",
    "vision": "other",
    "image": "other",
    "speech": "other",
    "audio": "other",
    "biology": "other",
    "games": "other",
    "rl": "other",
    "recommendation": "other",
}

UTILIZATION_THOMPSON = Range(
    1.0, 1.0, 1.0, "Thompson et al. 2020 hardware burden: processors x peak rate x time (utilization 1, i.e. peak)"
)

POWER_FRACTION = Range(
    0.6,
    0.8,
    1.0,
    "flopcast assumption: mean board power during dense training as a share of "
    "TDP (60-100%); measure it with `flopcast track`",
)

HOST_OVERHEAD_SOURCE = (
    "flopcast default 0: accelerator power only; host CPUs, memory and network add to it "
    "(pass host_overhead, e.g. 0.5 for +50%)"
)

ELECTRICITY_USD_PER_KWH = (
    0.0804,
    "US EIA Electric Power Monthly, Table 5.3: 2023 average retail price to the industrial sector, 8.04 cents/kWh",
)

BACKWARD_FORWARD_RATIO_SOURCE = (
    "backward pass = 2 x forward (Kaplan et al. 2020 sec. 2.1; Epoch AI, "
    "'What's the backward-forward FLOP ratio for neural networks?', 2021)"
)

ARCHITECTURE_CAVEATS = {
    "dense": "",
    "encoder-decoder": "",  # acts: 6 (N/2) D, see formulas.encoder_decoder_training_flop
    "moe": "mixture of experts: N must be the ACTIVE parameters per token (shared + routed experts used), not the "
    "total; routing and load-balancing overhead is not counted",
}

ENCODER_DECODER_SOURCE = (
    "encoder-decoder: each token passes through only the encoder or only the decoder, so it "
    "meets about half the parameters (T5's encoder and decoder stack the same number of blocks "
    "of the same width, Raffel et al. 2020 sec. 3.1.1; the decoder's cross-attention makes "
    "it slightly larger): C = 6 (N/2) D with D = all tokens (Kaplan et al. 2020 sec. 2.1 per "
    "parameter a token meets); reproduces Chung et al. 2022's (arXiv:2210.11416) 3.3e22 FLOP "
    "for T5-11B (11B parameters, ~1T tokens)"
)

MEASURED_POWER_SOURCE = (
    "measured mean board power in use (the vendor's figure; it already reflects utilization, "
    "so no power fraction applies); high end: the measured maximum"
)

NO_TENSOR_RATE = (
    "{name} lists no tensor/matrix-unit rate, so its peak here is the {prec} vector rate; if it has "
    "tensor cores (most chips since 2018 do), that peak is too low: implied utilization comes out "
    "too high and hardware-burden compute too low; pass --precision or --utilization knowingly"
)
