"""`flopcast estimate`: training compute -> wall clock, chips, cost, energy, CO2e (low / central / high)."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from flopcast.cli.options import Hardware, Pue, Region, RunLedger, Utilization

_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15, "e": 1e18}
_NUM = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*([kmbgtpe]?)\s*$", re.IGNORECASE)

_HELP = """Estimate training compute and what it costs: time, chips, dollars, energy, CO2e.

Compute comes from --params/--tokens (6ND), --model with --examples/--epochs
(3 x forward FLOP x examples x epochs), --flop, or, with none of these, the hardware
burden of --hardware/--chips/--hours. Numbers accept suffixes: 175B, 300B, 3.14e23.

Examples:

  flopcast estimate --params 175B --tokens 300B --hardware V100 --chips 1024

  flopcast estimate --flop 3.14e23 --hardware h100 --hours 720 --region aws:us-east-1

  flopcast estimate --hardware "GTX 580" --chips 2 --hours 132 --conversion thompson2020 --json

  flopcast estimate --params 7B --tokens 2T --hardware h100 --chips 256 --project --eval-fraction 0.05

  flopcast estimate --params 1B --tokens 20B --hardware h100 --chips 8 --calibrate 'sweep-*'
"""


def parse_number(name: str, text: str | None) -> float | None:
    """``"175B"`` -> 1.75e11; ``"3.14e23"`` -> 3.14e23; an :class:`InputError` naming the option otherwise."""
    from flopcast.errors import InputError

    if text is None:
        return None
    m = _NUM.match(text)
    if not m:
        raise InputError(f"--{name}: {text!r} is not a number (e.g. 175e9, 175B, 1.4T)")
    return float(m.group(1)) * _SUFFIX.get(m.group(2).lower(), 1.0)


def _calibration(
    target: str | None, ledger: str | None, hardware: str | None, precision: str, utilization: float | None
):
    """The Calibration ``--calibrate`` asks for (None without it); conflicting options refused before the ledger."""
    from flopcast.errors import InputError
    from flopcast.estimate import refuse_both_utilization

    if target is None:
        if ledger is not None:
            raise InputError("--ledger is read by --calibrate; add --calibrate RUN_OR_PATTERN")
        return None
    refuse_both_utilization(utilization)  # before the ledger is read
    if hardware is None:
        raise InputError("--calibrate needs --hardware: the chip the estimate is for (runs on it calibrate it)")
    from flopcast.measure import calibrate

    return calibrate(ledger, target, hardware, precision)


def _overheads(project: bool, values: dict):
    """The ProjectOverheads the options ask for, or None without --project (refusing project options then)."""
    from flopcast.errors import InputError

    given = [k for k, v in values.items() if v is not None]
    if not project:
        if given:
            raise InputError(f"--{given[0].replace('_', '-')} is a project overhead; add --project")
        return None
    from flopcast.estimate import ProjectOverheads

    return ProjectOverheads(**values)


# The options, by option group (the signature below keeps the order `--help` shows).
# compute source
_Params = Annotated[str | None, typer.Option("--params", help="Parameters N (dense; MoE: active per token).")]
_Tokens = Annotated[str | None, typer.Option("--tokens", help="Training tokens D.")]
_Flop = Annotated[str | None, typer.Option("--flop", help="Training compute in FLOP, if known.")]
_Model = Annotated[str | None, typer.Option("--model", help="Model spec to count (see `flopcast count`).")]
_Examples = Annotated[str | None, typer.Option("--examples", help="Training examples per epoch (with --model).")]
_Epochs = Annotated[float, typer.Option("--epochs", help="Epochs (with --model).")]
_Batch = Annotated[int, typer.Option("--batch", help="Batch size used to count --model (per-example FLOP).")]
_SeqLen = Annotated[int | None, typer.Option("--seq-len", help="Sequence length used to count --model.")]
_Layers = Annotated[int | None, typer.Option("--layers", help="Layers (attention term, with --context/--d-model).")]
_Context = Annotated[int | None, typer.Option("--context", help="Context length (attention term).")]
_DModel = Annotated[int | None, typer.Option("--d-model", help="Model width (attention term).")]
_Architecture = Annotated[
    str | None,
    typer.Option(
        "--architecture",
        help="dense, encoder-decoder (6 (N/2) D: a token meets half the parameters) or moe (N = active parameters).",
    ),
]
# schedule
_Chips = Annotated[str | None, typer.Option("--chips", help="Number of accelerators (a whole number).")]
_Hours = Annotated[str | None, typer.Option("--hours", help="Training hours (or the deadline, without --chips).")]
_Precision = Annotated[str, typer.Option("--precision", help="fp32, tf32, bf16, fp16, fp8 or auto.")]
_Family = Annotated[
    str | None,
    typer.Option(
        "--family",
        help="Model family for the assumed utilization: language (0.3) or other (0.4), Epoch AI's convention; "
        "default: language on the 6ND path.",
    ),
]
_Conversion = Annotated[str, typer.Option("--conversion", help="hardware or thompson2020.")]
# memory fit
_ActivationsBytes = Annotated[
    str | None,
    typer.Option(
        "--activations-bytes", help="Activation memory of the whole batch, bytes (memory fit; --model counts it)."
    ),
]
_ZeroStage = Annotated[int, typer.Option("--zero-stage", help="Sharding stage for the memory fit (0-3).")]
_Optimizer = Annotated[str, typer.Option("--optimizer", help="adam, adamw, sgd or none (memory fit).")]
# energy inputs
_GridIntensity = Annotated[
    float | None,
    typer.Option(
        "--grid-intensity", "--g-co2e-per-kwh", help="Your own grid intensity, gCO2e/kWh (overrides --region's)."
    ),
]
_PowerFraction = Annotated[float | None, typer.Option("--power-fraction", help="Mean power / TDP (default 0.8).")]
_HostOverhead = Annotated[float, typer.Option("--host-overhead", help="Host power as a fraction of chips'.")]
# price
_Pricing = Annotated[str, typer.Option("--pricing", help="on-demand, spot, reserved or owned.")]
_Provider = Annotated[str | None, typer.Option("--provider", help="Price quotes from one provider (aws, gcp, ...).")]
_UsdPerChipHour = Annotated[float | None, typer.Option("--usd-per-chip-hour", help="Your own price.")]
_Electricity = Annotated[
    float | None,
    typer.Option("--electricity-usd-per-kwh", help="Electricity price for --pricing owned (default: EIA 2023 US)."),
]
# calibration from tracked runs
_Calibrate = Annotated[
    str | None,
    typer.Option(
        "--calibrate",
        help="Take utilization and power per chip from tracked runs on the same --hardware (run id, name "
        "or glob, job id or id prefix): median, min-max range; replaces --utilization and TDP x --power-fraction.",
    ),
]
# output
_AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]
# project overheads
_Project = Annotated[
    bool,
    typer.Option(
        "--project",
        help="Price the project: add experimentation, lost time (goodput), idle power, embodied carbon, "
        "evaluation and serving, each a cited, labelled line.",
    ),
]
_Experiments = Annotated[
    float | None,
    typer.Option(
        "--experiments",
        help="Training before and including the final run, x final run (>= 1; default 1.5, range "
        "1.5-2.68: OLMo, BigScience).",
    ),
]
_Goodput = Annotated[
    float | None,
    typer.Option(
        "--goodput", help="Useful / elapsed training time, (0, 1] (default 0.9, range 0.59-0.9: Llama 3, OPT-175B)."
    ),
]
_IdleFraction = Annotated[
    float | None,
    typer.Option("--idle-fraction", help="Idle/static energy per chip-hour, x board power (default 0.59, BLOOM)."),
]
_EmbodiedKgPerChipHour = Annotated[
    float | None,
    typer.Option("--embodied-kg-per-chip-hour", help="Manufacturing CO2e per chip-hour, kg (default 0.0104, BLOOM)."),
]
_EvalFraction = Annotated[
    float | None, typer.Option("--eval-fraction", help="Evaluation runs, x final run (no default).")
]
_ServingQueriesPerDay = Annotated[float | None, typer.Option("--serving-queries-per-day", help="Serving: queries/day.")]
_ServingWhPerQuery = Annotated[float | None, typer.Option("--serving-wh-per-query", help="Serving: Wh per query.")]
_ServingDays = Annotated[float | None, typer.Option("--serving-days", help="Serving horizon, days.")]


def _show(est, overheads, cal, as_json: bool) -> None:
    """Price the project (with --project) and print the estimate, its calibration and project lines."""
    proj = None
    if overheads is not None:
        from flopcast.estimate import project_estimate

        proj = project_estimate(est, overheads)
    if as_json:
        from flopcast.report.estimate_render import estimate_json

        typer.echo(estimate_json(est, proj, cal))
        return
    from flopcast.report.estimate_render import render_calibration, render_estimate, render_project

    render_estimate(est)
    if cal is not None:
        render_calibration(cal)
    if proj is not None:
        render_project(proj)


def estimate_cmd(
    params: _Params = None,
    tokens: _Tokens = None,
    model: _Model = None,
    examples: _Examples = None,
    epochs: _Epochs = 1.0,
    batch: _Batch = 1,
    seq_len: _SeqLen = None,
    flop: _Flop = None,
    hardware: Hardware = None,
    chips: _Chips = None,
    hours: _Hours = None,
    utilization: Utilization = None,
    precision: _Precision = "auto",
    region: Region = None,
    grid_intensity: _GridIntensity = None,
    pue: Pue = None,
    pricing: _Pricing = "on-demand",
    provider: _Provider = None,
    usd_per_chip_hour: _UsdPerChipHour = None,
    electricity: _Electricity = None,
    conversion: _Conversion = "hardware",
    layers: _Layers = None,
    context: _Context = None,
    d_model: _DModel = None,
    architecture: _Architecture = None,
    family: _Family = None,
    activations_bytes: _ActivationsBytes = None,
    power_fraction: _PowerFraction = None,
    host_overhead: _HostOverhead = 0.0,
    zero_stage: _ZeroStage = 3,
    optimizer: _Optimizer = "adam",
    as_json: _AsJson = False,
    project: _Project = False,
    experiments: _Experiments = None,
    goodput: _Goodput = None,
    idle_fraction: _IdleFraction = None,
    embodied_kg_per_chip_hour: _EmbodiedKgPerChipHour = None,
    eval_fraction: _EvalFraction = None,
    serving_queries_per_day: _ServingQueriesPerDay = None,
    serving_wh_per_query: _ServingWhPerQuery = None,
    serving_days: _ServingDays = None,
    calibrate: _Calibrate = None,
    ledger: RunLedger = None,
) -> None:
    from flopcast.estimate import estimate, model_source

    overheads = _overheads(
        project,
        {
            "experiments": experiments,
            "goodput": goodput,
            "idle_fraction": idle_fraction,
            "embodied_kg_per_chip_hour": embodied_kg_per_chip_hour,
            "eval_fraction": eval_fraction,
            "serving_queries_per_day": serving_queries_per_day,
            "serving_wh_per_query": serving_wh_per_query,
            "serving_days": serving_days,
        },
    )
    cal = _calibration(calibrate, ledger, hardware, precision, utilization)
    counted = model_source(model, examples=parse_number("examples", examples), batch=batch, seq_len=seq_len)
    est = estimate(
        flop=parse_number("flop", flop),
        params=parse_number("params", params),
        tokens=parse_number("tokens", tokens),
        epochs=epochs,
        hardware=hardware,
        chips=parse_number("chips", chips),
        hours=parse_number("hours", hours),
        utilization=utilization,
        precision=precision,
        region=region,
        pue=pue,
        pricing=pricing,
        conversion=conversion,
        layers=layers,
        context=context,
        d_model=d_model,
        architecture=architecture,
        provider=provider,
        usd_per_chip_hour=usd_per_chip_hour,
        power_fraction=power_fraction,
        host_overhead=host_overhead,
        electricity_usd_per_kwh=electricity,
        optimizer=optimizer,
        zero_stage=zero_stage,
        family=family,
        g_co2e_per_kwh=grid_intensity,
        measured=cal.rates() if cal else None,
        **counted.estimate_kwargs(parse_number("activations-bytes", activations_bytes)),
    )
    _show(est, overheads, cal, as_json)


def register(app: typer.Typer) -> None:
    app.command("estimate", help=_HELP)(estimate_cmd)
