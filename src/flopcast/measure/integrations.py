"""What the trainer callbacks do, independent of the trainer library: :class:`HFHooks` and
:class:`LightningHooks` hold the hook methods; :mod:`flopcast.integrations` mixes them into real
``transformers.TrainerCallback`` / ``lightning.pytorch.Callback`` classes (``flopcast.integrations.HFCallback``).

Both count *optimizer* steps (``trainer.global_step`` / ``state.global_step``), so gradient
accumulation does not inflate the step count, take ``total_steps`` from the trainer when not
given, and close the record as failed if training raises. Under DDP every rank gets a callback;
the tracker's own role logic makes local rank 0 the node's only sampler.

:func:`hf_callback_class` / :func:`lightning_callback_class` build those classes once per framework base class;
``hf_callback()`` and ``lightning_callback()`` (the older names) return instances of the same classes.

>>> trainer = lightning.Trainer(callbacks=[flopcast.integrations.LightningCallback()])  # doctest: +SKIP
>>> Trainer(..., callbacks=[flopcast.integrations.HFCallback(region="FRA")])  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import math
from typing import TYPE_CHECKING, Any

from flopcast.errors import InputError, one_line
from flopcast.measure.logto import record_figures
from flopcast.measure.options import TrackOptions, make_options
from flopcast.measure.params import parameter_counts
from flopcast.measure.steplog import as_float
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
        raise InputError(
            "transformers is not installed (pip install transformers); use flopcast.track() directly"
        ) from None
    return TrainerCallback


_lightning = lightning_module  # the older private name


class _Stepper:
    """Shared logic: start once, advance by the trainer's optimizer-step counter, stop once."""

    def __init__(self, options: TrackOptions):
        self.options = options
        self.run: Run | None = None
        self.seen = 0  # the trainer's optimizer-step counter at the last step counted

    def start(self, total_steps: Any, *, model: Any = None, dataset_examples: int | None = None) -> None:
        """Start a run of ``total_steps`` (the trainer's plan), sized from ``model`` (its parameter counts, unless
        given)."""
        opts = self.options
        total = trainer_total_steps(total_steps)
        if opts.steps_in_run is None and total is not None:
            opts = opts.replace(total_steps=total)
        counts = dict(zip(("model_params", "model_params_non_embedding"), parameter_counts(model), strict=True))
        found = {k: v for k, v in counts.items() if getattr(opts, k) is None and v}
        if found:
            with contextlib.suppress(InputError):  # a given count the model's contradicts: keep what was given
                opts = opts.replace(**found)
        if opts.dataset_examples is None and dataset_examples:
            opts = opts.replace(dataset_examples=dataset_examples)
        self.run = Run(opts).start()
        self.seen = 0

    def advance(self, global_step: int, *, loss: Any = None, tokens: int | None = None) -> bool:
        """Count the optimizer steps since the last call (with ``loss`` and ``tokens``); ``False``: none."""
        if self.run is None or global_step <= self.seen:
            return False
        self.run.step(global_step - self.seen, loss=loss, tokens=tokens)
        self.seen = global_step
        return True

    def epoch(self, epochs: Any) -> None:
        """Note the trainer's fractional epochs completed (the record's ``epochs``)."""
        if self.run is not None and epochs is not None:
            self.run.epochs_done = epochs

    def stop(self, *, failed: bool = False) -> None:
        if self.run is not None:
            self.run.stop(exit_code=1 if failed else 0, status="failed" if failed else None)


