"""``flopcast trends --report FILE.html|FILE.md``: the trends analysis as one page with its plots.

The page is rendered from the very dictionary ``trends --json`` prints (fits, projections, the paper-era claim,
compute over time, assumptions), so every fit row of the JSON is a row of the page. Templates are the report's
Jinja2 environment (:func:`flopcast.report.document_render.environment`: HTML autoescaped, Markdown escaped
through ``finalize``). HTML embeds each plot as inline SVG (its element ids prefixed per plot, so plots sharing
one page never resolve each other's clip paths or glyphs) and fetches nothing (a Content-Security-Policy forbids
any source); Markdown links the plot files written by ``--plots``, relative to the page.
Complexity: O(fits + projections + plot bytes).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from flopcast import __version__
from flopcast.errors import InputError

PAGE_SUFFIXES = (".html", ".md")
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(href="#|url\(#)([^")]+)')
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)  # RDF/Dublin Core names, no content


def ci_text(pair: Any, digits: int = 3) -> str:
    """``[a, b]``; an unbounded side as ∞; a missing interval (fewer than 6 rows to bootstrap) as ``n/a``."""
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        return ""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in pair):
        return "n/a"
    lo, hi = pair
    left = "(-∞" if math.isinf(lo) else f"[{lo:.{digits}g}"
    right = "∞)" if math.isinf(hi) else f"{hi:.{digits}g}]"
    return f"{left}, {right}"


def inline_svg(text: str, prefix: str) -> str:
    """An SVG file's ``<svg>`` element, its ids (and the references to them) prefixed with ``prefix``."""
    start = text.find("<svg")
    if start < 0:
        raise InputError(f"plot {prefix} is not an SVG file; re-run with --plots to rewrite the plots")
    body = _METADATA.sub("", text[start:])
    body = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', body)
    return _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", body)


def _plots_for_page(svgs: Sequence[Path], page: Path, fmt: str) -> list[dict[str, str]]:
    out = []
    for i, p in enumerate(svgs):
        entry = {"name": p.stem, "path": os.path.relpath(p, page.parent if str(page.parent) else ".")}
        if fmt == "html":
            entry["svg"] = inline_svg(p.read_text(encoding="utf-8"), f"plot{i}")
        out.append(entry)
    return out


def render_trends_page(data: Mapping[str, Any], svgs: Sequence[Path], page: Path, *, note: str | None = None) -> str:
    """The page text for ``page`` (its suffix picks HTML or Markdown) from the ``trends --json`` dictionary."""
    from flopcast.report.document_render import environment

    fmt = page.suffix.lower().lstrip(".")
    if fmt not in ("html", "md"):
        raise InputError(
            f"--report {str(page)!r}: unknown format {page.suffix or '(none)'!r}; give a name ending in .html or .md"
        )
    env = environment(markdown=fmt == "md")
    env.filters["ci"] = ci_text
    return str(
        env.get_template(f"trends.{fmt}.j2").render(
            d=data, plots=_plots_for_page(svgs, page, fmt), version=__version__, note=note
        )
    )


def trends_data(
    report: Any, trend: Any = None, affs: Sequence[Any] | None = None, written: Sequence[Path] = ()
) -> dict[str, Any]:
    """The dictionary ``trends --json`` prints (unbounded interval ends kept as infinities, shown as ∞)."""
    out = dict(report.to_dict())
    if trend is not None:
        out["compute_trend"] = trend.to_dict()
    if affs is not None:
        out["affordability"] = [a.to_dict() for a in affs]
    out["plots"] = [str(p) for p in written]
    return out


def write_trends_page(
    page: Path, data: Mapping[str, Any], written: Sequence[Path], draw: Callable[[Path], Sequence[Path]] | None = None
) -> Path:
    """Write the page. ``written``: the plots ``--plots`` wrote (an HTML page inlines their SVGs); when none
    were written, ``draw(folder)`` draws them into a temporary folder for an HTML page (Markdown then says so)."""
    svgs = [p for p in written if p.suffix == ".svg"]
    note = None
    with tempfile.TemporaryDirectory(prefix="flopcast-trends-") as tmp:
        if not svgs and page.suffix.lower() == ".html" and draw is not None:
            svgs = [p for p in draw(Path(tmp)) if p.suffix == ".svg"]
        elif not svgs:
            note = "no plots linked: they were not written (give --plots FOLDER to write and link them)"
        text = render_trends_page(data, svgs, page, note=note)
    try:
        page.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {page}: {exc.strerror or exc}; give --report a writable path") from None
    return page
