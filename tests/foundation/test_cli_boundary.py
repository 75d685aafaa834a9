"""The CLI's single error boundary: one-line errors, exit codes, --version, --debug."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from flopcast import __version__
from flopcast.cli import app, main
from flopcast.errors import DataFormatError, InputError, UnknownNameError


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"flopcast {__version__}"


def test_unknown_command_is_usage_error_exit_2(capsys):
    assert main(["no-such-command"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flopcast: error:") and err.count("\n") == 1


@pytest.fixture
def boom_app():
    """Temporarily add commands that raise, to exercise the boundary."""
    sub = typer.Typer()

    @sub.command("input")
    def _input() -> None:
        raise UnknownNameError("accelerator", "h10", ["H100 SXM", "H100 PCIe"])

    @sub.command("bug")
    def _bug() -> None:
        raise ZeroDivisionError("oops")

    app.add_typer(sub, name="_boom")
    yield
    app.registered_groups.pop()


def test_flopcast_error_is_one_line_exit_2(boom_app, capsys):
    assert main(["_boom", "input"]) == 2
    err = capsys.readouterr().err
    assert err == "flopcast: error: unknown accelerator 'h10'; nearest: H100 SXM, H100 PCIe\n"


def test_internal_error_no_traceback_exit_1(boom_app, capsys):
    assert main(["_boom", "bug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "ZeroDivisionError" in err and err.count("\n") == 1


def test_debug_shows_traceback(boom_app):
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "_boom", "bug"])


def test_console_script_exit_code():
    proc = subprocess.run([sys.executable, "-m", "flopcast", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_error_messages_name_the_place():
    e = DataFormatError("runs.csv", "'abc' is not a number", line=7, column="loss")
    assert str(e) == "runs.csv:7 column 'loss': 'abc' is not a number"
    assert isinstance(e, InputError) and e.exit_code == 2


def test_every_command_has_help_with_example():
    """Each registered command documents itself (help text present)."""
    root = typer.main.get_command(app)

    def walk(cmd, path):
        if hasattr(cmd, "commands"):
            for name, sub in cmd.commands.items():
                if not name.startswith("_"):
                    yield from walk(sub, [*path, name])
        else:
            yield path, cmd

    for path, cmd in walk(root, []):
        assert (cmd.help or "").strip(), f"flopcast {' '.join(path)} has no help text"


@pytest.mark.parametrize("argv", [[], ["hardware"], ["runs"], ["scaling"], ["regions"]])
def test_group_without_subcommand_prints_help_and_no_empty_error(argv, capsys):
    """Issue 11: a bare group printed its help, then `flopcast: error:  (try …)` with an empty message."""
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "Usage:" in out and out.count("Usage:") == 1
    assert "error" not in err


def test_usage_error_message_is_never_empty():
    from flopcast.cli import _usage_message

    class Empty(Exception):
        ctx = None

        def format_message(self) -> str:
            return ""

    line = _usage_message(Empty())
    assert "error: incomplete command" in line and "  " not in line.split("error:")[1][:2]


def test_a_path_the_system_refuses_is_a_one_line_input_error(capsys):
    """Issue 11 (fuzz finding): a 300-character --ledger name ended in `internal error: OSError` (exit 1)."""
    assert main(["runs", "list", "--ledger", "a" * 300]) == 2
    err = capsys.readouterr().err
    assert err.startswith("flopcast: error: cannot use 'aaaa") and "file name too long" in err
    assert err.count("\n") == 1 and "…" in err


def test_an_oserror_without_a_path_is_still_an_internal_error(capsys):
    def _oops() -> None:
        raise OSError("no path here")

    sub = typer.Typer()
    sub.command("oserr")(_oops)
    app.add_typer(sub, name="_os")
    try:
        assert main(["_os", "oserr"]) == 1
    finally:
        app.registered_groups.pop()
    assert "internal error: OSError" in capsys.readouterr().err
