"""The ``flopcast`` command line: a thin typer app over the library.

Commands parse, call one library function and render; they hold no logic of their own. Each
command lives in its own module here with a ``register(app)`` function. :func:`main` is the one
error boundary: a :class:`~flopcast.errors.FlopcastError` becomes a one-line message and its
exit code (2 for bad input); anything else is an internal error (exit 1). Tracebacks appear
only with ``--debug`` (or ``FLOPCAST_DEBUG=1``). A group given no subcommand (``flopcast``,
``flopcast scaling``) prints its help on stdout and exits 0: nothing was asked but the help.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib import import_module

import typer

from flopcast import __version__
from flopcast.errors import FlopcastError

app = typer.Typer(
    name="flopcast",
    help="What deep-learning work costs in computation, time, money, energy and carbon "
    "(Thompson et al. 2020, as software).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"flopcast {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    """flopcast: count, estimate, measure, project and report the cost of deep learning."""


# Registration order is the order in `flopcast --help`.
from flopcast.cli import count, estimate, hardware, report, scaling, simulate, track, trends  # noqa: E402

for _module in (count, estimate, hardware, trends, track, scaling, simulate, report):
    _module.register(app)


def _click_exception_classes(name: str) -> tuple[type[BaseException], ...]:
    """``name`` from click and from typer's vendored copy of click (typer >= 0.2x), whichever exist."""
    found = []
    for module in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(getattr(import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(dict.fromkeys(found))


_NO_ARGS_HELP = _click_exception_classes("NoArgsIsHelpError")
_USAGE = _click_exception_classes("UsageError")
_CLICK = _click_exception_classes("ClickException")
_ABORT: tuple[type[BaseException], ...] = (*_click_exception_classes("Abort"), typer.Abort, KeyboardInterrupt)


def _debug_requested(argv: Sequence[str]) -> bool:
    return "--debug" in argv or os.environ.get("FLOPCAST_DEBUG", "") not in ("", "0")


def _show_group_help(exc: BaseException) -> int:
    """A group run without a subcommand: its help on stdout (rich help is printed already), exit 0."""
    text = exc.format_message().strip()  # type: ignore[attr-defined]
    if text:
        print(text)
    return 0


def _usage_message(exc: BaseException) -> str:
    """The one-line usage error; never an empty message."""
    message = exc.format_message().strip() or "incomplete command"  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "flopcast"
    return f"flopcast: error: {message} (try '{where} --help')"


def _path_refused(exc: OSError) -> str:
    """The system refused a path the user gave (too long, not a folder, no permission, no space): one line, exit 2."""
    name = str(exc.filename)
    shown = name if len(name) <= 80 else name[:40] + "…" + name[-20:]
    reason = exc.strerror or type(exc).__name__
    return f"flopcast: error: cannot use '{shown}': {reason.lower()}; check the path and its permissions"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return (and, as a console script, exit with) its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _debug_requested(args)
    try:
        result = app(args=args, prog_name="flopcast", standalone_mode=False)
    except FlopcastError as exc:
        if debug:
            raise
        print(f"flopcast: error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except _NO_ARGS_HELP as exc:
        code = _show_group_help(exc)
    except _USAGE as exc:
        if debug:
            raise
        print(_usage_message(exc), file=sys.stderr)
        code = 2
    except _CLICK as exc:
        if debug:
            raise
        print(f"flopcast: error: {getattr(exc, 'format_message', exc.__str__)()}", file=sys.stderr)
        code = 2
    except _ABORT:
        print("flopcast: aborted", file=sys.stderr)
        code = 130
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # the boundary: never a traceback unless asked for
        if debug:
            raise
        if isinstance(exc, OSError) and exc.filename is not None:
            print(_path_refused(exc), file=sys.stderr)
            return _finish(argv, 2)
        print(
            f"flopcast: internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback "
            "and please report it)",
            file=sys.stderr,
        )
        code = 1
    else:
        code = result if isinstance(result, int) else 0
    return _finish(argv, code)


def _finish(argv: Sequence[str] | None, code: int) -> int:
    if argv is None:
        sys.exit(code)
    return code
