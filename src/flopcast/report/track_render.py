"""Renderers of tracked runs (``flopcast track``, ``flopcast runs list|show|export``): typed results in, text out."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flopcast.measure.forecast import Band
from flopcast.measure.record import ENERGY_COMPONENTS, RunRecord
from flopcast.measure.runs import LOST, LedgerRun
from flopcast.report.console import assumption_line, stdout, table
from flopcast.units import SECONDS_PER_HOUR, human_bytes, human_seconds, si

STATUS_LABELS = {LOST: "lost (tracker killed; samples kept)"}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def fmt(v: float | None, unit: str = "", digits: int = 3) -> str:
    return "n/a" if v is None else si(v, unit, digits)


def band(b: Band | None, unit: str) -> str:
    if b is None or b.central is None:
        return "n/a"
    s = fmt(b.central, unit)
    if b.low is not None:
        return s + f" [{fmt(b.low, unit)}, {fmt(b.high, unit)}]"
    return s + " (no interval: < 2 progress blocks)"


def missing(rec: RunRecord, what: str) -> str:
    """Why a figure is n/a, naming the flag that would supply it."""
    needs = []
    if what in ("achieved", "mfu") and not rec.flop_per_step:
        needs.append("--flop-per-step (or flopcast.track(flop_per_step=...) in the program)")
    if what in ("achieved", "mfu") and not rec.steps:
        needs.append("steps (run.step() in the program)")
    if what in ("mfu", "price") and not rec.hardware:
        needs.append("--hardware")
    if what == "price" and rec.hardware:
        needs.append(f"a catalogue price for {rec.hardware}")
    return "needs " + " and ".join(needs) if needs else "unavailable"


def _time_rows(rec: RunRecord) -> list[tuple[str, str, str]]:
    saved = "" if rec.ledger or not rec.save_error else "; NOT in the ledger (see below)"
    steps = f"{rec.steps}" + (f" / {rec.total_steps}" if rec.total_steps else "")
    return [
        ("run", rec.run_id, f"{status_label(rec.status)}, exit {rec.exit_code}{saved}"),
        ("wall time", human_seconds(rec.wall_seconds), "measured (monotonic clock)"),
        ("CPU time", human_seconds(rec.cpu_seconds), f"measured: {rec.cpu_seconds_source}"),
        ("peak memory (RSS)", human_bytes(rec.peak_rss_bytes), "measured (psutil)"),
        ("steps", steps, ""),
        (
            "chip-hours",
            fmt(rec.chip_hours, "h"),
            f"{rec.chips} × {rec.hardware}" if rec.chips else "no accelerator given or detected (--hardware)",
        ),
    ]


def _energy_rows(rec: RunRecord) -> list[tuple[str, str, str]]:
    rows = []
    for c in ENERGY_COMPONENTS:  # every component summed into the IT energy has its row
        if c in rec.components:
            e = rec.components[c].get("energy_joules")
            value = "unavailable" if e is None else fmt(e / SECONDS_PER_HOUR, "Wh")  # J / 3600 = Wh
            rows.append(
                (f"{c.upper()} energy", value, f"{rec.energy_source.get(c, '?')}: {rec.components[c].get('note', '')}")
            )
    region = rec.region or "unknown region: world average (assumed)"
    rows += [
        ("energy (× PUE)", fmt(rec.energy_kwh, "kWh"), f"IT energy × PUE {rec.pue:g} (assumed unless given)"),
        ("CO2e", fmt(rec.co2e_kg, "kg"), f"{rec.g_co2e_per_kwh:g} g/kWh, {region}"),
        (
            "cost",
            "n/a" if rec.cost_usd is None else f"${rec.cost_usd:.4g}",
            "chip-hours × assumed price" if rec.cost_usd is not None else missing(rec, "price"),
        ),
    ]
    return rows


def _rate_rows(rec: RunRecord) -> list[tuple[str, str, str]]:
    rows = [
        (
            "achieved",
            fmt(rec.achieved_flop_per_s, "FLOP/s"),
            "steps × flop_per_step / active time" if rec.achieved_flop_per_s is not None else missing(rec, "achieved"),
        ),
        (
            "MFU",
            "n/a" if rec.mfu is None else f"{100 * rec.mfu:.3g}%",
            f"vs {fmt(rec.peak_flop_per_s_per_chip, 'FLOP/s')} {rec.precision} peak"
            if rec.mfu is not None
            else missing(rec, "mfu"),
        ),
    ]
    fc = rec.forecast
    if fc:
        conf = f"{fc.confidence:.0%} interval"
        rows += [
            ("forecast: total time", band(fc.total_seconds, "s"), conf),
            ("forecast: energy", band(fc.energy_kwh, "kWh"), conf),
            ("forecast: CO2e", band(fc.co2e_kg, "kg"), conf),
            ("forecast: cost", band(fc.cost_usd, "USD"), conf),
        ]
    return rows


def render_record(rec: RunRecord) -> None:
    """The ``flopcast track`` table: every figure with its basis, then assumptions, errors, where it is kept."""
    what = " ".join(rec.command or ()) or rec.name or ""
    what = " ".join(what.split())
    rows = [*_time_rows(rec), *_energy_rows(rec), *_rate_rows(rec)]
    t = table(
        f"flopcast track: {what[:70] + ('…' if len(what) > 70 else '')}",
        ["figure", "value", "basis / source"],
        rows,
        right_align_from=1,
    )
    t.columns[2].justify = "left"
    stdout.print(t)
    for a in rec.assumptions:
        stdout.print(assumption_line(a))
    for e in rec.errors:
        stdout.print(f"[yellow]tracker: {e}[/yellow]")
    if rec.ledger:
        stdout.print(f"[dim]ledger: {rec.ledger} (flopcast runs show {rec.run_id})[/dim]")
    if rec.fallback_file:
        stdout.print(f"[yellow]saved instead of the ledger: {rec.fallback_file}[/yellow]")


def render_run_list(ledger: Path, runs: Sequence[LedgerRun]) -> None:
    """``flopcast runs list``: one line per run, oldest first."""
    import rich.box

    out = [
        (
            r.run_id,
            status_label(r.status),
            r.label[:30] + ("…" if len(r.label) > 30 else ""),
            human_seconds(r.wall_seconds),
            r.steps,
            "n/a" if r.energy_kwh is None else f"{r.energy_kwh:.2g}",
        )
        for r in runs
    ]
    t = table(
        f"{len(runs)} runs in {ledger} (CO2e, cost: flopcast runs show RUN)",
        ["run", "status", "command / name", "wall", "steps", "kWh"],
        out,
        right_align_from=3,
    )
    t.box = rich.box.SIMPLE_HEAD
    for i, c in enumerate(t.columns):
        c.no_wrap = i != 2
    t.columns[2].min_width = 12
    stdout.print(t)


def render_ledger_run(run: LedgerRun) -> None:
    """``flopcast runs show RUN``: the record's table, then what the ledger holds of it."""
    if run.record is not None:
        render_record(run.record)
    stdout.print(f"{run.samples_in_ledger} samples in the ledger; last update {run.updated_at}")
    for e in run.events:
        stdout.print(f"[yellow]{e['kind']}: {e['message']}[/yellow]")


