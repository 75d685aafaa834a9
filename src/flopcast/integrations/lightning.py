"""``LightningCallback``: a ``lightning.pytorch.Callback`` that tracks ``fit`` (imports Lightning)."""

from __future__ import annotations

from flopcast.measure.integrations import LightningHooks, lightning_module

_Base = lightning_module().Callback


class LightningCallback(LightningHooks, _Base):  # type: ignore[misc, valid-type]
    """Track ``lightning.Trainer.fit``: ``Trainer(callbacks=[LightningCallback(region="FRA")])``.

    Arguments are those of :func:`flopcast.track`; ``callback.run`` is the :class:`~flopcast.measure.Run`.
    """


__all__ = ["LightningCallback"]
