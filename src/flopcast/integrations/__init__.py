"""flopcast.integrations: callbacks for training frameworks, as real classes of those frameworks.

``flopcast.integrations.HFCallback`` is a ``transformers.TrainerCallback``; ``LightningCallback`` a
``lightning.pytorch.Callback``. Each is built when first asked for (so ``import flopcast`` imports
neither library nor torch), and takes the arguments of :func:`flopcast.track`.

>>> import flopcast
>>> trainer = transformers.Trainer(..., callbacks=[flopcast.integrations.HFCallback(region="FRA")])  # doctest: +SKIP
>>> trainer = lightning.Trainer(callbacks=[flopcast.integrations.LightningCallback()])  # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_CLASSES = {"HFCallback": "flopcast.integrations.hf", "LightningCallback": "flopcast.integrations.lightning"}

__all__ = ["HFCallback", "LightningCallback"]


def __getattr__(name: str) -> Any:
    if name in _CLASSES:
        return getattr(import_module(_CLASSES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
