"""Calibrate an estimate from tracked runs: their measured MFU and board power per chip, on the same chip.

``flopcast estimate ... --calibrate RUN_OR_PATTERN`` reads the ledger's runs selected by a run id, a run
name or glob (``'sweep-*'``), a job id, or a run-id prefix; keeps the completed runs on the estimate's
accelerator that have an MFU and measured GPU energy; and returns a :class:`Calibration`:

- utilization: the runs' MFU (achieved FLOP/s / (chips x dense peak at the run's precision));
- watts per chip: measured GPU energy / (chips x active seconds), the board power per chip over the span the
  FLOP were measured over, so an estimate at the runs' MFU reproduces their measured GPU energy;

each as the **median** of the runs (central) and their **minimum and maximum** (low, high). One run gives a
single value (no range). One ledger query, O(runs) to select, O(n log n) for the medians.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Protocol, TypeVar

from flopcast._names import nearest
from flopcast.errors import InputError, UnknownNameError
from flopcast.estimate.measured import MeasuredRates
from flopcast.hardware import get_accelerator, normalize_precision
from flopcast.measure.ledger import Ledger
from flopcast.measure.record import RunRecord
from flopcast.measure.runs import run_heads

CALIBRATION_SCHEMA = "flopcast.calibration/1"
_LISTED = 5  # run ids named in the source text before "and N more"


class _Named(Protocol):
    """What selecting runs reads (a :class:`~flopcast.measure.runs.LedgerRun` or ``RunHead``)."""

    @property
    def run_id(self) -> str: ...

    @property
    def name(self) -> str | None: ...

    @property
    def job_id(self) -> str | None: ...


R = TypeVar("R", bound=_Named)


@dataclass(frozen=True)
class Calibration:
    """Utilization and board power per chip measured on tracked runs (central: median; low/high: min/max).

    Attributes
    ----------
    target : what selected the runs (run id, name or glob, job id, id prefix).
    ledger : the ledger read.
    hardware, precision : the accelerator the runs ran on, and the precision their MFU is relative to.
    run_ids : the runs used, oldest first; ``n_runs`` of them.
    utilization_low, utilization_central, utilization_high : MFU, fraction of dense peak.
    watts_per_chip_low, watts_per_chip_central, watts_per_chip_high : measured GPU energy /
        (chips x active seconds), W.
    skipped : matched runs on this accelerator left out, each ``"RUN_ID (why)"``.
    source : one line naming the runs and how the figures were taken (what the estimate prints).
    """

    target: str
    ledger: str
    hardware: str
    precision: str
    run_ids: tuple[str, ...]
    utilization_low: float
    utilization_central: float
    utilization_high: float
    watts_per_chip_low: float
    watts_per_chip_central: float
    watts_per_chip_high: float
    skipped: tuple[str, ...]
    source: str

    @property
    def n_runs(self) -> int:
        return len(self.run_ids)

    def rates(self) -> MeasuredRates:
        """What :func:`flopcast.estimate.estimate` takes as ``measured=``."""
        return MeasuredRates(
            self.hardware,
            self.precision,
            (self.utilization_low, self.utilization_central, self.utilization_high),
            (self.watts_per_chip_low, self.watts_per_chip_central, self.watts_per_chip_high),
            self.source,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": CALIBRATION_SCHEMA,
            "target": self.target,
            "ledger": self.ledger,
            "hardware": self.hardware,
            "precision": self.precision,
            "n_runs": self.n_runs,
            "run_ids": list(self.run_ids),
            "utilization_low": self.utilization_low,
            "utilization_central": self.utilization_central,
            "utilization_high": self.utilization_high,
            "watts_per_chip_low": self.watts_per_chip_low,
            "watts_per_chip_central": self.watts_per_chip_central,
            "watts_per_chip_high": self.watts_per_chip_high,
            "skipped": list(self.skipped),
            "source": self.source,
            "statistic": "central: median of the runs; low/high: their min/max",
        }


def select_runs(runs: Sequence[R], target: str) -> list[R]:
    """The runs ``target`` names: an exact run id, else a run name or glob, else a job id, else a run-id prefix
    (every run it starts). Raises :class:`UnknownNameError` with the nearest ids and names when none matches."""
    exact = [r for r in runs if r.run_id == target]
    if exact:
        return exact
    for chosen in (
        [r for r in runs if r.name is not None and (r.name == target or fnmatchcase(r.name, target))],
        [r for r in runs if r.job_id == target],
        [r for r in runs if target and r.run_id.startswith(target)],
    ):
        if chosen:
            return chosen
    names = [*(r.run_id for r in runs), *(r.name for r in runs if r.name)]
    raise UnknownNameError(
        "run id, name or pattern", target, nearest(target, names), hint="'flopcast runs list' lists the ledger's runs"
    )


def run_rates(record: RunRecord) -> tuple[float, float] | str:
    """(MFU, watts per chip) of a completed record, or why it cannot calibrate (one phrase)."""
    if record.status != "completed":
        return f"status {record.status}"
    if record.mfu is None:
        return "no MFU (track it with flop_per_step= and hardware=)"
    if not 0 < record.mfu <= 1:
        return f"MFU {record.mfu:.3g} is not in (0, 1]: its FLOP per step or hardware is wrong"
    gpu = record.components.get("gpu") or {}
    joules = gpu.get("energy_joules")
    if record.energy_source.get("gpu") != "measured" or joules is None or joules <= 0:
        return "no measured GPU energy (NVML)"
    if not record.chips or record.active_seconds <= 0:
        return "no chips or active time recorded"
    return record.mfu, float(joules) / (record.chips * record.active_seconds)


def calibrate(ledger: str | Path | None, target: str, hardware: str, precision: str | None = None) -> Calibration:
    """Measured utilization and watts per chip of the runs ``target`` selects, on ``hardware``.

    Parameters
    ----------
    ledger : the run ledger (``None``: ``$FLOPCAST_LEDGER`` or the default).
    target : run id, run name or glob, job id, or run-id prefix (see :func:`select_runs`).
    hardware : the estimate's accelerator; only runs on it are used.
    precision : keep runs at this precision (``None``/``"auto"``: all, which must then share one).

    Raises
    ------
    UnknownNameError
        No run matches ``target``.
    InputError
        No matched run is on ``hardware``; none of those is completed with an MFU and measured GPU energy; or
        they were measured at several precisions and none was chosen.
    LedgerError
        The ledger cannot be read.
    """
    acc = get_accelerator(hardware)
    want = None if precision is None or precision == "auto" else normalize_precision(precision, acc)
    with Ledger(ledger, readonly=True) as led:
        path = str(led.path)
        matched = select_runs(run_heads(led), target)  # one query: no samples or events needed
    records = [r.record for r in matched if r.record is not None]
    on_chip = [rec for rec in records if rec.hardware == acc.name]
    if not on_chip:
        seen = Counter(rec.hardware or "no hardware" for rec in records)
        found = ", ".join(f"{n} on {hw}" for hw, n in seen.items()) or "none with a record"
        raise InputError(
            f"runs matched {target!r}: {found}, but the estimate is for {acc.name}; calibrate from runs on {acc.name}"
        )
    used, skipped = _usable(on_chip, want)
    if not used:
        raise InputError(
            f"none of the {len(on_chip)} run(s) matching {target!r} on {acc.name} can calibrate: "
            + "; ".join(skipped[:_LISTED])
        )
    precisions = sorted({str(rec.precision) for rec, _ in used})
    if len(precisions) > 1:
        raise InputError(
            f"the runs matching {target!r} were measured at {', '.join(precisions)}: pass --precision "
            "to calibrate from one of them"
        )
    return _calibration(target, path, acc.name, precisions[0], used, tuple(skipped))


def _usable(
    records: Sequence[RunRecord], precision: str | None
) -> tuple[list[tuple[RunRecord, tuple[float, float]]], list[str]]:
    used, skipped = [], []
    for rec in records:
        got = (
            run_rates(rec)
            if precision is None or rec.precision == precision
            else f"measured at {rec.precision}, not {precision}"
        )
        if isinstance(got, str):
            skipped.append(f"{rec.run_id} ({got})")
        else:
            used.append((rec, got))
    return used, skipped


def _calibration(
    target: str,
    path: str,
    hardware: str,
    precision: str,
    used: Sequence[tuple[RunRecord, tuple[float, float]]],
    skipped: tuple[str, ...],
) -> Calibration:
    ids = tuple(rec.run_id for rec, _ in used)
    mfus = [u for _, (u, _w) in used]
    watts = [w for _, (_u, w) in used]
    listed = ", ".join(ids[:_LISTED]) + (f" and {len(ids) - _LISTED} more" if len(ids) > _LISTED else "")
    how = "median, range min-max" if len(ids) > 1 else "one run, no range"
    source = (
        f"measured on {len(ids)} tracked run(s) on {hardware} at {precision} ({listed}; {how}; MFU, and "
        f"GPU energy / (chips x active seconds)) from ledger {path}"
    )
    return Calibration(
        target=target,
        ledger=path,
        hardware=hardware,
        precision=precision,
        run_ids=ids,
        utilization_low=min(mfus),
        utilization_central=float(statistics.median(mfus)),
        utilization_high=max(mfus),
        watts_per_chip_low=min(watts),
        watts_per_chip_central=float(statistics.median(watts)),
        watts_per_chip_high=max(watts),
        skipped=skipped,
        source=source,
    )
