"""`flopcast report`: a compute report of a run, a job, a project, or a count + estimate card.

Parses, calls :mod:`flopcast.report.documents`, renders with :mod:`flopcast.report.document_render`.
"""

from __future__ import annotations

from pathlib import Path

import typer

_HELP = """Write a compute report: Markdown, one self-contained HTML page, JSON, or a Hugging Face model card.

TARGET is a run id (or a unique prefix), a distributed job id, or a run name / glob pattern (a project: every
matching run, failed and interrupted ones too, with the total and the final run's share). --estimate sets the
plan (`flopcast estimate --json`) against what was measured. --project PATTERN with an `estimate --project
--json` file sets the plan's project lines (experimentation, goodput, evaluation, idle, embodied, serving)
against what the ledger measured for the runs matching PATTERN, and names the overhead furthest off. Without
TARGET, --count and --estimate make a card for a paper's appendix.

Examples:

  flopcast report 261204-1755 --format html -o run.html

  flopcast report 'sweep-*' --estimate est.json

  flopcast report --project 'llm-*' --estimate project-est.json --format html -o project.html

  flopcast report --count count.json --estimate est.json --format model-card -o README.md

  flopcast report --count count.json --estimate est.json --dataset-tokens 300B
"""


def report_cmd(
    target: str = typer.Argument(None, help="Run id or unique prefix, job id, or run name pattern."),
    estimate: Path = typer.Option(None, "--estimate", help="The plan: a `flopcast estimate --json` file."),
    count: Path = typer.Option(None, "--count", help="A `flopcast count --json` file (a card without a run)."),
    project: str = typer.Option(
        None,
        "--project",
        help="Run name pattern whose runs --estimate's project lines (`estimate --project --json`) are set against.",
    ),
    fmt: str = typer.Option("md", "--format", help="md, html, json or model-card."),
    training_type: str = typer.Option(None, "--training-type", help="pre-training or fine-tuning (model card)."),
    dataset_tokens: str = typer.Option(
        None,
        "--dataset-tokens",
        help="A card's training dataset size in tokens (e.g. 300B): the card states it and epochs = tokens / size.",
    ),
    output: Path = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
    ledger: str = typer.Option(
        None, "--ledger", help="Run ledger (SQLite). Default: $FLOPCAST_LEDGER, else runs.sqlite in the user data dir."
    ),
) -> None:
    from flopcast.cli.estimate import parse_number
    from flopcast.errors import InputError
    from flopcast.report.document_card import check_dataset_tokens
    from flopcast.report.document_inputs import load_count, load_estimate
    from flopcast.report.document_project import load_project_plan
    from flopcast.report.document_render import check_options, render
    from flopcast.report.documents import card_report, project_plan_report, report_from_ledger
    from flopcast.report.paths import check_output_file, write_output

    check_options(fmt, training_type)
    size = check_dataset_tokens(parse_number("dataset-tokens", dataset_tokens))
    if project is not None and (target is not None or count is not None):
        raise InputError("--project PATTERN names the runs itself; give it without a TARGET or --count")
    if project is not None and estimate is None:
        raise InputError("--project needs --estimate: the plan's lines (`flopcast estimate ... --project --json`)")
    if target is None and count is None and project is None:
        raise InputError(
            "nothing to report: give a run id, job id or run name, --project PATTERN with "
            "--estimate, or --count with --estimate"
        )
    if target is not None and count is not None:
        raise InputError("--count makes a card without a run; give a run TARGET or --count, not both")
    if count is not None and estimate is None:
        raise InputError("--count needs --estimate (the plan's time, energy and cost)")
    if size is not None and count is None:
        raise InputError("--dataset-tokens is for a card (--count with --estimate); a run reports its own dataset size")
    if output is not None:
        output = check_output_file(output, option="-o", suffixes=None)
    if project is not None:
        report = project_plan_report(ledger, project, load_project_plan(estimate))
    elif target is not None:
        report = report_from_ledger(ledger, target, load_estimate(estimate) if estimate is not None else None)
    else:
        report = card_report(load_count(count), load_estimate(estimate), dataset_tokens=size)
    text = render(report, fmt, training_type=training_type)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_output(output, text)
    typer.echo(f"wrote {output} ({fmt}, {report.kind} report)")


report_cmd.__doc__ = _HELP


def register(app: typer.Typer) -> None:
    app.command("report", help=_HELP)(report_cmd)
