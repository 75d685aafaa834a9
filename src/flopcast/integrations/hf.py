"""``HFCallback``: a ``transformers.TrainerCallback`` that tracks ``Trainer.train()`` (imports transformers).

The class is built by :func:`flopcast.measure.integrations.hf_callback_class` (once; ``flopcast.measure.hf_callback()``
returns instances of this same class). Arguments are those of :func:`flopcast.track`; ``callback.run`` is the
:class:`~flopcast.measure.Run`; ``callback.run.result`` its final record.
"""

from __future__ import annotations

from flopcast.measure.integrations import hf_callback_class

HFCallback = hf_callback_class()

__all__ = ["HFCallback"]
