"""flopcast: what deep-learning work costs in computation, time, money, energy and carbon.

An implementation of Thompson, Greenewald, Lee & Manso, *The Computational Limits of Deep
Learning* (2020): count computation per pass, estimate training compute and its consequences,
measure real runs, fit how performance scales with computation, and report it all with every
number labelled measured, estimated or assumed.

Heavy pieces (torch) are imported lazily: ``import flopcast`` stays cheap.
"""

from __future__ import annotations

from flopcast._lazy import lazy_getattr

__version__ = "0.1.0"

# Public entry points, resolved on first use so that `import flopcast` never imports torch.
_LAZY = {
    "count": ("flopcast.count", "count"),
    "track": ("flopcast.measure", "track"),
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = ["__version__", "count", "track"]
