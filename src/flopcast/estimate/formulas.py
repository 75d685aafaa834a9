"""Small pure formulas behind ``flopcast estimate``; each cites its source in one line.

Units are in the names: FLOP, FLOP/s, hours, W, kWh, g/kWh, kg, USD.
"""

from __future__ import annotations

import math

from flopcast.errors import InputError
from flopcast.units import JOULES_PER_KWH, LBS_PER_KG, SECONDS_PER_HOUR

THOMPSON2020_FLOP_PER_USD = 6.874e16  # Thompson et al. 2020, ImageNet chart conversion: dollars = FLOP / 6.874e16
THOMPSON2020_FLOP_PER_LB_CO2 = 3.498e17  # Thompson et al. 2020, same chart: lbs CO2 = FLOP / 3.498e17
#: Training FLOP per parameter per token of a dense transformer, C = 6 N D (Kaplan et al. 2020, sec. 2.1:
#: 2 N D forward + 4 N D backward). The one owner of 6ND: ``flopcast.scaling`` imports it from here.
FLOP_PER_PARAM_TOKEN = 6.0


def positive(name: str, value: float | None, *, allow_zero: bool = False) -> float:
    """``value`` as a float, or an :class:`InputError` naming ``name`` if it is missing, NaN, inf or <= 0."""
    if value is None:
        raise InputError(f"{name} is required")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(v) or math.isinf(v) or v < 0 or (v == 0 and not allow_zero):
        raise InputError(f"{name} must be {'>= 0' if allow_zero else '> 0'} and finite, got {value!r}")
    return v


def whole(name: str, value: float | None) -> int:
    """``value`` as a whole number >= 1 (chips, layers), or an :class:`InputError` naming ``name``."""
    v = positive(name, value)
    if v != math.floor(v):
        raise InputError(f"{name} must be a whole number, got {value!r}")
    return int(v)


def fraction(name: str, value: float) -> float:
    """A fraction in (0, 1], or an :class:`InputError`."""
    v = positive(name, value)
    if v > 1:
        raise InputError(f"{name} must be in (0, 1], got {value!r}")
    return v


def dense_transformer_training_flop(params: float, tokens: float) -> float:
    """C = 6 N D (Kaplan et al. 2020, eq. 2.1 and sec. 2.1; Hoffmann et al. 2022 use the same)."""
    return FLOP_PER_PARAM_TOKEN * params * tokens


def encoder_decoder_training_flop(params: float, tokens: float) -> float:
    """C = 6 (N/2) D: each token meets only the encoder or only the decoder half of the parameters
    (see :data:`flopcast.estimate.defaults.ENCODER_DECODER_SOURCE`)."""
    return FLOP_PER_PARAM_TOKEN * (params / 2.0) * tokens


def attention_training_flop(layers: float, context: float, d_model: float, tokens: float) -> float:
    """Attention-score term added to 6ND: 6 n_layer n_ctx d_attn per token (Kaplan et al. 2020, Table 1 x 3)."""
    return 6.0 * layers * context * d_model * tokens


#: backward pass / forward pass FLOP (Kaplan et al. 2020 sec. 2.1; Epoch AI's operation-counting method)
BACKWARD_FORWARD_RATIO = 2.0


def counted_training_flop(
    forward_flop: float, examples: float, epochs: float = 1.0, backward_forward_ratio: float = BACKWARD_FORWARD_RATIO
) -> float:
    """C = (1 + r) x forward FLOP x examples x epochs, r = backward/forward = 2 (Kaplan et al. 2020 sec. 2.1;
    Epoch AI "Estimating training compute", operation-counting method)."""
    return (1.0 + backward_forward_ratio) * forward_flop * examples * epochs


def hardware_burden(chips: float, peak_flop_per_s: float, hours: float, utilization: float = 1.0) -> float:
    """C = chips x peak x seconds x utilization (Thompson et al. 2020 "hardware burden", utilization 1)."""
    return chips * peak_flop_per_s * hours * SECONDS_PER_HOUR * utilization


def wall_hours(flop: float, chips: float, peak_flop_per_s: float, utilization: float) -> float:
    """Hours to run ``flop`` at ``utilization`` of ``chips`` x peak (inverse of :func:`hardware_burden`)."""
    return flop / (chips * peak_flop_per_s * utilization * SECONDS_PER_HOUR)


def chips_for_deadline(flop: float, hours: float, peak_flop_per_s: float, utilization: float) -> int:
    """Fewest whole chips that finish ``flop`` within ``hours`` (ceil of the burden inverse)."""
    exact = flop / (hours * SECONDS_PER_HOUR * peak_flop_per_s * utilization)
    return max(1, math.ceil(exact * (1 - 1e-12)))


def energy_kwh(
    chip_hours: float, tdp_watts: float, power_fraction: float, pue: float, host_overhead: float = 0.0
) -> float:
    """E = chip-hours x TDP x power fraction x (1 + host overhead) x PUE (Patterson et al. 2021, eq. 1 form)."""
    return chip_hours * tdp_watts * power_fraction * (1.0 + host_overhead) * pue / 1000.0  # Wh -> kWh


def chip_hours(chips: float, wall_seconds: float) -> float:
    """Accelerator-hours: chips x wall-clock seconds / 3600."""
    return chips * wall_seconds / SECONDS_PER_HOUR


def kwh_from_joules(joules: float) -> float:
    """Energy in kWh from joules (1 kWh = 3.6e6 J)."""
    return joules / JOULES_PER_KWH


def facility_kwh(it_kwh: float, pue: float) -> float:
    """Facility energy = IT energy x PUE (The Green Grid's PUE definition: facility / IT energy)."""
    return it_kwh * pue


def cloud_cost_usd(chip_hours_: float, usd_per_chip_hour: float) -> float:
    """Cloud cost = chip-hours x price per chip-hour."""
    return chip_hours_ * usd_per_chip_hour


def electricity_cost_usd(energy_kwh_: float, usd_per_kwh: float) -> float:
    """Owned hardware: energy x electricity price (no purchase or depreciation)."""
    return energy_kwh_ * usd_per_kwh


def co2e_kg(energy_kwh_: float, g_co2e_per_kwh: float) -> float:
    """CO2e = energy x grid intensity (location-based; GHG Protocol Scope 2 guidance)."""
    return energy_kwh_ * g_co2e_per_kwh / 1000.0  # g -> kg


def kg_to_lbs(kg: float) -> float:
    """Avoirdupois pounds (1 lb = 0.45359237 kg exactly)."""
    return kg * LBS_PER_KG


def thompson2020_cost_usd(flop: float) -> float:
    """Thompson et al. 2020 conversion: dollars = FLOP / 6.874e16."""
    return flop / THOMPSON2020_FLOP_PER_USD


def thompson2020_co2_lbs(flop: float) -> float:
    """Thompson et al. 2020 conversion: lbs CO2 = FLOP / 3.498e17."""
    return flop / THOMPSON2020_FLOP_PER_LB_CO2
