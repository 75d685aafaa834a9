"""flopcast.scaling: scaling laws fitted on small runs to plan big ones ("benchmark small before scaling").

Laws (Hoffmann et al. 2022, Kaplan et al. 2020, a compute-only power law), robust fits with bootstrap
intervals and an identification check, and plans (compute, N and D for a target loss, or the loss a budget
buys) turned into time and cost through :mod:`flopcast.estimate`. The paper's benchmark analysis is
:mod:`flopcast.trends`.
"""

from flopcast.scaling.laws import FLOP_PER_PARAM_TOKEN, Law, get_law
from flopcast.scaling.laws_fit import LAW_FIT_SCHEMA, LawFit, fit_law, read_fit
from flopcast.scaling.laws_plan import ScalingPlan, UnreachableLossError, check_plan_options, plan
from flopcast.scaling.laws_runs import (
    LedgerRuns,
    Runs,
    drop_highest,
    fit_ledger_runs,
    fit_runs,
    ledger_runs,
    make_runs,
    read_runs,
)
from flopcast.scaling.laws_select import fit_or_select, select_form, selection_line

__all__ = [
    "FLOP_PER_PARAM_TOKEN",
    "LAW_FIT_SCHEMA",
    "Law",
    "LawFit",
    "LedgerRuns",
    "Runs",
    "ScalingPlan",
    "UnreachableLossError",
    "check_plan_options",
    "drop_highest",
    "fit_law",
    "fit_ledger_runs",
    "fit_or_select",
    "fit_runs",
    "get_law",
    "ledger_runs",
    "make_runs",
    "plan",
    "read_fit",
    "read_runs",
    "select_form",
    "selection_line",
]
