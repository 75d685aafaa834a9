"""flopcast.measure: measure real runs — chip-hours, energy, achieved FLOP/s and MFU, a forecast of the
whole run, and a durable SQLite run ledger. Every energy figure is labelled measured, estimated or
unavailable; every conversion factor (PUE, grid intensity, price, peak) is an assumption with a source.

>>> import flopcast
>>> with flopcast.track(flop_per_step=6 * 125e6 * 2048, total_steps=1000, ledger=False) as run:  # doctest: +SKIP
...     for batch in loader:
...         train_step(batch)
...         run.step()
"""

from flopcast.measure.calibrate import Calibration, calibrate
from flopcast.measure.command import CommandNotFoundError, run_command
from flopcast.measure.distributed import DistContext, aggregate_job, detect
from flopcast.measure.forecast import Band, Forecast, forecast_run
from flopcast.measure.integrations import hf_callback, lightning_callback
from flopcast.measure.ledger import Ledger, default_ledger_path
from flopcast.measure.options import TrackOptions
from flopcast.measure.record import RUN_SCHEMA, RunRecord
from flopcast.measure.runs import LedgerRun, export_rows, list_runs, live_status, run_list_dict, show_run
from flopcast.measure.tracker import DEFAULT_INTERVAL_SECONDS, Run, current_run, track

__all__ = [
    "DEFAULT_INTERVAL_SECONDS",
    "RUN_SCHEMA",
    "Band",
    "Calibration",
    "CommandNotFoundError",
    "DistContext",
    "Forecast",
    "Ledger",
    "LedgerRun",
    "Run",
    "RunRecord",
    "TrackOptions",
    "aggregate_job",
    "calibrate",
    "current_run",
    "default_ledger_path",
    "detect",
    "export_rows",
    "forecast_run",
    "hf_callback",
    "lightning_callback",
    "list_runs",
    "live_status",
    "run_command",
    "run_list_dict",
    "show_run",
    "track",
]
