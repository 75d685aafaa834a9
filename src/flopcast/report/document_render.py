"""Render a :class:`~flopcast.report.document_model.Report`: Markdown, one self-contained HTML page, JSON, a model card.

Templates are Jinja2 (``report/templates/*.j2``). HTML autoescapes every value (a run named
``<script>alert(1)</script>`` is shown as text); Markdown escapes every value through ``finalize`` (``|``, ``<``,
``>``, backticks, ``*``, newlines), so no user string can open a tag or break a table. The HTML page fetches
nothing: its CSS is inline, its plot is inline SVG (matplotlib's SVG backend, text as paths), and a
Content-Security-Policy forbids any other source.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

from flopcast import __version__
from flopcast.errors import InputError
from flopcast.report.document_model import PowerSample, Report
from flopcast.report.jsonout import dumps
from flopcast.units import BYTES_PER_GIB, SECONDS_PER_HOUR

FORMATS = ("md", "html", "json", "model-card")
TRAINING_TYPES = ("pre-training", "fine-tuning")
_MD_SPECIAL = re.compile(r"([\\`*|<>\[\]])")


def show(value: Any, unit: str = "") -> str:
    """A figure for people: 4 significant digits and its unit; ``None`` → ``n/a``; MFU as a percentage, bytes
    in GiB (the JSON keeps the bytes)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if not math.isfinite(value):
        return "n/a"
    if unit == "fraction of peak":
        return f"{100 * value:.3g}%"
    if unit == "USD":
        return f"${value:.4g}"
    if unit == "s":
        return f"{value:.4g} s" + (f" ({value / SECONDS_PER_HOUR:.3g} h)" if value >= SECONDS_PER_HOUR else "")
    if unit == "bytes":
        return f"{value / BYTES_PER_GIB:.4g} GiB"
    text = f"{value:.4g}"
    return f"{text} {unit}".strip()


def ratio_text(r: float | None) -> str:
    if r is None:
        return "n/a"
    return f"{r:.3g}× " + ("(overestimated)" if r > 1 else "(underestimated)" if r < 1 else "(exact)")


def share_text(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.3g}%"


def _md_escape(value: Any) -> str:
    text = "" if value is None else str(value)
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", text))


def environment(markdown: bool) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("flopcast.report", "templates"),
        autoescape=not markdown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_md_escape if markdown else None,
    )
    env.filters.update(show=show, ratio=ratio_text, share=share_text)
    return env


def power_svg(samples: tuple[PowerSample, ...]) -> str | None:
    """Per-sample power (W, each component) and cumulative IT energy (Wh) as an inline ``<svg>``; ``None`` when
    the run has fewer than two samples or no power figure."""
    pts = [s for s in samples if s.gpu_watts is not None or s.cpu_watts is not None or s.energy_joules is not None]
    if len(pts) < 2:
        return None
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(7.0, 3.4))
    FigureCanvasSVG(fig)
    ax_p, ax_e = fig.subplots(1, 2)
    t = [s.t_seconds for s in pts]
    for name, values in (("GPU", [s.gpu_watts for s in pts]), ("CPU", [s.cpu_watts for s in pts])):
        if any(v is not None for v in values):
            ax_p.plot(t, [math.nan if v is None else v for v in values], marker=".", label=name)
    ax_p.set(xlabel="time since start (s)", ylabel="power (W)", title="power per sample")
    ax_p.legend(loc="best")
    wh = [math.nan if s.energy_joules is None else s.energy_joules / SECONDS_PER_HOUR for s in pts]  # J/3600 = Wh
    ax_e.plot(t, wh, color="tab:green")
    ax_e.set(xlabel="time since start (s)", ylabel="sampled energy so far (Wh)", title="cumulative energy")
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


def plotted_components(samples: tuple[PowerSample, ...]) -> tuple[list[str], list[str]]:
    """(components with a per-sample power reading, components without one)."""
    seen = {"GPU": any(s.gpu_watts is not None for s in samples), "CPU": any(s.cpu_watts is not None for s in samples)}
    return [c for c, v in seen.items() if v], [c for c, v in seen.items() if not v]


def _yaml_scalar(v: Any) -> str:
    """A YAML scalar: numbers as written, strings double-quoted (JSON quoting is valid YAML)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if float(v).is_integer() and abs(v) < 1e15:
            return str(int(v))
        mantissa, _, exponent = repr(float(v)).partition("e")
        if "." not in mantissa:
            mantissa += ".0"  # YAML 1.1 (PyYAML) reads 1e-05 as a string, 1.0e-05 as a float
        return mantissa + (f"e{exponent}" if exponent else "")
    return yaml_string(str(v))


def yaml_string(text: str) -> str:
    """A double-quoted YAML scalar: printable characters as they are, anything else (line breaks, controls,
    U+2028, a BOM, surrogates) as a \\u / \\U escape, so every YAML reader gets ``text`` back. O(len(text))."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            o = ord(ch)
            out.append(f"\\u{o:04x}" if o <= 0xFFFF else f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def co2_block(report: Report, training_type: str | None) -> dict[str, Any]:
    """The Hugging Face ``co2_eq_emissions`` mapping (keys with no known value are left out)."""
    c = report.card
    block: dict[str, Any] = {}
    if c.emissions_g is not None:
        block["emissions"] = c.emissions_g
    block["source"] = c.source
    if training_type is not None:
        block["training_type"] = training_type
    if c.geographical_location:
        block["geographical_location"] = c.geographical_location
    if c.hardware_used:
        block["hardware_used"] = c.hardware_used
    return block


def front_matter(report: Report, training_type: str | None) -> str:
    lines = ["---", "co2_eq_emissions:"]
    lines += [f"  {k}: {_yaml_scalar(v)}" for k, v in co2_block(report, training_type).items()]
    return "\n".join([*lines, "---", ""])


def check_options(fmt: str, training_type: str | None = None) -> None:
    """Refuse an unknown format or training type in one line (:class:`InputError`); the one owner of both lists.

    :func:`render` calls it; ``flopcast report`` calls it before reading anything, so a typo fails first.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown --format {fmt!r}; use one of {', '.join(FORMATS)}")
    if training_type is not None and training_type not in TRAINING_TYPES:
        raise InputError(f"unknown --training-type {training_type!r}; use {' or '.join(TRAINING_TYPES)}")


def render(report: Report, fmt: str, *, training_type: str | None = None) -> str:
    """The report as text in ``fmt`` (md, html, json, model-card)."""
    check_options(fmt, training_type)
    if fmt == "json":
        return dumps(report) + "\n"
    ctx = {"r": report, "version": __version__, "training_type": training_type}
    if fmt == "html":
        ctx["svg"] = power_svg(report.samples)
        ctx["plotted"], ctx["unplotted"] = plotted_components(report.samples)
        return str(environment(False).get_template("report.html.j2").render(**ctx))
    body = environment(True).get_template("report.md.j2").render(**ctx, card=fmt == "model-card")
    return front_matter(report, training_type) + "\n" + body if fmt == "model-card" else body
