"""`flopcast scaling fit|plan`: fit a scaling law on small runs; plan the compute, size and data a target needs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from flopcast.cli.options import (
    BOOTSTRAP,
    LOSS_COL,
    Bootstrap,
    DropHighestLoss,
    FlopCol,
    Law,
    LossCol,
    ParamsCol,
    Region,
    RunCol,
    ScalingLedger,
    Seed,
    TokensCol,
    Utilization,
)

scaling_app = typer.Typer(
    name="scaling",
    help="Scaling laws from small runs: fit L(N, D) or L(C) with bootstrap intervals, then plan the "
    "compute-optimal model size, tokens and compute for a target loss or a budget.\n\n"
    "Example: flopcast scaling fit runs.csv --params-col N --flop-col C --loss-col loss --json > fit.json; "
    "flopcast scaling plan --fit fit.json --target-loss 2.0 --hardware 'H100 SXM' --chips 256",
    no_args_is_help=True,
)

_CONF = typer.Option(0.95, "--confidence", min=0.5, max=0.999, help="Coverage of the intervals.")


def _fit_from_csv(
    runs_csv: Path,
    *,
    params_col,
    tokens_col,
    flop_col,
    loss_col,
    law,
    bootstrap,
    seed,
    confidence,
    drop_highest_loss=0,
    ledger=None,
    run_col=None,
):
    from flopcast.scaling import fit_or_select, read_runs

    runs = read_runs(
        runs_csv,
        loss_col=loss_col,
        params_col=params_col,
        tokens_col=tokens_col,
        flop_col=flop_col,
        drop_highest_loss=drop_highest_loss,
        ledger=ledger,
        run_col=run_col,
    )
    return runs, fit_or_select(runs, law, bootstrap=bootstrap, seed=seed, confidence=confidence)


def _fit_from_ledger(
    ledger, *, tag, law, bootstrap, seed, confidence, drop_highest_loss, columns, loss="final", params="all"
):
    """``fit --ledger L`` with no CSV: the ledger's runs, a one-line warning for those skipped, the fit."""
    from flopcast.errors import InputError
    from flopcast.report.console import stderr
    from flopcast.scaling import fit_or_select, ledger_runs

    if ledger is None:
        raise InputError(
            "give RUNS.csv, or --ledger LEDGER to fit tracked runs (e.g. flopcast scaling fit --ledger runs.sqlite)"
        )
    if any(c is not None for c in columns):
        raise InputError(
            "with --ledger and no RUNS.csv, N, D and loss come from the ledger: drop --params-col, "
            "--tokens-col, --flop-col and --run-col (or give the CSV)"
        )
    found = ledger_runs(ledger, tag=tag, drop_highest_loss=drop_highest_loss, loss=loss, params=params)
    result = fit_or_select(found, law, bootstrap=bootstrap, seed=seed, confidence=confidence)
    warning = found.warning()
    if warning:
        stderr.print(f"warning: {warning}", style="yellow", markup=False, highlight=False, soft_wrap=True)
    return found.runs, result


def _refuse_ledger_only(tag, loss, params) -> None:
    """With RUNS.csv: ``--tag``, ``--loss`` and ``--params`` (which pick from the ledger's runs) are refused."""
    from flopcast.errors import InputError

    if tag is not None:
        raise InputError(
            "--tag selects runs of --ledger; use it without RUNS.csv (flopcast scaling fit --ledger L --tag PATTERN)"
        )
    if loss != "final":
        raise InputError("--loss picks the ledger's recorded loss; with RUNS.csv use --loss-col")
    if params != "all":
        raise InputError("--params picks the ledger's recorded parameter count; with RUNS.csv use --params-col")


def _check_plot(plot: Path | None) -> None:
    """Check ``--plot`` before any work: a known format, in an existing folder flopcast can write to."""
    from flopcast.errors import InputError
    from flopcast.report.paths import PLOT_SUFFIXES, check_output_file

    if plot is None:
        return
    if plot.suffix.lower() not in PLOT_SUFFIXES:
        raise InputError(
            f"--plot {plot}: unsupported format {plot.suffix or '(none)'}; use one of " + ", ".join(PLOT_SUFFIXES)
        )
    check_output_file(plot, option="--plot")


def _emit(result, json_out: bool, render: Callable[[], None]) -> None:
    """Warn when the law is not identified, then print ``result`` as JSON or through ``render``."""
    from flopcast.report.scaling_render import warn_unidentified

    warn_unidentified(result)
    if json_out:
        from flopcast.report.jsonout import dumps

        typer.echo(dumps(result))
        return
    render()


def _render_fit(result, written: list) -> None:
    from flopcast.report.scaling_render import render_fit
    from flopcast.scaling import selection_line

    render_fit(result, written)
    if (line := selection_line(result)) is not None:
        typer.echo(line)


