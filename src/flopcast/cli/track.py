"""`flopcast track -- CMD ARGS` (measure a command) and `flopcast runs list|show|export` (the ledger).

Parses, calls :mod:`flopcast.measure`, renders with :mod:`flopcast.report.track_render`: nothing else.
"""

from __future__ import annotations

from pathlib import Path

import typer

from flopcast.cli.options import Hardware, Pue, Region, RunLedger


def track_cmd(
    command: list[str] = typer.Argument(None, metavar="-- CMD ARGS...", help="The command to run, after '--'."),
    flop_per_step: float = typer.Option(None, "--flop-per-step", help="FLOP per (global) training step."),
    total_steps: int = typer.Option(None, "--total-steps", help="Steps in the whole run (for the forecast)."),
    epochs: float = typer.Option(None, "--epochs", help="Epochs in the run (with --steps-per-epoch)."),
    steps_per_epoch: int = typer.Option(None, "--steps-per-epoch", help="Steps per epoch (with --epochs)."),
    hardware: Hardware = None,
    chips: int = typer.Option(None, "--chips", help="Accelerators used (default: GPUs visible to the job)."),
    precision: str = typer.Option(None, "--precision", help="Peak used for MFU: fp32, tf32, bf16, fp16, fp8."),
    region: Region = None,
    pue: Pue = None,
    pricing: str = typer.Option("on-demand", "--pricing", help="Price type for cost."),
    interval: float = typer.Option(1.0, "--interval", help="Sampling interval, seconds."),
    ledger: RunLedger = None,
    name: str = typer.Option(None, "--name", help="A label for the run in the ledger."),
    cpu_tdp: float = typer.Option(
        None, "--cpu-tdp", "--cpu-tdp-watts", help="CPU package TDP, W, when RAPL is unreadable."
    ),
    json_out: bool = typer.Option(
        False,
        "--json",
        help="Print the final record as one JSON object (the "
        "command's own stdout then goes to stderr, so stdout is only the JSON).",
    ),
    log_to: str = typer.Option(
        None,
        "--log-to",
        help="Also write flopcast's figures to 'tensorboard' or 'mlflow' at every sample and at the end.",
    ),
    log_dir: str = typer.Option(
        None,
        "--log-dir",
        help="TensorBoard log directory (default runs/flopcast-RUN_ID) or MLflow tracking URI (default: MLflow's own).",
    ),
) -> int:
    """Run a command and measure it: wall/CPU time, energy, chip-hours, CO2e, cost, MFU, forecast.

    The command runs without a shell; its exit code is passed through. A `flopcast.track()` inside
    it reports steps to this tracker. Example:

        flopcast track --flop-per-step 1.2e12 --total-steps 500 --region FRA -- python train.py --lr 3e-4
    """
    from flopcast.errors import LedgerError
    from flopcast.measure import TrackOptions, run_command
    from flopcast.report.console import stderr
    from flopcast.report.jsonout import dumps
    from flopcast.report.track_render import ProgressBar, render_record

    options = TrackOptions(
        flop_per_step=flop_per_step,
        total_steps=total_steps,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        hardware=hardware,
        chips=chips,
        precision=precision,
        region=region,
        pue=pue,
        pricing=pricing,
        interval=interval,
        ledger=ledger,
        name=name,
        cpu_tdp_watts=cpu_tdp,
        log_to=log_to,
        log_dir=log_dir,
    )
    bar = ProgressBar() if stderr.is_terminal and not json_out else None
    try:
        rec = run_command(command or [], options, on_tick=bar, stdout_to_stderr=json_out)
    finally:
        if bar is not None:
            bar.stop()
    typer.echo(dumps(rec)) if json_out else render_record(rec)
    if rec.save_error:
        raise LedgerError(f"{rec.save_error} (the command itself exited {rec.exit_code})")
    return int(rec.exit_code or 0)


runs_app = typer.Typer(help="The run ledger: list, show and export tracked runs.", no_args_is_help=True)


@runs_app.command("list")
def runs_list(
    ledger: RunLedger = None, json_out: bool = typer.Option(False, "--json", help="Print JSON (flopcast.run_list/1).")
) -> None:
    """List tracked runs, oldest first. Example: flopcast runs list --ledger runs.sqlite"""
    from flopcast.measure import Ledger, list_runs, run_list_dict
    from flopcast.report.jsonout import dumps
    from flopcast.report.track_render import render_run_list

    with Ledger(ledger, readonly=True) as led:
        runs = list_runs(led)
    typer.echo(dumps(run_list_dict(led.path, runs))) if json_out else render_run_list(led.path, runs)


@runs_app.command("show")
def runs_show(
    run_id: str = typer.Argument(..., help="Run id (or a unique prefix), or a distributed job id."),
    ledger: RunLedger = None,
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one run's record (or a distributed job's aggregate). Example: flopcast runs show 261122-0203"""
    from flopcast.measure import Ledger, LedgerRun, show_run
    from flopcast.report.console import stdout
    from flopcast.report.jsonout import dumps
    from flopcast.report.track_render import render_ledger_run

    with Ledger(ledger, readonly=True) as led:
        shown = show_run(led, run_id)
    if json_out:
        typer.echo(dumps(shown))
    elif isinstance(shown, LedgerRun):
        render_ledger_run(shown)
    else:
        stdout.print_json(dumps(shown))


@runs_app.command("export")
def runs_export(
    fmt: str = typer.Option(
        "csv",
        "--format",
        help="csv (one flat column per figure), json (the records) or parquet (needs pyarrow; with -o).",
    ),
    samples: bool = typer.Option(False, "--samples", help="Export the samples table instead of runs."),
    output: Path = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
    ledger: RunLedger = None,
) -> None:
    """Export runs (or samples) as CSV, JSON or Parquet. Example: flopcast runs export --format csv -o runs.csv"""
    from flopcast.errors import InputError
    from flopcast.measure import Ledger
    from flopcast.report.paths import check_output_file, write_output
    from flopcast.report.run_table import EXPORT_FORMATS, export_table, export_text, require_pyarrow, write_parquet

    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; use csv, json or parquet")
    if fmt == "parquet" and samples:
        raise InputError("--format parquet exports runs; export --samples as csv or json")
    if fmt == "parquet" and output is None:
        raise InputError("--format parquet writes a binary file; give -o FILE.parquet")
    if output is not None:
        output = check_output_file(output, option="-o", suffixes=None)
    if fmt == "parquet":
        require_pyarrow()
    with Ledger(ledger, readonly=True) as led:
        rows = export_table(led, fmt, samples=samples)
    if fmt == "parquet":
        assert output is not None
        write_parquet(rows, output)
        return
    text = export_text(rows, fmt, samples=samples)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_output(output, text)


def register(app: typer.Typer) -> None:
    app.command("track", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(track_cmd)
    app.add_typer(runs_app, name="runs")
