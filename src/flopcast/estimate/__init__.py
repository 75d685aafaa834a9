"""Training compute, time, chips, cost, energy and CO2e from numbers (no I/O, no torch)."""

from flopcast.estimate.burden import hardware_burden_flop
from flopcast.estimate.core import CONVERSIONS, Estimate, estimate
from flopcast.estimate.formulas import THOMPSON2020_FLOP_PER_LB_CO2, THOMPSON2020_FLOP_PER_USD
from flopcast.estimate.measured import MeasuredRates, refuse_both_utilization
from flopcast.estimate.memory import MemoryFit, MemoryFitError, memory_fit
from flopcast.estimate.model import ModelSource, model_source
from flopcast.estimate.project import (
    OverheadLine,
    ProjectEstimate,
    ProjectOverheads,
    default_overheads,
    estimate_project,
    project_estimate,
)

__all__ = [
    "CONVERSIONS",
    "THOMPSON2020_FLOP_PER_LB_CO2",
    "THOMPSON2020_FLOP_PER_USD",
    "Estimate",
    "MeasuredRates",
    "MemoryFit",
    "MemoryFitError",
    "ModelSource",
    "OverheadLine",
    "ProjectEstimate",
    "ProjectOverheads",
    "default_overheads",
    "estimate",
    "estimate_project",
    "hardware_burden_flop",
    "memory_fit",
    "model_source",
    "project_estimate",
    "refuse_both_utilization",
]
