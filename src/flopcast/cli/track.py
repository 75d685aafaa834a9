"""`flopcast track -- CMD ARGS` (measure a command) and `flopcast runs list|show|export` (the ledger)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

_LEDGER_HELP = "Run ledger (SQLite). Default: $FLOPCAST_LEDGER, else runs.sqlite in the user data dir."


def _fmt(v: float | None, unit: str = "", digits: int = 3) -> str:
    from flopcast.units import si

    return "n/a" if v is None else si(v, unit, digits)


def _band(b: dict[str, Any] | None, unit: str) -> str:
    if not b or b.get("central") is None:
        return "n/a"
    s = _fmt(b["central"], unit)
    if b.get("low") is not None:
        s += f" [{_fmt(b['low'], unit)}, {_fmt(b['high'], unit)}]"
    else:
        s += " (no interval: < 2 progress blocks)"
    return s


def _missing(rec: dict[str, Any], what: str) -> str:
    """Why a figure is n/a, naming the flag that would supply it."""
    needs = []
    if what in ("achieved", "mfu") and not rec.get("flop_per_step"):
        needs.append("--flop-per-step (or flopcast.track(flop_per_step=...) in the program)")
    if what in ("achieved", "mfu") and not rec.get("steps"):
        needs.append("steps (run.step() in the program)")
    if what in ("mfu", "price") and not rec.get("hardware"):
        needs.append("--hardware")
    if what == "price" and rec.get("hardware"):
        needs.append(f"a catalogue price for {rec['hardware']}")
    return "needs " + " and ".join(needs) if needs else "unavailable"


def _render_record(rec: dict[str, Any]) -> None:
    from flopcast.report.console import stdout, table
    from flopcast.units import human_bytes, human_seconds

    src = rec.get("energy_source", {})
    comps = rec.get("components", {})
    rows = [
        ("run", rec["run_id"], f"{rec['status']}, exit {rec['exit_code']}" + (
            "" if rec.get("ledger") or not rec.get("save_error") else "; NOT in the ledger (see below)")),
        ("wall time", human_seconds(rec["wall_seconds"]), "measured (monotonic clock)"),
        ("CPU time", human_seconds(rec["cpu_seconds"]), f"measured: {rec['cpu_seconds_source']}"),
        ("peak memory (RSS)", human_bytes(rec.get("peak_rss_bytes")), "measured (psutil)"),
        ("steps", f"{rec['steps']}" + (f" / {rec['total_steps']}" if rec.get("total_steps") else ""), ""),
        ("chip-hours", _fmt(rec["chip_hours"], "h"), f"{rec['chips']} × {rec['hardware']}" if rec["chips"]
         else "no accelerator given or detected (--hardware)"),
    ]
    for c in ("gpu", "cpu"):
        if c in comps:
            e = comps[c].get("energy_joules")
            value = "unavailable" if e is None else _fmt(e / 3600.0, "Wh")
            rows.append((f"{c.upper()} energy", value, f"{src.get(c, '?')}: {comps[c].get('note', '')}"))
    region = rec["region"] or "unknown region: world average (assumed)"
    rows += [
        ("energy (× PUE)", _fmt(rec["energy_kwh"], "kWh"), f"IT energy × PUE {rec['pue']:g} (assumed unless given)"),
        ("CO2e", _fmt(rec["co2e_kg"], "kg"), f"{rec['g_co2e_per_kwh']:g} g/kWh, {region}"),
        ("cost", "n/a" if rec["cost_usd"] is None else f"${rec['cost_usd']:.4g}",
         "chip-hours × assumed price" if rec["cost_usd"] is not None else _missing(rec, "price")),
        ("achieved", _fmt(rec["achieved_flop_per_s"], "FLOP/s"), "steps × flop_per_step / active time"
         if rec["achieved_flop_per_s"] is not None else _missing(rec, "achieved")),
        ("MFU", "n/a" if rec["mfu"] is None else f"{100 * rec['mfu']:.3g}%",
         f"vs {_fmt(rec['peak_flop_per_s_per_chip'], 'FLOP/s')} {rec['precision']} peak" if rec["mfu"] is not None
         else _missing(rec, "mfu")),
    ]
    fc = rec.get("forecast")
    if fc:
        conf = f"{fc['confidence']:.0%} interval"
        rows += [("forecast: total time", _band(fc["total_seconds"], "s"), conf),
                 ("forecast: energy", _band(fc["energy_kwh"], "kWh"), conf),
                 ("forecast: CO2e", _band(fc["co2e_kg"], "kg"), conf),
                 ("forecast: cost", _band(fc["cost_usd"], "USD"), conf)]
    what = " ".join(rec["command"] or []) or rec.get("name") or ""
    what = " ".join(what.split())
    t = table(f"flopcast track: {what[:70] + ('…' if len(what) > 70 else '')}",
              ["figure", "value", "basis / source"], rows, right_align_from=1)
    t.columns[2].justify = "left"
    stdout.print(t)
    for a in rec.get("assumptions", []):
        stdout.print(f"[dim]{a['basis']}: {a['name']} = {a['value']} {a['unit']} ({a['source']})[/dim]")
    for e in rec.get("errors", []):
        stdout.print(f"[yellow]tracker: {e}[/yellow]")
    if rec.get("ledger"):
        stdout.print(f"[dim]ledger: {rec['ledger']} (flopcast runs show {rec['run_id']})[/dim]")
    if rec.get("fallback_file"):
        stdout.print(f"[yellow]saved instead of the ledger: {rec['fallback_file']}[/yellow]")


class _Bar:
    """A rich progress bar on stderr: elapsed, ETA, energy so far and the forecast."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from flopcast.report.console import stderr

        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.fields[info]}"), console=stderr, transient=True)
        self.task = self.progress.add_task("tracking", total=None, info="")
        self.progress.start()

    def __call__(self, run: Any) -> None:
        from flopcast.units import human_seconds

        rec = run.record()
        info = f"energy {_fmt(rec.energy_kwh, 'kWh')}"
        total = rec.total_steps
        fc = rec.forecast
        if fc is not None:
            info += (f" | ETA {human_seconds(fc.remaining_seconds.central)}"
                     f" | forecast {_band(fc.energy_kwh.to_dict(), 'kWh')}, {_band(fc.co2e_kg.to_dict(), 'kg')} CO2e")
        self.progress.update(self.task, completed=rec.steps, total=total, info=info,
                             description=f"step {rec.steps}" + (f"/{total}" if total else ""))

    def stop(self) -> None:
        self.progress.stop()