def count_on_meta(
    run: Run | None, model: Any, batch: Any, *, accumulation: Any = 1, world_size: Any = 1, lightning: bool = False
) -> None:
    """Count FLOP per optimizer step on a meta copy of ``model`` with ``batch`` (see
    :mod:`flopcast.measure.meta_count`) into ``run`` -- unless FLOP per step is known already or this rank does
    not measure. A count that fails is noted in the run's errors (one line naming ``flop_per_step``); training
    goes on."""
    if run is None or run.flop_per_step is not None or run.role == "passive" or model is None or batch is None:
        return
    from flopcast.measure.meta_count import count_step_on_meta

    try:
        flop, note = count_step_on_meta(
            model,
            batch,
            accumulation=max(1, int(accumulation or 1)),
            world_size=max(1, int(world_size or 1)),
            lightning=lightning,
        )
    except Exception as exc:  # the user's training must not fail because flopcast could not count it
        run.errors.append(
            f"FLOP per step not counted on a meta copy of the model ({one_line(exc)}); "
            "pass flop_per_step for FLOP/s and MFU"
        )
        return
    run.counted(flop, note)


def trainer_total_steps(value: Any) -> int | None:
    """A trainer's planned optimizer steps as a whole number >= 1, else ``None`` (infinite, unknown, junk)."""
    try:
        total = float(value)
    except (TypeError, ValueError):
        return None
    return int(total) if math.isfinite(total) and total >= 1 else None


def dataset_length(loader: Any) -> int | None:
    """Examples in a train loader's dataset (``len(loader.dataset)``; the whole dataset, also when a distributed
    sampler shards it), ``None`` when there is none or it has no length (an iterable dataset)."""
    try:
        n = len(loader.dataset)
    except (AttributeError, TypeError, NotImplementedError):
        return None
    return n if n >= 1 else None


def lightning_epochs(trainer: Any, batch_idx: int) -> float | None:
    """Fractional epochs completed after batch ``batch_idx``: ``current_epoch + (batch_idx + 1) /
    num_training_batches`` (``current_epoch`` alone when the batches per epoch are unknown or infinite)."""
    epoch = getattr(trainer, "current_epoch", None)
    if not isinstance(epoch, int):
        return None
    per_epoch = as_float(getattr(trainer, "num_training_batches", None))
    return epoch + (batch_idx + 1) / per_epoch if per_epoch else float(epoch)


def batch_tokens(batch: Any) -> int | None:
    """Tokens in a Hugging Face-style batch (``batch["input_ids"].numel()``), else ``None`` (no guessing)."""
    ids = batch.get("input_ids") if isinstance(batch, dict) else None
    try:
        return int(ids.numel()) if ids is not None else None
    except (AttributeError, TypeError):
        return None


def _loss_of(outputs: Any) -> Any:
    """The loss a ``training_step`` returned (a tensor, or ``{"loss": tensor, ...}``), detached; else ``None``."""
    loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
    detach = getattr(loss, "detach", None)
    return detach() if callable(detach) else (loss if isinstance(loss, (int, float)) else None)


