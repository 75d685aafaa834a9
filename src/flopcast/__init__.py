"""flopcast: what deep-learning work costs in computation, time, money, energy and carbon.

An implementation of Thompson, Greenewald, Lee & Manso, *The Computational Limits of Deep
Learning* (2020): count computation per pass, estimate training compute and its consequences,
measure real runs, fit how performance scales with computation, and report it all with every
number labelled measured, estimated or assumed.

Heavy pieces (torch) are imported lazily: ``import flopcast`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from flopcast._lazy import lazy_getattr

__version__ = "0.1.0"

if TYPE_CHECKING:  # what the lazy names below resolve to, for type checkers (nothing is imported at run time)
    from flopcast.count.api import count as count
    from flopcast.integrations import HFCallback as HFCallback
    from flopcast.integrations import LightningCallback as LightningCallback
    from flopcast.measure import track as track

# Public entry points, resolved on first use so that `import flopcast` never imports torch.
_LAZY = {
    "count": ("flopcast.count", "count"),
    "track": ("flopcast.measure", "track"),
    "HFCallback": ("flopcast.integrations", "HFCallback"),
    "LightningCallback": ("flopcast.integrations", "LightningCallback"),
}
# Subpackages reachable as attributes after a plain `import flopcast` (`flopcast.integrations.HFCallback`).
_SUBPACKAGES = frozenset({"integrations", "measure"})
_lazy_attr = lazy_getattr(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return import_module(f"{__name__}.{name}")
    return _lazy_attr(name)


__all__ = ["HFCallback", "LightningCallback", "__version__", "count", "track"]
