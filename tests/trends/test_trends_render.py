"""Open intervals read as open intervals: an unbounded side is ∞, never the word 'inf' printed as a number."""

from __future__ import annotations

import math
import re

from flopcast.cli import main
from flopcast.report.trends_render import _ci, _fmt


def test_open_interval_is_written_with_infinity_and_a_round_bracket():
    assert _ci((30.0, math.inf), 2) == "[30, ∞)"
    assert _ci((-math.inf, -0.5), 2) == "(-∞, -0.5]"
    assert _ci((0.5, 2.0), 2) == "[0.5, 2]"
    assert _fmt(math.inf) == "unbounded"


def test_bundled_trends_table_prints_no_inf(capsys):
    """Fuzz finding (issue 11): the WMT'14 exponent interval printed '[30, inf]'."""
    assert main(["trends", "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"(?<![\w.])-?(inf|nan)(?![\w])", out, re.I) is None
    assert "∞)" in out
