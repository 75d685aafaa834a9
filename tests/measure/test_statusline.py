"""The live status line of ``flopcast track -- CMD``: it fits the width and never shares a row with the command.

The terminal is played by a small VT100 model (the sequences the status line and the command use, as the VT100
User Guide, ch. 3, defines them: LF scrolls only inside the DECSTBM region, DECSTBM homes the cursor, DECSC/DECRC
save and restore it, CUP is absolute, CUU stops at the top margin), and, where the ``pyte`` terminal emulator is
installed, by pyte as well. The end-to-end test runs the real CLI in a 24 x 80 pseudo-terminal.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import sys
import termios

import pytest

from flopcast.measure.statusline import BottomLine, draw, fit, release, reserve

ROWS, COLS = 24, 80
TOKEN = re.compile(r"\x1b\[([0-9;?]*)([A-Za-z])|\x1b([78])|([\r\n])|([^\x1b\r\n])", re.S)


class VT100:
    """A screen of ``rows`` x ``cols`` cells driven by the sequences above (anything else is ignored)."""

    def __init__(self, rows: int = ROWS, cols: int = COLS):
        self.rows, self.cols = rows, cols
        self.cells = [[" "] * cols for _ in range(rows)]
        self.y = self.x = 0
        self.top, self.bottom = 0, rows - 1
        self.saved = (0, 0)
        self.pending_wrap = False

    def lines(self) -> list[str]:
        return ["".join(r).rstrip() for r in self.cells]

    def _linefeed(self) -> None:
        if self.y == self.bottom:
            del self.cells[self.top]
            self.cells.insert(self.bottom, [" "] * self.cols)
        elif self.y < self.rows - 1:
            self.y += 1

    def _csi(self, params: str, final: str) -> None:
        nums = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else []
        if final == "r":
            top = nums[0] if nums and nums[0] else 1
            bottom = nums[1] if len(nums) > 1 and nums[1] else self.rows
            self.top, self.bottom = top - 1, bottom - 1
            self.y = self.x = 0
        elif final in "Hf":
            self.y = min(max((nums[0] if nums and nums[0] else 1) - 1, 0), self.rows - 1)
            self.x = min(max((nums[1] if len(nums) > 1 and nums[1] else 1) - 1, 0), self.cols - 1)
        elif final == "A":
            floor = self.top if self.y >= self.top else 0
            self.y = max(self.y - (nums[0] if nums and nums[0] else 1), floor)
        elif final == "K" and (nums or [0])[0] == 2:
            self.cells[self.y] = [" "] * self.cols
        else:
            return
        self.pending_wrap = False

    def feed(self, text: str, check=None) -> None:
        """Play ``text``; ``check(self)`` after every line feed (when the command's lines are whole)."""
        for m in TOKEN.finditer(text):
            params, final, esc, control, char = m.groups()
            if final:
                self._csi(params, final)
            elif esc == "7":
                self.saved = (self.y, self.x)
            elif esc == "8":
                (self.y, self.x), self.pending_wrap = self.saved, False
            elif control == "\r":
                self.x, self.pending_wrap = 0, False
            elif control == "\n":  # the tty's onlcr turns the command's "\n" into "\r\n"; a bare LF is modelled
                self._linefeed()
                self.pending_wrap = False
            elif char:
                if self.pending_wrap:
                    self.x, self.pending_wrap = 0, False
                    self._linefeed()
                self.cells[self.y][self.x] = char
                if self.x == self.cols - 1:
                    self.pending_wrap = True
                else:
                    self.x += 1
            if check is not None and control == "\n":
                check(self)


def command_lines(n: int) -> list[str]:
    return [f"epoch log line {i}" for i in range(n)]


CHILD_ROW = re.compile(r"(epoch log line \d+|\$ .*)")  # a line of the command (or the shell's prompt)
STATUS_ROW = re.compile(r"(tracking|step \d+(/\d+)?)( [━─]+)?( \d+:\d\d:\d\d( energy .*)?)?")


def whole_rows(screen: VT100) -> None:
    assert_whole(screen.lines())


def assert_whole(rows: list[str]) -> None:
    """Every row is empty, one whole line of the command, or one status line that fits: none holds both."""
    for row in rows:
        status = STATUS_ROW.fullmatch(row) and "epoch" not in row and len(row) <= COLS - 1
        assert row == "" or CHILD_ROW.fullmatch(row) or status, repr(row)


LONG = "step 123/4000 " + "━" * 20 + " 0:01:02 energy 1.23 kWh | ETA 3.4 h | forecast 12.3 kWh [11.1, 13.5], 0.7 kg"


def test_fit_cuts_a_line_to_one_less_than_the_width_and_keeps_it_one_line():
    assert fit("step 1 energy 0 kWh", COLS) == "step 1 energy 0 kWh"
    assert len(LONG) > COLS and fit(LONG, COLS) == LONG[: COLS - 2] + "…" and len(fit(LONG, COLS)) == COLS - 1
    assert fit("a\nb\rc\x1b[2J", 10) == "a b c [2J"  # no control character reaches the terminal
    assert fit("abc", 1) == "" and fit("abc", 0) == ""


def test_the_status_row_is_never_written_by_the_command_and_fits_80_columns():
    screen = VT100()
    screen.feed("$ flopcast track -- python train.py\r\n")
    screen.feed(reserve(ROWS) + draw("tracking", ROWS, COLS))
    lines = command_lines(60)  # more than a screen: the command's lines scroll
    for i, line in enumerate(lines):
        screen.feed(line[:5])  # a partial line when the status is drawn: the command goes on where it was
        if i % 3 == 0:
            screen.feed(draw(LONG, ROWS, COLS))
        screen.feed(line[5:] + "\r\n", check=whole_rows)
        rows = screen.lines()
        assert rows[-1] in ("tracking", fit(LONG, COLS)) and len(rows[-1]) <= COLS - 1
    rows = screen.lines()
    assert rows[-1] == fit(LONG, COLS)
    assert rows[: ROWS - 2] == lines[-(ROWS - 2) :] and rows[ROWS - 2] == ""  # every line whole, in order
    screen.feed(release(ROWS))
    assert screen.lines()[-1] == "" and (screen.top, screen.bottom) == (0, ROWS - 1)
    screen.feed("flopcast's table\r\n")
    assert screen.lines()[ROWS - 2] == "flopcast's table"


def test_pyte_agrees():
    pyte = pytest.importorskip("pyte")
    screen = pyte.Screen(COLS, ROWS)
    stream = pyte.Stream(screen)
    stream.feed("$ flopcast track\r\n" + reserve(ROWS) + draw("tracking", ROWS, COLS))
    for i, line in enumerate(command_lines(40)):
        stream.feed(line[:5] + (draw(LONG, ROWS, COLS) if i % 3 == 0 else "") + line[5:] + "\r\n")
        rows = [r.rstrip() for r in screen.display]
        assert rows[-1] in ("tracking", fit(LONG, COLS))
        assert_whole(rows)
    assert [r.rstrip() for r in screen.display][: ROWS - 2] == command_lines(40)[-(ROWS - 2) :]


def test_bottom_line_writes_nothing_to_a_dumb_terminal_or_a_pipe(tmp_path):
    read, write = os.pipe()
    try:
        line = BottomLine(write, env={"TERM": "xterm"})  # not a terminal
        line.show("step 1")
        line.close()
        dumb = BottomLine(write, env={"TERM": "dumb"})
        dumb.show("step 1")
        os.write(write, b"end")
        assert os.read(read, 100) == b"end" and not line.enabled and not dumb.enabled
    finally:
        os.close(read)
        os.close(write)


CHILD = """
import time, flopcast
with flopcast.track(total_steps=30) as run:
    for i in range(30):
        print(f"epoch log line {i}", flush=True)
        run.step()
        time.sleep(0.05)
"""


def _in_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once (nothing of pytest runs here)
        os.execvpe(argv[0], argv, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's last writer has exited
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0, out.decode("utf-8", "replace")[-2000:]
    return out.decode("utf-8", "replace")


def test_flopcast_track_in_a_terminal_keeps_its_status_off_the_commands_rows(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "FLOPCAST_LEDGER")}
    env.update(TERM="xterm", PYTHONUNBUFFERED="1")
    argv = [sys.executable, "-m", "flopcast", "track", "--ledger", str(tmp_path / "l.sqlite"), "--", sys.executable]
    out = _in_a_terminal([*argv, "-c", CHILD], env)
    drawn = re.findall(r"\x1b\[24;1H\x1b\[2K(.*?)\x1b8", out)
    assert drawn and all(len(text) <= COLS - 1 for text in drawn)  # the first draw comes before the command runs
    live, _, after = out.partition(release(ROWS))
    assert after, "the status row is given back before flopcast prints its table"
    screen = VT100()
    screen.feed(live, check=whole_rows)
    rows = screen.lines()
    assert rows[-1] in drawn
    assert rows[: ROWS - 2] == command_lines(30)[-(ROWS - 2) :]  # each of the command's lines whole on its own row
    pyte = sys.modules.get("pyte")
    if pyte is not None:
        check = pyte.Screen(COLS, ROWS)
        pyte.Stream(check).feed(live)
        assert [r.rstrip() for r in check.display][: ROWS - 2] == rows[: ROWS - 2]
