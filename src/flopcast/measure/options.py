"""What a tracked run is told: one frozen :class:`TrackOptions`, shared by ``flopcast.track()``, the trainer
callbacks, ``flopcast track -- CMD`` and the CLI. Numbers are checked when the options are built (one
line naming the argument, the ``flopcast track`` flag and the fix), so a bad value never reaches a job.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from flopcast.errors import InputError
from flopcast.measure.checks import check_run_numbers, total_steps_of
from flopcast.measure.logto import check_log_to
from flopcast.measure.samplers import RAPL_ROOT, Sampler

if TYPE_CHECKING:
    from flopcast.measure.ledger import Ledger

DEFAULT_INTERVAL_SECONDS = 1.0
_CHECKED = ("flop_per_step", "total_steps", "epochs", "steps_per_epoch", "chips", "interval", "cpu_tdp_watts")


@dataclass(frozen=True)
class TrackOptions:
    """Everything a :class:`~flopcast.measure.Run` is told, checked at construction.

    Attributes
    ----------
    flop_per_step : float, optional
        FLOP of one (global) training step; with ``model`` and ``batch`` it is counted once instead.
    total_steps : int, optional
        Steps in the whole run, for the forecast (or give ``epochs`` and ``steps_per_epoch``).
    hardware, chips, precision, region, pue, pricing
        See :func:`flopcast.measure.rates.resolve_rates`.
    interval : float
        Sampling interval, s (default 1). A ``kill -9`` loses at most one interval.
    ledger : str, Path, Ledger or bool
        Ledger file (default: ``$FLOPCAST_LEDGER`` or the user data dir); ``False`` keeps no ledger.
    name : str, optional
        A label for the run in the ledger (``flopcast scaling fit --ledger L --tag 'sweep-*'`` selects runs by it).
    model_params : int, optional
        The model's parameter count N, recorded with the run (what ``scaling fit --ledger`` reads); the
        trainer callbacks fill it from the model, and a given ``model`` fills it too.
    model_params_non_embedding : int, optional
        The same without the embedding tables (Kaplan et al. 2020's N; the count the Hugging Face trainer's
        ``total_flos`` uses), filled like ``model_params`` (see :mod:`flopcast.measure.params`);
        ``scaling fit --ledger --params non-embedding`` reads it.
    dataset_examples : int, optional
        Examples in the training dataset (Epoch AI's "Training dataset size"), recorded with the run; the trainer
        callbacks fill it from the train loader's dataset when it has a length.
    pid : int, optional
        Root of the process tree to measure (default: this process).
    log_to : {"tensorboard", "mlflow"}, optional
        Also write flopcast's figures (energy, CO2e, achieved FLOP/s, MFU, loss) to this tracker at every
        sample and at the end (see :mod:`flopcast.measure.logto`).
    log_dir : str or Path, optional
        TensorBoard's log directory (default ``runs/flopcast-<run id>``) or MLflow's tracking URI.
    command, progress_file, steps_file, samplers, env, rapl_root, install_signal_handlers
        Plumbing for ``flopcast track -- CMD`` and tests: the command line recorded, the progress file
        and the steps file a child writes, injected samplers, the environment read for the launcher, the RAPL root, and
        whether a SIGTERM handler is installed.
    """

    flop_per_step: float | None = None
    total_steps: int | None = None
    epochs: float | None = None
    steps_per_epoch: int | None = None
    hardware: str | None = None
    chips: int | None = None
    precision: str | None = None
    region: str | None = None
    pue: float | None = None
    pricing: str = "on-demand"
    interval: float = DEFAULT_INTERVAL_SECONDS
    ledger: str | Path | Ledger | bool | None = None
    name: str | None = None
    command: Sequence[str] | None = None
    pid: int | None = None
    cpu_tdp_watts: float | None = None
    model: Any = None
    batch: Any = None
    model_params: int | None = None
    model_params_non_embedding: int | None = None
    dataset_examples: int | None = None
    progress_file: str | Path | None = None
    steps_file: str | Path | None = None
    samplers: Sequence[Sampler] | None = None
    env: Mapping[str, str] | None = None
    rapl_root: Path = RAPL_ROOT
    install_signal_handlers: bool = True
    log_to: str | None = None
    log_dir: str | Path | None = None

    def __post_init__(self) -> None:
        if self.interval is None:
            raise InputError("interval (--interval) must be a number of seconds (got None); e.g. --interval 1")
        nums = check_run_numbers({k: getattr(self, k) for k in _CHECKED})
        for k, v in nums.items():
            object.__setattr__(self, k, v)
        total_steps_of(self.total_steps, self.epochs, self.steps_per_epoch)  # refuses a lone/contradicting pair
        for key in ("model_params", "model_params_non_embedding"):
            if getattr(self, key) is not None:
                object.__setattr__(self, key, check_model_params(getattr(self, key), key))
        total, non_embedding = self.model_params, self.model_params_non_embedding
        if total is not None and non_embedding is not None and total < non_embedding:  # either may be given alone
            raise InputError(
                f"model_params_non_embedding ({self.model_params_non_embedding}) is more than model_params "
                f"({self.model_params}); the non-embedding count leaves the embedding tables out of model_params"
            )
        if self.dataset_examples is not None:
            object.__setattr__(self, "dataset_examples", check_dataset_examples(self.dataset_examples))
        object.__setattr__(self, "log_to", check_log_to(self.log_to, self.log_dir))
        if self.command is not None:
            object.__setattr__(self, "command", tuple(self.command) or None)
        if self.samplers is not None:
            object.__setattr__(self, "samplers", tuple(self.samplers))

    @property
    def steps_in_run(self) -> int | None:
        """``total_steps``, or ``epochs × steps_per_epoch`` rounded up."""
        return total_steps_of(self.total_steps, self.epochs, self.steps_per_epoch)

    def rate_options(self) -> dict[str, Any]:
        """The arguments of :func:`~flopcast.measure.rates.resolve_rates` these options set."""
        return {
            "hardware": self.hardware,
            "chips": self.chips,
            "precision": self.precision,
            "region": self.region,
            "pue": self.pue,
            "pricing": self.pricing,
        }

    def replace(self, **overrides: Any) -> TrackOptions:
        """A copy with ``overrides`` applied (and checked again)."""
        return dataclasses.replace(self, **overrides)


def check_model_params(value: Any, name: str = "model_params") -> int:
    """A parameter count (option ``name``) as an int >= 1, else a one-line :class:`InputError`."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if not ok or float(value) < 1 or not float(value).is_integer():
        raise InputError(f"{name} must be a whole number of parameters >= 1 (got {value!r}); e.g. {name}=125_000_000")
    return int(value)


def check_dataset_examples(value: Any) -> int:
    """A dataset size as an int >= 1, else a one-line :class:`InputError`."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if not ok or float(value) < 1 or not float(value).is_integer():
        raise InputError(
            f"dataset_examples must be a whole number of examples >= 1 (got {value!r}); "
            "e.g. dataset_examples=len(train_dataset)"
        )
    return int(value)


class TrackOverrides(TypedDict, total=False):
    """Keyword overrides of :class:`TrackOptions` (for ``track(**overrides)``: mypy checks each name and type)."""

    flop_per_step: float | None
    total_steps: int | None
    epochs: float | None
    steps_per_epoch: int | None
    hardware: str | None
    chips: int | None
    precision: str | None
    region: str | None
    pue: float | None
    pricing: str
    interval: float
    ledger: str | Path | Ledger | bool | None
    name: str | None
    command: Sequence[str] | None
    pid: int | None
    cpu_tdp_watts: float | None
    model: Any
    batch: Any
    model_params: int | None
    model_params_non_embedding: int | None
    dataset_examples: int | None
    progress_file: str | Path | None
    steps_file: str | Path | None
    samplers: Sequence[Sampler] | None
    env: Mapping[str, str] | None
    rapl_root: Path
    install_signal_handlers: bool
    log_to: str | None
    log_dir: str | Path | None


def make_options(options: TrackOptions | None, overrides: Mapping[str, Any]) -> TrackOptions:
    """``options`` (default: all defaults) with ``overrides`` applied; an unknown name is an :class:`InputError`."""
    unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(TrackOptions)})
    if unknown:
        raise InputError(f"unknown track option(s) {', '.join(unknown)}; see help(flopcast.measure.TrackOptions)")
    if options is None:
        return TrackOptions(**overrides)
    return options.replace(**overrides) if overrides else options
