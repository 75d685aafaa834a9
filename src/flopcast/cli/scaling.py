"""`flopcast scaling fit|plan`: fit a scaling law on small runs; plan the compute, size and data a target needs."""

from __future__ import annotations

from pathlib import Path

import typer

_PLOT_SUFFIXES = (".png", ".svg", ".pdf")

scaling_app = typer.Typer(
    name="scaling",
    help="Scaling laws from small runs: fit L(N, D) or L(C) with bootstrap intervals, then plan the "
    "compute-optimal model size, tokens and compute for a target loss or a budget.\n\n"
    "Example: flopcast scaling fit runs.csv --params-col N --flop-col C --loss-col loss --json > fit.json; "
    "flopcast scaling plan --fit fit.json --target-loss 2.0 --hardware 'H100 SXM' --chips 256",
    no_args_is_help=True,
)

_PARAMS = typer.Option(None, "--params-col", help="Column with model size N (parameters).")
_TOKENS = typer.Option(None, "--tokens-col", help="Column with training tokens D.")
_FLOP = typer.Option(None, "--flop-col", help="Column with training compute C (FLOP); D = C/(6N) if N is given.")
_LOSS = typer.Option("loss", "--loss-col", help="Column with each run's final (evaluation) loss.")
_LAW = typer.Option(
    None,
    "--law",
    help="chinchilla (needs N and D), compute, power or kaplan; "
    "default chinchilla when N and D are known, else compute.",
)
_BOOT = typer.Option(200, "--bootstrap", min=0, help="Bootstrap refits over runs for the intervals (0: none).")
_SEED = typer.Option(0, "--seed", help="Seed of the bootstrap resampling.")
_DROP = typer.Option(
    0,
    "--drop-highest-loss",
    min=0,
    help="Leave out this many highest-loss runs as outliers (Besiroglu et al. 2024 drop 5 of the Chinchilla runs).",
)
_LEDGER = typer.Option(
    None,
    "--ledger",
    help="A 'flopcast track' run ledger: each run's compute is its measured "
    "steps x FLOP per step (the CSV gives loss and size; name the run ids with --run-col).",
)
_RUNCOL = typer.Option(None, "--run-col", help="CSV column of run ids in --ledger.")
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
    from flopcast.scaling import fit_runs, read_runs

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
    return runs, fit_runs(runs, law, bootstrap=bootstrap, seed=seed, confidence=confidence)


def _fit_from_ledger(ledger, *, tag, law, bootstrap, seed, confidence, drop_highest_loss, columns):
    """``fit --ledger L`` with no CSV: the ledger's runs, a one-line warning for those skipped, the fit."""
    from flopcast.errors import InputError
    from flopcast.report.console import stderr
    from flopcast.scaling import LedgerRuns, drop_highest, fit_ledger_runs, ledger_runs

    if ledger is None:
        raise InputError(
            "give RUNS.csv, or --ledger LEDGER to fit tracked runs (e.g. flopcast scaling fit --ledger runs.sqlite)"
        )
    if any(c is not None for c in columns):
        raise InputError(
            "with --ledger and no RUNS.csv, N, D and loss come from the ledger: drop --params-col, "
            "--tokens-col, --flop-col and --run-col (or give the CSV)"
        )
    found = ledger_runs(ledger, tag=tag)
    found = LedgerRuns(drop_highest(found.runs, drop_highest_loss), found.skipped)
    result = fit_ledger_runs(found, law, bootstrap=bootstrap, seed=seed, confidence=confidence)
    warning = found.warning()
    if warning:
        stderr.print(f"warning: {warning}", style="yellow", markup=False, highlight=False, soft_wrap=True)
    return found.runs, result


def _refuse_tag(tag) -> None:
    from flopcast.errors import InputError

    if tag is not None:
        raise InputError(
            "--tag selects runs of --ledger; use it without RUNS.csv (flopcast scaling fit --ledger L --tag PATTERN)"
        )


def _check_plot(plot: Path | None) -> None:
    """Check ``--plot`` before any work: a known format, in an existing folder flopcast can write to."""
    from flopcast.errors import InputError
    from flopcast.report.paths import check_output_file

    if plot is None:
        return
    if plot.suffix.lower() not in _PLOT_SUFFIXES:
        raise InputError(
            f"--plot {plot}: unsupported format {plot.suffix or '(none)'}; use one of " + ", ".join(_PLOT_SUFFIXES)
        )
    check_output_file(plot, option="--plot")


def fit(
    runs: Path | None = typer.Argument(None, help="CSV of runs, one row per training run (or --ledger alone)."),
    params_col: str | None = _PARAMS,
    tokens_col: str | None = _TOKENS,
    flop_col: str | None = _FLOP,
    loss_col: str = _LOSS,
    law: str | None = _LAW,
    bootstrap: int = _BOOT,
    seed: int = _SEED,
    confidence: float = _CONF,
    drop_highest_loss: int = _DROP,
    ledger: str | None = typer.Option(
        None,
        "--ledger",
        help="A 'flopcast track' run ledger. Alone: fit its runs "
        "directly (N = recorded parameter count, D = recorded tokens, loss = final "
        "loss). With RUNS.csv and --run-col: each run's compute is its measured "
        "steps x FLOP per step.",
    ),
    tag: str | None = typer.Option(
        None, "--tag", help="With --ledger alone: only runs whose name matches this glob, e.g. 'sweep1-*'."
    ),
    run_col: str | None = _RUNCOL,
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
        )
    else:
        _refuse_tag(tag)
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
    if json_out:
        from flopcast.report.jsonout import dumps
        from flopcast.report.scaling_render import warn_unidentified

        warn_unidentified(result)
        typer.echo(dumps(result))
        return
    from flopcast.report.scaling_render import render_fit, warn_unidentified

    warn_unidentified(result)
    render_fit(result, written)


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
    utilization: float | None = typer.Option(
        None, "--utilization", help="Fraction of peak achieved (default: estimate's convention)."
    ),
    region: str | None = typer.Option(None, "--region", help="Grid region for CO2e, e.g. USA, us-central1."),
    params_col: str | None = _PARAMS,
    tokens_col: str | None = _TOKENS,
    flop_col: str | None = _FLOP,
    loss_col: str = _LOSS,
    law: str | None = _LAW,
    bootstrap: int = _BOOT,
    seed: int = _SEED,
    drop_highest_loss: int = _DROP,
    ledger: str | None = _LEDGER,
    run_col: str | None = _RUNCOL,
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
    if json_out:
        from flopcast.report.jsonout import dumps
        from flopcast.report.scaling_render import warn_unidentified

        warn_unidentified(p)
        typer.echo(dumps(p))
        return
    from flopcast.report.scaling_render import render_plan, warn_unidentified

    warn_unidentified(p)
    render_plan(p, written)


def register(app: typer.Typer) -> None:
    scaling_app.command("fit")(fit)
    scaling_app.command("plan")(plan)
    app.add_typer(scaling_app, name="scaling")
