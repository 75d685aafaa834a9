"""Output destinations checked before the work starts: one owner for "can flopcast write here?".

A command that writes plots or files calls :func:`check_output_file` or :func:`check_output_dir` on
its destinations *before* it computes anything, so an impossible path costs the user no work and no
table is lost to a failed ``savefig``. Both raise :class:`~flopcast.errors.InputError` (exit 2) with
one line naming the path, the problem and the fix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from flopcast.errors import InputError

#: The file types a plot file (``--plot FILE``) may have: the one owner, the CLI checks against it too.
PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def _nearest_existing(path: Path) -> Path:
    """The deepest existing ancestor of ``path`` (``path`` itself when it exists)."""
    p = path
    while not p.exists():
        if p.parent == p:
            break
        p = p.parent
    return p


def _probe_writable(folder: Path) -> bool:
    """True when a file can really be created in ``folder`` (``os.access`` lies on /proc, read-only mounts, root)."""
    try:
        fd, name = tempfile.mkstemp(prefix=".flopcast-probe-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)
    return True


def _check_folder(folder: Path, what: str, option: str) -> None:
    existing = _nearest_existing(folder)
    if existing.exists() and not existing.is_dir():
        raise InputError(
            f"{what} {str(folder)!r}: {str(existing)!r} is a file, not a folder; give {option} a folder path"
        )
    if not existing.exists():
        raise InputError(f"{what} {str(folder)!r}: no such folder; give {option} a path in an existing folder")
    if not _probe_writable(existing):
        raise InputError(
            f"{what} {str(folder)!r}: {str(existing)!r} is not writable; give {option} a folder you can write to"
        )


def check_output_dir(folder: str | os.PathLike[str], *, option: str = "--plots", create: bool = True) -> Path:
    """Check (and by default create) a folder flopcast will write into; return it as a ``Path``."""
    path = Path(folder).expanduser()
    _check_folder(path, "output folder", option)
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"output folder {str(path)!r}: cannot create it ({exc.strerror or exc}); "
                f"give {option} a folder you can write to"
            ) from None
        if not _probe_writable(path):
            raise InputError(f"output folder {str(path)!r} is not writable; give {option} a folder you can write to")
    return path


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to a destination :func:`check_output_file` already checked; a late failure (the disk
    filled, the folder vanished) is one line, not a traceback."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def check_output_file(
    file: str | os.PathLike[str], *, option: str = "--plot", suffixes: tuple[str, ...] | None = PLOT_SUFFIXES
) -> Path:
    """Check that ``file`` can be written (folder exists and is writable, not a folder, known suffix)."""
    path = Path(file).expanduser()
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise InputError(
            f"output file {str(path)!r}: unknown format {path.suffix or '(none)'!r}; "
            f"give {option} a name ending in " + ", ".join(suffixes)
        )
    if path.is_dir():
        raise InputError(f"output file {str(path)!r} is a folder; give {option} a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        existing = _nearest_existing(parent)
        problem = f"{str(existing)!r} is a file" if existing.exists() and not existing.is_dir() else "no such folder"
        raise InputError(f"output file {str(path)!r}: {problem}; give {option} a path in an existing folder")
    if path.exists() and not os.access(path, os.W_OK):
        raise InputError(f"output file {str(path)!r} is not writable; give {option} a path you can write to")
    if not _probe_writable(parent):
        raise InputError(
            f"output file {str(path)!r}: folder {str(parent)!r} is not writable; give {option} a path you can write to"
        )
    return path