def fit(
    runs: Path | None = typer.Argument(None, help="CSV of runs, one row per training run (or --ledger alone)."),
    params_col: ParamsCol = None,
    tokens_col: TokensCol = None,
    flop_col: FlopCol = None,
    loss_col: LossCol = LOSS_COL,
    law: Law = None,
    bootstrap: Bootstrap = BOOTSTRAP,
    seed: Seed = 0,
    confidence: float = _CONF,
    drop_highest_loss: DropHighestLoss = 0,
    ledger: ScalingLedger = None,
    tag: str | None = typer.Option(
        None, "--tag", help="With --ledger alone: only runs whose name matches this glob, e.g. 'sweep1-*'."
    ),
    run_col: RunCol = None,
    loss: str = typer.Option(
        "final",
        "--loss",
        help="With --ledger alone: fit the runs' final training loss (final) or final eval loss (eval).",
    ),
    params: str = typer.Option(
        "all",
        "--params",
        help="With --ledger alone: N is every parameter (all) or those outside the embedding tables "
        "(non-embedding: Kaplan et al. 2020's N, the count of the HF trainer's total_flos).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the fit as JSON (what 'plan --fit' reads)."),
    plot: Path | None = typer.Option(
        None,
        "--plot",
        help="Write loss vs compute (and the IsoFLOP view for "
        "N, D laws, as FILE-isoflop) to FILE (.png, .svg or .pdf).",
    ),
) -> None:
    """Fit a scaling law to runs (Huber on log loss, L-BFGS from a grid of starts, bootstrap intervals).

    Example: flopcast scaling fit chinchilla.csv --params-col "Model Size" --flop-col "Training FLOP"
    --loss-col loss --json > fit.json; or from tracked runs: flopcast scaling fit --ledger runs.sqlite --tag 'sweep-*'
    """
    _check_plot(plot)
    if runs is None:
        runs_, result = _fit_from_ledger(
            ledger,
            tag=tag,
            law=law,
            bootstrap=bootstrap,
            seed=seed,
            confidence=confidence,
            drop_highest_loss=drop_highest_loss,
            columns=(params_col, tokens_col, flop_col, run_col),
            loss=loss,
            params=params,
        )
    else:
        _refuse_ledger_only(tag, loss, params)
        runs_, result = _fit_from_csv(
            runs,
            params_col=params_col,
            tokens_col=tokens_col,
            flop_col=flop_col,
            loss_col=loss_col,
            law=law,
            bootstrap=bootstrap,
            seed=seed,
            confidence=confidence,
            drop_highest_loss=drop_highest_loss,
            ledger=ledger,
            run_col=run_col,
        )
    written = []
    if plot is not None:
        from flopcast.report.scaling_plots import plot_fit

        written = plot_fit(result, runs_, plot)
    _emit(result, json_out, lambda: _render_fit(result, written))


def plan(
    fit_file: Path | None = typer.Option(None, "--fit", help="A fit written by 'flopcast scaling fit --json'."),
    runs: Path | None = typer.Option(None, "--runs", help="Or fit these runs now (same column options as fit)."),
    target_loss: float | None = typer.Option(None, "--target-loss", help="Loss to reach: plan its compute."),
    flop: float | None = typer.Option(None, "--flop", help="Compute budget (FLOP): plan the loss it buys."),
    hardware: str | None = typer.Option(
        None,
        "--hardware",
        help="Accelerator, e.g. 'H100 SXM', to turn the "
        "plan into time, chip-hours, dollars and CO2e (flopcast estimate).",
    ),
    chips: float | None = typer.Option(None, "--chips", help="Number of accelerators (with --hardware)."),
    utilization: Utilization = None,
    region: Region = None,
    params_col: ParamsCol = None,
    tokens_col: TokensCol = None,
    flop_col: FlopCol = None,
    loss_col: LossCol = LOSS_COL,
    law: Law = None,
    bootstrap: Bootstrap = BOOTSTRAP,
    seed: Seed = 0,
    drop_highest_loss: DropHighestLoss = 0,
    ledger: ScalingLedger = None,
    run_col: RunCol = None,
    json_out: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
    plot: Path | None = typer.Option(None, "--plot", help="With --runs: loss vs compute with the plan marked."),
) -> None:
    """Plan a run: compute, model size N and tokens D for a target loss, or the loss a FLOP budget buys.

    Example: flopcast scaling plan --fit fit.json --flop 5.76e23 --hardware 'H100 SXM' --chips 1024 --region USA
    """
    from flopcast.errors import InputError
    from flopcast.scaling import check_plan_options, read_fit
    from flopcast.scaling import plan as make_plan

    if (fit_file is None) == (runs is None):
        raise InputError("give exactly one of --fit FIT.json or --runs RUNS.csv")
    if plot is not None and runs is None:
        raise InputError("--plot needs --runs (the fit file does not carry the runs)")
    _check_plot(plot)
    check_plan_options(
        target_loss=target_loss, flop=flop, hardware=hardware, chips=chips, utilization=utilization, region=region
    )
    runs_ = None
    if fit_file is not None:
        result = read_fit(fit_file)
    elif runs is not None:
        runs_, result = _fit_from_csv(
            runs,
            params_col=params_col,
            tokens_col=tokens_col,
            flop_col=flop_col,
            loss_col=loss_col,
            law=law,
            bootstrap=bootstrap,
            seed=seed,
            confidence=0.95,
            drop_highest_loss=drop_highest_loss,
            ledger=ledger,
            run_col=run_col,
        )
    p = make_plan(
        result,
        target_loss=target_loss,
        flop=flop,
        hardware=hardware,
        chips=chips,
        utilization=utilization,
        region=region,
    )
    written = []
    if plot is not None and runs_ is not None:
        from flopcast.report.scaling_plots import plot_fit

        written = plot_fit(result, runs_, plot, plan=p)
    from flopcast.report.scaling_render import render_plan

    _emit(p, json_out, lambda: render_plan(p, written))


def register(app: typer.Typer) -> None:
    scaling_app.command("fit")(fit)
    scaling_app.command("plan")(plan)
    app.add_typer(scaling_app, name="scaling")
