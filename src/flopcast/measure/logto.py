"""Flopcast's figures into the user's experiment tracker for plain loops: ``track(log_to="tensorboard")``.

A :class:`FigureWriter` gets the run's figures (``flopcast/energy_kwh``, ``flopcast/co2e_kg``,
``flopcast/achieved_flop_per_s``, ``flopcast/mfu``, ``flopcast/loss``; only the known ones, never a 0 or nan
for "unknown") at every sampling tick, with the step count as the step, and once more at the end.

The tracker libraries are imported here, when the run is prepared (never at ``import flopcast``), so a missing
library fails before the job with a one-line :class:`~flopcast.errors.InputError`:

* ``"tensorboard"``: TensorBoard event files in ``log_dir`` (default ``runs/flopcast-<run id>``), written with
  ``torch.utils.tensorboard.SummaryWriter`` when torch is importable, else TensorBoard's own
  ``tensorboard.summary.Writer``; both need the ``tensorboard`` package.
* ``"mlflow"``: metrics of an MLflow run. ``log_dir`` is the tracking URI (``sqlite:///mlflow.db``,
  ``http://host:5000``, or a directory for MLflow's file store); without it the active run
  (``mlflow.start_run()``) receives them, else a new run in experiment ``flopcast`` at MLflow's own
  tracking URI (``MLFLOW_TRACKING_URI``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flopcast.errors import InputError, one_line

LOG_TO = ("tensorboard", "mlflow")
FIGURE_KEYS = ("energy_kwh", "co2e_kg", "achieved_flop_per_s", "mfu")
LOOP_FIGURES = {**{k: k for k in FIGURE_KEYS}, "loss": "final_loss"}  # tag (after "flopcast/") -> record field
PREFIX = "flopcast/"


def check_log_to(log_to: Any, log_dir: Any) -> str | None:
    """``log_to`` as one of :data:`LOG_TO` (case-insensitive) or ``None``; else a one-line :class:`InputError`."""
    if log_to is None:
        if log_dir is not None:
            raise InputError(
                f"log_dir (--log-dir) was given ({log_dir!s}) without log_to; "
                "add log_to='tensorboard' or 'mlflow' (--log-to)"
            )
        return None
    name = str(log_to).strip().lower() if isinstance(log_to, str) else None
    if name not in LOG_TO:
        raise InputError(f"unknown log_to {log_to!r} (--log-to); use one of: {', '.join(LOG_TO)}")
    return name


def record_figures(record: Any, fields: Mapping[str, str] | None = None) -> dict[str, float]:
    """``{"flopcast/<tag>": value}`` for the finite numbers among ``record``'s ``fields`` (tag -> attribute;
    default: energy, CO2e, achieved FLOP/s, MFU); an unknown figure is left out, never logged as 0 or nan."""
    out = {}
    for tag, attr in (fields or {k: k for k in FIGURE_KEYS}).items():
        v = getattr(record, attr, None)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            out[PREFIX + tag] = float(v)
    return out


class FigureWriter:
    """Writes figures to one tracker. ``write(figures, step)`` per tick, ``close()`` once at the end."""

    kind = "?"
    where = ""

    def write(self, figures: Mapping[str, float], step: int) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        """Flush and release (idempotent)."""


class TensorBoardWriter(FigureWriter):
    """Scalars in TensorBoard event files under ``log_dir``."""

    kind = "tensorboard"

    def __init__(self, log_dir: Path):
        self.where = str(log_dir)
        self._writer = _tensorboard_writer(str(log_dir))
        torch_writer = type(self._writer).__module__.startswith("torch.")
        self._wall_key = "walltime" if torch_writer else "wall_time"  # the two writers name it differently
        self._closed = False

    def write(self, figures: Mapping[str, float], step: int) -> None:
        wall = time.time()
        for tag, value in figures.items():
            self._writer.add_scalar(tag, value, step, **{self._wall_key: wall})
        self._writer.flush()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._writer.close()


def _tensorboard_writer(log_dir: str) -> Any:
    """``torch.utils.tensorboard.SummaryWriter`` (torch installed) or ``tensorboard.summary.Writer``."""
    try:
        import tensorboard  # noqa: F401  (both writers need it)
    except ImportError:
        raise InputError("log_to='tensorboard' needs the tensorboard package (pip install tensorboard)") from None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        from tensorboard.summary import Writer

        return Writer(log_dir)
    return SummaryWriter(log_dir=log_dir)


class MlflowWriter(FigureWriter):
    """Metrics of an MLflow run: the active one, or a new run in experiment ``flopcast`` (ended at close)."""

    kind = "mlflow"

    def __init__(self, tracking_uri: str | None, run_name: str):
        try:
            import mlflow
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise InputError("log_to='mlflow' needs MLflow (pip install mlflow-skinny)") from None
        active = mlflow.active_run() if tracking_uri is None else None
        try:
            self._client = MlflowClient(tracking_uri=tracking_uri)
            if active is not None:
                self.run_id, self._owned = active.info.run_id, False
            else:
                exp = self._client.get_experiment_by_name("flopcast")
                exp_id = exp.experiment_id if exp is not None else self._client.create_experiment("flopcast")
                self.run_id, self._owned = self._client.create_run(exp_id, run_name=run_name).info.run_id, True
        except Exception as exc:  # a bad URI or a store MLflow refuses: name it before the job runs
            raise InputError(
                f"log_to='mlflow': cannot open the MLflow store {tracking_uri or '(default)'}: {one_line(exc)}"
            ) from None
        self.where = f"{self._client.tracking_uri} run {self.run_id}"
        self._closed = False

    def write(self, figures: Mapping[str, float], step: int) -> None:
        from mlflow.entities import Metric

        ms = int(time.time() * 1000)
        self._client.log_batch(self.run_id, metrics=[Metric(k, v, ms, step) for k, v in figures.items()])

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._owned:
                self._client.set_terminated(self.run_id)


def mlflow_uri(log_dir: str | Path | None) -> str | None:
    """A tracking URI as given; a plain directory as a ``file:`` URI (MLflow's file store); ``None`` as is."""
    if log_dir is None:
        return None
    text = str(log_dir)
    return text if "://" in text or text.startswith("file:") else Path(text).expanduser().resolve().as_uri()


def open_writer(log_to: str, log_dir: str | Path | None, run_name: str) -> FigureWriter:
    """The writer for ``log_to`` (already checked by :func:`check_log_to`)."""
    if log_to == "tensorboard":
        return TensorBoardWriter(Path(log_dir).expanduser() if log_dir is not None else Path("runs") / run_name)
    return MlflowWriter(mlflow_uri(log_dir), run_name)
