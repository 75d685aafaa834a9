"""Every CLI option that feeds a library argument has a spelling equal to that argument's name ('-' for '_').

The commands and their options are read from the typer app (as tests/fuzz/test_cli_fuzz.py reads them), and the
library arguments from the signatures of the functions each command calls, so a renamed argument or a new option
with another name fails here. An option may keep an older spelling first (``--grid-intensity``) as long as the API
spelling (``--g-co2e-per-kwh``) is among its names. The exceptions are listed with their reasons.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable
from typing import Any

import typer

from flopcast.cli import app, main


def _commands(root: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                walk(sub, [*path, name])
        else:
            found[" ".join(path)] = cmd

    walk(root, [])
    return found


def _feeds() -> dict[str, tuple[Callable[..., Any], ...]]:
    """Command -> the library functions (and classes) its options are passed to."""
    from flopcast.count import count, load_model
    from flopcast.estimate import ModelSource, ProjectOverheads, estimate, model_source
    from flopcast.hardware import list_regions
    from flopcast.measure import Ledger, TrackOptions, calibrate, export_rows, show_run
    from flopcast.report.document_render import render
    from flopcast.report.documents import card_report, project_plan_report, report_from_ledger
    from flopcast.scaling import fit_law, fit_runs, ledger_runs, plan, read_fit, read_runs
    from flopcast.simulate import SimulationConfig, simulate
    from flopcast.trends import afford, analyze, listed_accelerators

    return {
        "count": (load_model, count),
        "estimate": (estimate, model_source, ModelSource.estimate_kwargs, ProjectOverheads, calibrate),
        "hardware list": (listed_accelerators,),
        "hardware show": (),
        "regions list": (list_regions,),
        "regions show": (),
        "trends": (analyze,),
        "project": (analyze, afford),
        "track": (TrackOptions,),
        "runs list": (Ledger,),
        "runs show": (Ledger, show_run),
        "runs export": (Ledger, export_rows),
        "scaling fit": (read_runs, fit_runs, fit_law, ledger_runs),
        "scaling plan": (read_fit, read_runs, fit_runs, fit_law, plan),
        "simulate": (SimulationConfig, simulate),
        "report": (report_from_ledger, project_plan_report, card_report, render),
    }


# Options that choose how or where a result is shown; they feed no library argument.
CLI_ONLY = {"--help", "--json", "--plot", "--plots", "--no-plots", "--output", "--format", "--report"}

# (command, option) -> why its name is not the library argument's.
EXCEPTIONS = {
    ("estimate", "--model"): "the spec is model_source()'s first, positional argument (`spec`), the MODEL of "
    "`flopcast count`",
    ("estimate", "--calibrate"): "names the step it switches on; its value is calibrate()'s `target` (a run id or "
    "pattern, as `runs show RUN_ID` takes it)",
    ("estimate", "--project"): "a switch: the estimate goes on to project_estimate(), which takes no option of its own",
    ("trends", "--paper"): "a switch to reconcile(), which takes no option",
    ("trends", "--measure"): "one measure or both: analyze() takes the list (`measures`)",
    ("project", "--measure"): "one measure or both: analyze() takes the list (`measures`)",
    ("project", "--lever"): "repeatable, one lever per flag: afford() takes the unparsed texts (`lever_texts`) and "
    "parses them against the hardware",
    ("hardware list", "--all"): "`all` is a Python builtin: listed_accelerators() calls it all_rows",
    ("runs list", "--ledger"): "the ledger is Ledger()'s first, positional argument (`path`); every command "
    "spells it --ledger, as calibrate(), ledger_runs() and read_runs() name it",
    ("runs show", "--ledger"): "as for runs list",
    ("runs export", "--ledger"): "as for runs list",
    ("report", "--estimate"): "a file path, read by load_estimate() or load_project_plan() (`path`)",
    ("report", "--count"): "a file path, read by load_count() (`path`)",
    ("report", "--project"): "the run name pattern, project_plan_report()'s positional `pattern`",
}


def _arguments(functions: Iterable[Callable[..., Any]]) -> set[str]:
    return {name for f in functions for name in inspect.signature(f).parameters}


def mismatches(command: Any, functions: Iterable[Callable[..., Any]]) -> dict[str, list[str]]:
    """Options of ``command`` none of whose spellings is an argument of ``functions`` -> their spellings.

    A repeatable option (one value per flag: ``--benchmark a --benchmark b``) may name one item of the list the
    API takes in the plural (``benchmarks``).
    """
    arguments = _arguments(functions)
    found = {}
    for param in command.params:
        if param.param_type_name != "option":
            continue
        names = [o for o in param.opts if o.startswith("--")]
        if any(o in CLI_ONLY for o in names):
            continue
        keys = {o[2:].replace("-", "_") for o in names}
        if getattr(param, "multiple", False):
            keys |= {k + "s" for k in keys}
        if not keys & arguments:
            found[names[0]] = names
    return found


def test_every_command_says_what_its_options_feed():
    assert sorted(_commands(typer.main.get_command(app))) == sorted(_feeds())


def test_each_option_is_spelled_as_the_argument_it_feeds():
    commands = _commands(typer.main.get_command(app))
    wrong = {
        (name, option): spellings
        for name, functions in _feeds().items()
        for option, spellings in mismatches(commands[name], functions).items()
        if (name, option) not in EXCEPTIONS
    }
    assert wrong == {}


def test_the_exceptions_are_still_needed():
    commands = _commands(typer.main.get_command(app))
    feeds = _feeds()
    stale = [key for key in EXCEPTIONS if key[1] not in mismatches(commands[key[0]], feeds[key[0]])]
    assert stale == []


def test_the_check_catches_an_option_named_otherwise():
    def library(*, g_co2e_per_kwh=None, hardware=None):
        return g_co2e_per_kwh, hardware

    demo = typer.Typer()

    @demo.command()
    def old(grid: float = typer.Option(None, "--grid-intensity"), hardware: str = typer.Option(None, "--hardware")):
        pass

    @demo.command()
    def new(grid: float = typer.Option(None, "--grid-intensity", "--g-co2e-per-kwh")):
        pass

    commands = _commands(typer.main.get_command(demo))
    assert mismatches(commands["old"], [library]) == {"--grid-intensity": ["--grid-intensity"]}
    assert mismatches(commands["new"], [library]) == {}


def _estimate_json(capsys, *options: str) -> dict[str, Any]:
    base = ["estimate", "--params", "7B", "--tokens", "2T", "--hardware", "h100", "--chips", "256", "--json"]
    assert main([*base, *options]) == 0
    return json.loads(capsys.readouterr().out)


def test_old_and_api_spellings_give_the_same_estimate(capsys):
    old = _estimate_json(capsys, "--grid-intensity", "50")
    new = _estimate_json(capsys, "--g-co2e-per-kwh", "50")
    assert old == new
    assert old != _estimate_json(capsys)  # the option is read: 50 g/kWh is not the default grid
