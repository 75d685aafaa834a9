"""Callbacks for PyTorch Lightning and the Hugging Face Trainer, built only when those libraries exist.

Both count *optimizer* steps (``trainer.global_step`` / ``state.global_step``), so gradient
accumulation does not inflate the step count, take ``total_steps`` from the trainer when not
given, and close the record as failed if training raises. Under DDP every rank gets a callback;
the tracker's own role logic makes local rank 0 the node's only sampler.

>>> trainer = lightning.Trainer(callbacks=[lightning_callback(flop_per_step=6 * n_params * tokens_per_step)])
... # doctest: +SKIP
>>> Trainer(..., callbacks=[hf_callback(region="FRA")])  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import math
from typing import TYPE_CHECKING, Any

from flopcast.errors import InputError
from flopcast.measure.options import TrackOptions, make_options
from flopcast.measure.tracker import Run

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from flopcast.measure.options import TrackOverrides


def _lightning() -> Any:
    for name in ("lightning.pytorch", "pytorch_lightning"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise InputError("PyTorch Lightning is not installed (pip install lightning); use flopcast.track() directly")


class _Stepper:
    """Shared logic: start once, advance by the trainer's optimizer-step counter, stop once."""

    def __init__(self, options: TrackOptions):
        self.options = options
        self.run: Run | None = None
        self._seen = 0

    def _start(self, total_steps: Any) -> None:
        opts = self.options
        total = trainer_total_steps(total_steps)
        if opts.steps_in_run is None and total is not None:
            opts = opts.replace(total_steps=total)
        self.run = Run(opts).start()
        self._seen = 0

    def _advance(self, global_step: int) -> None:
        if self.run is not None and global_step > self._seen:
            self.run.step(global_step - self._seen)
            self._seen = global_step

    def _stop(self, *, failed: bool = False) -> None:
        if self.run is not None:
            self.run.stop(exit_code=1 if failed else 0, status="failed" if failed else None)


def trainer_total_steps(value: Any) -> int | None:
    """A trainer's planned optimizer steps as a whole number >= 1, else ``None`` (infinite, unknown, junk)."""
    try:
        total = float(value)
    except (TypeError, ValueError):
        return None
    return int(total) if math.isfinite(total) and total >= 1 else None


def lightning_callback(options: TrackOptions | None = None, **overrides: Unpack[TrackOverrides]) -> Any:
    """A ``lightning.pytorch.Callback`` that tracks ``fit``; arguments are those of :func:`flopcast.track`."""
    pl = _lightning()
    opts = make_options(options, overrides)

    class FlopcastLightningCallback(pl.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.stepper = _Stepper(opts)

        @property
        def run(self) -> Run | None:
            return self.stepper.run

        def on_train_start(self, trainer: Any, pl_module: Any) -> None:
            self.stepper._start(getattr(trainer, "estimated_stepping_batches", None))

        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
            self.stepper._advance(int(trainer.global_step))

        def on_train_end(self, trainer: Any, pl_module: Any) -> None:
            self.stepper._stop()

        def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
            self.stepper._stop(failed=True)

    return FlopcastLightningCallback()


def hf_callback(options: TrackOptions | None = None, **overrides: Unpack[TrackOverrides]) -> Any:
    """A ``transformers.TrainerCallback`` that tracks ``Trainer.train()``; arguments as :func:`flopcast.track`."""
    opts = make_options(options, overrides)
    try:
        from transformers import TrainerCallback
    except ImportError:
        raise InputError("transformers is not installed (pip install transformers); use flopcast.track() "
                         "directly") from None

    class FlopcastTrainerCallback(TrainerCallback):
        def __init__(self) -> None:
            self.stepper = _Stepper(opts)

        @property
        def run(self) -> Run | None:
            return self.stepper.run

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.stepper._start(getattr(state, "max_steps", None))

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.stepper._advance(int(state.global_step))

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.stepper._stop()

    return FlopcastTrainerCallback()
