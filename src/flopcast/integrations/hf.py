"""``HFCallback``: a ``transformers.TrainerCallback`` that tracks ``Trainer.train()`` (imports transformers)."""

from __future__ import annotations

from flopcast.measure.integrations import HFHooks, transformers_callback_base

_Base = transformers_callback_base()


class HFCallback(HFHooks, _Base):  # type: ignore[misc, valid-type]
    """Track ``Trainer.train()``: ``Trainer(..., callbacks=[HFCallback(region="FRA")])``.

    Arguments are those of :func:`flopcast.track` (a :class:`~flopcast.measure.TrackOptions` and/or its fields).
    ``callback.run`` is the :class:`~flopcast.measure.Run`; ``callback.run.result`` its final record.
    """


__all__ = ["HFCallback"]
