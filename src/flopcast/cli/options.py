"""Options more than one command takes, each defined once: its spellings, type and help text.

A command uses an alias here as its parameter's annotation (``hardware: Hardware = None``), so the same option
cannot drift apart between commands. Defaults stay in the signatures (typer reads them there), and those that are
not ``None`` are named here too. The first spelling is the one the help and the error messages show; a second
spelling is the library argument's name (``--g-co2e-per-kwh`` for ``estimate(g_co2e_per_kwh=...)``), checked by
tests/foundation/test_cli_option_names.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

# The accelerator and the grid: `estimate`, `track` (and `scaling plan`, which prices its plan with estimate).
Hardware = Annotated[
    str | None,
    typer.Option(
        "--hardware", help="Accelerator (see `flopcast hardware list`); `flopcast track` defaults to the detected GPU."
    ),
]
Region = Annotated[str | None, typer.Option("--region", help="Grid: ISO3 country, US-VA, gcp:/aws:/azure: region.")]
Pue = Annotated[float | None, typer.Option("--pue", help="Data-centre PUE (default: provider or global survey).")]
Utilization = Annotated[float | None, typer.Option("--utilization", help="Fraction of peak (default: 0.3 LLM / 0.4).")]

# The run ledger `flopcast track` writes: `track`, `runs list|show|export` and `estimate --calibrate` read it.
LEDGER_HELP = (
    "Run ledger: an SQLite file, or a PostgreSQL URL (postgresql://user@host/db). Default: "
    "$FLOPCAST_LEDGER, else runs.sqlite in the user data dir."
)
RunLedger = Annotated[str | None, typer.Option("--ledger", help=LEDGER_HELP)]

# `scaling fit` and `scaling plan`: the runs' columns and how the law is fitted.
LOSS_COL = "loss"
BOOTSTRAP = 200
ParamsCol = Annotated[str | None, typer.Option("--params-col", help="Column with model size N (parameters).")]
TokensCol = Annotated[str | None, typer.Option("--tokens-col", help="Column with training tokens D.")]
FlopCol = Annotated[
    str | None, typer.Option("--flop-col", help="Column with training compute C (FLOP); D = C/(6N) if N is given.")
]
LossCol = Annotated[str, typer.Option("--loss-col", help="Column with each run's final (evaluation) loss.")]
Law = Annotated[
    str | None,
    typer.Option(
        "--law",
        help="chinchilla (needs N and D), compute, power, kaplan, or auto (the form that best forecasts the "
        "largest-compute quarter of the runs from the others); default chinchilla when N and D are known, "
        "else compute.",
    ),
]
Bootstrap = Annotated[
    int, typer.Option("--bootstrap", min=0, help="Bootstrap refits over runs for the intervals (0: none).")
]
Seed = Annotated[int, typer.Option("--seed", help="Seed of the bootstrap resampling.")]
DropHighestLoss = Annotated[
    int,
    typer.Option(
        "--drop-highest-loss",
        min=0,
        help="Leave out this many highest-loss runs as outliers (Besiroglu et al. 2024 drop 5 of the Chinchilla runs).",
    ),
]
RunCol = Annotated[str | None, typer.Option("--run-col", help="CSV column of run ids in --ledger.")]
ScalingLedger = Annotated[
    str | None,
    typer.Option(
        "--ledger",
        help="A 'flopcast track' run ledger. Alone (fit, no RUNS.csv): fit its runs "
        "directly (N = recorded parameter count, D = recorded tokens, loss = final "
        "loss). With a runs CSV and --run-col: each run's compute is its measured "
        "steps x FLOP per step.",
    ),
]

# `trends` and `project`: which rows are fitted, and how FLOP becomes dollars and CO2.
CONVERSION = "thompson2020"
Measure = Annotated[str | None, typer.Option("--measure", "-m", help="per-pass or training (default: both).")]
Frontier = Annotated[
    bool,
    typer.Option(
        "--frontier",
        help="Project from frontier fits (best result to date) instead of all rows. Both fits are always reported.",
    ),
]
Data = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Your own CSV (columns: model, score, and gflops_forward "
        "and/or train_compute_flop or train_hardware+train_chips+train_hours; "
        "optional date, split, flops_unit_note, notes).",
    ),
]
Conversion = Annotated[
    str, typer.Option("--conversion", help="FLOP -> $ and CO2: thompson2020 (paper's factors) or hardware.")
]
TrendsHardware = Annotated[
    str | None, typer.Option("--hardware", help="Accelerator for --conversion hardware (default H100 SXM5 80GB).")
]
TrendsRegion = Annotated[
    str | None,
    typer.Option("--region", help="Grid region for --conversion hardware (default: the world-average grid)."),
]
TrendsUtilization = Annotated[
    float | None, typer.Option("--utilization", help="Utilization for --conversion hardware.")
]
ExcludeFlagged = Annotated[
    bool, typer.Option("--exclude-flagged", help="Drop ensembles and extra-training-data rows from fits.")
]
BurdenPrecision = Annotated[
    str | None,
    typer.Option(
        "--burden-precision",
        help="Override each row's train_precision for hardware-burden rows: "
        "fp32, fp16, bf16, mixed, or chip (each chip's fp16/bf16 tensor peak).",
    ),
]
ParamsPerPass = Annotated[
    bool,
    typer.Option(
        "--params-per-pass",
        help="Estimate NLP per-pass FLOP as 2 x params per token (dense "
        "models; the NLP tables publish no forward FLOPs).",
    ),
]
Since = Annotated[
    int | None,
    typer.Option(
        "--since",
        help="Fit and project only rows dated in or after this year (the all-data fit is shown beside); "
        "default: all rows, with the paper-era fit (rows up to 2019) beside.",
    ),
]
Until = Annotated[
    int | None,
    typer.Option(
        "--until", help="Fit and project only rows dated up to this year, e.g. --until 2019 for the paper's era."
    ),
]
AllowInsignificant = Annotated[
    bool, typer.Option("--allow-insignificant", help="Price projections whose slope is not significant at 95%.")
]