class LightningHooks:
    """The hooks of a Lightning callback that tracks ``fit`` (mixed into ``lightning.pytorch.Callback``).

    Records optimizer steps (``trainer.global_step``), the loss ``training_step`` returned (at each optimizer
    step, the last micro-batch's), tokens of dict batches with ``input_ids`` (x world size), validation metrics
    (``trainer.callback_metrics`` after each validation), the model's parameter count, the epochs completed
    (``current_epoch`` + the batch's fraction of ``num_training_batches``) and the train loader's dataset size
    (``len(trainer.train_dataloader.dataset)`` when it has one); the metrics of a ``validate()`` or ``test()`` after
    ``fit`` are added to the finished run (:meth:`~flopcast.measure.Run.amend`); and, every
    ``log_every_n_steps``, logs flopcast's figures (``flopcast/energy_kwh`` ...) to ``trainer.loggers``.
    FLOP per optimizer step, unless given: ``training_step`` on the first batch counted on a meta copy of the
    module × ``accumulate_grad_batches`` × ``world_size`` (``count_flop=False``: not counted).
    """

    def __init__(
        self,
        options: TrackOptions | None = None,
        *,
        log_figures: bool = True,
        count_flop: bool = True,
        **overrides: Unpack[TrackOverrides],
    ) -> None:
        super().__init__()
        self.stepper = _Stepper(make_options(options, overrides))
        self.log_figures = log_figures
        self.count_flop = count_flop
        self._tokens = 0

    @property
    def run(self) -> Run | None:
        return self.stepper.run

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self._tokens = 0
        self.stepper.start(
            getattr(trainer, "estimated_stepping_batches", None),
            model=pl_module,
            dataset_examples=dataset_length(getattr(trainer, "train_dataloader", None)),
        )

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        if self.count_flop and self.run is not None and self.run.flop_per_step is None:
            self.count_flop = False  # once: the first batch
            count_on_meta(
                self.run,
                pl_module,
                batch,
                accumulation=getattr(trainer, "accumulate_grad_batches", 1),
                world_size=getattr(trainer, "world_size", 1),
                lightning=True,
            )

    def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        tokens = batch_tokens(batch)
        if tokens is not None:
            self._tokens += tokens * int(getattr(trainer, "world_size", 1) or 1)
        step = int(trainer.global_step)
        self.stepper.epoch(lightning_epochs(trainer, batch_idx))
        if not self.stepper.advance(step, loss=_loss_of(outputs), tokens=self._tokens or None):
            return
        self._tokens = 0
        every = int(getattr(trainer, "log_every_n_steps", 50) or 50)
        if self.log_figures and step % every == 0:
            self._log_figures(trainer, step)

    def _log_figures(self, trainer: Any, step: int) -> None:
        figures = trainer_figures(self.run)
        for logger in (getattr(trainer, "loggers", None) or []) if figures else []:
            logger.log_metrics(figures, step=step)

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if not getattr(trainer, "sanity_checking", False):
            self._note_metrics(trainer, "val")

    def on_test_end(self, trainer: Any, pl_module: Any) -> None:
        self._note_metrics(trainer, "test")

    def _note_metrics(self, trainer: Any, kind: str) -> None:
        """The ``trainer.callback_metrics`` whose names hold ``kind`` (``val_loss`` stored as ``eval_loss``): noted
        in the run while it goes, added to the finished run after ``fit`` (a ``validate()`` or ``test()`` then)."""
        run = self.run
        found = dict(getattr(trainer, "callback_metrics", {}) or {}).items()
        metrics = {
            ("eval_loss" if k in ("val_loss", "val/loss") else k): as_float(v)
            for k, v in found
            if kind in k and as_float(v) is not None
        }
        if run is None or not metrics:
            return
        if run.stopped:
            run.amend(metrics=metrics)
        else:
            run.observe(metrics=metrics)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        self.stepper.stop()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self.stepper.stop(failed=True)


TOTAL_FLOS_SOURCE = "state.total_flos"


def trainer_figures(run: Run | None) -> dict[str, float]:
    """The run's figures so far as ``{"flopcast/energy_kwh": ..., ...}`` for a trainer's logs: only those that
    are known (a missing figure is left out, never logged as 0 or nan); ``{}`` on a rank that does not sample."""
    if run is None:
        return {}
    try:
        rec = run.record()
    except RuntimeError:  # a passive rank, or a run not started
        return {}
    return record_figures(rec)


