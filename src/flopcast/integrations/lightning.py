"""``LightningCallback``: a ``lightning.pytorch.Callback`` that tracks ``fit`` (imports Lightning).

The class is built by :func:`flopcast.measure.integrations.lightning_callback_class` (once per Lightning
``Callback`` base; ``flopcast.measure.lightning_callback()`` returns instances of this same class). Arguments are
those of :func:`flopcast.track`; ``callback.run`` is the :class:`~flopcast.measure.Run`.
"""

from __future__ import annotations

from flopcast.measure.integrations import lightning_callback_class

LightningCallback = lightning_callback_class()

__all__ = ["LightningCallback"]
