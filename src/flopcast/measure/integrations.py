"""What the trainer callbacks do, independent of the trainer library: :class:`HFHooks` and
:class:`LightningHooks` hold the hook methods; :mod:`flopcast.integrations` mixes them into real
``transformers.TrainerCallback`` / ``lightning.pytorch.Callback`` classes (``flopcast.integrations.HFCallback``).

Both count *optimizer* steps (``trainer.global_step`` / ``state.global_step``), so gradient
accumulation does not inflate the step count, take ``total_steps`` from the trainer when not
given, and close the record as failed if training raises. Under DDP every rank gets a callback;
the tracker's own role logic makes local rank 0 the node's only sampler.

``hf_callback()`` and ``lightning_callback()`` (the older names) return instances built from the same hooks.

>>> trainer = lightning.Trainer(callbacks=[flopcast.integrations.LightningCallback()])  # doctest: +SKIP
>>> Trainer(..., callbacks=[flopcast.integrations.HFCallback(region="FRA")])  # doctest: +SKIP
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


def lightning_module() -> Any:
    """``lightning.pytorch`` (or the older ``pytorch_lightning``), else a one-line :class:`InputError`."""
    for name in ("lightning.pytorch", "pytorch_lightning"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise InputError("PyTorch Lightning is not installed (pip install lightning); use flopcast.track() directly")


def transformers_callback_base() -> Any:
    """``transformers.TrainerCallback``, else a one-line :class:`InputError`."""
    try:
        from transformers import TrainerCallback
    except ImportError:
        raise InputError("transformers is not installed (pip install transformers); use flopcast.track() "
                         "directly") from None
    return TrainerCallback


_lightning = lightning_module  # the older private name


class _Stepper:
    """Shared logic: start once, advance by the trainer's optimizer-step counter, stop once."""

    def __init__(self, options: TrackOptions):
        self.options = options
        self.run: Run | None = None
        self._seen = 0

    def _start(self, total_steps: Any, *, model_params: int | None = None) -> None:
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


def parameter_count(model: Any) -> int | None:
    """The model's parameter count (``num_parameters()`` of a Hugging Face model, else the sum of
    ``numel()`` over ``parameters()``); ``None`` when the object has neither."""
    if model is None:
        return None
    try:
        if hasattr(model, "num_parameters"):
            return int(model.num_parameters())
        return int(sum(p.numel() for p in model.parameters()))
    except (AttributeError, TypeError):
        return None


class LightningHooks:
    """The hooks of a Lightning callback that tracks ``fit`` (mixed into ``lightning.pytorch.Callback``)."""

    def __init__(self, options: TrackOptions | None = None, **overrides: Unpack[TrackOverrides]) -> None:
        super().__init__()
        self.stepper = _Stepper(make_options(options, overrides))

    @property
    def run(self) -> Run | None:
        return self.stepper.run

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self.stepper._start(getattr(trainer, "estimated_stepping_batches", None),
                            model_params=parameter_count(pl_module))

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.stepper._advance(int(trainer.global_step))

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self.stepper._stop()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self.stepper._stop(failed=True)


class HFHooks:
    """The hooks of a Hugging Face ``TrainerCallback`` that tracks ``Trainer.train()``."""

    def __init__(self, options: TrackOptions | None = None, **overrides: Unpack[TrackOverrides]) -> None:
        self.stepper = _Stepper(make_options(options, overrides))

    @property
    def run(self) -> Run | None:
        return self.stepper.run

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.stepper._start(getattr(state, "max_steps", None), model_params=parameter_count(kwargs.get("model")))

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.stepper._advance(int(state.global_step))

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.stepper._stop()


def lightning_callback(options: TrackOptions | None = None, **overrides: Unpack[TrackOverrides]) -> Any:
    """A ``lightning.pytorch.Callback`` that tracks ``fit`` (prefer ``flopcast.integrations.LightningCallback``)."""
    pl = lightning_module()
    opts = make_options(options, overrides)
    cls = type("FlopcastLightningCallback", (LightningHooks, pl.Callback), {})
    return cls(opts)


def hf_callback(options: TrackOptions | None = None, **overrides: Unpack[TrackOverrides]) -> Any:
    """A ``transformers.TrainerCallback`` that tracks ``Trainer.train()`` (prefer
    ``flopcast.integrations.HFCallback``)."""
    opts = make_options(options, overrides)
    cls = type("FlopcastTrainerCallback", (HFHooks, transformers_callback_base()), {})
    return cls(opts)