class HFHooks:
    """The hooks of a Hugging Face ``TrainerCallback`` that tracks ``Trainer.train()``.

    * steps: ``state.global_step`` (optimizer steps);
    * epochs and dataset size: ``state.epoch`` (fractional epochs completed) and ``len`` of the train loader's
      dataset (when it has one) become the record's ``epochs`` and ``dataset_examples``;
    * tokens: the trainer's ``state.num_input_tokens_seen`` (the callback sets ``include_num_input_tokens_seen``
      to ``"all"`` when it is ``"no"``, so the trainer counts them; already global under DDP);
    * loss, learning rate, eval metrics: what the trainer logs (``on_log``), stored per logged step;
    * FLOP per optimizer step, unless given: the growth of ``state.total_flos`` (the trainer's own count,
      6 x tokens x non-embedding parameters for a ``PreTrainedModel``, summed over ranks and micro-batches)
      per optimizer step between two logs; the record's ``flop_per_step_source`` says ``state.total_flos``.
      A model without ``floating_point_ops`` (not a ``PreTrainedModel``: the trainer's ``total_flos`` stays 0) is
      counted instead on a meta copy with the first batch (built from the train dataset's first items and the
      loader's collate function, so the loader is not iterated) × ``gradient_accumulation_steps`` × world size.
    * an ``evaluate()`` after ``train()``: the run closed at ``on_train_end``; the eval metrics are added to the
      finished run (:meth:`~flopcast.measure.Run.amend`: a ledger row and the record's ``final_eval_loss``).
    """

    def __init__(
        self,
        options: TrackOptions | None = None,
        *,
        log_figures: bool = True,
        count_flop: bool = True,
        **overrides: Unpack[TrackOverrides],
    ) -> None:
        self.stepper = _Stepper(make_options(options, overrides))
        self.log_figures = log_figures
        self.count_flop = count_flop
        self._flos_mark = (0, 0.0)  # (global step, total_flos) at the last log
        self._flos_start = (0, 0.0)  # ... at train begin (a resumed run counts from there)
        self._tokens_mark = 0

    @property
    def run(self) -> Run | None:
        return self.stepper.run

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if args is not None and getattr(args, "include_num_input_tokens_seen", None) in ("no", False):
            args.include_num_input_tokens_seen = "all"
        self._flos_start = self._flos_mark = (int(state.global_step), float(getattr(state, "total_flos", 0) or 0))
        self._tokens_mark = int(getattr(state, "num_input_tokens_seen", 0) or 0)
        model = kwargs.get("model")
        self.stepper.start(
            getattr(state, "max_steps", None),
            model=model,
            dataset_examples=dataset_length(kwargs.get("train_dataloader")),
        )
        if self.count_flop and model is not None and not hasattr(model, "floating_point_ops"):
            self._count_from_loader(args, model, kwargs.get("train_dataloader"))

    def _count_from_loader(self, args: Any, model: Any, loader: Any) -> None:
        from flopcast.measure.meta_count import first_batch

        try:
            batch = first_batch(loader, getattr(args, "per_device_train_batch_size", None))
        except Exception as exc:  # an iterable dataset, a loader without a dataset
            if self.run is not None:
                self.run.errors.append(
                    f"FLOP per step not counted: no first batch from the train loader "
                    f"({one_line(exc)}); pass flop_per_step for FLOP/s and MFU"
                )
            return
        count_on_meta(
            self.run,
            model,
            batch,
            accumulation=getattr(args, "gradient_accumulation_steps", 1),
            world_size=getattr(args, "world_size", 1),
        )

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        seen = int(getattr(state, "num_input_tokens_seen", 0) or 0)
        tokens = seen - self._tokens_mark if seen > self._tokens_mark else None
        self._tokens_mark = max(seen, self._tokens_mark)
        self.stepper.epoch(getattr(state, "epoch", None))
        self.stepper.advance(int(state.global_step), tokens=tokens)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        run = self.run
        if run is None:
            return
        logs = logs or {}
        metrics = {k: v for k, v in logs.items() if k.startswith("eval_") and isinstance(v, (int, float))}
        if run.stopped:  # an evaluate() after train(): its metrics join the finished run
            if metrics:
                run.amend(metrics=metrics)
            if self.log_figures:
                self._add_figures(state, logs)
            return
        self.stepper.advance(int(state.global_step))
        per_step = self._flop_per_step(state)
        if per_step is not None or "loss" in logs or metrics:
            step0, flos0 = self._flos_start
            mean = (float(state.total_flos) - flos0) / (int(state.global_step) - step0) if per_step else None
            run.observe(
                loss=logs.get("loss"),
                learning_rate=logs.get("learning_rate"),
                metrics=metrics or None,
                flop_per_step=per_step,
                run_flop_per_step=mean,
                flop_per_step_source=TOTAL_FLOS_SOURCE,
            )
        if self.log_figures:
            self._add_figures(state, logs)

    def _add_figures(self, state: Any, logs: dict[str, Any]) -> None:
        """Flopcast's figures so far into the trainer's ``logs`` (what later callbacks -- TensorBoard, W&B,
        MLflow -- report) and into the entry the trainer just appended to ``state.log_history``."""
        figures = trainer_figures(self.run)
        logs.update(figures)
        history = getattr(state, "log_history", None)
        if figures and history and history[-1].get("step") == state.global_step:
            history[-1].update(figures)

    def attach(self, trainer: Any) -> HFHooks:
        """Add this callback to ``trainer`` *first*, so the reporting callbacks that ``report_to`` installed
        (TensorBoard, W&B, MLflow, which run before callbacks passed to ``Trainer(callbacks=...)``) see
        flopcast's figures in the same log. Returns ``self``."""
        handler = trainer.callback_handler
        handler.callbacks[:] = [self, *(c for c in handler.callbacks if c is not self)]
        return self

    def _flop_per_step(self, state: Any) -> float | None:
        """FLOP per optimizer step since the last log, from ``state.total_flos`` (``None``: no growth)."""
        step, flos = int(state.global_step), float(getattr(state, "total_flos", 0) or 0)
        last_step, last_flos = self._flos_mark
        if step <= last_step or flos <= last_flos:
            return None
        self._flos_mark = (step, flos)
        return (flos - last_flos) / (step - last_step)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.stepper.epoch(getattr(state, "epoch", None))
        self.stepper.stop()


