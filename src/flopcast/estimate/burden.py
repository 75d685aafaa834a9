"""Training compute by hardware burden: chips x peak(precision) x hours x utilization."""

from __future__ import annotations

from flopcast.estimate.formulas import fraction, hardware_burden, positive, whole
from flopcast.hardware import Accelerator, default_training_precision, get_accelerator


def hardware_burden_flop(
    hardware: str | Accelerator, chips: float, hours: float, utilization: float = 1.0, precision: str | None = None
) -> float:
    """Training compute in FLOP from the hardware used (Thompson et al. 2020's "hardware burden").

    Parameters
    ----------
    hardware : accelerator name (forgiving) or :class:`~flopcast.hardware.Accelerator`.
    chips : number of accelerators (a whole number >= 1).
    hours : training wall-clock time in hours (> 0).
    utilization : fraction of peak sustained, in (0, 1]. Thompson et al. 2020 use 1 (peak);
        Epoch AI's convention is 0.3 for language models and 0.4 otherwise.
    precision : ``"fp32"``, ``"bf16"``... ; ``None`` = :func:`~flopcast.hardware.default_training_precision`.

    Returns
    -------
    float : chips x peak FLOP/s x hours x 3600 x utilization.
    """
    acc = get_accelerator(hardware)
    peak = acc.peak(precision or default_training_precision(acc))
    return hardware_burden(whole("chips", chips), peak, positive("hours", hours), fraction("utilization", utilization))