def track_cmd(
    command: list[str] = typer.Argument(None, metavar="-- CMD ARGS...", help="The command to run, after '--'."),
    flop_per_step: float = typer.Option(None, "--flop-per-step", help="FLOP per (global) training step."),
    total_steps: int = typer.Option(None, "--total-steps", help="Steps in the whole run (for the forecast)."),
    epochs: float = typer.Option(None, "--epochs", help="Epochs in the run (with --steps-per-epoch)."),
    steps_per_epoch: int = typer.Option(None, "--steps-per-epoch", help="Steps per epoch (with --epochs)."),
    hardware: str = typer.Option(None, "--hardware", help="Accelerator (e.g. 'a100 80gb'); default: detected GPU."),
    chips: int = typer.Option(None, "--chips", help="Accelerators used (default: GPUs visible to the job)."),
    precision: str = typer.Option(None, "--precision", help="Peak used for MFU: fp32, tf32, bf16, fp16, fp8."),
    region: str = typer.Option(None, "--region", help="Grid: ISO3 country (FRA) or cloud region (us-central1)."),
    pue: float = typer.Option(None, "--pue", help="Power usage effectiveness (default: catalogue, assumed)."),
    pricing: str = typer.Option("on-demand", "--pricing", help="Price type for cost."),
    interval: float = typer.Option(1.0, "--interval", help="Sampling interval, seconds."),
    ledger: Path = typer.Option(None, "--ledger", help=_LEDGER_HELP),
    name: str = typer.Option(None, "--name", help="A label for the run in the ledger."),
    cpu_tdp: float = typer.Option(None, "--cpu-tdp", help="CPU package TDP, W, when RAPL is unreadable."),
    json_out: bool = typer.Option(False, "--json", help="Print the final record as one JSON object."),
) -> int:
    """Run a command and measure it: wall/CPU time, energy, chip-hours, CO2e, cost, MFU, forecast.

    The command runs without a shell; its exit code is passed through. A `flopcast.track()` inside
    it reports steps to this tracker. Example:

        flopcast track --flop-per-step 1.2e12 --total-steps 500 --region FRA -- python train.py --lr 3e-4
    """
    from flopcast.measure.command import run_command
    from flopcast.report.console import stderr

    bar = _Bar() if stderr.is_terminal and not json_out else None
    try:
        rec = run_command(command or [], on_tick=bar, flop_per_step=flop_per_step, total_steps=total_steps,
                          epochs=epochs, steps_per_epoch=steps_per_epoch,
                          hardware=hardware, chips=chips, precision=precision, region=region, pue=pue,
                          pricing=pricing, interval=interval, ledger=ledger, name=name, cpu_tdp_watts=cpu_tdp)
    finally:
        if bar is not None:
            bar.stop()
    from flopcast.report.jsonout import dumps

    if json_out:
        typer.echo(dumps(rec))
    else:
        _render_record(rec.to_dict())
    if rec.save_error:
        from flopcast.errors import LedgerError

        raise LedgerError(f"{rec.save_error} (the command itself exited {rec.exit_code})")
    return int(rec.exit_code or 0)