def csv_text(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as CSV (header from the first row); empty text for no rows."""
    buf = io.StringIO()
    if rows:
        w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return buf.getvalue()


BAR_CELLS = 20  # width of the status line's step bar


@dataclass(frozen=True)
class Status:
    """What the live status line shows: steps done of the total, and the figures so far."""

    completed: int
    total: int | None
    elapsed_seconds: float
    info: str

    @property
    def text(self) -> str:
        steps = f"step {self.completed}" + (f"/{self.total}" if self.total else "")
        s = int(self.elapsed_seconds)
        elapsed = f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
        filled = min(BAR_CELLS, BAR_CELLS * self.completed // self.total) if self.total else 0
        bar = f" {'━' * filled}{'─' * (BAR_CELLS - filled)}" if self.total else ""
        return f"{steps}{bar} {elapsed} {self.info}"


def run_status(rec: RunRecord) -> Status:
    """The status line of a running record: energy so far, and with a forecast the ETA and forecast totals."""
    info = f"energy {fmt(rec.energy_kwh, 'kWh')}"
    fc = rec.forecast
    if fc is not None:
        info += (
            f" | ETA {human_seconds(fc.remaining_seconds.central)}"
            f" | forecast {band(fc.energy_kwh, 'kWh')}, {band(fc.co2e_kg, 'kg')} CO2e"
        )
    return Status(rec.steps, rec.total_steps, rec.wall_seconds, info)


class ProgressBar:
    """The live status line on stderr while ``flopcast track -- CMD`` runs: steps, elapsed, ETA, energy so far and
    the forecast, on the terminal's bottom row, which the command's own output never shares
    (:class:`flopcast.measure.statusline.BottomLine`)."""

    def __init__(self) -> None:
        from flopcast.measure.statusline import BottomLine

        self.line = BottomLine(2)
        self.status = Status(0, None, 0.0, "")
        self.line.show("tracking")

    def __call__(self, run: Any) -> None:
        self.status = run_status(run.record())
        self.line.show(self.status.text)

    def stop(self) -> None:
        self.line.close()