HF_CALLBACK_DOC = """Track ``Trainer.train()``: ``Trainer(..., callbacks=[HFCallback(region="FRA")])``.

    Arguments are those of :func:`flopcast.track` (a :class:`~flopcast.measure.TrackOptions` and/or its fields).
    ``callback.run`` is the :class:`~flopcast.measure.Run`; ``callback.run.result`` its final record.
    """
LIGHTNING_CALLBACK_DOC = """Track ``lightning.Trainer.fit``: ``Trainer(callbacks=[LightningCallback(region="FRA")])``.

    Arguments are those of :func:`flopcast.track`; ``callback.run`` is the :class:`~flopcast.measure.Run`.
    """


@functools.cache
def _callback_class(hooks: type, base: type, module: str, name: str, doc: str) -> type:
    """``hooks`` mixed into the framework's ``base``, built once per base and named as its public home names it
    (so pickling and ``repr`` find ``flopcast.integrations.<module>.<name>``)."""
    return type(name, (hooks, base), {"__module__": module, "__qualname__": name, "__doc__": doc})


def hf_callback_class() -> type[HFHooks]:
    """The class ``flopcast.integrations.HFCallback`` (a ``transformers.TrainerCallback``; imports transformers)."""
    base = transformers_callback_base()
    return _callback_class(HFHooks, base, "flopcast.integrations.hf", "HFCallback", HF_CALLBACK_DOC)


def lightning_callback_class() -> type[LightningHooks]:
    """The class ``flopcast.integrations.LightningCallback`` (a ``lightning.pytorch.Callback``; imports Lightning)."""
    base = lightning_module().Callback
    return _callback_class(
        LightningHooks, base, "flopcast.integrations.lightning", "LightningCallback", LIGHTNING_CALLBACK_DOC
    )


def lightning_callback(options: TrackOptions | None = None, **overrides: Unpack[TrackOverrides]) -> LightningHooks:
    """A ``flopcast.integrations.LightningCallback`` that tracks ``fit`` (the older name; prefer the class)."""
    return lightning_callback_class()(make_options(options, overrides))


def hf_callback(options: TrackOptions | None = None, **overrides: Unpack[TrackOverrides]) -> HFHooks:
    """A ``flopcast.integrations.HFCallback`` that tracks ``Trainer.train()`` (the older name; prefer the class)."""
    return hf_callback_class()(make_options(options, overrides))
