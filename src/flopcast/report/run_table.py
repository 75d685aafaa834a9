"""``flopcast runs export --format csv|parquet``: one flat, analysis-ready row per run, one column per figure.

Each value is the record's own figure (``runs show --json``), never recomputed: ``energy_kwh`` is the record's
facility energy, a component's ``*_energy_kwh`` its ``energy_joules`` / 3.6e6 with the component's basis
(measured / estimated / assumed / unavailable) beside it. An unknown figure is an empty cell (CSV) or a null
(Parquet), never 0. A run whose record is not written yet (no sample committed) fills the columns the ledger row
holds. Complexity: O(runs x columns).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flopcast.errors import InputError
from flopcast.measure.record import ENERGY_COMPONENTS as COMPONENTS
from flopcast.measure.runs import LedgerRun, export_rows, list_runs
from flopcast.provenance import Basis
from flopcast.units import JOULES_PER_KWH

# (column, record field) in order; the run columns first, then resources, energy, money and rates.
_RECORD_COLUMNS = (
    ("exit_code", "exit_code"),
    ("started_at", "started_at"),
    ("ended_at", "ended_at"),
    ("wall_seconds", "wall_seconds"),
    ("active_seconds", "active_seconds"),
    ("steps", "steps"),
    ("hardware", "hardware"),
    ("chips", "chips"),
    ("precision", "precision"),
    ("region", "region"),
    ("pue", "pue"),
    ("g_co2e_per_kwh", "g_co2e_per_kwh"),
    ("chip_hours", "chip_hours"),
    ("it_energy_kwh", "it_energy_kwh"),
    ("energy_kwh", "energy_kwh"),
)
_TAIL_COLUMNS = (
    ("co2e_kg", "co2e_kg"),
    ("cost_usd", "cost_usd"),
    ("achieved_flop_per_s", "achieved_flop_per_s"),
    ("mfu", "mfu"),
    ("peak_flop_per_s_per_chip", "peak_flop_per_s_per_chip"),
    ("flop_per_step", "flop_per_step"),
    ("final_loss", "final_loss"),
    ("final_eval_loss", "final_eval_loss"),
    ("tokens_seen", "tokens_seen"),
    ("model_params", "model_params"),
    ("model_params_non_embedding", "model_params_non_embedding"),  # Kaplan et al. 2020's N (measure.params)
    ("epochs", "epochs"),
    ("dataset_examples", "dataset_examples"),
    ("cpu_model", "cpu_model"),  # the machine, read once at run start (measure.host)
    ("ram_total_bytes", "ram_total_bytes"),
    ("os", "os"),
    ("python_version", "python_version"),
)
COLUMNS = (
    "run_id",
    "job_id",
    "name",
    "status",
    *(c for c, _ in _RECORD_COLUMNS),
    *(f"{c}_{k}" for c in COMPONENTS for k in ("energy_kwh", "energy_basis")),
    *(c for c, _ in _TAIL_COLUMNS),
)


def _component(run: LedgerRun, name: str) -> tuple[float | None, str | None]:
    """(energy in kWh, basis) of one component; (``None``, ``None``) when the record has no such component."""
    rec = run.record
    comp = rec.components.get(name) if rec is not None else None
    if rec is None or comp is None:
        return None, None
    basis = rec.energy_source.get(name) or comp.get("basis")
    joules = comp.get("energy_joules")
    kwh = (
        float(joules) / JOULES_PER_KWH
        if isinstance(joules, (int, float)) and math.isfinite(joules) and basis != Basis.UNAVAILABLE.value
        else None
    )
    return kwh, (str(basis) if basis is not None else None)


def flat_row(run: LedgerRun) -> dict[str, Any]:
    """One run as flat columns (:data:`COLUMNS`); ``None`` where the figure is unknown."""
    row: dict[str, Any] = {"run_id": run.run_id, "job_id": run.job_id, "name": run.name, "status": run.status}
    rec = run.record
    for col, field in (*_RECORD_COLUMNS, *_TAIL_COLUMNS):
        row[col] = getattr(rec, field) if rec is not None else None
    if rec is None:  # the ledger row's own bookkeeping until the first sample is committed
        row.update(
            started_at=run.started_at,
            ended_at=run.ended_at,
            wall_seconds=run.wall_seconds,
            steps=run.steps,
            energy_kwh=run.energy_kwh,
        )
    for c in COMPONENTS:
        row[f"{c}_energy_kwh"], row[f"{c}_energy_basis"] = _component(run, c)
    for k, v in row.items():
        if isinstance(v, float) and not math.isfinite(v):
            row[k] = None
    return {c: row[c] for c in COLUMNS}


def flat_rows(runs: Sequence[LedgerRun]) -> list[dict[str, Any]]:
    return [flat_row(r) for r in runs]


def csv_table(rows: Sequence[dict[str, Any]]) -> str:
    """The flat rows as CSV: the header always (also for no runs), an empty cell for an unknown figure, floats
    as ``repr`` (they read back exactly)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow(["" if r[c] is None else repr(r[c]) if isinstance(r[c], float) else r[c] for c in COLUMNS])
    return buf.getvalue()


EXPORT_FORMATS = ("csv", "json", "parquet")


def export_table(led: Any, fmt: str, *, samples: bool) -> list[dict[str, Any]]:
    """The rows ``runs export --format fmt`` writes: the samples (decoded for JSON), the runs' records (JSON), or
    one flat row per run (CSV, Parquet: :func:`flat_rows`)."""
    if samples:
        return export_rows(led, samples=True, as_json=fmt == "json")
    if fmt == "json":
        return export_rows(led, samples=False, as_json=True)
    return flat_rows(list_runs(led))


def export_text(rows: Sequence[dict[str, Any]], fmt: str, *, samples: bool) -> str:
    """:func:`export_table`'s rows as the text ``runs export`` prints: JSON, or CSV (samples: their raw columns)."""
    from flopcast.report.jsonout import dumps
    from flopcast.report.track_render import csv_text

    if fmt == "json":
        return dumps(rows) + "\n"
    return csv_text(rows) if samples else csv_table(rows)


def require_pyarrow() -> None:
    """One-line :class:`InputError` when pyarrow is not importable (checked before any work)."""
    import importlib

    try:
        importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise InputError("--format parquet needs pyarrow: pip install pyarrow (or use --format csv)") from None


def write_parquet(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """The flat rows as one Parquet file (typed columns, nulls for unknown figures). Needs pyarrow."""
    require_pyarrow()
    import pyarrow as pa  # type: ignore[import-not-found, unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-not-found, unused-ignore]

    strings = {
        "run_id",
        "job_id",
        "name",
        "status",
        "started_at",
        "ended_at",
        "hardware",
        "precision",
        "region",
        "cpu_model",
        "os",
        "python_version",
        *(f"{c}_energy_basis" for c in COMPONENTS),
    }
    ints = {
        "exit_code",
        "steps",
        "chips",
        "tokens_seen",
        "model_params",
        "model_params_non_embedding",
        "dataset_examples",
        "ram_total_bytes",
    }
    schema = pa.schema(
        [(c, pa.string() if c in strings else pa.int64() if c in ints else pa.float64()) for c in COLUMNS]
    )
    table = pa.Table.from_pylist([dict(r) for r in rows], schema=schema)
    try:
        pq.write_table(table, str(path))
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc}") from None
