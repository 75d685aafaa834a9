"""A status line on the terminal's bottom row that the tracked command's output never shares.

``flopcast track -- CMD`` lets the command write straight to the terminal (it keeps its tty: colours, its own
progress bars), so a status line redrawn in place by this process would be written over, or continued, by the
command's text (``...energy 0 kWhepoch log line 0``). Instead :class:`BottomLine` keeps the bottom row for
itself: it sets the terminal's scrolling region to the rows above it (DECSTBM, ``CSI top;bottom r``), so the
command's lines scroll there and never reach the bottom row, and draws the status there between a cursor save
and restore (DECSC ``ESC 7`` / DECRC ``ESC 8``; VT100 User Guide, ch. 3, "DECSTBM", "DECSC", "DECRC"; ECMA-48
8.3.21 CUP, 8.3.41 EL). Each draw is one ``write()``: a terminal serialises whole writes, so the command's output
cannot land between the cursor move and the restore. The line is cut to one character less than the width (it
never wraps, never fills the last column). A dumb terminal (``TERM`` unset or ``dumb``) gets no status line.
Limits: a command that sets its own scrolling region (a full-screen program) or uses DECSC/DECRC itself shares
the one saved cursor with the status line; the bottom row follows a resize at the next draw.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping

ESC = "\x1b"
SAVE, RESTORE = ESC + "7", ESC + "8"  # DECSC / DECRC: cursor position and attributes
ELLIPSIS = "…"


def fit(text: str, columns: int) -> str:
    """``text`` as one line of at most ``columns - 1`` characters (control characters dropped; cut with ``…``)."""
    line = "".join(ch if ch.isprintable() else " " for ch in text)
    room = max(columns - 1, 0)
    return line if len(line) <= room else line[: max(room - 1, 0)] + ELLIPSIS[:room]


def reserve(rows: int) -> str:
    """What keeps the bottom row: a newline (room for it if the cursor is there), the region, the cursor back."""
    return "\n" + SAVE + f"{ESC}[1;{rows - 1}r" + RESTORE + f"{ESC}[1A"


def draw(text: str, rows: int, columns: int) -> str:
    """The bottom row replaced by ``text`` (cut to fit), the region set again (a resize moves the bottom row), the
    cursor back where the command's output had it."""
    return SAVE + f"{ESC}[1;{rows - 1}r{ESC}[{rows};1H{ESC}[2K" + fit(text, columns) + RESTORE


def release(rows: int) -> str:
    """The whole screen scrolling again and the status row cleared; the cursor back where the command left it."""
    return SAVE + f"{ESC}[r{ESC}[{rows};1H{ESC}[2K" + RESTORE


class BottomLine:
    """The status row of the terminal on file descriptor ``fd`` (see the module docstring)."""

    def __init__(self, fd: int = 2, env: Mapping[str, str] | None = None):
        term = (os.environ if env is None else env).get("TERM", "")
        self.fd = fd
        self.rows = 0
        self.enabled = bool(term) and term != "dumb" and os.isatty(fd)

    def _size(self) -> tuple[int, int]:
        size = os.get_terminal_size(self.fd)
        return size.lines, size.columns

    def _write(self, data: str) -> None:
        with contextlib.suppress(OSError):  # a closed or vanished terminal: the run goes on without the line
            os.write(self.fd, data.encode("utf-8", "replace"))

    def show(self, text: str) -> None:
        """Draw ``text`` on the bottom row (the first call reserves it)."""
        if not self.enabled:
            return
        try:
            rows, columns = self._size()
        except OSError:
            return
        if rows < 2:
            return
        self._write((reserve(rows) if not self.rows else "") + draw(text, rows, columns))
        self.rows = rows

    def close(self) -> None:
        """Give the row back (idempotent): the full screen scrolls again, the status row is cleared."""
        if not self.rows:
            return
        try:
            rows = self._size()[0]
        except OSError:
            rows = self.rows
        self._write(release(rows))
        self.rows = 0