runs_app = typer.Typer(help="The run ledger: list, show and export tracked runs.", no_args_is_help=True)


def _open(ledger: Path | None) -> Any:
    from flopcast.measure.ledger import Ledger

    return Ledger(ledger, readonly=True)


def _live_status(row: dict[str, Any]) -> str:
    """'running' rows whose tracker process is gone on this host were killed: say so."""
    import socket

    import psutil

    if (row["status"] == "running" and row.get("host") == socket.gethostname() and row.get("pid")
            and not psutil.pid_exists(int(row["pid"]))):
        return "lost (tracker killed; samples kept)"
    return row["status"]


@runs_app.command("list")
def runs_list(ledger: Path = typer.Option(None, "--ledger", help=_LEDGER_HELP)) -> None:
    """List tracked runs, oldest first. Example: flopcast runs list --ledger runs.sqlite"""
    import json

    from flopcast.report.console import stdout, table
    from flopcast.units import human_seconds

    with _open(ledger) as led:
        rows = led.runs()
    out = []
    for r in rows:
        what = r["name"] or (" ".join(json.loads(r["command"])) if r["command"] else "(python)")
        what = " ".join(what.split())
        out.append((r["run_id"], _live_status(r), what[:30] + ("…" if len(what) > 30 else ""),
                    human_seconds(r["wall_seconds"]), r["steps"],
                    "n/a" if r["energy_kwh"] is None else f"{r['energy_kwh']:.2g}"))
    t = table(f"{len(rows)} runs in {led.path} (CO2e, cost: flopcast runs show RUN)",
              ["run", "status", "command / name", "wall", "steps", "kWh"], out, right_align_from=3)
    import rich.box

    t.box = rich.box.SIMPLE_HEAD
    for i, c in enumerate(t.columns):
        c.no_wrap = i != 2
    t.columns[2].min_width = 12
    stdout.print(t)


@runs_app.command("show")
def runs_show(run_id: str = typer.Argument(..., help="Run id (or a unique prefix), or a distributed job id."),
              ledger: Path = typer.Option(None, "--ledger", help=_LEDGER_HELP),
              json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show one run's record (or a distributed job's aggregate). Example: flopcast runs show 261122-0203"""
    from flopcast.measure.distributed import aggregate_job
    from flopcast.measure.ledger import decode
    from flopcast.report.console import stdout
    from flopcast.report.jsonout import dumps

    with _open(ledger) as led:
        job = led.job(run_id)
        if job:
            agg = aggregate_job([decode(r)["record"] or {} for r in job])
            typer.echo(dumps(agg)) if json_out else stdout.print_json(dumps(agg))
            return
        row = decode(led.run(run_id))
        events = led.events(row["run_id"])
        n = len(led.samples(row["run_id"]))
    rec = row.get("record") or {}
    rec["status"] = _live_status(row)
    if json_out:
        typer.echo(dumps({"record": rec, "samples_in_ledger": n, "events": events}))
        return
    if rec.get("run_id"):
        _render_record(rec)
    stdout.print(f"{n} samples in the ledger; last update {row['updated_at']}")
    for e in events:
        stdout.print(f"[yellow]{e['kind']}: {e['message']}[/yellow]")


@runs_app.command("export")
def runs_export(fmt: str = typer.Option("csv", "--format", help="csv or json."),
                samples: bool = typer.Option(False, "--samples", help="Export the samples table instead of runs."),
                output: Path = typer.Option(None, "--output", "-o", help="File to write (default: stdout)."),
                ledger: Path = typer.Option(None, "--ledger", help=_LEDGER_HELP)) -> None:
    """Export runs (or samples) as CSV or JSON. Example: flopcast runs export --format json -o runs.json"""
    import csv
    import io

    from flopcast.errors import InputError
    from flopcast.measure.ledger import decode
    from flopcast.report.jsonout import dumps

    if fmt not in ("csv", "json"):
        raise InputError(f"unknown export format {fmt!r}; use csv or json")
    with _open(ledger) as led:
        rows = led.samples() if samples else led.runs()
    if fmt == "json":
        text = dumps([decode(r) for r in rows]) + "\n"
    else:
        buf = io.StringIO()
        if rows:
            w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        text = buf.getvalue()
    if output is None:
        typer.echo(text, nl=False)
    else:
        try:
            output.write_text(text)
        except OSError as exc:
            raise InputError(f"cannot write {output}: {exc.strerror}") from None


def register(app: typer.Typer) -> None:
    app.command("track", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})(track_cmd)
    app.add_typer(runs_app, name="runs")
